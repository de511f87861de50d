package mocksrv

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/mocksrv/internal/lateness"
)

// timing sleeps the net/http engine's requests until absolute deadlines on
// Go timers, as exactly as they allow. A Go timer fires late (on Linux by
// 0.1–0.3 ms, more under load; see docs/notes/mock.md), so timing tracks a
// low quantile of that lateness (package lateness), arms each timer that much before its deadline and, when it
// wakes early, yields (runtime.Gosched) until the deadline. It never
// returns before the deadline when it reports reaching it. Lateness from
// the process not running at all is not systematic and stays.
type timing struct {
	compensate bool         // false only in tests and benchmarks measuring the error
	late       atomic.Int64 // estimated low quantile of wake-up lateness, ns
}

// maxLateness bounds how early a timer is armed.
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
	if armed := deadline.Add(-est); armed.After(now) {
		if !timerWait(ctx, armed) {
			return time.Now(), false
		}
		now = time.Now()
		if t.compensate {
			t.late.Store(int64(lateness.Next(est, now.Sub(armed), maxLateness)))
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

// timerWait waits on a Go timer until at or until ctx is done.
func timerWait(ctx context.Context, at time.Time) bool {
	timer := time.NewTimer(time.Until(at))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
