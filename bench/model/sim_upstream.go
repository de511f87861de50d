package model

import (
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// The upstream's side of the simulation: what the mock does with a
// request, through the same draw (upstream.Drawer) and the same contention
// (upstream.Config.ServiceTime) as the mock itself.

// arrive is the upstream receiving a request: admit it, queue it, or turn
// it away as the overflow policy says.
func (m *sim) arrive(r ref) {
	m.c.Requests++
	if m.up.Cap == 0 || m.inFlight < int64(m.up.Cap) {
		m.admit(r)
		return
	}
	switch m.up.Overflow {
	case upstream.OverflowReset:
		m.c.Reset++
		m.respond(r, outReset)
		return
	case upstream.OverflowQueue:
		if m.up.QueueLimit == 0 || m.queued < int64(m.up.QueueLimit) {
			m.items[r.item].phase = phQueued
			m.watch(r)
			m.queue.push(r)
			m.queued++
			m.c.PeakQueued = max(m.c.PeakQueued, m.queued)
			return
		}
	}
	m.c.Rejected++
	m.respond(r, outReject)
}

// respond sends outcome o back to r's client now: it arrives after the
// return half of the round trip (and its spread), and with a harness cost
// its turn at the harness after that, unless the client's deadline comes
// first.
func (m *sim) respond(r ref, o int) {
	back := m.back
	if m.p.ReturnSpread > 0 {
		m.spread.Seed(m.p.SpreadSeed, upstream.DrawKey(int(r.item), int(r.att)))
		back += int64(m.spread.Uint64() % uint64(m.p.ReturnSpread))
	}
	if back == 0 && m.cost == 0 {
		m.answer(r, o)
		return
	}
	it := &m.items[r.item]
	prev := it.phase
	it.phase = phReturning
	it.outcome = uint8(o)
	watched := prev == phQueued || prev == phService || prev == phStalled
	kind := evAnswer
	if m.cost > 0 {
		// The harness may hold the answer past any deadline: watch it
		// now, at arrival (or at the end of a watched service), so the
		// deadlines stay in order.
		kind = evHarness
		if !watched {
			m.watch(r)
			watched = true
		}
	}
	if at := m.now + back; m.timeout == 0 || at <= it.deadline {
		lane := laneAnswer
		if m.p.ReturnSpread > 0 {
			lane = laneSpread
		}
		m.schedule(at, r, kind, lane)
	} else if !watched {
		m.watch(r) // answered at arrival, not watched yet
	}
}

// harnessAnswer is r's answer reaching the harness, which hands it to the
// client once it has passed every message before it.
func (m *sim) harnessAnswer(r ref) {
	m.harnessAt = max(m.now, m.harnessAt) + m.cost
	if m.timeout == 0 || m.harnessAt <= m.items[r.item].deadline {
		m.schedule(m.harnessAt, r, evAnswer, laneHarness)
	}
}

// admit starts serving r. Contention is counted at admission, the request
// itself included.
func (m *sim) admit(r ref) {
	m.c.Admitted++
	m.inFlight++
	m.c.PeakInFlight = max(m.c.PeakInFlight, m.inFlight)
	it := &m.items[r.item]
	// Drawn here, not at arrival: the draw is keyed by item and attempt,
	// so when it is drawn does not change it, and a request turned away
	// needs none.
	draw := m.drawer.Draw(upstream.DrawKey(int(r.item), int(r.att)))
	it.fault = draw.Fault
	d := int64(m.up.ServiceTime(draw.Sample, m.inFlight) + m.p.ServiceExtra)
	queued := it.phase == phQueued // its deadline is being watched already
	it.phase = phService
	end := m.now + d
	// The answer's way back takes m.back, plus up to ReturnSpread, plus
	// its wait for the harness (unbounded: watched whenever there is one).
	if m.timeout > 0 && (end+m.back+int64(m.p.ReturnSpread) > it.deadline || m.cost > 0 || it.fault == upstream.FaultStall) && !queued {
		m.watch(r) // the client may give up first, or (stall) must
	}
	if m.timeout > 0 && end > it.deadline {
		return
	}
	m.schedule(end, r, evDone, laneHeap)
}

// release frees a slot and admits the oldest queued request still waiting.
func (m *sim) release() {
	m.inFlight--
	for m.queued > 0 {
		q := m.queue.pop()
		if m.live(q) && m.items[q.item].phase == phQueued {
			m.queued--
			m.admit(q)
			return
		}
	}
}

// done ends r's service: the upstream answers by its fault.
func (m *sim) done(r ref) {
	m.release()
	switch m.items[r.item].fault {
	case upstream.FaultError:
		m.c.Completed++
		m.c.ErrorsInjected++
		m.respond(r, outError)
	case upstream.FaultReset:
		m.c.Reset++
		m.respond(r, outReset)
	case upstream.FaultStall:
		// The slot is free, but the client hears nothing until its
		// deadline (being watched since admission).
		m.c.Stalled++
		m.items[r.item].phase = phStalled
	default:
		m.c.Completed++
		m.respond(r, outOK)
	}
}
