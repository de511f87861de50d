package mocksrv

import (
	"container/heap"
	"sync"
	"time"
)

// wakeup is one pending wait of a sleeper.
type wakeup struct {
	at  time.Time
	ch  chan struct{} // buffered 1; receives when at has passed
	idx int           // index in the heap, -1 once popped
}

// wakeHeap is a min-heap of wakeups by time.
type wakeHeap []*wakeup

func (h wakeHeap) Len() int           { return len(h) }
func (h wakeHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h wakeHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *wakeHeap) Push(x any) {
	w := x.(*wakeup)
	w.idx = len(*h)
	*h = append(*h, w)
}
func (h *wakeHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	w.idx = -1
	return w
}

var wakeupPool = sync.Pool{New: func() any { return &wakeup{ch: make(chan struct{}, 1), idx: -1} }}

// popDue sends to every wakeup due at now and returns how many it woke and
// the next time, if any. The caller holds the lock guarding h.
func popDue(h *wakeHeap, now time.Time) (woke int, next time.Time, ok bool) {
	for h.Len() > 0 {
		w := (*h)[0]
		if w.at.After(now) {
			return woke, w.at, true
		}
		heap.Pop(h)
		w.ch <- struct{}{}
		woke++
	}
	return woke, time.Time{}, false
}
