package compare

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
)

// Options are the decision thresholds.
type Options struct {
	// Threshold is the smallest relative change of a timing metric's
	// median that counts as a regression or an improvement (0.05 = 5%).
	Threshold float64 `json:"threshold"`
	// Alpha is the significance level of the U test (0.05).
	Alpha float64 `json:"alpha"`
	// OtherScenario allows comparing runs of different scenarios; cells
	// are then matched by strategy and pool alone.
	OtherScenario bool `json:"other_scenario,omitempty"`
}

// ErrOtherScenario is returned by Results for runs of different scenarios
// when Options.OtherScenario is not set.
var ErrOtherScenario = errors.New("the runs are of different scenarios")

// DefaultOptions are a 5% threshold and alpha 0.05.
var DefaultOptions = Options{Threshold: 0.05, Alpha: 0.05}

// Validate reports options out of range.
func (o Options) Validate() error {
	if !(o.Threshold >= 0 && o.Threshold < 10) {
		return fmt.Errorf("threshold %v out of range: want a fraction ≥ 0, e.g. 0.05 for 5%%", o.Threshold)
	}
	if !(o.Alpha > 0 && o.Alpha < 1) {
		return fmt.Errorf("alpha %v out of range: want 0 < alpha < 1, e.g. 0.05", o.Alpha)
	}
	return nil
}

// Verdict is the decision for one row.
type Verdict string

// The verdicts. Regressed, Changed and Missing fail the gate.
const (
	Regressed    Verdict = "regressed"
	Improved     Verdict = "improved"
	Unchanged    Verdict = "~"
	Within       Verdict = "within threshold"
	Inconclusive Verdict = "inconclusive"
	Changed      Verdict = "changed"
	Missing      Verdict = "missing"
	New          Verdict = "new"
	// Bound: the cell measured the harness in one of the runs; not compared.
	Bound Verdict = "harness-bound"
	// NotTimed: every item of the cell failed in one of the runs, so its
	// times are those of failures, not of the service; not compared.
	NotTimed Verdict = "not timed"
	// FewItems: a tail percentile of cells with too few items to have one
	// (a p99 of 12 items is their slowest): not compared, and not
	// undecided either, as the cells' other rows judge them.
	FewItems Verdict = "too few items"
	// Explained: the runs differ beyond the threshold (or, for a count,
	// at all), but both are of the same scenario and every repeat of both
	// falls inside the model's range for it (results.ExplainedByRange: in
	// one of its modes, for a cell whose outcome is not one number). The
	// difference is one the model expects from run to run, not a change
	// of the service; it neither fails nor leaves the report undecided.
	Explained Verdict = "explained by the model"
)

// Fails reports whether a row with this verdict fails the gate.
func (v Verdict) Fails() bool { return v == Regressed || v == Changed || v == Missing }

// Metric describes one compared quantity of a cell.
type Metric struct {
	// Name is short: "wall", "throughput", "p50", "failed"...
	Name string `json:"name"`
	// Unit is what the values are in: "s" (model seconds), "items/s", "".
	Unit string `json:"unit"`
	// Better is -1 when lower is better, +1 when higher is better and 0
	// when any change is bad.
	Better int `json:"better"`
	// Exact metrics are compared exactly, as the worst repeat.
	Exact bool `json:"exact"`
	// tail is the share of items above a latency percentile (0.01 for
	// p99), 0 for other metrics: a cell needs 1/tail items for the
	// percentile to be one (minItems).
	tail  float64
	value func(c *results.Cell) float64
}

// minItems is how many items a cell needs for m to be compared: for a
// tail percentile, enough that some item lies beyond it (100 for p99, 20
// for p95); else 0.
func (m Metric) minItems() int {
	if m.tail <= 0 {
		return 0
	}
	return int(math.Ceil(1/m.tail - 1e-9))
}

// Metrics lists what is compared, in report order.
func Metrics() []Metric { return slices.Clone(metrics) }

var metrics = []Metric{
	{Name: "wall", Unit: "s", Better: -1, value: func(c *results.Cell) float64 { return c.ModelWallSeconds }},
	{Name: "goodput", Unit: "items/s", Better: +1, value: func(c *results.Cell) float64 { return c.Goodput }},
	{Name: "throughput", Unit: "items/s", Better: +1, value: func(c *results.Cell) float64 { return c.Throughput }},
	{Name: "p50", Unit: "s", Better: -1, value: func(c *results.Cell) float64 { return c.Latency.P50 }},
	{Name: "p95", Unit: "s", Better: -1, tail: 0.05, value: func(c *results.Cell) float64 { return c.Latency.P95 }},
	{Name: "p99", Unit: "s", Better: -1, tail: 0.01, value: func(c *results.Cell) float64 { return c.Latency.P99 }},
	{Name: "failed", Better: -1, Exact: true, value: func(c *results.Cell) float64 { return float64(c.Failed) }},
	{Name: "attempts", Better: -1, Exact: true, value: func(c *results.Cell) float64 { return float64(c.Attempts) }},
	{Name: "peak in flight", Better: 0, Exact: true, value: peakInFlight},
}

