// Package lateness estimates how late timer wake-ups come, so that a wait
// can be armed that much before its deadline. Both engines of the mock use
// it: the net/http engine for its Go timers, the loop engine for its
// timerfd.
package lateness

import "time"

// Quantile is the share of wake-ups the estimate tracks: a low quantile,
// so that a wait armed early by it rarely wakes early by much (the rest of
// the way is polled), while the systematic part of the lateness is removed.
const Quantile = 0.25

// step is the estimator's step size η.
const step = 20 * time.Microsecond

const (
	stepUp   = time.Duration(Quantile * float64(step))
	stepDown = time.Duration((1 - Quantile) * float64(step))
)

// Next is one step of a stochastic estimator of the Quantile of wake-up
// lateness: from the estimate est and one observed lateness, it moves up by
// η·q when the lateness exceeds est and down by η·(1−q) otherwise, clamped
// to [0, ceiling]. Fed every observation, it settles where a share q of
// them lies below it.
func Next(est, observed, ceiling time.Duration) time.Duration {
	next := est - stepDown
	if observed > est {
		next = est + stepUp
	}
	return min(max(next, 0), ceiling)
}
