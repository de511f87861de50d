package sweep

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/poolbench/poolbench/internal/precise"
)

// spinWindow is the most before a deadline the waker stops sleeping on a
// Go timer and yields: a Go timer wakes up to a millisecond late (the
// runtime's poller sleeps in whole milliseconds), plus a wake-up.
const spinWindow = 1500 * time.Microsecond

// waker wakes the client's waits between attempts on time. The waits of
// a sweep share it: one goroutine sleeps until the earliest deadline on a
// precise.Sleeper armed spinWindow early (quantile 1 from spinWindow: the
// estimate never falls, and its ceiling holds it there), so it sleeps on a
// Go timer until spinWindow before the deadline and yields
// (runtime.Gosched) the rest; then it releases every wait that is due.
// (Tracking the 99th percentile instead left more waits late: with 32 at
// once, p99 lateness 957 µs against 120, docs/notes/harness.md.) At most one goroutine
// yields, for at most spinWindow per run of deadlines
// (docs/notes/harness.md has the measurements).
type waker struct {
	mu      sync.Mutex
	waits   []*wait // a min-heap by deadline
	kick    chan struct{}
	ctx     context.Context // done when the waker is closed
	cancel  context.CancelFunc
	stopped chan struct{}
	t0      time.Time
	sleeper *precise.Sleeper
}

// wait is one pending wait: released by closing done.
type wait struct {
	at   time.Duration // since waker.t0
	done chan struct{}
}

func newWaker() *waker {
	w := &waker{kick: make(chan struct{}, 1), stopped: make(chan struct{}), t0: time.Now(),
		sleeper: precise.NewSleeper(1, spinWindow, spinWindow)}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	go w.run()
	return w
}

// close stops the waker; waits still pending are released at once.
func (w *waker) close() {
	w.cancel()
	<-w.stopped
}

// sleep waits d or until ctx is done; it reports whether it waited d, and
// how much longer than d it took.
func (w *waker) sleep(ctx context.Context, d time.Duration) (late time.Duration, ok bool) {
	start := time.Since(w.t0)
	wt := &wait{at: start + d, done: make(chan struct{})}
	w.mu.Lock()
	w.push(wt)
	first := w.waits[0] == wt
	w.mu.Unlock()
	if first {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
	select {
	case <-wt.done:
		return max(time.Since(w.t0)-wt.at, 0), true
	case <-ctx.Done():
		return 0, false // released in its turn, unread
	}
}

func (w *waker) run() {
	defer close(w.stopped)
	defer w.releaseAll()
	for {
		w.mu.Lock()
		var next time.Duration = -1
		if len(w.waits) > 0 {
			next = w.waits[0].at
		}
		w.mu.Unlock()
		if next < 0 { // nothing pending
			select {
			case <-w.kick:
			case <-w.ctx.Done():
				return
			}
			continue
		}
		// Interrupted by an earlier deadline (kick): look again.
		if _, ok := w.sleeper.Until(w.ctx, w.t0.Add(next), w.kick); !ok {
			if w.ctx.Err() != nil {
				return
			}
			continue
		}
		w.release(time.Since(w.t0))
	}
}

// release closes every wait due at now.
func (w *waker) release(now time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.waits) > 0 && w.waits[0].at <= now {
		close(w.pop().done)
	}
}

func (w *waker) releaseAll() { w.release(1<<63 - 1) }

func (w *waker) push(wt *wait) { heap.Push((*waitHeap)(&w.waits), wt) }

func (w *waker) pop() *wait { return heap.Pop((*waitHeap)(&w.waits)).(*wait) }

// waitHeap orders waits by deadline (container/heap).
type waitHeap []*wait

func (h waitHeap) Len() int           { return len(h) }
func (h waitHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h waitHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *waitHeap) Push(x any)        { *h = append(*h, x.(*wait)) }
func (h *waitHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}
