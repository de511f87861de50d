package model

import (
	"math/rand/v2"
	"testing"
)

// TestCalendarOrder: events pushed within span of a clock that follows
// the pops come out of the calendar in the heap's (at, seq) order, dense
// (thousands pending, many at one instant) and sparse (long jumps of the
// clock between a few events).
func TestCalendarOrder(t *testing.T) {
	skipUnderRace(t, "millions of events through one queue on one goroutine")
	for _, tc := range []struct {
		name             string
		span, jump, rate int64
	}{
		{"dense", 2_000_000, 0, 50},
		{"ties", 1000, 0, 20},
		{"sparse", 2_000_000, 500_000_000, 1},
		{"tiny span", 3, 0, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(uint64(tc.span), uint64(tc.rate)))
			cal := newCalendar(tc.span)
			var ref eventHeap
			var now int64
			var seq uint64
			for step := range 100_000 {
				for range rnd.Int64N(tc.rate + 1) {
					seq++
					e := event{at: now + rnd.Int64N(tc.span+1), seq: seq}
					cal.push(e)
					ref.push(e)
				}
				if len(ref) == 0 {
					now += rnd.Int64N(tc.jump + 1)
					continue
				}
				for range tc.rate/2 + 1 {
					if len(ref) == 0 {
						break
					}
					if cal.len() != len(ref) || cal.peek().seq != ref[0].seq {
						t.Fatalf("step %d: peek %+v, want %+v (%d and %d pending)", step, *cal.peek(), ref[0], cal.len(), len(ref))
					}
					got, want := cal.pop(), ref.pop()
					if got != want {
						t.Fatalf("step %d: popped %+v, want %+v", step, got, want)
					}
					now = got.at
				}
			}
		})
	}
}
