package model

import (
	"math/bits"
	"slices"
)

// calendar is a bucket queue (a calendar queue) for events scheduled at
// most span after the simulation's clock, in (at, seq) order: the answers
// of a range run, each returning its round trip's return half plus up to
// Params.ReturnSpread late. A heap costs log(pending) per event when
// thousands of answers are on their way at once; the calendar costs about
// O(1): buckets width apart, a ring of them covering span twice over, so
// that the pending events, all within span of the clock, never share a
// bucket with events a lap later, and a bitmap of the buckets that hold
// events, so that sparse events cost a few word scans, not a bucket
// each. A bucket is sorted (descending, popped from its end) when it
// becomes the earliest; an event pushed into the earliest bucket is
// inserted in its place.
type calendar struct {
	width   int64
	buckets [calendarRing]calBucket
	occ     [calendarRing / 64]uint64 // bit p: bucket p holds events
	cur     int64                     // absolute index of the earliest bucket that may hold events
	n       int
}

type calBucket struct {
	ev     []event
	sorted bool // in descending (at, seq) order
}

// calendarBuckets is how many buckets a calendar's span is cut into, and
// calendarRing how many it has (twice as many, a power of two).
const (
	calendarBuckets = 2048
	calendarRing    = 2 * calendarBuckets
)

func newCalendar(span int64) *calendar {
	// span/width ≤ calendarBuckets − 1: the pending events' buckets, from
	// the clock's to span past it, span fewer than calendarRing/2.
	return &calendar{width: span/(calendarBuckets-1) + 1}
}

func (c *calendar) len() int { return c.n }

// push adds e, whose at must be at least the time of the last event
// popped and within span of the clock.
func (c *calendar) push(e event) {
	c.n++
	i := e.at / c.width
	if c.n == 1 || i < c.cur {
		c.cur = i
	}
	pos := i % calendarRing
	c.occ[pos/64] |= 1 << (pos % 64)
	b := &c.buckets[pos]
	if i != c.cur || !b.sorted {
		// Not the bucket being drained: sorted when its turn comes.
		b.ev = append(b.ev, e)
		b.sorted = false
		return
	}
	// Descending order: the first element that e comes after.
	k, _ := slices.BinarySearchFunc(b.ev, e, descending)
	b.ev = slices.Insert(b.ev, k, e)
}

// front is the earliest bucket, sorted; the calendar must not be empty.
func (c *calendar) front() *calBucket {
	c.cur += int64(c.nextOccupied(int(c.cur % calendarRing)))
	b := &c.buckets[c.cur%calendarRing]
	if !b.sorted {
		slices.SortFunc(b.ev, descending)
		b.sorted = true
	}
	return b
}

// nextOccupied is how many buckets after position pos (cyclically) the
// first one holding events is (0: pos itself); one must.
func (c *calendar) nextOccupied(pos int) int {
	w, bit := pos/64, pos%64
	if m := c.occ[w] >> bit; m != 0 {
		return bits.TrailingZeros64(m)
	}
	for k := 1; k <= len(c.occ); k++ {
		if m := c.occ[(w+k)%len(c.occ)]; m != 0 {
			return k*64 - bit + bits.TrailingZeros64(m)
		}
	}
	panic("model: calendar scanned while empty")
}

// peek is the earliest event; the calendar must not be empty.
func (c *calendar) peek() *event {
	b := c.front()
	return &b.ev[len(b.ev)-1]
}

// pop removes and returns the earliest event; the calendar must not be
// empty.
func (c *calendar) pop() event {
	b := c.front()
	e := b.ev[len(b.ev)-1]
	b.ev = b.ev[:len(b.ev)-1]
	if len(b.ev) == 0 {
		pos := c.cur % calendarRing
		c.occ[pos/64] &^= 1 << (pos % 64)
	}
	c.n--
	return e
}

// descending orders a bucket's events latest first (so that the earliest
// is popped from the end): -1 when y comes before x.
func descending(x, y event) int {
	if before(&y, &x) {
		return -1
	}
	return 1
}
