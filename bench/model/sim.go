package model

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

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

type itemState struct {
	start    int64 // first attempt's start
	due      int64 // intended start: a rate cell's schedule, else start
	sent     int64 // current attempt's start
	deadline int64 // current attempt's deadline (when Timeout > 0)
	att      int32 // attempts made so far (the current one included)
	phase    uint8
	fault    upstream.Fault // current attempt's fault, drawn at admission
	outcome  uint8          // the answer on its way back (phReturning)
	overload bool           // an attempt was rejected, reset or timed out (strategy.Overload)
	jitter   rand.PCG       // backoff jitter: PCG(Seed, item), seeded at its start
}

// itemSource is a rand.Source reading the PCG of the item being retried.
type itemSource struct{ pcg *rand.PCG }

func (s *itemSource) Uint64() uint64 { return s.pcg.Uint64() }

type ref struct {
	item, att int32
}

type deadlineRef struct {
	at int64
	ref
}

// sim is one cell's simulation state.
type sim struct {
	p         *Params
	up        upstream.Config
	drawer    *upstream.Drawer // the mock's draws, attempt by attempt
	jitter    *itemSource      // the client's backoff jitter: the item's PCG
	jrnd      *rand.Rand       // reads jitter
	timeout   int64
	out, back int64    // from sending to the upstream (connection + half the round trip), and back
	spread    rand.PCG // draws ReturnSpread
	cost      int64    // HarnessCost
	harnessAt int64    // when the harness is free to pass the next message
	// watchAll: every attempt's deadline is watched from its start, as
	// arrivals come a varying time after it (SendSpread, HarnessCost)
	watchAll   bool
	retryAfter time.Duration

	now    int64
	seq    uint64
	events eventQueue
	ready  ring[ref] // attempts to begin now, in order
	tq     ring[deadlineRef]
	queue  ring[ref]

	items    []itemState
	fleet    []fleetClient             // the clients, each with its strategy and items
	sched    *results.ScheduleRecorder // a rate cell's starts; nil otherwise
	deadline int64                     // a rate cell stops here (0: none)
	lat      *results.Latencies
	finished int
	ok       int
	wall     int64

	inFlight, queued int64
	c                upstream.Counters
	outcomes         [nOutcomes]int
	retryable        [nOutcomes]bool
	names            [nOutcomes]string
	failures         [nOutcomes][]int // failed items by last outcome and attempts made
	canceled         int              // attempts a rate cell's deadline cut short
	cut              map[string]int   // items it stopped, by failure class
	attempts         int
}

// Simulate runs one cell — strategy s at pool size pool (ignored by serial
// and unbounded) — on a virtual clock and returns it as a measured cell
// would look, in model seconds: Upstream holds the simulated mock's
// counters, WallSeconds equals ModelWallSeconds. The same Params give the
// same cell, bit for bit.
func Simulate(ctx context.Context, p Params, s scenario.Strategy, pool int) (results.Cell, error) {
	if err := p.validate(); err != nil {
		return results.Cell{}, err
	}
	k, ok := strategy.Lookup(string(s))
	if !ok {
		return results.Cell{}, fmt.Errorf("unknown strategy %q (want %s)", s, strategy.List())
	}
	m := newSim(&p)
	if err := m.startFleet(func(items int) (strategy.Strategy, error) {
		return k.New(scenario.Sweep{Adaptive: p.Adaptive, Rate: p.Pacing}.StrategyConfig(pool, p.Rate, items))
	}); err != nil {
		return results.Cell{}, err
	}
	st := m.fleet[0].st
	m.startSchedule()
	if err := m.run(ctx); err != nil {
		return results.Cell{}, err
	}
	c := m.cell(s, s.CellPool(pool))
	if t, ok := st.(strategy.Traced); ok {
		c.Limit = t.Trace(time.Duration(m.wall))
	}
	if m.sched != nil {
		rate := p.Rate
		c.Rate, c.Schedule = &rate, m.sched.Summary(upstream.RealTime)
	}
	return c, nil
}

func newSim(p *Params) *sim {
	up := p.Upstream.WithDefaults()
	m := &sim{
		p:          p,
		up:         up,
		jitter:     &itemSource{},
		timeout:    int64(p.Timeout),
		retryAfter: up.RetryAfter.D(),
		items:      make([]itemState, p.Items),
		lat:        results.NewLatencies(),
		drawer:     upstream.NewDrawer(up, p.Latency),
	}
	m.jrnd = rand.New(m.jitter)
	if !p.KeepAlive {
		m.out = int64(p.ConnectCost)
	}
	m.out += int64(p.RoundTrip / 2)
	m.back = int64(p.RoundTrip - p.RoundTrip/2)
	m.cost = int64(p.HarnessCost)
	m.watchAll = m.timeout > 0 && (m.cost > 0 || p.SendSpread > 0)
	if p.ReturnSpread > 0 || p.SendSpread > 0 {
		// Events a random delay ahead, at most this far: answers (or
		// hand-offs to the harness) after the return half and its spread,
		// requests (or hand-offs) after the send spread and the way out.
		span := max(m.back+int64(p.ReturnSpread), m.out+int64(p.SendSpread))
		m.events.cal = newCalendar(span)
	}
	m.names = [nOutcomes]string{"200", strconv.Itoa(up.RejectStatus), strconv.Itoa(up.ErrorStatus), "reset", "timeout"}
	for o := outReject; o < nOutcomes; o++ {
		m.retryable[o] = p.Retry != nil && p.Retry.Retries(m.names[o])
	}
	return m
}

