package bench

import (
	"context"
	"sync"
)

// runStrategy sends every item with strategy st and pool size pool, and
// returns once every started item has ended. When ctx is canceled no new
// item starts; the items never started keep started == false.
func runStrategy(ctx context.Context, st Strategy, pool int, c *client, items []item, done func()) {
	do := func(i int) {
		c.do(ctx, &items[i], i)
		done()
	}
	switch st {
	case Serial:
		for i := range items {
			if ctx.Err() != nil {
				return
			}
			do(i)
		}
	case Pooled:
		// A goroutine per item, gated by a semaphore of size pool: the
		// seed's asyncio.Semaphore around each task.
		sem := make(chan struct{}, pool)
		var wg sync.WaitGroup
	spawn:
		for i := range items {
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
	case Workers:
		// pool workers pulling item numbers from a queue fed by a producer.
		queue := make(chan int, pool)
		var wg sync.WaitGroup
		for range min(pool, len(items)) {
			wg.Go(func() {
				for i := range queue {
					if ctx.Err() == nil {
						do(i)
					}
				}
			})
		}
	produce:
		for i := range items {
			select {
			case queue <- i:
			case <-ctx.Done():
				break produce
			}
		}
		close(queue)
		wg.Wait()
	case Unbounded:
		// Every item at once, as asyncio.gather without a semaphore.
		var wg sync.WaitGroup
		for i := range items {
			if ctx.Err() != nil {
				break
			}
			wg.Go(func() { do(i) })
		}
		wg.Wait()
	}
}
