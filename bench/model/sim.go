package model

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/poolbench/poolbench/bench"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Sampler draws service times; upstream.Latency implements it.
type Sampler interface {
	Sample(r *rand.Rand) time.Duration
	Mean() time.Duration
}

// Policy is the client's retry policy; bench.Retry implements it, so the
// model retries exactly as the real clients do.
type Policy interface {
	// Retries reports whether an attempt that ended with outcome ("503",
	// "429", "500", "reset", "timeout") is retried.
	Retries(outcome string) bool
	// Delay is the model time to wait before the attempt after attempt
	// number attempt (1-based) failed; retryAfter is the upstream's
	// Retry-After (0 when it sent none).
	Delay(attempt int, rnd *rand.Rand, retryAfter time.Duration) time.Duration
}

// Params is everything one simulated cell depends on. Durations are model
// durations.
type Params struct {
	// Items is the number of logical requests.
	Items int
	// Upstream is the modeled mock; its Latency string is ignored in favour
	// of Latency, and its defaults (overflow queue, statuses, Retry-After)
	// are filled in. As the mock does, request number id (from 1) draws its
	// latency sample and then its fault from PCG(Upstream.Seed, id).
	Upstream upstream.Config
	// Latency samples the base service time (before contention).
	Latency Sampler
	// Timeout bounds one attempt, from its start (connection setup
	// included) to its answer; 0 means none.
	Timeout time.Duration
	// KeepAlive false makes every attempt open a new connection, which
	// costs ConnectCost before the request reaches the upstream.
	KeepAlive bool
	// ConnectCost is the model time a new connection takes (default 0: on
	// loopback a connection costs well under the harness's timer
	// resolution; set it to model a remote service's handshake).
	ConnectCost time.Duration
	// RoundTrip is the network's round trip per attempt (default 0, as on
	// loopback): the request reaches the upstream RoundTrip/2 after it is
	// sent (after any connection cost) and its answer reaches the client
	// RoundTrip/2 after the upstream sends it. A what-if for a remote
	// service; the client timeout covers it.
	RoundTrip time.Duration
	// MaxAttempts is the most attempts per item, the first included (≥ 1).
	MaxAttempts int
	// Retry decides what is retried and how long to wait; nil retries
	// nothing.
	Retry Policy
	// Seed drives the client's random choices (backoff jitter).
	Seed uint64
}

// Concurrency is the number of items a strategy keeps in flight: 1 for
// serial, pool for pooled and workers, every item for unbounded.
func Concurrency(s bench.Strategy, pool, items int) (int, error) {
	switch s {
	case bench.Serial:
		return 1, nil
	case bench.Pooled, bench.Workers:
		if pool < 1 {
			return 0, fmt.Errorf("strategy %s needs a pool size of at least 1, got %d", s, pool)
		}
		return min(pool, max(items, 1)), nil
	case bench.Unbounded:
		return max(items, 1), nil
	}
	return 0, fmt.Errorf("unknown strategy %q (want serial, pooled, workers or unbounded)", s)
}

// CellPool is the Pool a cell of strategy s records: 1 for serial, 0 for
// unbounded, pool otherwise.
func CellPool(s bench.Strategy, pool int) int {
	switch s {
	case bench.Serial:
		return 1
	case bench.Unbounded:
		return 0
	}
	return pool
}

func (p *Params) validate() error {
	u := p.Upstream
	switch {
	case p.Items < 1:
		return fmt.Errorf("items must be at least 1, got %d", p.Items)
	case p.Latency == nil:
		return errors.New("no latency distribution")
	case p.MaxAttempts < 1 || p.MaxAttempts > math.MaxUint16:
		return fmt.Errorf("max attempts must be 1 to %d, got %d", math.MaxUint16, p.MaxAttempts)
	case p.Timeout < 0 || p.ConnectCost < 0 || p.RoundTrip < 0:
		return errors.New("timeout, connection cost and round trip must not be negative")
	case u.Cap < 0 || u.QueueLimit < 0:
		return errors.New("cap and queue limit must not be negative")
	case u.ErrorRate < 0 || u.ResetRate < 0 || u.StallRate < 0 || u.ErrorRate+u.ResetRate+u.StallRate > 1:
		return fmt.Errorf("fault rates must be ≥ 0 and sum to at most 1 (error %g + reset %g + stall %g)", u.ErrorRate, u.ResetRate, u.StallRate)
	case u.StallRate > 0 && p.Timeout == 0:
		return errors.New("stall_rate needs a client timeout: a stalled request is answered only when the client gives up")
	}
	switch u.Overflow {
	case "", upstream.OverflowQueue, upstream.OverflowReject, upstream.OverflowReset:
	default:
		return fmt.Errorf("unknown overflow %q (want queue, reject or reset)", u.Overflow)
	}
	return nil
}

