package model

// The simulation's data structures: a binary min-heap of value events (no
// interface boxing, so pushing and popping never allocates, unlike
// container/heap whose Push and Pop take and return any) and a growable
// ring buffer used for FIFO queues.

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
