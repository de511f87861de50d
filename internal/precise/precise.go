// Package precise sleeps until absolute deadlines as exactly as Go timers
// allow. The mock's net/http engine times its answers with it, and the
// client's waker (bench/sweep) its waits between attempts; the mock's loop
// engine uses its estimator (Next) for its timerfd.
//
// A Go timer fires late: on Linux by 0.1–1 ms, more under load (the
// runtime's poller sleeps in whole milliseconds; docs/notes/mock.md and
// docs/notes/harness.md have the measurements). A Sleeper tracks a
// quantile of that lateness, arms its timer that much before the deadline
// and, when it wakes early, yields (runtime.Gosched) until the deadline.
// It never returns before a deadline it reports reaching. Lateness from
// the process not running at all is not systematic and stays.
package precise

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"
)

// step is the estimator's step size η.
const step = 20 * time.Microsecond

// Next is one step of a stochastic estimator of the q-quantile of wake-up
// lateness: from the estimate est and one observed lateness, it moves up by
// η·q when the lateness exceeds est and down by η·(1−q) otherwise, clamped
// to [0, ceiling]. Fed every observation, it settles where a share q of
// them lies below it (or at ceiling).
func Next(est, observed time.Duration, q float64, ceiling time.Duration) time.Duration {
	next := est - time.Duration((1-q)*float64(step))
	if observed > est {
		next = est + time.Duration(q*float64(step))
	}
	return min(max(next, 0), ceiling)
}

// AnswerQuantile is the quantile of timer lateness a server arms its
// answers early by: low, so that an answer armed early rarely waits long
// for its deadline, while the systematic lateness goes. Both of the
// mock's engines (mocksrv) track it.
const AnswerQuantile = 0.25

// AnswerCeiling is the most a server's answer is armed early (the mock's
// net/http engine; its loop engine polls, and bounds it lower).
const AnswerCeiling = 2 * time.Millisecond

// NewAnswerSleeper is the Sleeper a server times its answers with:
// AnswerQuantile, at most AnswerCeiling early, starting from none.
func NewAnswerSleeper() *Sleeper { return NewSleeper(AnswerQuantile, AnswerCeiling, 0) }

// Sleeper sleeps until deadlines, arming its Go timer early by its
// estimate of a quantile of the timer's lateness and yielding the rest of
// the way. It is safe for concurrent use: concurrent sleeps share the
// estimate. The zero Sleeper never arms early (a plain Go timer, then
// yields if it woke early), for measuring the error it removes.
type Sleeper struct {
	quantile float64
	ceiling  time.Duration
	late     atomic.Int64 // the estimate, ns
}

// NewSleeper returns a Sleeper that tracks the quantile-th quantile of its
// timers' lateness (0 < quantile ≤ 1), starting from initial, and arms
// them at most ceiling early: the most it yields per sleep, on a machine
// where the timers are that late. A low quantile (the mock's 0.25) yields
// little and leaves most sleeps a little late; quantile 1 from the ceiling
// (the client's waker) never lowers its estimate: a fixed window.
func NewSleeper(quantile float64, ceiling, initial time.Duration) *Sleeper {
	s := &Sleeper{quantile: quantile, ceiling: ceiling}
	s.late.Store(int64(min(max(initial, 0), ceiling)))
	return s
}

// Estimate is the lateness the Sleeper arms its timers early by now.
func (s *Sleeper) Estimate() time.Duration { return time.Duration(s.late.Load()) }

// Until waits until deadline, or until ctx is done or interrupt receives
// (nil: never). It returns the time it returned and whether it reached
// the deadline; when it reports reaching it, it returned no earlier. A
// deadline already past returns at once, reached.
func (s *Sleeper) Until(ctx context.Context, deadline time.Time, interrupt <-chan struct{}) (time.Time, bool) {
	now := time.Now()
	if !now.Before(deadline) {
		return now, true
	}
	est := s.Estimate()
	if armed := deadline.Add(-est); armed.After(now) {
		timer := time.NewTimer(armed.Sub(now))
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return time.Now(), false
		case <-interrupt:
			timer.Stop()
			return time.Now(), false
		}
		now = time.Now()
		if s.ceiling > 0 {
			s.late.Store(int64(Next(est, now.Sub(armed), s.quantile, s.ceiling)))
		}
	}
	done := ctx.Done()
	for now.Before(deadline) {
		select {
		case <-done:
			return now, false
		case <-interrupt:
			return now, false
		default:
		}
		runtime.Gosched()
		now = time.Now()
	}
	return now, true
}