// peakInFlight is the upstream's peak, or NaN for an external target.
func peakInFlight(c *results.Cell) float64 {
	if c.Upstream == nil {
		return math.NaN()
	}
	return float64(c.Upstream.PeakInFlight)
}

// Key identifies a cell across runs: its group (results.Group), by the
// group's strategy, pool and name.
type Key struct {
	Strategy scenario.Strategy `json:"strategy"`
	Pool     int               `json:"pool"`
	// Name is the group's name (results.Group.Name): "pooled(8)",
	// "adaptive"; it tells apart groups of one strategy and pool.
	Name string `json:"name"`
}

// keyOf is group g's key.
func keyOf(g *results.Group) Key { return Key{g.Strategy, g.Pool, g.Name()} }

// byPool reports whether the key is named by its pool (a cell that records
// one: serial, pooled, workers) rather than by its group's name.
func (k Key) byPool() bool { return k.Pool > 0 }

// String is "pooled/pool=8" for a cell that records a pool, else the
// group's name: "unbounded", "adaptive".
func (k Key) String() string {
	if k.byPool() {
		return fmt.Sprintf("%s/pool=%d", k.Strategy, k.Pool)
	}
	return k.Name
}

// Bench is the key as a sub-benchmark name: "strategy=pooled/pool=8",
// "strategy=adaptive", with the characters the format splits on replaced.
func (k Key) Bench() string {
	if k.byPool() {
		return fmt.Sprintf("strategy=%s/pool=%d", nameSafe(string(k.Strategy)), k.Pool)
	}
	return "strategy=" + nameSafe(k.Name)
}

// Cell is the same as String.
func (k Key) Cell() string { return k.String() }

// Summary summarises one side of a row.
type Summary struct {
	// Center is the median (timing) or the worst repeat (exact).
	Center float64 `json:"center"`
	// Lo and Hi bound the 95% interval of the median (timing, Interval
	// true) or the range of the repeats (exact metrics, and timing ones
	// with too few repeats for an interval).
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
	// Interval says Lo and Hi are a 95% interval of the median.
	Interval bool `json:"interval"`
	// N is the number of repeats.
	N int `json:"n"`
	// Values are the repeats, ascending.
	Values []float64 `json:"values"`
	// Warnings are benchmath's about the summary (an interval that needs
	// more repeats).
	Warnings []string `json:"-"`
}

// Row is one metric of one cell.
type Row struct {
	Key    Key     `json:"cell"`
	Metric Metric  `json:"metric"`
	Old    Summary `json:"old"`
	New    Summary `json:"new"`
	// Delta is new/old − 1 (NaN when old is 0 and new is too, ±Inf when
	// only old is 0).
	Delta float64 `json:"delta"`
	// P is the U test's p-value; NaN for exact metrics.
	P       float64 `json:"p"`
	Verdict Verdict `json:"verdict"`
	// Note explains an inconclusive or changed verdict.
	Note string `json:"note,omitempty"`
}

// Report is the comparison of two runs.
type Report struct {
	Base    string  `json:"base"`
	New     string  `json:"new"`
	Options Options `json:"options"`
	// Scenario is the runs' scenario (the new run's, when they differ).
	Scenario string `json:"scenario"`
	// Scaled says some cell of either run ran at a time scale other than
	// real time: its times are model seconds, not seconds.
	Scaled bool  `json:"scaled"`
	Rows   []Row `json:"rows"`
	// MissingCells are in the base only (they fail the gate); NewCells
	// are in the new run only.
	MissingCells []Key `json:"missing_cells"`
	NewCells     []Key `json:"new_cells"`
	// Warnings say what the reader should know before trusting the result:
	// scenarios that differ, incomplete runs, machines that differ.
	Warnings []string `json:"warnings"`
}

// Failures returns the rows that fail the gate.
func (r *Report) Failures() []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Verdict.Fails() {
			out = append(out, row)
		}
	}
	return out
}

// Failed reports whether the new run fails the gate: a regressed or
// changed row, or a missing cell.
func (r *Report) Failed() bool { return len(r.Failures()) > 0 || len(r.MissingCells) > 0 }

// Inconclusive reports whether some timing row could not be decided: too
// few repeats for the U test, a cell the harness flagged in either run, or
// one whose every item failed.
// The gate cannot then say there is no regression.
func (r *Report) Inconclusive() bool {
	return r.Count(Inconclusive)+r.Count(Bound)+r.Count(NotTimed) > 0
}

// Decided reports whether the report is a verdict the gate may pass on:
// nothing failed and every row was judged.
func (r *Report) Decided() bool { return !r.Failed() && !r.Inconclusive() }

// Count returns how many rows have verdict v.
func (r *Report) Count(v Verdict) int {
	n := 0
	for _, row := range r.Rows {
		if row.Verdict == v {
			n++
		}
	}
	return n
}
