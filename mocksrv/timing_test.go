package mocksrv

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestSleepUntil checks the contract: never returns before the deadline
// when it reports reaching it, and stops at once when ctx is done.
func TestSleepUntil(t *testing.T) {
	for _, comp := range []bool{false, true} {
		tm := timing{compensate: comp}
		for range 20 {
			deadline := time.Now().Add(2 * time.Millisecond)
			end, ok := tm.sleepUntil(context.Background(), deadline)
			if !ok || end.Before(deadline) || time.Now().Before(deadline) {
				t.Fatalf("compensate %v: returned %v before the deadline (ok %v)", comp, deadline.Sub(end), ok)
			}
		}
	}
	tm := timing{compensate: true}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := tm.sleepUntil(ctx, time.Now().Add(time.Hour)); ok {
		t.Fatal("sleepUntil with a done ctx reported reaching the deadline")
	}
	if _, ok := tm.sleepUntil(ctx, time.Now().Add(-time.Second)); !ok {
		t.Fatal("a past deadline is reached at once")
	}
}

// BenchmarkSleepAccuracy measures the error of the applied sleep against
// the intended one, with and without lateness compensation, with 1 and 32
// sleepers at once (per CPU), after a warm-up. Each op is one sleep; run
// with -benchtime=2000x. Metrics: err-us and err-% (mean applied −
// intended), p50-err-us (median), max-err-us.
func BenchmarkSleepAccuracy(b *testing.B) {
	for _, d := range []time.Duration{5 * time.Millisecond, 10 * time.Millisecond} {
		for _, par := range []int{1, 32} {
			for _, mode := range []struct {
				name string
				comp bool
			}{{"gotimer", false}, {"gotimer+comp", true}} {
				b.Run(fmt.Sprintf("d=%v/sleepers=%d/%s", d, par, mode.name), func(b *testing.B) {
					tm := timing{compensate: mode.comp}
					// Warm the estimator up as a busy server would.
					var wg sync.WaitGroup
					for range 2 * par {
						wg.Go(func() {
							for range 10 {
								tm.sleepUntil(context.Background(), time.Now().Add(d))
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
							end, _ := tm.sleepUntil(context.Background(), start.Add(d))
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