// Outcome codes of one attempt.
const (
	outOK = iota
	outReject
	outError
	outReset
	outTimeout
	nOutcomes
)

// Item phases.
const (
	phWaiting    uint8 = iota // not started, or between attempts
	phConnecting              // connection being set up
	phQueued                  // in the upstream's FIFO queue
	phService                 // admitted, being served
	phStalled                 // served, stalled: no answer until the timeout
	phReturning               // answered, the answer on its way back
	phDone                    // final answer received
)

// Faults decided at admission.
const (
	fNone uint8 = iota
	fError
	fReset
	fStall
)

type itemState struct {
	start    int64 // first attempt's start
	deadline int64 // current attempt's deadline (when Timeout > 0)
	sample   int64 // current attempt's latency sample, drawn at arrival
	att      int32 // attempts made so far (the current one included)
	phase    uint8
	fault    uint8 // current attempt's fault, drawn at arrival
	outcome  uint8 // the answer on its way back (phReturning)
}

type ref struct {
	item, att int32
}

type deadlineRef struct {
	at int64
	ref
}

// sim is one cell's simulation state.
type sim struct {
	p          *Params
	up         upstream.Config
	src        rand.PCG   // reseeded per request, as the mock does
	mrnd, crnd *rand.Rand // mrnd draws from src
	timeout    int64
	out, back  int64 // from sending to the upstream (connection + half the round trip), and back
	retryAfter time.Duration

	now    int64
	seq    uint64
	events eventHeap
	ready  ring[ref] // attempts to begin now, in order
	tq     ring[deadlineRef]
	queue  ring[ref]

	items    []itemState
	lat      []int64
	next     int32 // next item to start
	finished int
	ok       int
	wall     int64

	inFlight, queued int64
	c                upstream.Counters
	outcomes         [nOutcomes]int
	retryable        [nOutcomes]bool
	names            [nOutcomes]string
	failures         [nOutcomes][]int // failed items by last outcome and attempts made
	attempts         int
}

// Simulate runs one cell — strategy s at pool size pool (ignored by serial
// and unbounded) — on a virtual clock and returns it as a measured cell
// would look, in model seconds: Upstream holds the simulated mock's
// counters, WallSeconds equals ModelWallSeconds. The same Params give the
// same cell, bit for bit.
func Simulate(ctx context.Context, p Params, s bench.Strategy, pool int) (bench.Cell, error) {
	if err := p.validate(); err != nil {
		return bench.Cell{}, err
	}
	conc, err := Concurrency(s, pool, p.Items)
	if err != nil {
		return bench.Cell{}, err
	}
	m := newSim(&p)
	if err := m.run(ctx, conc); err != nil {
		return bench.Cell{}, err
	}
	return m.cell(s, CellPool(s, pool)), nil
}

func newSim(p *Params) *sim {
	up := p.Upstream.WithDefaults()
	m := &sim{
		p:          p,
		up:         up,
		crnd:       rand.New(rand.NewPCG(p.Seed, 0x636c6e74)), // "clnt"
		timeout:    int64(p.Timeout),
		retryAfter: up.RetryAfter.D(),
		items:      make([]itemState, p.Items),
		lat:        make([]int64, p.Items),
	}
	if !p.KeepAlive {
		m.out = int64(p.ConnectCost)
	}
	m.out += int64(p.RoundTrip / 2)
	m.back = int64(p.RoundTrip - p.RoundTrip/2)
	m.mrnd = rand.New(&m.src)
	m.names = [nOutcomes]string{"200", strconv.Itoa(up.RejectStatus), strconv.Itoa(up.ErrorStatus), "reset", "timeout"}
	for o := outReject; o < nOutcomes; o++ {
		m.retryable[o] = p.Retry != nil && p.Retry.Retries(m.names[o])
	}
	return m
}

func (m *sim) schedule(at int64, r ref, k eventKind) {
	m.seq++
	m.events.push(event{at: at, seq: m.seq, item: r.item, att: uint16(r.att), kind: k})
}

