package mocksrv

import (
	"fmt"
	"time"
)

// Overflow says what the mock does with a request that arrives while Cap
// requests are already in flight.
type Overflow string

// The overflow policies.
const (
	// OverflowQueue makes the request wait, first in first out, for a slot
	// (up to QueueLimit waiting; past that it is rejected).
	OverflowQueue Overflow = "queue"
	// OverflowReject answers at once with RejectStatus and a Retry-After header.
	OverflowReject Overflow = "reject"
	// OverflowReset resets the TCP connection (linger 0, close) without an answer.
	OverflowReset Overflow = "reset"
)

// Config describes the modeled upstream. It is what scenario files embed as
// `upstream:` and what `poolbench mock --config FILE` reads; the flags of
// `poolbench mock` mirror it field by field. The zero value of every field
// except Latency is a sensible default (see Defaults).
//
// All durations are model durations: the mock multiplies them by Timescale
// before applying them.
type Config struct {
	// Latency is the service time of one request, as a spec string:
	// "816ms", "uniform(10ms,20ms)", "normal(mean=100ms,stddev=10ms)",
	// "lognormal(median=100ms,sigma=0.5)", "exponential(mean=100ms)",
	// "pareto(min=10ms,alpha=2.5)" or a weighted mix "10ms:90,500ms:10".
	Latency string `yaml:"latency" json:"latency"`
	// Seed makes every random choice of the mock (latency samples, faults)
	// repeatable.
	Seed uint64 `yaml:"seed,omitempty" json:"seed,omitempty"`

	// Cap is the most requests in service at once; 0 means no cap.
	Cap int `yaml:"cap,omitempty" json:"cap,omitempty"`
	// Overflow is what happens to a request beyond Cap: queue (default),
	// reject or reset.
	Overflow Overflow `yaml:"overflow,omitempty" json:"overflow,omitempty"`
	// QueueLimit bounds the FIFO queue of the queue policy; 0 means unbounded.
	// A request arriving at a full queue is rejected as by the reject policy.
	QueueLimit int `yaml:"queue_limit,omitempty" json:"queue_limit,omitempty"`
	// RejectStatus is the status of a rejected request: 503 (default) or 429.
	RejectStatus int `yaml:"reject_status,omitempty" json:"reject_status,omitempty"`
	// RetryAfter is the value of the Retry-After header sent with a
	// rejection, in model time, rounded up to whole seconds on the wire
	// as HTTP requires (default 1s). See also the X-Mock-Retry-After header.
	RetryAfter Duration `yaml:"retry_after,omitempty" json:"retry_after,omitempty"`
	// MaxConns caps TCP connections (0 = none). Prefer Cap: a keep-alive
	// client holding idle connections starves a connection cap.
	MaxConns int `yaml:"max_conns,omitempty" json:"max_conns,omitempty"`

	// Contention stretches each request's service time to
	// latency × (1 + Contention × (in_flight − 1)), with in_flight counted
	// at admission, the request itself included.
	Contention float64 `yaml:"contention,omitempty" json:"contention,omitempty"`

	// ErrorRate is the fraction of admitted requests answered with
	// ErrorStatus after their latency.
	ErrorRate float64 `yaml:"error_rate,omitempty" json:"error_rate,omitempty"`
	// ErrorStatus is the status of an injected error (default 500).
	ErrorStatus int `yaml:"error_status,omitempty" json:"error_status,omitempty"`
	// ResetRate is the fraction of admitted requests whose connection is
	// reset after their latency.
	ResetRate float64 `yaml:"reset_rate,omitempty" json:"reset_rate,omitempty"`
	// StallRate is the fraction of admitted requests that get no answer
	// until the client gives up.
	StallRate float64 `yaml:"stall_rate,omitempty" json:"stall_rate,omitempty"`

	// Timescale multiplies every duration at run time (default 1): 0.01 runs
	// a service modeled in seconds 100 times faster.
	Timescale float64 `yaml:"timescale,omitempty" json:"timescale,omitempty"`

	// BodyBytes adds that many bytes of padding to each JSON answer.
	BodyBytes int `yaml:"body_bytes,omitempty" json:"body_bytes,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("816ms",
// "1.5s") in YAML and JSON.
type Duration time.Duration

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(time.Duration(d).String()), nil
}

// UnmarshalText reads a Go duration string such as "816ms" or "1.5s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q: want a number with a unit, like 816ms, 1.5s or 2m", b)
	}
	if v < 0 {
		return fmt.Errorf("invalid duration %q: must not be negative", b)
	}
	*d = Duration(v)
	return nil
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
