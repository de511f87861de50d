package precise

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestUntil checks the contract: never returns before the deadline when it
// reports reaching it, and stops at once when ctx is done or interrupted.
func TestUntil(t *testing.T) {
	for _, s := range []*Sleeper{{}, NewAnswerSleeper(), NewSleeper(0.99, 1500*time.Microsecond, 1500*time.Microsecond)} {
		for range 20 {
			deadline := time.Now().Add(2 * time.Millisecond)
			end, ok := s.Until(context.Background(), deadline, nil)
			if !ok || end.Before(deadline) || time.Now().Before(deadline) {
				t.Fatalf("estimate %v: returned %v before the deadline (ok %v)", s.Estimate(), deadline.Sub(end), ok)
			}
		}
	}
	s := NewAnswerSleeper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := s.Until(ctx, time.Now().Add(time.Hour), nil); ok {
		t.Fatal("Until with a done ctx reported reaching the deadline")
	}
	if _, ok := s.Until(ctx, time.Now().Add(-time.Second), nil); !ok {
		t.Fatal("a past deadline is reached at once")
	}
	kick := make(chan struct{}, 1)
	kick <- struct{}{}
	if _, ok := s.Until(context.Background(), time.Now().Add(time.Hour), kick); ok {
		t.Fatal("an interrupted Until reported reaching the deadline")
	}
	// Interrupted while yielding (armed at the deadline's full width).
	spin := NewSleeper(0.5, time.Hour, time.Hour)
	kick <- struct{}{}
	start := time.Now()
	if _, ok := spin.Until(context.Background(), start.Add(time.Hour), kick); ok || time.Since(start) > time.Second {
		t.Fatalf("an Until interrupted while yielding: ok %v after %v", ok, time.Since(start))
	}
}

// TestNext: fed lateness drawn uniformly from 0 to 1 ms, the estimate
// settles near the quantile asked for, within its ceiling.
func TestNext(t *testing.T) {
	for _, q := range []float64{0.25, 0.9} {
		rng := rand.New(rand.NewPCG(1, 2))
		var est time.Duration
		for range 200_000 {
			est = Next(est, time.Duration(rng.Int64N(int64(time.Millisecond))), q, 2*time.Millisecond)
		}
		if want := time.Duration(q * float64(time.Millisecond)); est < want-50*time.Microsecond || est > want+50*time.Microsecond {
			t.Errorf("q %g: estimate %v, want about %v", q, est, want)
		}
		if got := Next(time.Millisecond, time.Hour, q, time.Millisecond); got != time.Millisecond {
			t.Errorf("q %g: the estimate passed its ceiling: %v", q, got)
		}
		if got := Next(0, 0, q, time.Millisecond); got != 0 {
			t.Errorf("q %g: the estimate went below 0: %v", q, got)
		}
	}
}

// BenchmarkSleepAccuracy measures the error of the applied sleep against
// the intended one, with and without lateness compensation (the mock's
// Sleeper and the zero one), with 1 and 32 sleepers at once (per CPU),
// after a warm-up. Each op is one sleep; run with -benchtime=2000x.
// Metrics: err-us and err-% (mean applied − intended), p50-err-us
// (median), max-err-us.
func BenchmarkSleepAccuracy(b *testing.B) {
	for _, d := range []time.Duration{5 * time.Millisecond, 10 * time.Millisecond} {
		for _, par := range []int{1, 32} {
			for _, mode := range []struct {
				name string
				comp bool
			}{{"gotimer", false}, {"gotimer+comp", true}} {
				b.Run(fmt.Sprintf("d=%v/sleepers=%d/%s", d, par, mode.name), func(b *testing.B) {
					s := &Sleeper{}
					if mode.comp {
						s = NewAnswerSleeper()
					}
					// Warm the estimator up as a busy server would.
					var wg sync.WaitGroup
					for range 2 * par {
						wg.Go(func() {
							for range 10 {
								s.Until(context.Background(), time.Now().Add(d), nil)
							}
						})
					}
					wg.Wait()
					var mu sync.Mutex
					var errs []float64
					b.ResetTimer()
					b.SetParallelism(par)
					b.RunParallel(func(pb *testing.PB) {
						var mine []float64
						for pb.Next() {
							start := time.Now()
							end, _ := s.Until(context.Background(), start.Add(d), nil)
							mine = append(mine, float64(end.Sub(start)-d))
						}
						mu.Lock()
						errs = append(errs, mine...)
						mu.Unlock()
					})
					slices.Sort(errs)
					var sum float64
					for _, e := range errs {
						sum += e
					}
					mean := sum / float64(len(errs))
					b.ReportMetric(mean/1e3, "err-us")
					b.ReportMetric(100*mean/float64(d), "err-%")
					b.ReportMetric(errs[len(errs)/2]/1e3, "p50-err-us")
					b.ReportMetric(errs[len(errs)-1]/1e3, "max-err-us")
				})
			}
		}
	}
}
