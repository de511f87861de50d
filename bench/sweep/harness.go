package sweep

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/mocksrv"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// harnessWatch is the harness's self-measurement of one cell: what it
// reads at the cell's start, to difference at its end.
type harnessWatch struct {
	cpu0  time.Duration
	wall0 time.Time
}

func watchHarness() *harnessWatch {
	return &harnessWatch{cpu0: processCPU(), wall0: time.Now()}
}

// measure is what the harness measured of itself during cell c, run by r;
// st is the cell's mock's stats (nil for an external target).
func (w *harnessWatch) measure(c *results.Cell, r *cellRun, st *mocksrv.Stats) *results.Harness {
	wall := time.Since(w.wall0)
	h := &results.Harness{}
	if wall > 0 {
		h.CPU = (processCPU() - w.cpu0).Seconds() / wall.Seconds() / float64(runtime.NumCPU())
	}
	if n := r.waits.Load(); n > 0 {
		h.WaitLateness = time.Duration(r.waitsLate.Load() / n).Seconds()
	}
	if st != nil && c.Attempts > 0 {
		h.AddedPerAttempt = (time.Duration(r.attemptTime.Load()).Seconds() - busy(*st)) / float64(c.Attempts)
		h.UpstreamLateness = st.Lateness.Mean
	}
	return h
}

// overheadOf is the overhead the harness measured of itself in a cell, in
// model time at scale s: per attempt, per answer, per wait (a measurement
// below zero counts as none).
func overheadOf(h *results.Harness, s upstream.Scale) model.Overhead {
	m := func(wall float64) time.Duration { return s.Model(seconds(max(wall, 0))) }
	return model.Overhead{RoundTrip: m(h.AddedPerAttempt), Service: m(h.UpstreamLateness), Wait: m(h.WaitLateness)}
}

// worst is the error the rule holds to the budget: the estimate, or half
// the sensitivity (the largest change under up to twice the overhead),
// whichever is larger. Where the wall time grows smoothly with the
// overhead the two agree; where it jumps within twice the measured
// overhead (the cell's answer turns on a few milliseconds) the second
// catches it.
func worst(e model.HarnessEstimate) float64 { return max(e.Error, e.Sensitivity/2) }

// smooth reports whether the wall time grows with the overhead as a
// steady cost does: twice the overhead, about twice the error.
func smooth(e model.HarnessEstimate) bool {
	return e.Error > 0 && e.Sensitivity >= 1.6*e.Error && e.Sensitivity <= 2.4*e.Error
}

// maxCPU is the share of the machine above which a cell is bound whatever
// its estimated error: the harness was short of CPU, and its wake-ups and
// round trips waited on each other in ways no average shows.
const maxCPU = 0.9

// ruling is what the rule reads of a cell besides its harness figures.
type ruling struct {
	budget   float64
	scale    upstream.Scale
	external bool
	// fdLimit counts the attempts that could not connect for want of a
	// file descriptor.
	fdLimit int
	// failedAll: every attempt failed (no 2xx answer), the outcomes as
	// "40 connect"; "" when some attempt succeeded.
	failedAll string
	// unestimated says why the model could not estimate the cell (nil
	// when it did, or when there is no model).
	unestimated error
	// interval is the model's range for the cell (nil: none), and wall
	// the cell's measured model wall time.
	interval *results.Interval
	wall     float64
	// open: a rate cell, whose schedule sets its wall time; the harness's
	// share is of its items' latency (model.HarnessEstimate).
	open bool
	// why says what makes the cell's answer turn on a few milliseconds
	// (turnsOn), for the reason; "" says nothing of it.
	why string
}

// measured names what the harness's share is of.
func (r ruling) measured() string {
	if r.open {
		return "its items' mean latency (the schedule sets a rate cell's wall time)"
	}
	return "the cell's wall time"
}

