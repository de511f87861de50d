package sweep

import (
	"context"
	"sync"

	"github.com/poolbench/poolbench/bench/scenario"
)

// runStrategy starts items 0..n-1 with strategy st and pool size pool and
// returns once every started item has ended. do(i) runs item i to its end.
// When ctx is canceled no new item starts.
func runStrategy(ctx context.Context, st scenario.Strategy, pool, n int, do func(int)) {
	switch st {
	case scenario.Serial:
		for i := range n {
			if ctx.Err() != nil {
				return
			}
			do(i)
		}
	case scenario.Pooled:
		// A goroutine per item, gated by a semaphore of size pool: the
		// seed's asyncio.Semaphore around each task.
		sem := make(chan struct{}, pool)
		var wg sync.WaitGroup
	spawn:
		for i := range n {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				break spawn
			}
			if ctx.Err() != nil {
				<-sem
				break
			}
			wg.Go(func() {
				defer func() { <-sem }()
				do(i)
			})
		}
		wg.Wait()
	case scenario.Workers:
		// pool workers pulling item numbers from a queue fed by a producer.
		queue := make(chan int, pool)
		var wg sync.WaitGroup
		for range min(pool, n) {
			wg.Go(func() {
				for i := range queue {
					if ctx.Err() == nil {
						do(i)
					}
				}
			})
		}
	produce:
		for i := range n {
			select {
			case queue <- i:
			case <-ctx.Done():
				break produce
			}
		}
		close(queue)
		wg.Wait()
	case scenario.Unbounded:
		// Every item at once, as asyncio.gather without a semaphore.
		var wg sync.WaitGroup
		for i := range n {
			if ctx.Err() != nil {
				break
			}
			wg.Go(func() { do(i) })
		}
		wg.Wait()
	}
}
