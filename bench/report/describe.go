package report

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Describe says in words what a scenario runs: items and time scale, the
// upstream, the client and the sweep, one sentence each.
func Describe(sc scenario.Scenario) []string {
	var out []string
	ts := sc.Timescale
	switch {
	case ts.Auto:
		out = append(out, fmt.Sprintf("Each cell sends %s items, each cell at the fastest time scale at which the harness stays within its error budget (timescale auto): every duration is multiplied by that scale at run time, and the report divides measured times back into model seconds.",
			thousands(float64(sc.Items))))
	case ts.Fixed.Factor() == 1:
		out = append(out, fmt.Sprintf("Each cell sends %s items, in real time.", thousands(float64(sc.Items))))
	default:
		out = append(out, fmt.Sprintf("Each cell sends %s items, run at %s: every duration is multiplied by %s at run time, and the report divides measured times back into model seconds.",
			thousands(float64(sc.Items)), ts.Fixed, strconv.FormatFloat(ts.Fixed.Factor(), 'g', -1, 64)))
	}
	switch {
	case sc.Upstream != nil:
		out = append(out, upstreamText(sc))
	case sc.Target != nil:
		m := sc.Target.Method
		if m == "" {
			m = "GET"
		}
		what := m + " " + sc.Target.URL
		if sc.Target.Targets != "" {
			what = fmt.Sprintf("each item its own request from %s (vegeta's %s format)", filepath.Base(sc.Target.Targets), sc.Target.Format)
		}
		if sc.Target.HTTP == 2 {
			what += ", over HTTP/2"
		}
		out = append(out, fmt.Sprintf("Upstream: an external target, %s.", what))
	}
	out = append(out, clientText(sc.Client))
	if t := fleetDescription(sc.ClientCount()); t != "" {
		out = append(out, t)
	}
	out = append(out, sweepText(sc.Sweep))
	return out
}

func upstreamText(sc scenario.Scenario) string {
	u := sc.Upstream.WithDefaults()
	t := fmt.Sprintf("Upstream: the embedded mock on 127.0.0.1, latency %s", u.Latency)
	if u.Cap > 0 {
		t += fmt.Sprintf(", serving at most %d requests at once", u.Cap)
		switch u.Overflow {
		case upstream.OverflowReject:
			t += fmt.Sprintf(" and rejecting the excess with %d and Retry-After %s", u.RejectStatus, u.RetryAfter.D())
		case upstream.OverflowReset:
			t += " and resetting the connection of the excess"
		default:
			t += " while the excess waits in its queue"
			if u.QueueLimit > 0 {
				t += fmt.Sprintf(" (at most %d)", u.QueueLimit)
			}
		}
	} else {
		t += ", without a concurrency cap"
	}
	if u.Contention > 0 {
		t += fmt.Sprintf("; each request is %.1f%% slower per other request in service", u.Contention*100)
	}
	var faults []string
	if u.ErrorRate > 0 {
		faults = append(faults, fmt.Sprintf("%s answered %d", pct(u.ErrorRate), u.ErrorStatus))
	}
	if u.ResetRate > 0 {
		faults = append(faults, pct(u.ResetRate)+" reset")
	}
	if u.StallRate > 0 {
		faults = append(faults, pct(u.StallRate)+" stalled")
	}
	if len(faults) > 0 {
		t += "; of admitted requests, " + strings.Join(faults, ", ")
	}
	return t + "."
}

// pct prints a rate as a percentage with up to two decimals: "2%", "0.5%".
func pct(v float64) string {
	return strconv.FormatFloat(v*100, 'f', -1, 64) + "%"
}

func clientText(c scenario.Client) string {
	conn := "keep-alive connections"
	if c.KeepAlive != nil && !*c.KeepAlive {
		conn = "a new connection per request"
	}
	t := "Client: " + conn
	if c.Timeout > 0 {
		t += fmt.Sprintf(", timeout %s per attempt", c.Timeout.D())
	}
	r := c.Retry
	attempts := r.MaxAttempts
	if attempts == 0 {
		attempts = 4
	}
	if attempts == 1 {
		return t + ", no retries."
	}
	on := r.On
	if len(on) == 0 {
		on = []string{"5xx", "429", "connect", "timeout"}
	}
	t += fmt.Sprintf(", up to %d attempts per item, retrying on %s", attempts, strings.Join(on, ", "))
	switch r.Backoff {
	case "constant":
		t += fmt.Sprintf(" after %s", r.Base.D())
	case "exponential":
		t += fmt.Sprintf(" with exponential backoff and full jitter (from %s", r.Base.D())
		if r.Max > 0 {
			t += fmt.Sprintf(", at most %s", r.Max.D())
		}
		t += ")"
	default:
		t += " at once"
	}
	if r.RetryAfter {
		t += ", honouring Retry-After"
	}
	return t + "."
}

func sweepText(sw scenario.Sweep) string {
	var st []string
	for _, s := range sw.Strategies {
		st = append(st, string(s))
	}
	var pools []string
	for _, p := range sw.PoolSizes {
		pools = append(pools, strconv.Itoa(p))
	}
	rep := max(1, sw.Repeats)
	plural := "s"
	if rep == 1 {
		plural = ""
	}
	t := fmt.Sprintf("Sweep: %s at pool sizes %s; %d repeat%s of each cell", strings.Join(st, ", "), strings.Join(pools, ", "), rep, plural)
	if sw.Parallel > 1 {
		t += fmt.Sprintf("; %d cells at a time, each against a mock of its own", sw.Parallel)
	}
	return t + "."
}
