//go:build linux

package loop

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestTimerHeap(t *testing.T) {
	var h timerHeap
	r := rand.New(rand.NewPCG(1, 2))
	var want []int64
	for range 1000 {
		at := r.Int64N(100)
		h.push(loopTimer{at: at})
		want = append(want, at)
		if r.IntN(3) == 0 {
			slices.Sort(want)
			if h[0].at != want[0] {
				t.Fatalf("top %d, want %d", h[0].at, want[0])
			}
			h.pop()
			want = want[1:]
		}
	}
	slices.Sort(want)
	for _, w := range want {
		if h[0].at != w {
			t.Fatalf("popped %d, want %d", h[0].at, w)
		}
		h.pop()
	}
	if len(h) != 0 {
		t.Errorf("%d left", len(h))
	}
}

// TestLoopHot: the loop polls while it answers more than busyRate a
// second and near a deadline; otherwise it sleeps.
func TestLoopHot(t *testing.T) {
	ms := int64(time.Millisecond)
	l := &loop{late: 20 * int64(time.Microsecond)}
	if l.hot(0) {
		t.Error("idle and no deadline: hot")
	}
	l.answers = busyRate / 10 // over 100 ms: busyRate a second
	if !l.hot(100 * ms) {
		t.Error("answering busyRate a second: not hot")
	}
	if !l.hot(150 * ms) {
		t.Error("within the window after a busy one: not hot")
	}
	l.answers = busyRate/10 - 100
	if l.hot(200 * ms) {
		t.Error("below busyRate: hot")
	}
	l.timers.push(loopTimer{at: 200*ms + 10*int64(time.Microsecond)})
	if !l.hot(200 * ms) {
		t.Error("10 µs before a deadline, lateness 20 µs: not hot")
	}
	if l.hot(200*ms - ms) {
		t.Error("1 ms before a deadline: hot")
	}
}