// run starts conc items at time 0 and processes events until every item
// has its final answer.
func (m *sim) run(ctx context.Context, conc int) error {
	for range conc {
		m.startItem()
	}
	for steps := 0; ; steps++ {
		if steps&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if m.ready.len() > 0 {
			r := m.ready.pop()
			m.beginAttempt(r.item)
			continue
		}
		// A deadline matters only when it comes before the next event;
		// deadlines of attempts already answered are dropped on the way.
		for m.tq.len() > 0 && (len(m.events) == 0 || m.tq.front().at < m.events[0].at) && !m.live(m.tq.front().ref) {
			m.tq.pop()
		}
		switch {
		case len(m.events) > 0 && (m.tq.len() == 0 || m.events[0].at <= m.tq.front().at):
			e := m.events.pop()
			m.now = e.at
			r := ref{e.item, int32(e.att)}
			switch e.kind {
			case evAttempt:
				m.beginAttempt(e.item)
			case evArrive:
				if m.live(r) {
					m.arrive(r)
				}
			case evDone:
				if m.live(r) {
					m.done(r)
				}
			case evAnswer:
				if m.live(r) {
					m.answer(r, int(m.items[r.item].outcome))
				}
			}
		case m.tq.len() > 0:
			d := m.tq.pop()
			m.now = d.at
			m.timedOut(d.ref)
		default:
			if m.finished != len(m.items) {
				return fmt.Errorf("model: simulation stalled with %d of %d items finished", m.finished, len(m.items))
			}
			return nil
		}
	}
}

// live reports whether r is an item's attempt still waiting for an answer.
func (m *sim) live(r ref) bool {
	it := &m.items[r.item]
	return it.att == r.att && it.phase >= phConnecting && it.phase <= phReturning
}

// startItem gives the next item a client slot: its first attempt begins now.
func (m *sim) startItem() {
	i := m.next
	m.next++
	m.items[i].start = m.now
	m.ready.push(ref{item: i})
}

// beginAttempt sends item i's next attempt now. Its deadline joins the
// deadline queue only when it can matter — when the request waits in the
// upstream's queue, stalls, or is served past it — and always at arrival,
// so the queue stays in deadline order (every arrival comes the same
// connection cost after its start).
func (m *sim) beginAttempt(i int32) {
	it := &m.items[i]
	it.att++
	m.attempts++
	r := ref{i, it.att}
	if m.timeout > 0 {
		it.deadline = m.now + m.timeout
	}
	if m.out > 0 {
		it.phase = phConnecting
		if m.timeout > 0 && m.out >= m.timeout {
			m.tq.push(deadlineRef{it.deadline, r}) // never arrives in time
			return
		}
		m.schedule(m.now+m.out, r, evArrive)
		return
	}
	m.arrive(r)
}

// watch makes r's deadline fire unless it is answered first.
func (m *sim) watch(r ref) {
	if m.timeout > 0 {
		m.tq.push(deadlineRef{m.items[r.item].deadline, r})
	}
}

