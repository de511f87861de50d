package model

import (
	"time"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// The client's side of the simulation: the end of an attempt, retries,
// and the cell it adds up to.

// timedOut is the client giving up on r at its deadline.
func (m *sim) timedOut(r ref) {
	it := &m.items[r.item]
	switch it.phase {
	case phQueued:
		m.queued--
		m.c.Canceled++
	case phService:
		m.c.Canceled++
		m.release()
	}
	// phStalled: counted and released when its service time ended;
	// phReturning: answered, the answer late.
	// phConnecting: the request never reached the upstream.
	m.answer(r, outTimeout)
}

// answer is the client receiving outcome o for r: finish the item, or
// retry it now or after a backoff.
func (m *sim) answer(r ref, o int) {
	m.outcomes[o]++
	it := &m.items[r.item]
	it.overload = it.overload || strategy.Overload(m.names[o])
	it.phase = phWaiting
	if o != outOK && m.retryable[o] && int(it.att) < m.p.MaxAttempts {
		var ra time.Duration
		if o == outReject {
			ra = m.retryAfter
		}
		m.jitter.pcg = &it.jitter
		if d := m.p.Retry.Delay(int(it.att), m.jrnd, ra); d > 0 {
			lane := laneHeap
			if d == m.retryAfter {
				lane = laneRetry
			}
			m.schedule(m.now+int64(d+m.p.WaitExtra), r, evAttempt, lane)
		} else {
			m.ready.push(r)
		}
		return
	}
	it.phase = phDone
	if o == outOK {
		m.ok++
	} else {
		f := &m.failures[o]
		if int(it.att) >= len(*f) {
			*f = append(*f, make([]int, int(it.att)+1-len(*f))...)
		}
		(*f)[it.att]++
	}
	m.record(it, m.now)
	m.finished++
	m.wall = m.now
	g := m.clientOf(r.item)
	f := &m.fleet[g]
	f.active--
	f.st.Ended(time.Duration(m.now), strategy.Outcome{OK: o == outOK, Overload: it.overload, Latency: time.Duration(m.now - it.sent)})
	m.pump(g)
}

// cell summarises the simulation as a measured cell would look.
func (m *sim) cell(s scenario.Strategy, pool int) results.Cell {
	n := m.p.Items
	wall := seconds(m.wall)
	c := results.Cell{
		Strategy:  s,
		Pool:      pool,
		Items:     n,
		Succeeded: m.ok,
		Failed:    n - m.ok,
		Attempts:  m.attempts,
		Outcomes:  map[string]int{},
		Latency:   m.lat.Percentiles(upstream.RealTime),
	}
	c.SetWall(wall, upstream.RealTime) // model time is the simulation's wall time
	for o, k := range m.outcomes {
		if k > 0 {
			c.Outcomes[m.names[o]] += k
		}
	}
	if m.canceled > 0 {
		c.Outcomes[scenario.OutcomeCanceled] += m.canceled
	}
	if m.ok < n {
		c.Failures = map[string]int{}
		for k, v := range m.cut {
			c.Failures[k] += v
		}
		for o, byAttempts := range m.failures {
			for a, v := range byAttempts {
				if v > 0 {
					c.Failures[results.FailureClass(m.names[o], a)] += v
				}
			}
		}
	}
	up := m.c
	up.InFlight, up.Queued = m.inFlight, m.queued
	c.Upstream = &up
	return c
}

func seconds(ns int64) float64 { return float64(ns) / 1e9 }
