package sweep

import (
	"context"
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