// schedule adds an event at time at to lane (laneHeap for the heap; a lane
// takes only events in its order: see eventQueue).
func (m *sim) schedule(at int64, r ref, k eventKind, lane int) {
	m.seq++
	m.events.push(event{at: at, seq: m.seq, item: r.item, att: uint16(r.att), kind: k}, lane)
}

// run starts the items each client's strategy allows at time 0 and
// processes events until every item has its final answer.
func (m *sim) run(ctx context.Context) error {
	for g := range m.fleet {
		m.pump(g)
	}
	m.shuffleStart()
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
		lane, at := laneHeap, int64(math.MaxInt64)
		if m.events.len() > 0 {
			lane = m.events.next()
			at = m.events.at(lane)
		}
		for m.tq.len() > 0 && m.tq.front().at < at && !m.live(m.tq.front().ref) {
			m.tq.pop()
		}
		if m.pastDeadline(at) {
			m.cutOff()
			return nil
		}
		switch {
		case m.events.len() > 0 && (m.tq.len() == 0 || at <= m.tq.front().at):
			e := m.events.pop(lane)
			m.now = e.at
			r := ref{e.item, int32(e.att)}
			switch e.kind {
			case evAttempt:
				m.beginAttempt(e.item)
			case evWake:
				if g := int(e.item); e.seq == m.fleet[g].wake {
					m.pump(g)
				}
			default: // a stage of an attempt, unless it was answered already
				if m.live(r) {
					m.step(e.kind, r)
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

// step moves attempt r on at its event of kind k.
func (m *sim) step(k eventKind, r ref) {
	switch k {
	case evSend:
		m.send(r)
	case evArrive:
		m.arrive(r)
	case evDone:
		m.done(r)
	case evHarness:
		m.harnessAnswer(r)
	case evAnswer:
		m.answer(r, int(m.items[r.item].outcome))
	}
}

// live reports whether r is an item's attempt still waiting for an answer.
func (m *sim) live(r ref) bool {
	it := &m.items[r.item]
	return it.att == r.att && it.phase >= phConnecting && it.phase <= phReturning
}

// beginAttempt sends item i's next attempt now. Its deadline joins the
// deadline queue only when it can matter — when the request waits in the
// upstream's queue, stalls, or is served past it — and always at arrival,
// so the queue stays in deadline order (every arrival comes the same
// connection cost after its start).
func (m *sim) beginAttempt(i int32) {
	it := &m.items[i]
	it.att++
	it.sent = m.now
	m.attempts++
	r := ref{i, it.att}
	if m.timeout > 0 {
		it.deadline = m.now + m.timeout
	}
	if m.watchAll {
		m.tq.push(deadlineRef{it.deadline, r})
	}
	var late int64
	if m.p.SendSpread > 0 {
		m.spread.Seed(m.p.SpreadSeed^sendSalt, upstream.DrawKey(int(i), int(it.att)))
		late = int64(m.spread.Uint64() % uint64(m.p.SendSpread))
	}
	spread := laneHeap
	if m.p.SendSpread > 0 {
		spread = laneSpread
	}
	if m.cost > 0 {
		it.phase = phConnecting
		m.schedule(m.now+late, r, evSend, spread)
		return
	}
	if out := m.out + late; out > 0 {
		it.phase = phConnecting
		if m.timeout > 0 && out >= m.timeout {
			if !m.watchAll {
				m.tq.push(deadlineRef{it.deadline, r}) // never arrives in time
			}
			return
		}
		lane := laneArrive // a constant delay ahead
		if m.p.SendSpread > 0 {
			lane = laneSpread
		}
		m.schedule(m.now+out, r, evArrive, lane)
		return
	}
	m.arrive(r)
}

// sendSalt separates the draws of SendSpread from ReturnSpread's.
const sendSalt = 0x5e4d5e4d5e4d5e4d

// send is r's request reaching the harness, which passes it to the network
// (and the upstream) once it has passed every message before it.
func (m *sim) send(r ref) {
	m.harnessAt = max(m.now, m.harnessAt) + m.cost
	if at := m.harnessAt + m.out; m.timeout == 0 || at < m.items[r.item].deadline {
		m.schedule(at, r, evArrive, laneArrive) // in the harness's order
	}
}

// watch makes r's deadline fire unless it is answered first.
func (m *sim) watch(r ref) {
	if m.timeout > 0 && !m.watchAll {
		m.tq.push(deadlineRef{m.items[r.item].deadline, r})
	}
}

// shuffleStart reorders the first attempts of a fleet's clients, which
// start at the same instant, when the run spreads its timing
// (ReturnSpread): which of them reach the upstream first, and so which
// items a queue serves first, is the race of the clients' goroutines, not
// their order. Measured: a fleet of 4 clients with pool 2 against a queue
// of 4 (TestFleetInsideItsRange's) read 2.635–2.729 s in 5 runs (and
// 2.765 s with the harness's 1.7%), where simulated runs with the clients
// in order spread over 2.669–2.679 s, and 2.613–2.729 s with them
// shuffled.
func (m *sim) shuffleStart() {
	if m.p.ReturnSpread <= 0 || len(m.fleet) < 2 {
		return
	}
	first := make([]ref, m.ready.len())
	for i := range first {
		first[i] = m.ready.pop()
	}
	rand.New(rand.NewPCG(m.p.SpreadSeed, 0)).Shuffle(len(first), func(i, j int) { first[i], first[j] = first[j], first[i] })
	for _, r := range first {
		m.ready.push(r)
	}
}
