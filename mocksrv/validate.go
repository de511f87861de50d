package mocksrv

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Limits Validate enforces beyond the obvious signs.
const (
	// MaxBodyBytes bounds Config.BodyBytes.
	MaxBodyBytes = 16 << 20
	// MaxTimescale bounds Config.Timescale.
	MaxTimescale = 1000
)

// WithDefaults returns c with its zero fields filled: overflow queue,
// reject_status 503, error_status 500, timescale 1, retry_after 1s.
func (c Config) WithDefaults() Config {
	if c.Overflow == "" {
		c.Overflow = OverflowQueue
	}
	if c.RejectStatus == 0 {
		c.RejectStatus = 503
	}
	if c.ErrorStatus == 0 {
		c.ErrorStatus = 500
	}
	if c.Timescale == 0 {
		c.Timescale = 1
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = Duration(time.Second)
	}
	return c
}

// Validate checks every field and returns one error per bad field (joined),
// each naming the field, the value and what is accepted. Zero values are
// valid: they mean the defaults of WithDefaults.
func (c Config) Validate() error {
	var errs []error
	bad := func(field string, value any, accepted string) {
		errs = append(errs, fmt.Errorf("%s: invalid value %v: %s", field, value, accepted))
	}
	if c.Latency == "" {
		bad("latency", `""`, "a spec is required; accepted forms: "+LatencyForms)
	} else if _, err := ParseLatency(c.Latency); err != nil {
		errs = append(errs, fmt.Errorf("latency: %w", err))
	}
	if c.Cap < 0 {
		bad("cap", c.Cap, "want 0 (no cap) or a positive number of requests in flight")
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
	if c.Contention < 0 || math.IsNaN(c.Contention) || math.IsInf(c.Contention, 0) || c.Contention > 100 {
		bad("contention", c.Contention, "want a number in [0, 100], like 0.04 for 4% per extra request in flight")
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
		bad("error_rate+reset_rate+stall_rate", rates, "the fault rates must add up to at most 1")
	}
	if c.ErrorStatus != 0 && (c.ErrorStatus < 400 || c.ErrorStatus > 599) {
		bad("error_status", c.ErrorStatus, "want an HTTP error status in [400, 599], like 500")
	}
	if c.Timescale != 0 && !(c.Timescale > 0 && c.Timescale <= MaxTimescale) {
		bad("timescale", c.Timescale, fmt.Sprintf("want a positive factor up to %d, like 0.01 to run 100 times faster", MaxTimescale))
	}
	if c.BodyBytes < 0 || c.BodyBytes > MaxBodyBytes {
		bad("body_bytes", c.BodyBytes, fmt.Sprintf("want 0 to %d bytes of padding", MaxBodyBytes))
	}
	return errors.Join(errs...)
}
