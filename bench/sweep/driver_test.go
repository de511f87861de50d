package sweep

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// stratRecorder is a strategy for the driver's tests: it starts an item while
// fewer than limit are in flight and, when every gap is set, no sooner
// than gap after the last start (asking to be woken then), and it counts
// the outcomes it is told.
type stratRecorder struct {
	limit     int
	gap       time.Duration
	last      time.Duration
	started   int
	ended, ok int
	maxSeen   int
}

func (r *stratRecorder) Next(now time.Duration, inFlight int) (bool, time.Duration) {
	r.maxSeen = max(r.maxSeen, inFlight)
	if inFlight >= r.limit {
		return false, 0
	}
	if r.gap > 0 && r.started > 0 && now-r.last < r.gap {
		return false, r.gap - (now - r.last)
	}
	r.started++
	r.last = now
	return true, 0
}

func (r *stratRecorder) Ended(_ time.Duration, o strategy.Outcome) {
	r.ended++
	if o.OK {
		r.ok++
	}
}

// TestDriverTellsOutcomesAndKeepsLimit: every item runs once, the
// strategy hears every outcome, and no more than its limit run at once,
// with goroutines reused or not.
func TestDriverTellsOutcomesAndKeepsLimit(t *testing.T) {
	for _, reuse := range []bool{false, true} {
		rec := &stratRecorder{limit: 3}
		var inFlight, peak atomic.Int64
		var mu sync.Mutex
		seen := map[int]int{}
		runStrategy(context.Background(), rec, reuse, testClock(), 40, func(i int, _ time.Time) strategy.Outcome {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(time.Millisecond)
			mu.Lock()
			seen[i]++
			mu.Unlock()
			return strategy.Outcome{OK: i%2 == 0}
		})
		if len(seen) != 40 || rec.ended != 40 || rec.ok != 20 {
			t.Errorf("reuse %v: %d items ran, %d outcomes told (%d ok), want 40, 40 (20)", reuse, len(seen), rec.ended, rec.ok)
		}
		for i, k := range seen {
			if k != 1 {
				t.Errorf("reuse %v: item %d ran %d times", reuse, i, k)
			}
		}
		if peak.Load() > 3 {
			t.Errorf("reuse %v: %d items in flight, limit 3", reuse, peak.Load())
		}
	}
}

// TestDriverWakes: a strategy that paces its starts 20 ms apart with
// nothing else to wake it is woken by the driver, and its items start no
// sooner than it asked.
func TestDriverWakes(t *testing.T) {
	rec := &stratRecorder{limit: 100, gap: 20 * time.Millisecond}
	var mu sync.Mutex
	var starts []time.Time
	t0 := time.Now()
	runStrategy(context.Background(), rec, false, testClock(), 5, func(int, time.Time) strategy.Outcome {
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		return strategy.Outcome{OK: true}
	})
	if len(starts) != 5 || rec.ended != 5 {
		t.Fatalf("%d items started, %d ended, want 5", len(starts), rec.ended)
	}
	if el := starts[4].Sub(t0); el < 80*time.Millisecond {
		t.Errorf("5 starts 20 ms apart took %v, want at least 80 ms", el)
	}
}

// TestDriverNeverStrands: a strategy that refuses every start with
// nothing in flight and no wake-up still has every item run.
func TestDriverNeverStrands(t *testing.T) {
	var ran atomic.Int64
	runStrategy(context.Background(), strategy.Limit(0), false, testClock(), 7, func(int, time.Time) strategy.Outcome {
		ran.Add(1)
		return strategy.Outcome{}
	})
	if ran.Load() != 7 {
		t.Errorf("%d items ran, want 7", ran.Load())
	}
}

// TestDriverCanceledWake: canceling the context while the strategy waits
// for a wake-up returns at once and starts nothing more.
func TestDriverCanceledWake(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	rec := &stratRecorder{limit: 10, gap: time.Hour}
	var ran atomic.Int64
	time.AfterFunc(20*time.Millisecond, cancel)
	done := make(chan struct{})
	go func() {
		runStrategy(ctx, rec, false, testClock(), 3, func(int, time.Time) strategy.Outcome { ran.Add(1); return strategy.Outcome{} })
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("runStrategy did not return after cancel while waiting to wake")
	}
	if ran.Load() != 1 {
		t.Errorf("%d items ran, want 1 (the first; the next waits an hour)", ran.Load())
	}
}

// testClock is a real-time clock sleeping on Go timers.
func testClock() clock { return clock{start: time.Now(), scale: upstream.RealTime, sleep: sleep} }

// TestDriverAllocsPerItem: the driver allocates per item no more than the
// goroutine an item starts on (one closure, without reuse) and nothing
// with reuse: starting the next item after one ends makes no list.
func TestDriverAllocsPerItem(t *testing.T) {
	const items = 2000
	for _, tc := range []struct {
		reuse bool
		want  float64
	}{{false, 1}, {true, 0}} {
		allocs := testing.AllocsPerRun(5, func() {
			runStrategy(context.Background(), &stratRecorder{limit: 8}, tc.reuse, testClock(), items, func(int, time.Time) strategy.Outcome {
				return strategy.Outcome{OK: true}
			})
		})
		// A cell's fixed cost (the driver, its clock) spread over the
		// items is well under 0.05 per item.
		if per := allocs / items; per > tc.want+0.05 {
			t.Errorf("reuse %v: %.3f allocations per item, want at most %v", tc.reuse, per, tc.want)
		}
	}
}
