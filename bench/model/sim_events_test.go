package model

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

func TestEventHeap(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	var h eventHeap
	var seq uint64
	var prev event
	for range 5000 {
		seq++
		h.push(event{at: prev.at + r.Int64N(100), seq: seq})
		if r.IntN(3) == 0 {
			e := h.pop()
			if before(&e, &prev) {
				t.Fatalf("popped %+v after %+v", e, prev)
			}
			prev = e
		}
	}
	for i := 0; len(h) > 0; i++ {
		e := h.pop()
		if i > 0 && before(&e, &prev) {
			t.Fatalf("pop %d: %+v after %+v", i, e, prev)
		}
		prev = e
	}
}

// TestRoundTrip checks the network round trip what-if on cases worked out
// by hand.
func TestRoundTrip(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name     string
		p        Params
		s        scenario.Strategy
		pool     int
		wall     float64
		outcomes map[string]int
		up       upstream.Counters
	}{
		{
			// Serial pays the whole round trip per item: 10 × (10 + 4) ms.
			name: "serial", p: func() Params {
				p := params(10, 10*ms, upstream.Config{})
				p.RoundTrip = 4 * ms
				return p
			}(),
			s: scenario.Serial, wall: 0.14, outcomes: map[string]int{"200": 10},
			up: upstream.Counters{Requests: 10, Admitted: 10, Completed: 10, PeakInFlight: 1},
		},
		{
			// A pool above the cap hides it behind the queue: 2 ms out,
			// ten services back to back, 2 ms back.
			name: "hidden by the queue", p: func() Params {
				p := params(10, 10*ms, upstream.Config{Cap: 1})
				p.RoundTrip = 4 * ms
				return p
			}(),
			s: scenario.Pooled, pool: 4, wall: 0.104, outcomes: map[string]int{"200": 10},
			up: upstream.Counters{Requests: 10, Admitted: 10, Completed: 10, PeakInFlight: 1, PeakQueued: 3},
		},
		{
			// Served 5–15 ms, the answer would arrive at 20 ms: the 18 ms
			// timeout comes first, though the upstream completed it.
			name: "answer too late", p: func() Params {
				p := params(1, 10*ms, upstream.Config{})
				p.RoundTrip, p.Timeout, p.MaxAttempts = 10*ms, 18*ms, 1
				return p
			}(),
			s: scenario.Serial, wall: 0.018, outcomes: map[string]int{"timeout": 1},
			up: upstream.Counters{Requests: 1, Admitted: 1, Completed: 1, PeakInFlight: 1},
		},
		{
			// Item 1 is rejected at 5 ms and hears it at 10 ms; item 0 is
			// served 5–105 ms and heard at 110 ms.
			name: "rejection", p: func() Params {
				p := params(2, 100*ms, upstream.Config{Cap: 1, Overflow: upstream.OverflowReject})
				p.RoundTrip, p.MaxAttempts = 10*ms, 1
				return p
			}(),
			s: scenario.Unbounded, wall: 0.11, outcomes: map[string]int{"200": 1, "503": 1},
			up: upstream.Counters{Requests: 2, Admitted: 1, Completed: 1, Rejected: 1, PeakInFlight: 1},
		},
		{
			// The rejection's answer (due at 10 ms) misses a 7 ms timeout.
			name: "rejection too late", p: func() Params {
				p := params(2, 1*ms, upstream.Config{Cap: 1, Overflow: upstream.OverflowReject})
				p.RoundTrip, p.MaxAttempts, p.Timeout = 10*ms, 1, 7*ms
				return p
			}(),
			s: scenario.Unbounded, wall: 0.007, outcomes: map[string]int{"timeout": 2},
			up: upstream.Counters{Requests: 2, Admitted: 1, Completed: 1, Rejected: 1, PeakInFlight: 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Simulate(context.Background(), tc.p, tc.s, tc.pool)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(c.ModelWallSeconds-tc.wall) > 1e-9 {
				t.Errorf("wall %g, want %g", c.ModelWallSeconds, tc.wall)
			}
			if !reflect.DeepEqual(c.Outcomes, tc.outcomes) {
				t.Errorf("outcomes %v, want %v", c.Outcomes, tc.outcomes)
			}
			if *c.Upstream != tc.up {
				t.Errorf("upstream %+v,\nwant     %+v", *c.Upstream, tc.up)
			}
		})
	}
}