// judge applies the rule to a measured cell: it is bound when attempts ran
// out of file descriptors (the cause of whatever else was measured), when
// the model could not estimate it, when the process used more than maxCPU
// of the machine, or when the estimated harness error (worst) is above
// budget — except a cell whose answer turns on a few milliseconds (not a
// steady cost) and whose wall time fell in one of the outcomes the model
// predicts for it, widened by the budget (results.Interval.Explain):
// Explained then names it. Reason says why a cell is bound, with the
// remedy. An external target that failed every attempt is never bound for
// want of time: there is no answer of the service's to time, and its
// failures are its own (Note says so); they are counted and compared
// exactly.
func judge(h *results.Harness, r ruling) {
	e := model.HarnessEstimate{Error: h.Error, Sensitivity: h.Sensitivity}
	switch {
	case r.fdLimit > 0:
		h.Bound = true
		h.Reason = fmt.Sprintf("%d attempts could not connect: %s", r.fdLimit, fdLimitHint())
	case r.external && r.failedAll != "":
		h.Note = fmt.Sprintf("the service failed every attempt (%s): no answer of its to time, so the harness's share was not checked; the failures are the service's", r.failedAll)
	case r.unestimated != nil:
		h.Bound = true
		h.Reason = fmt.Sprintf("the model could not estimate the harness's share of the cell (%v) with the overhead measured, %s per attempt at %s: treat its figures as unchecked, and run it at a slower time scale",
			r.unestimated, fmtSeconds(h.AddedPerAttempt), r.scale)
	case h.CPU > maxCPU:
		h.Bound = true
		h.Reason = fmt.Sprintf("poolbench used %.0f%% of the machine's CPU during the cell: run it with fewer cells in parallel or fewer requests in flight", 100*h.CPU)
	case worst(e) <= r.budget:
	case r.external:
		h.Bound = true
		h.Reason = fmt.Sprintf("the harness's own time per attempt (about %s) is %.1f%% of the cell's wall time, above the %.0f%% budget: the target is too fast for the harness to time, or the pool too large for this machine",
			fmtSeconds(h.AddedPerAttempt), 100*h.Error, 100*r.budget)
	case smooth(e):
		h.Bound = true
		h.Reason = fmt.Sprintf("the harness added about %.1f%% to %s (%s per attempt, answers %s late, waits %s late, at %s), above the %.0f%% budget: run it at a slower time scale (timescale auto picks one) or with fewer cells in parallel",
			100*h.Error, r.measured(), fmtSeconds(h.AddedPerAttempt), fmtSeconds(h.UpstreamLateness), fmtSeconds(h.WaitLateness), r.scale, 100*r.budget)
	case r.interval != nil && r.interval.Explain(r.wall, r.budget).OK:
		h.Explained = fmt.Sprintf("the cell's answer turns on a few milliseconds (the model's wall time changes by up to %.0f%% under half to twice the harness's overhead); the model predicts %s, and the %.4g s measured is %s",
			100*h.Sensitivity, r.interval.RangeText(), r.wall, r.interval.Describe(r.wall, r.budget))
	default:
		h.Bound = true
		h.Reason = fmt.Sprintf("the cell's answer turns on a few milliseconds: under half to twice the overhead the harness measured (%s per attempt, at %s) the model's wall time changes by up to %.0f%% (%.1f%% at the measured overhead)%s: read its figures as one draw of several possible",
			fmtSeconds(h.AddedPerAttempt), r.scale, 100*h.Sensitivity, 100*h.Error, r.why)
		if r.interval != nil {
			h.Reason += fmt.Sprintf("; the %.4g s measured is %s of the model's %s", r.wall, r.interval.Describe(r.wall, r.budget), r.interval.RangeText())
		}
	}
}

// externalError is the harness error of a cell against an external
// target, which has no model: the attempts of a lane follow each other,
// each carrying the client's half of the calibrated round trip (the other
// half is the server's own wake-up and reading, which any client of it
// pays) — the busy one for attempts a millisecond or less apart, the idle
// one from ten, in between a mix — stretched by the CPU load the cell put
// on the machine; their sum over the cell's wall time, at most all of it.
// A server that queues hides some of it, so this errs on the side of
// flagging.
func externalError(c *results.Cell, h *results.Harness, cal Calibration) float64 {
	if c.WallSeconds <= 0 || c.Attempts == 0 {
		return 0
	}
	conc, fixed, err := c.Strategy.Kind().Fixed(c.Pool, c.Items)
	switch {
	case fixed && err == nil:
	case c.Limit != nil && c.Limit.Mean > 0:
		conc = int(math.Ceil(c.Limit.Mean)) // an adaptive limit: its mean
	default:
		conc = c.Items // unknown: as many lanes as items, as unbounded
	}
	lanes := float64(min(max(conc, 1), c.Attempts))
	perAttempt := c.WallSeconds * lanes / float64(c.Attempts) // a lane's time per attempt
	idleShare := math.Min(math.Max((perAttempt-busyBelow.Seconds())/(idleFrom-busyBelow).Seconds(), 0), 1)
	rt := (cal.BusyRoundTrip.Seconds() + idleShare*(cal.RoundTrip-cal.BusyRoundTrip).Seconds()) / 2
	added := math.Min(rt/(1-math.Min(h.CPU, maxLoad)), perAttempt)
	h.AddedPerAttempt = added
	return added / perAttempt
}

// Between busyBelow and idleFrom of a lane's time per attempt, an external
// target's cell is charged a mix of the busy and the idle round trip.
const (
	busyBelow = time.Millisecond
	idleFrom  = 10 * time.Millisecond
)

// fmtSeconds prints wall seconds for a reason: "0.31 ms", "12 µs".
func fmtSeconds(s float64) string {
	switch {
	case s >= 1:
		return fmt.Sprintf("%.2f s", s)
	case s >= 1e-3:
		return fmt.Sprintf("%.2f ms", s*1e3)
	}
	return fmt.Sprintf("%.0f µs", s*1e6)
}

// seconds converts wall seconds to a Duration.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// failedEvery describes the outcomes of a cell none of whose attempts
// succeeded ("40 connect", "12 500, 3 reset", most first), or is "" when
// some attempt got a 2xx answer or there was none.
func failedEvery(outcomes map[string]int) string {
	keys := make([]string, 0, len(outcomes))
	for k, n := range outcomes {
		if code, err := strconv.Atoi(k); err == nil && code >= 200 && code < 300 && n > 0 {
			return ""
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if outcomes[a] != outcomes[b] {
			return outcomes[b] - outcomes[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", outcomes[k], k)
	}
	return strings.Join(parts, ", ")
}
