package mocksrv

import (
	"container/heap"
	"context"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Go timers on Linux wake up at a whole number of milliseconds after they
// are armed, plus 0.1–0.2 ms, when the runtime is idle (the netpoller's
// epoll_wait takes milliseconds): a 4.1 ms timer fires after about 5.1 ms.
// No early arming can compensate for a 1 ms quantum, so on Linux the mock
// sleeps precisely: one goroutine waits in ppoll(2), whose timeout has
// nanosecond resolution (the thread's timer slack is set to 1 ns before each
// wait), for the earliest pending deadline, and wakes the requests that are
// due. An eventfd interrupts it when an earlier deadline arrives. The
// goroutine exits after idleLinger without pending deadlines and restarts on
// demand, so an idle process keeps no extra thread.
//
// The goroutine is locked to its thread only around each wait (timer slack
// is per thread), and after waking requests it yields (runtime.Gosched) before it waits again. A goroutine blocked in a
// syscall keeps its P until sysmon retakes it, which takes up to 10 ms when
// sysmon is idle: had the sleeper gone straight back into ppoll, the
// requests it had just made runnable on its P would have waited that long
// (measured: with 8 cells in parallel, p99 item latency 176 ms for a 33 ms
// service). Yielding lets them run on this thread at once.

// idleLinger is how long the sleeper goroutine outlives its last deadline.
const idleLinger = 20 * time.Millisecond

type sleeper struct {
	mu      sync.Mutex
	h       wakeHeap
	running bool      // a loop goroutine is running
	waiting time.Time // what the loop sleeps until (zero: indefinitely/linger)
	efd     int       // eventfd interrupting ppoll; -1 if unavailable
}

var precise = newSleeper()

func newSleeper() *sleeper {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		fd = -1
	}
	return &sleeper{efd: fd}
}

// wait blocks until at or until ctx is done; it reports whether at was
// reached.
func (s *sleeper) wait(ctx context.Context, at time.Time) bool {
	if s.efd < 0 {
		return timerWait(ctx, at)
	}
	w := wakeupPool.Get().(*wakeup)
	w.at = at
	s.mu.Lock()
	heap.Push(&s.h, w)
	kick := false
	if !s.running {
		s.running = true
		go s.loop()
	} else if w.idx == 0 && (s.waiting.IsZero() || at.Before(s.waiting)) {
		kick = true
	}
	s.mu.Unlock()
	if kick {
		var one = [8]byte{1}
		unix.Write(s.efd, one[:])
	}
	select {
	case <-w.ch:
		wakeupPool.Put(w)
		return true
	case <-ctx.Done():
	}
	s.mu.Lock()
	if w.idx >= 0 {
		heap.Remove(&s.h, w.idx)
		w.idx = -1
	} else {
		<-w.ch // popped, sent under the lock: drain before reuse
	}
	s.mu.Unlock()
	wakeupPool.Put(w)
	return false
}

func (s *sleeper) loop() {
	fds := []unix.PollFd{{Fd: int32(s.efd), Events: unix.POLLIN}}
	var buf [8]byte
	idleSince := time.Time{}
	for {
		s.mu.Lock()
		now := time.Now()
		woke, next, ok := popDue(&s.h, now)
		var d time.Duration
		if ok {
			idleSince = time.Time{}
			s.waiting = next
			d = next.Sub(now)
		} else {
			if idleSince.IsZero() {
				idleSince = now
			}
			if now.Sub(idleSince) >= idleLinger {
				s.running = false
				s.mu.Unlock()
				return
			}
			s.waiting = time.Time{}
			d = idleLinger - now.Sub(idleSince)
		}
		s.mu.Unlock()
		if woke > 0 {
			// Let the requests just woken run before blocking (see above).
			runtime.Gosched()
			continue
		}
		// The timer slack is per thread: set it and wait on the same one.
		runtime.LockOSThread()
		unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
		ts := unix.NsecToTimespec(int64(d))
		n, _ := unix.Ppoll(fds, &ts, nil)
		runtime.UnlockOSThread()
		if n > 0 {
			unix.Read(s.efd, buf[:])
		}
	}
}

// preciseWait waits until at or ctx is done, reporting whether at was
// reached.
func preciseWait(ctx context.Context, at time.Time) bool { return precise.wait(ctx, at) }
