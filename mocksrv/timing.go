package mocksrv

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"
)

// timing sleeps until absolute deadlines, compensating the systematic
// lateness of Go timers.
//
// Go timers fire late: about 0.2–0.3 ms on an idle Linux machine, more
// under load. timing keeps an exponentially weighted moving average of how
// late its timers fired (weight 1/8 per observation), arms each timer that
// much before its deadline and, when a timer fires before the deadline,
// finishes with a yield loop (runtime.Gosched) of at most that estimate.
// The estimate is clamped to [0, maxLateness].
type timing struct {
	compensate bool         // false only in tests and benchmarks measuring the error
	late       atomic.Int64 // EWMA of timer lateness, ns
}

const maxLateness = 2 * time.Millisecond

// sleepUntil waits until deadline or until ctx is done. It returns the time
// it finished and whether it reached the deadline.
func (t *timing) sleepUntil(ctx context.Context, deadline time.Time) (time.Time, bool) {
	now := time.Now()
	if !now.Before(deadline) {
		return now, true
	}
	var est time.Duration
	if t.compensate {
		est = time.Duration(t.late.Load())
	}
	if d := deadline.Sub(now) - est; d > 0 {
		timer := time.NewTimer(d)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return time.Now(), false
		}
		now = time.Now()
		if t.compensate {
			late := now.Sub(deadline.Add(-est))
			old := time.Duration(t.late.Load())
			next := old + (late-old)/8
			t.late.Store(int64(min(max(next, 0), maxLateness)))
		}
	}
	for now.Before(deadline) {
		if ctx.Err() != nil {
			return now, false
		}
		runtime.Gosched()
		now = time.Now()
	}
	return now, true
}
