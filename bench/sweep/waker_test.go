package sweep

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestWaker: concurrent waits of different lengths end no earlier than
// asked; a canceled one returns at once; close releases what is pending.
func TestWaker(t *testing.T) {
	w := newWaker()
	var wg sync.WaitGroup
	for i := range 50 {
		d := time.Duration(i%10) * 700 * time.Microsecond
		wg.Go(func() {
			start := time.Now()
			late, ok := w.sleep(t.Context(), d)
			if took := time.Since(start); !ok || took < d || late < 0 {
				t.Errorf("wait of %v: took %v, late %v, ok %v", d, took, late, ok)
			}
		})
	}
	wg.Wait()

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan bool)
	go func() {
		_, ok := w.sleep(ctx, time.Hour)
		done <- ok
	}()
	cancel()
	if <-done {
		t.Error("a canceled wait reported it waited")
	}
	go func() {
		_, ok := w.sleep(t.Context(), time.Hour)
		done <- ok
	}()
	time.Sleep(10 * time.Millisecond) // let it queue
	w.close()
	<-done // released by close (its ok is true: it was released, not canceled)
}

// BenchmarkWakerAccuracy measures how late the waker releases waits of
// 5 ms, one at a time and 32 at once (each op is one wait; run with
// -benchtime=500x). Metrics: late-us (mean), p50-late-us, p99-late-us.
func BenchmarkWakerAccuracy(b *testing.B) {
	for _, par := range []int{1, 32} {
		b.Run(fmt.Sprintf("sleepers=%d", par), func(b *testing.B) {
			w := newWaker()
			defer w.close()
			var mu sync.Mutex
			var lates []float64
			b.SetParallelism(par)
			b.RunParallel(func(pb *testing.PB) {
				var mine []float64
				for pb.Next() {
					late, _ := w.sleep(context.Background(), 5*time.Millisecond)
					mine = append(mine, float64(late))
				}
				mu.Lock()
				lates = append(lates, mine...)
				mu.Unlock()
			})
			slices.Sort(lates)
			var sum float64
			for _, l := range lates {
				sum += l
			}
			b.ReportMetric(sum/float64(len(lates))/1e3, "late-us")
			b.ReportMetric(lates[len(lates)/2]/1e3, "p50-late-us")
			b.ReportMetric(lates[len(lates)*99/100]/1e3, "p99-late-us")
		})
	}
}
