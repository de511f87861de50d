package mocksrv

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"
)

// timing sleeps until absolute deadlines as exactly as it can.
//
// Go timers fire late: on an idle Linux runtime a timer armed for d fires
// after d rounded up to whole milliseconds plus 0.1–0.2 ms (a 4.1 ms timer
// after about 5.1 ms; the netpoller waits in milliseconds), so arming early
// cannot fix them fully; on Linux preciseWait (a ppoll(2)-based sleeper, see
// sleeper_linux.go) can, but the server uses it only when asked (see the
// package doc: it stalls woken requests under concurrency). Either way the
// wake-up still comes late by the time it takes to
// wake a thread and schedule the goroutine (about 0.1–0.2 ms measured), so
// timing tracks a low quantile (lateQuantile) of that lateness with a
// stochastic quantile estimator, arms each wait that much before its
// deadline and, when it wakes before the deadline, finishes with a yield
// loop (runtime.Gosched). Tracking a low quantile rather than the mean
// keeps the yield loops rare and short (a quarter of the waits, by tens of
// microseconds) while removing the systematic part of the lateness. The
// estimate is clamped to [0, maxLateness]. Lateness from CPU contention
// (the process not running at all) is not systematic and stays.
type timing struct {
	precise    bool         // wait with preciseWait (POOLBENCH_MOCK_TIMERS=precise); Go timers otherwise
	compensate bool         // false only in tests and benchmarks measuring the error
	late       atomic.Int64 // estimated low quantile of wake-up lateness, ns
}

const (
	maxLateness  = 2 * time.Millisecond
	lateQuantile = 0.25
	lateStep     = 20 * time.Microsecond
	lateStepUp   = time.Duration(lateQuantile * float64(lateStep))
	lateStepDown = time.Duration((1 - lateQuantile) * float64(lateStep))
)

// nextLateness is one step of the estimator of the lateQuantile of
// wake-up lateness: up by η·q when lateness exceeds the estimate est, down
// by η·(1−q) otherwise, clamped to [0, ceiling]. Both engines use it (the
// loop engine for its timerfd).
func nextLateness(est, lateness, ceiling time.Duration) time.Duration {
	next := est - lateStepDown
	if lateness > est {
		next = est + lateStepUp
	}
	return min(max(next, 0), ceiling)
}

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
	if armed := deadline.Add(-est); armed.After(now) {
		if !t.wait(ctx, armed) {
			return time.Now(), false
		}
		now = time.Now()
		if t.compensate {
			// Track the lateQuantile of lateness: step up by η·q when later
			// than the estimate, down by η·(1−q) otherwise.
			t.late.Store(int64(nextLateness(est, now.Sub(armed), maxLateness)))
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

func (t *timing) wait(ctx context.Context, at time.Time) bool {
	if t.precise {
		return preciseWait(ctx, at)
	}
	return timerWait(ctx, at)
}

// timerWait waits on a Go timer until at or until ctx is done.
func timerWait(ctx context.Context, at time.Time) bool {
	timer := time.NewTimer(time.Until(at))
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		timer.Stop()
		return false
	}
}
