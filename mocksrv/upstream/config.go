package upstream

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Overflow says what the upstream does with a request that arrives while
// Cap requests are already in service.
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
// except Latency means its default (see WithDefaults).
//
// All durations are model durations: they are multiplied by Timescale
// before they are applied.
type Config struct {
	// Latency is the service time of one request, as a spec string:
	// "816ms", "uniform(10ms,20ms)", "normal(mean=100ms,stddev=10ms)",
	// "lognormal(median=100ms,sigma=0.5)", "exponential(mean=100ms)",
	// "pareto(min=10ms,alpha=2.5)" or a weighted mix "10ms:90,500ms:10".
	Latency string `yaml:"latency" json:"latency"`
	// Seed makes every random choice (latency samples, faults) repeatable.
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
	// at admission, the request itself included (see ServiceTime).
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

	// Timescale multiplies every duration at run time (default 1): 0.01
	// runs a service modeled in seconds 100 times faster. A scenario
	// leaves it unset: the scenario's own time scale applies.
	Timescale Scale `yaml:"timescale,omitempty" json:"timescale,omitempty"`

	// BodyBytes adds that many bytes of padding to each JSON answer.
	BodyBytes int `yaml:"body_bytes,omitempty" json:"body_bytes,omitempty"`

	// HTTP is the protocol a run's embedded mock serves and its client
	// speaks: 1 (the default, HTTP/1.1) or 2 (HTTP/2 over cleartext, h2c
	// with prior knowledge: the pool's requests in flight are streams on
	// one connection). `poolbench mock` chooses with its -engine flag.
	HTTP int `yaml:"http,omitempty" json:"http,omitempty"`
}

// Limits Validate enforces beyond the obvious signs.
const (
	// MaxBodyBytes bounds Config.BodyBytes.
	MaxBodyBytes = 16 << 20
	// MaxContention bounds Config.Contention.
	MaxContention = 100
)

// Defaults of the fields whose zero value means something else.
const (
	DefaultRejectStatus = 503
	DefaultErrorStatus  = 500
	DefaultRetryAfter   = time.Second
)

// WithDefaults returns c with its zero fields filled: overflow queue,
// reject_status 503, error_status 500, retry_after 1s. (A zero Timescale
// means 1: see Scale.)
func (c Config) WithDefaults() Config {
	if c.Overflow == "" {
		c.Overflow = OverflowQueue
	}
	if c.RejectStatus == 0 {
		c.RejectStatus = DefaultRejectStatus
	}
	if c.ErrorStatus == 0 {
		c.ErrorStatus = DefaultErrorStatus
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = Duration(DefaultRetryAfter)
	}
	return c
}

// FieldError is one invalid field of a Config: Field is its YAML name
// ("cap", "error_rate"), Msg what was wrong and what is accepted.
type FieldError struct {
	Field, Msg string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Validate checks every field and returns one *FieldError per bad field
// (joined with errors.Join, in field order), each naming the value and what
// is accepted. Zero values are valid: they mean the defaults.
func (c Config) Validate() error {
	var errs []error
	bad := func(field string, value any, accepted string) {
		errs = append(errs, &FieldError{field, fmt.Sprintf("invalid value %v: %s", value, accepted)})
	}
	if c.Latency == "" {
		bad("latency", `""`, "a spec is required; accepted forms: "+LatencyForms)
	} else if _, err := ParseLatency(c.Latency); err != nil {
		errs = append(errs, &FieldError{"latency", err.Error()})
	}
	if c.Cap < 0 {
		bad("cap", c.Cap, "want 0 (no cap) or a positive number of requests in service")
	}
	switch c.Overflow {
	case "", OverflowQueue, OverflowReject, OverflowReset:
	default:
		bad("overflow", fmt.Sprintf("%q", string(c.Overflow)), "want queue, reject or reset")
	}
	if c.QueueLimit < 0 {
		bad("queue_limit", c.QueueLimit, "want 0 (unbounded) or a positive number of waiting requests")
	} else if c.QueueLimit > 0 && c.Overflow != "" && c.Overflow != OverflowQueue {
		bad("queue_limit", c.QueueLimit, fmt.Sprintf("only meaningful with overflow queue, not %q", string(c.Overflow)))
	}
	if c.RejectStatus != 0 && c.RejectStatus != 503 && c.RejectStatus != 429 {
		bad("reject_status", c.RejectStatus, "want 503 or 429")
	}
	if c.RetryAfter < 0 {
		bad("retry_after", c.RetryAfter.D(), "want a non-negative duration like 1s")
	}
	if c.MaxConns < 0 {
		bad("max_conns", c.MaxConns, "want 0 (no cap) or a positive number of TCP connections")
	}
	if !(c.Contention >= 0 && c.Contention <= MaxContention) {
		bad("contention", c.Contention, fmt.Sprintf("want a number in [0, %d], like 0.04 for 4%% per extra request in service", MaxContention))
	}
	rates := 0.0
	for _, r := range []struct {
		name string
		v    float64
	}{{"error_rate", c.ErrorRate}, {"reset_rate", c.ResetRate}, {"stall_rate", c.StallRate}} {
		if !(r.v >= 0 && r.v <= 1) {
			bad(r.name, r.v, "want a fraction in [0, 1]")
			continue
		}
		rates += r.v
	}
	if rates > 1+1e-9 {
		bad("error_rate", rates, "error_rate + reset_rate + stall_rate: the fault rates must add up to at most 1")
	}
	if c.ErrorStatus != 0 && (c.ErrorStatus < 400 || c.ErrorStatus > 599) {
		bad("error_status", c.ErrorStatus, "want an HTTP error status in [400, 599], like 500")
	}
	if c.Timescale != 0 {
		if err := c.Timescale.Validate(); err != nil {
			errs = append(errs, &FieldError{"timescale", err.Error()})
		}
	}
	if c.BodyBytes < 0 || c.BodyBytes > MaxBodyBytes {
		bad("body_bytes", c.BodyBytes, fmt.Sprintf("want 0 to %d bytes of padding", MaxBodyBytes))
	}
	if c.HTTP != 0 && c.HTTP != 1 && c.HTTP != 2 {
		bad("http", c.HTTP, "want 1 (HTTP/1.1) or 2 (HTTP/2 over cleartext, h2c)")
	}
	return errors.Join(errs...)
}

// ServiceTime is the model service time of a request whose latency sample
// is sample, admitted with inFlight requests in service (itself included):
// sample × (1 + Contention × (inFlight − 1)), rounded to the nanosecond and
// clamped to [0, MaxSample].
func (c Config) ServiceTime(sample time.Duration, inFlight int64) time.Duration {
	if c.Contention == 0 || inFlight <= 1 {
		return sample
	}
	return toDur(float64(sample) * (1 + c.Contention*float64(inFlight-1)))
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

// toDur converts nanoseconds to a Duration, rounded and clamped to
// [0, MaxSample]; NaN is 0. Every float-to-duration conversion of the
// model goes through it.
func toDur(ns float64) time.Duration {
	if !(ns > 0) {
		return 0
	}
	if ns >= float64(MaxSample) {
		return MaxSample
	}
	return time.Duration(math.Round(ns))
}
