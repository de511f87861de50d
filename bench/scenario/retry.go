package scenario

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Retry defaults.
const (
	// DefaultMaxAttempts is the seed's "retry up to 4 times" (the first
	// attempt included).
	DefaultMaxAttempts = 4
	// DefaultBackoffMax caps one exponential backoff delay when Max is unset.
	DefaultBackoffMax = 30 * time.Second
)

// The backoff policies a Retry accepts.
const (
	BackoffNone        = "none"
	BackoffConstant    = "constant"
	BackoffExponential = "exponential"
)

// The retry classes Retry.On accepts.
const (
	RetryOn5xx     = "5xx"
	RetryOn429     = "429"
	RetryOnConnect = "connect"
	RetryOnTimeout = "timeout"
)

// retryClasses lists what Retry.On accepts, in documentation order.
var retryClasses = []string{RetryOn5xx, RetryOn429, RetryOnConnect, RetryOnTimeout}

// Attempt outcomes other than an HTTP status code (which is its decimal
// string, "200", "503"...): what Retry.Retries decides on, and the keys of
// a results cell's Outcomes.
const (
	// OutcomeConnect is a refused or failed connection.
	OutcomeConnect = "connect"
	// OutcomeReset is a connection reset or closed before the answer.
	OutcomeReset = "reset"
	// OutcomeTimeout is an attempt that ran out of the client's timeout.
	OutcomeTimeout = "timeout"
	// OutcomeCanceled is an attempt or item stopped because the run was
	// canceled.
	OutcomeCanceled = "canceled"
	// OutcomeTimeLimit is an item a rate cell stopped at its deadline (its
	// last intended start plus the grace) before it ended, or never
	// started.
	OutcomeTimeLimit = "time-limit"
	// OutcomeError is any other transport error.
	OutcomeError = "error"
	// OutcomeFDLimit is a connection the client could not open because
	// the process ran out of file descriptors: the harness's limit, not
	// the upstream's.
	OutcomeFDLimit = "fd-limit"
)

// WithDefaults returns r with unset fields filled: 4 attempts, retry on
// every class, no backoff, and a 30s cap for exponential backoff.
func (r Retry) WithDefaults() Retry {
	if r.MaxAttempts == 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	if r.On == nil {
		r.On = slices.Clone(retryClasses)
	}
	if r.Backoff == "" {
		r.Backoff = BackoffNone
	}
	if r.Backoff == BackoffExponential && r.Max == 0 {
		r.Max = upstream.Duration(DefaultBackoffMax)
	}
	return r
}

// validate checks a Retry with defaults applied. Field paths are relative
// to client.retry.
func (r Retry) validate() error {
	if r.MaxAttempts < 1 || r.MaxAttempts > 100 {
		return fieldErrorf("max_attempts", "%d is out of range: want 1 to 100 attempts (the first included)", r.MaxAttempts)
	}
	for i, c := range r.On {
		if !slices.Contains(retryClasses, c) {
			return fieldErrorf(fmt.Sprintf("on[%d]", i), "unknown retry class %q: want any of %s", c, quoteList(retryClasses))
		}
	}
	switch r.Backoff {
	case BackoffNone:
	case BackoffConstant, BackoffExponential:
		if r.Base <= 0 {
			return fieldErrorf("base", "backoff %q needs a base delay greater than 0, like 100ms", r.Backoff)
		}
		if r.Backoff == BackoffExponential && r.Max < r.Base {
			return fieldErrorf("max", "the backoff cap %s is below the base %s", r.Max.D(), r.Base.D())
		}
		if r.MaxWait > 0 && r.MaxWait < r.Base {
			return fieldErrorf("max_wait", "%s is below the backoff base %s: no wait could last as the policy says", r.MaxWait.D(), r.Base.D())
		}
	default:
		return fieldErrorf("backoff", "unknown backoff %q: want %s", r.Backoff, quoteList([]string{BackoffNone, BackoffConstant, BackoffExponential}))
	}
	return nil
}

// Retries reports whether an attempt that ended with outcome (an HTTP
// status such as "503", or OutcomeConnect, OutcomeReset, OutcomeTimeout...)
// is retried under r. 2xx answers and canceled attempts are never retried;
// a reset counts as a connection error. r.On nil means every class.
func (r Retry) Retries(outcome string) bool {
	on := r.On
	if on == nil {
		on = retryClasses
	}
	var class string
	switch outcome {
	case OutcomeConnect, OutcomeReset, OutcomeFDLimit:
		class = RetryOnConnect
	case OutcomeTimeout:
		class = RetryOnTimeout
	case "429":
		class = RetryOn429
	default:
		code, err := strconv.Atoi(outcome)
		if err != nil || code < 500 || code > 599 {
			return false
		}
		class = RetryOn5xx
	}
	return slices.Contains(on, class)
}

// Delay returns how long to wait, in model time, before the attempt that
// follows failed attempt number attempt (1 for the first). rnd supplies the
// jitter of exponential backoff and may be nil for the other policies.
// retryAfter is what the answer's Retry-After asked, in model time (0 when
// absent): when r.RetryAfter is set the wait is at least that long, even
// past Max. Whatever the policy, the wait is at most MaxWait when set. The runner multiplies the result by the time scale; bench/model
// calls it with the same arguments to simulate the same policy. (It is not
// named Backoff: that is the policy's field.)
//
//	none:        0
//	constant:    Base
//	exponential: uniform in [0, min(Max, Base·2^(attempt−1))) ("full jitter")
func (r Retry) Delay(attempt int, rnd *rand.Rand, retryAfter time.Duration) time.Duration {
	var d time.Duration
	switch r.Backoff {
	case BackoffConstant:
		d = r.Base.D()
	case BackoffExponential:
		ceiling := r.Max.D()
		if ceiling <= 0 {
			ceiling = DefaultBackoffMax
		}
		step := r.Base.D()
		for i := 1; i < attempt && step < ceiling; i++ {
			step *= 2
		}
		step = min(step, ceiling)
		if step > 0 {
			d = time.Duration(rnd.Int64N(int64(step)))
		}
	}
	if r.RetryAfter && retryAfter > d {
		d = retryAfter
	}
	if r.MaxWait > 0 {
		d = min(d, r.MaxWait.D())
	}
	return d
}

// FailureClass names why an item failed from its last attempt's outcome
// and its number of attempts: "503 after 4 attempts", "timeout after 1
// attempt", or "canceled" or "time-limit" (whatever the attempts). Cell.Failures is keyed by it; bench/model uses it
// too, so predicted and measured failures have the same names.
func FailureClass(outcome string, attempts int) string {
	if outcome == OutcomeCanceled || outcome == OutcomeTimeLimit {
		return outcome
	}
	if attempts == 1 {
		return outcome + " after 1 attempt"
	}
	return outcome + " after " + strconv.Itoa(attempts) + " attempts"
}

// quoteList renders ["a", "b"] as `"a", "b"`.
func quoteList(xs []string) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += ", "
		}
		s += strconv.Quote(x)
	}
	return s
}
