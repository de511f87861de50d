package model

// The simulation's data structures: an event queue (a 4-ary min-heap of
// value events, with no interface boxing, so pushing and popping never
// allocates, unlike container/heap whose Push and Pop take and return any,
// beside FIFO lanes for events scheduled a constant delay ahead) and a
// growable ring buffer used for FIFO queues.

// eventKind says what happens at an event.
type eventKind uint8

const (
	// evAttempt begins an item's next attempt (after a backoff, or the
	// first attempt of an item whose slot just freed).
	evAttempt eventKind = iota
	// evArrive delivers an attempt to the upstream once its connection is
	// set up (keep-alive off with a connection cost).
	evArrive
	// evDone ends an attempt's service: the upstream answers.
	evDone
	// evAnswer delivers an answer to the client after the return half of
	// the round trip.
	evAnswer
	// evWake asks the strategy again, at the time it asked to be woken.
	evWake
	// evHarness hands an answer that has crossed the network to the
	// harness (Params.HarnessCost), which passes it on in its turn.
	evHarness
	// evSend hands a request to the harness (Params.HarnessCost), which
	// passes it on to the network in its turn.
	evSend
)

// event is one scheduled happening. Events at the same instant run in the
// order they were scheduled (seq), which makes the simulation deterministic.
type event struct {
	at   int64 // virtual time, nanoseconds of model time
	seq  uint64
	item int32
	att  uint16 // the attempt this event belongs to (1-based; MaxAttempts ≤ 65535)
	kind eventKind
}

// eventHeap is a 4-ary min-heap of events ordered by (at, seq): half the
// depth of a binary heap, and elements move into a hole instead of being
// swapped.
type eventHeap []event

func before(a, b *event) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

func (h *eventHeap) push(e event) {
	*h = append(*h, e)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !before(&e, &s[p]) {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = e
}

func (h *eventHeap) pop() event {
	s := *h
	top := s[0]
	n := len(s) - 1
	last := s[n]
	s = s[:n]
	i := 0
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for k := c + 1; k < min(c+4, n); k++ {
			if before(&s[k], &s[m]) {
				m = k
			}
		}
		if !before(&s[m], &last) {
			break
		}
		s[i] = s[m]
		i = m
	}
	if n > 0 {
		s[i] = last
	}
	*h = s
	return top
}

// Lanes of an eventQueue: events scheduled the same constant delay after
// the instant they are scheduled at, so each lane is already in (at, seq)
// order and needs no heap.
const (
	laneHeap   = -1 // not a lane: the heap
	laneArrive = 0  // evArrive: a constant delay after the attempt, or from the harness in its order
	laneAnswer = 1  // evAnswer (or evHarness) a constant delay after the answer, or from the harness in its order
	laneRetry  = 2  // evAttempt after exactly the Retry-After wait
	// laneHarness: evAnswer handed on by the harness, in its order
	// (Params.HarnessCost: the time it is free, which only grows).
	laneHarness = 3
	nLanes      = 4
	// laneSpread is not a FIFO lane but the calendar: events a random
	// delay within its span ahead (answers and harness hand-offs with a
	// return spread, requests with a send spread).
	laneSpread = nLanes
)

// eventQueue yields events in (at, seq) order: the earliest of its heap's
// top and its lanes' fronts. Every event of one lane must be pushed at
// the same delay after the simulation's clock (which never goes back), so
// that the lane stays sorted; the simulation pushes in seq order.
type eventQueue struct {
	heap  eventHeap
	lanes [nLanes]ring[event]
	cal   *calendar // laneSpread, when the simulation spreads answers
	n     int
}

func (q *eventQueue) len() int { return q.n }

// push adds e to lane (laneHeap: the heap).
func (q *eventQueue) push(e event, lane int) {
	q.n++
	switch lane {
	case laneHeap:
		q.heap.push(e)
	case laneSpread:
		q.cal.push(e)
	default:
		q.lanes[lane].push(e)
	}
}

// next is where the earliest event is (laneHeap: the heap's top); the
// queue must not be empty.
func (q *eventQueue) next() int {
	best := laneHeap
	var top *event
	if len(q.heap) > 0 {
		top = &q.heap[0]
	}
	for l := range q.lanes {
		r := &q.lanes[l]
		if r.size == 0 {
			continue
		}
		if f := &r.buf[r.head]; top == nil || before(f, top) {
			best, top = l, f
		}
	}
	if q.cal != nil && q.cal.len() > 0 {
		if f := q.cal.peek(); top == nil || before(f, top) {
			best = laneSpread
		}
	}
	return best
}

// at is the time of the first event of lane l (laneHeap: the heap's
// top), which must hold one.
func (q *eventQueue) at(l int) int64 {
	switch l {
	case laneHeap:
		return q.heap[0].at
	case laneSpread:
		return q.cal.peek().at
	}
	return q.lanes[l].front().at
}

// pop removes and returns the first event of lane l (laneHeap: the
// heap's top), which must hold one.
func (q *eventQueue) pop(l int) event {
	q.n--
	switch l {
	case laneHeap:
		return q.heap.pop()
	case laneSpread:
		return q.cal.pop()
	}
	return q.lanes[l].pop()
}

// ring is a growable FIFO ring buffer.
type ring[T any] struct {
	buf        []T
	head, size int
}

func (r *ring[T]) len() int { return r.size }

func (r *ring[T]) push(v T) {
	if r.size == len(r.buf) {
		n := 2 * len(r.buf)
		if n == 0 {
			n = 64
		}
		buf := make([]T, n)
		k := copy(buf, r.buf[r.head:])
		copy(buf[k:], r.buf[:r.head])
		r.buf, r.head = buf, 0
	}
	r.buf[(r.head+r.size)%len(r.buf)] = v
	r.size++
}

// front returns the oldest element; the ring must not be empty.
func (r *ring[T]) front() T { return r.buf[r.head] }

func (r *ring[T]) pop() T {
	v := r.buf[r.head]
	r.head++
	if r.head == len(r.buf) {
		r.head = 0
	}
	r.size--
	return v
}