// arrive is the upstream receiving a request: admit it, queue it, or turn
// it away as the overflow policy says.
func (m *sim) arrive(r ref) {
	m.c.Requests++
	m.draw(&m.items[r.item], uint64(m.c.Requests))
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
// return half of the round trip, unless the client's deadline comes first.
func (m *sim) respond(r ref, o int) {
	if m.back == 0 {
		m.answer(r, o)
		return
	}
	it := &m.items[r.item]
	prev := it.phase
	it.phase = phReturning
	it.outcome = uint8(o)
	if at := m.now + m.back; m.timeout == 0 || at <= it.deadline {
		m.schedule(at, r, evAnswer)
	} else if prev != phQueued && prev != phService && prev != phStalled {
		m.watch(r) // answered at arrival, not watched yet
	}
}

// draw gives it request id's latency sample and fault, from
// PCG(Upstream.Seed, id) in the mock's order: the sample, then one uniform
// number against the cumulative fault rates.
func (m *sim) draw(it *itemState, id uint64) {
	m.src.Seed(m.up.Seed, id)
	it.sample = int64(m.p.Latency.Sample(m.mrnd))
	it.fault = fNone
	u := m.up
	if u.ErrorRate+u.ResetRate+u.StallRate == 0 {
		return
	}
	switch x := m.mrnd.Float64(); {
	case x < u.ErrorRate:
		it.fault = fError
	case x < u.ErrorRate+u.ResetRate:
		it.fault = fReset
	case x < u.ErrorRate+u.ResetRate+u.StallRate:
		it.fault = fStall
	}
}

// admit starts serving r. Contention is counted at admission, the request
// itself included.
func (m *sim) admit(r ref) {
	m.c.Admitted++
	m.inFlight++
	m.c.PeakInFlight = max(m.c.PeakInFlight, m.inFlight)
	it := &m.items[r.item]
	d := it.sample
	if c := m.up.Contention; c != 0 && m.inFlight > 1 {
		d = int64(toDur(float64(d) * (1 + c*float64(m.inFlight-1))))
	}
	queued := it.phase == phQueued // its deadline is being watched already
	it.phase = phService
	end := m.now + d
	if m.timeout > 0 && (end+m.back > it.deadline || it.fault == fStall) && !queued {
		m.watch(r) // the client may give up first, or (stall) must
	}
	if m.timeout > 0 && end > it.deadline {
		return
	}
	m.schedule(end, r, evDone)
}

// toDur converts nanoseconds to a Duration as the mock does: truncated,
// and clamped to what a Duration holds.
func toDur(ns float64) time.Duration {
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(ns)
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

func (m *sim) done(r ref) {
	m.release()
	switch m.items[r.item].fault {
	case fError:
		m.c.Completed++
		m.c.ErrorsInjected++
		m.respond(r, outError)
	case fReset:
		m.c.Reset++
		m.respond(r, outReset)
	case fStall:
		// The slot is free, but the client hears nothing until its
		// deadline (being watched since admission).
		m.c.Stalled++
		m.items[r.item].phase = phStalled
	default:
		m.c.Completed++
		m.respond(r, outOK)
	}
}

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
	it.phase = phWaiting
	if o != outOK && m.retryable[o] && int(it.att) < m.p.MaxAttempts {
		var ra time.Duration
		if o == outReject {
			ra = m.retryAfter
		}
		if d := m.p.Retry.Delay(int(it.att), m.crnd, ra); d > 0 {
			m.schedule(m.now+int64(d), r, evAttempt)
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
	m.lat[r.item] = m.now - it.start
	m.finished++
	m.wall = m.now
	if int(m.next) < len(m.items) {
		m.startItem()
	}
}

// cell summarises the simulation as a bench.Cell.
func (m *sim) cell(s bench.Strategy, pool int) bench.Cell {
	n := len(m.items)
	wall := seconds(m.wall)
	c := bench.Cell{
		Strategy:         s,
		Pool:             pool,
		Items:            n,
		Succeeded:        m.ok,
		Failed:           n - m.ok,
		Attempts:         m.attempts,
		Outcomes:         map[string]int{},
		WallSeconds:      wall,
		ModelWallSeconds: wall,
		Latency:          percentiles(m.lat),
	}
	if wall > 0 {
		c.Throughput = float64(n) / wall
	}
	for o, k := range m.outcomes {
		if k > 0 {
			c.Outcomes[m.names[o]] += k
		}
	}
	if m.ok < n {
		c.Failures = map[string]int{}
		for o, byAttempts := range m.failures {
			for a, v := range byAttempts {
				if v > 0 {
					c.Failures[bench.FailureClass(m.names[o], a)] += v
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

// percentiles summarises latencies (ns), reordering them in place. Ranks
// are nearest-rank: the p-th percentile is the smallest value with at least
// p% of the values at or below it. Each rank is found by selection, in
// linear time, each search confined to the part above the previous rank.
func percentiles(lat []int64) bench.Percentiles {
	n := len(lat)
	if n == 0 {
		return bench.Percentiles{}
	}
	var sum float64
	top := lat[0]
	for _, v := range lat {
		sum += float64(v)
		top = max(top, v)
	}
	out := bench.Percentiles{Mean: sum / float64(n) / 1e9, Max: seconds(top)}
	lo := 0
	for _, q := range []struct {
		p   float64
		dst *float64
	}{{0.50, &out.P50}, {0.90, &out.P90}, {0.95, &out.P95}, {0.99, &out.P99}} {
		k := min(max(int(math.Ceil(q.p*float64(n)))-1, lo), n-1)
		selectKth(lat, lo, n-1, k)
		*q.dst = seconds(lat[k])
		lo = k
	}
	return out
}

// selectKth reorders a[lo..hi] so that a[k] holds the value it would have
// sorted, with nothing larger before it and nothing smaller after it
// (Hoare's quickselect, median-of-three pivots; small ranges are sorted).
func selectKth(a []int64, lo, hi, k int) {
	for hi-lo > 16 {
		mid := lo + (hi-lo)/2
		if a[mid] < a[lo] {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if a[hi] < a[lo] {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi] < a[mid] {
			a[hi], a[mid] = a[mid], a[hi]
		}
		pivot := a[mid]
		i, j := lo, hi
		for i <= j {
			for a[i] < pivot {
				i++
			}
			for a[j] > pivot {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return // a[j+1..i-1] all equal the pivot
		}
	}
	slices.Sort(a[lo : hi+1])
}
