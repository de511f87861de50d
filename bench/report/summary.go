package report

import (
	"errors"
	"fmt"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Stat is one figure of a row: the median over its repeats and the range.
type Stat = results.Stat

// Row is one strategy × pool of a run (a results.Group), summarised over
// its repeats. Every figure comes from results.json.
type Row struct {
	results.Group
	// Repeats is the number of cells summarised.
	Repeats int

	Items, Succeeded, Failed, Attempts Stat
	// Wall is the wall time in model seconds.
	Wall Stat
	// SpeedUp is this row's median goodput over the baseline row's (0
	// without a baseline row, or when the baseline's goodput is 0).
	SpeedUp float64
	// Goodput is succeeded items per model second: what reports rank and
	// show first. Throughput counts every item, failed ones included.
	Throughput, Goodput Stat
	// P50, P95, P99 are item latency percentiles, model seconds.
	P50, P95, P99 Stat

	// Upstream is true when the cells carry the mock's counters.
	Upstream                      bool
	PeakInFlight, Rejected, Reset Stat

	// Predicted is the model's wall time in model seconds and Efficiency
	// predicted / measured (medians; 0 when not predicted).
	Predicted, Efficiency float64
	// Range is the model's range for the row's cells (nil when not
	// predicted): the repeats of a strategy × pool share one prediction.
	Range *results.Interval

	// Harness is true when the cells carry the harness's measure of
	// itself. HarnessError is its estimated share of the wall time,
	// HarnessCPU the share of the machine it used, AddedPerAttempt the
	// wall seconds it added to each attempt (medians; 0 for a cell
	// without them).
	Harness                                   bool
	HarnessError, HarnessCPU, AddedPerAttempt Stat
	// HarnessBound is true when a repeat measured poolbench rather than
	// the upstream (results.Group.Bound); BoundReason is the first such
	// repeat's reason.
	HarnessBound bool
	BoundReason  string
	// Explained names where the first repeat the harness check explained
	// fell (results.Harness.Explained: its answer turns on a few
	// milliseconds and it fell in one of the model's outcomes), e.g.
	// "3.238 s in mode 1 of 2 (3.221 s, odds 41%)"; "" when none was.
	Explained string

	// Scale is the time scale the repeats ran at (factors).
	Scale Stat

	// Interrupted is true when one of the cells was interrupted.
	Interrupted bool
}

// PoolText prints the pool column: the size, or "∞" for unbounded.
func (r *Row) PoolText() string { return r.Strategy.Kind().PoolText(r.Pool, r.Rate) }

// inFlight is the number of items the row's strategy keeps in flight
// whatever the answers (1 for serial and a pool of 1, every item for
// unbounded); fixed is false for a strategy that adapts or follows a
// schedule.
func (r *Row) inFlight() (n int, fixed bool) {
	n, fixed, err := r.Strategy.Kind().Fixed(r.Pool, int(r.Items.Median))
	return n, fixed && err == nil
}

// bounded reports whether the row is a pooled or workers row.
func (r *Row) bounded() bool { return r.Bounded() }

// competes reports whether the row may stand in a headline's claims: its
// strategy competes (Group.Competes) and it is Clean.
func (r *Row) competes() bool { return r.Competes() && r.Clean() }

// mostlyFailed reports whether more than half the row's items failed.
func (r *Row) mostlyFailed() bool { return r.MostlyFailed() }

// failedShare is the median share of failed items (0 without items).
func (r *Row) failedShare() float64 {
	if r.Items.Median <= 0 {
		return 0
	}
	return r.Failed.Median / r.Items.Median
}

// Summary is a run reduced to what reports show: rows, the headline and
// the facts the headline rests on.
type Summary struct {
	Results *results.Results
	// Rows holds one row per strategy × pool, in report order.
	Rows []*Row
	// Serial is the first row whose strategy keeps one item in flight
	// whatever the pool (serial), Unbounded the first that keeps every
	// item in flight (unbounded), as their strategies say
	// (strategy.Kind.Fixed); Best the recommended row (nil when the run
	// has no such row, or when Failing).
	Serial, Best, Unbounded *Row
	// Refs are the rows whose strategy takes no pool (serial, unbounded,
	// adaptive...), in report order: what the pool-axis charts draw
	// across, and the headline's bars beside the baseline and the best.
	Refs []*Row
	// Baseline is what speed-ups are relative to: the first row that
	// keeps one item in flight (serial, else a pool of 1).
	Baseline *Row
	// Cap is the upstream's concurrency cap (0: none or unknown).
	Cap int
	// Recommended is results.Recommend's pick (nil: none).
	Recommended *results.Recommendation
	// Failing is true when every row failed most of its items, or no
	// competing row had an item succeed: the headline says so and claims
	// no best pool and no speed-up.
	Failing bool
	// BoundCells counts the cells the harness flagged as bound.
	BoundCells int
	// Headline is one sentence; Details are further findings, each one
	// sentence.
	Headline string
	Details  []string
	// Repeats is the most repeats of any row.
	Repeats int
	// Predicted is true when any row carries a prediction; Harness when
	// any carries the harness's measure of itself.
	Predicted, Harness bool
}

// ErrNoCells is returned for results without a single cell: there is
// nothing to report.
var ErrNoCells = errors.New("results hold no cells (the run measured nothing)")

// Summarize groups r's cells into rows and computes the headline. The best
// row is results.Recommend's pick, never a harness-bound one; speed-ups
// are goodput ratios.
func Summarize(r *results.Results) (*Summary, error) {
	if r == nil || len(r.Cells) == 0 {
		return nil, ErrNoCells
	}
	s := &Summary{Results: r}
	for _, g := range results.Groups(r.Cells) {
		row := &Row{Group: g}
		fillRow(row, r.Scenario.WithDefaults().ErrorBudget)
		s.Repeats = max(s.Repeats, row.Repeats)
		s.Predicted = s.Predicted || row.Predicted > 0
		s.Harness = s.Harness || row.Harness
		s.Rows = append(s.Rows, row)
	}
	for _, c := range r.Cells {
		if c.Bound() {
			s.BoundCells++
		}
	}
	for _, row := range s.Rows {
		n, fixed := row.inFlight()
		if fixed && n == 1 && s.Baseline == nil {
			s.Baseline = row
		}
		if row.Strategy.Pooled() {
			continue
		}
		s.Refs = append(s.Refs, row)
		switch {
		case fixed && n == 1 && s.Serial == nil:
			s.Serial = row
		case fixed && n > 1 && n >= int(row.Items.Median) && s.Unbounded == nil:
			s.Unbounded = row
		}
	}
	if b := s.Baseline; b != nil && b.Goodput.Median > 0 {
		for _, row := range s.Rows {
			row.SpeedUp = row.Goodput.Median / b.Goodput.Median
		}
	}
	if up := r.Scenario.Upstream; up != nil {
		s.Cap = up.Cap
	}
	s.Failing = s.failing()
	s.Recommended = r.Recommend()
	if rec := s.Recommended; rec != nil && !s.Failing {
		for _, row := range s.Rows {
			if row.Strategy == rec.Strategy && row.Strategy.CellPool(row.Pool) == rec.Pool {
				s.Best = row
			}
		}
	}
	s.Headline, s.Details = s.headline()
	return s, nil
}

// failing reports whether every row failed most of its items, or rows
// compete and none had an item succeed.
func (s *Summary) failing() bool {
	all, competing, succeeded := true, false, false
	for _, row := range s.Rows {
		all = all && row.mostlyFailed()
		if row.competes() {
			competing = true
			succeeded = succeeded || row.Goodput.Median > 0
		}
	}
	return all || (competing && !succeeded)
}

// fillRow computes a row's statistics from its cells; budget is the
// run's error budget, which widens the model's range.
func fillRow(row *Row, budget float64) {
	g := &row.Group
	row.Repeats = len(g.Cells)
	row.Items = g.Stat(func(c *results.Cell) float64 { return float64(c.Items) })
	row.Succeeded = g.Stat(func(c *results.Cell) float64 { return float64(c.Succeeded) })
	row.Failed = g.Stat(func(c *results.Cell) float64 { return float64(c.Failed) })
	row.Attempts = g.Stat(func(c *results.Cell) float64 { return float64(c.Attempts) })
	row.Wall = g.Stat(func(c *results.Cell) float64 { return c.ModelWallSeconds })
	row.Throughput = g.Stat(func(c *results.Cell) float64 { return c.Throughput })
	row.Goodput = g.Stat(func(c *results.Cell) float64 { return c.Goodput })
	row.P50 = g.Stat(func(c *results.Cell) float64 { return c.Latency.P50 })
	row.P95 = g.Stat(func(c *results.Cell) float64 { return c.Latency.P95 })
	row.P99 = g.Stat(func(c *results.Cell) float64 { return c.Latency.P99 })
	row.Scale = g.Stat(func(c *results.Cell) float64 { return c.Timescale.Factor() })
	row.Interrupted = g.Interrupted()
	row.HarnessBound = g.Bound()
	for _, c := range g.Cells {
		row.Upstream = row.Upstream || c.Upstream != nil
		row.Harness = row.Harness || c.Harness != nil
		if c.Bound() && row.BoundReason == "" {
			row.BoundReason = c.Harness.Reason
		}
		if c.Harness != nil && c.Harness.Explained != "" && c.Interval != nil && row.Explained == "" {
			row.Explained = fmt.Sprintf("%s %s", seconds(c.ModelWallSeconds), c.Interval.Describe(c.ModelWallSeconds, budget))
		}
	}
	if row.Upstream {
		up := func(f func(c *upstream.Counters) int64) Stat {
			return g.Stat(func(c *results.Cell) float64 {
				if c.Upstream == nil {
					return 0
				}
				return float64(f(c.Upstream))
			})
		}
		row.PeakInFlight = up(func(c *upstream.Counters) int64 { return c.PeakInFlight })
		row.Rejected = up(func(c *upstream.Counters) int64 { return c.Rejected })
		row.Reset = up(func(c *upstream.Counters) int64 { return c.Reset })
	}
	if row.Harness {
		h := func(f func(h *results.Harness) float64) Stat {
			return g.Stat(func(c *results.Cell) float64 {
				if c.Harness == nil {
					return 0
				}
				return f(c.Harness)
			})
		}
		row.HarnessError = h(func(h *results.Harness) float64 { return h.Error })
		row.HarnessCPU = h(func(h *results.Harness) float64 { return h.CPU })
		row.AddedPerAttempt = h(func(h *results.Harness) float64 { return h.AddedPerAttempt })
	}
	row.Predicted = g.Median(func(c *results.Cell) float64 { return c.PredictedWallSeconds })
	for _, c := range g.Cells {
		if c.Interval != nil {
			row.Range = c.Interval
			break
		}
	}
	row.Efficiency = g.Median(func(c *results.Cell) float64 { return c.Efficiency })
}

// scales returns the smallest and largest time scale the cells ran at.
func (s *Summary) scales() (lo, hi upstream.Scale) {
	for i, c := range s.Results.Cells {
		f := upstream.Scale(c.Timescale.Factor())
		if i == 0 || f < lo {
			lo = f
		}
		hi = max(hi, f)
	}
	return lo, hi
}

// mixedScales reports whether the cells ran at different time scales.
func (s *Summary) mixedScales() bool {
	lo, hi := s.scales()
	return lo != hi
}

// realTime reports whether every cell ran in real time: times are then
// plain seconds.
func (s *Summary) realTime() bool {
	lo, hi := s.scales()
	return lo == hi && lo == upstream.RealTime
}

// secondsWord names the unit of every time the report shows: "seconds"
// for a run in real time, else "model seconds".
func (s *Summary) secondsWord() string {
	if s.realTime() {
		return "seconds"
	}
	return "model seconds"
}

// perSecond names the unit of every rate: "per second" for a run in real
// time, else "per model second".
func (s *Summary) perSecond() string {
	if s.realTime() {
		return "per second"
	}
	return "per model second"
}

// timeUnits says what the times are in: seconds for a run in real time,
// model seconds and the scale (or the range of per-cell scales) otherwise.
func (s *Summary) timeUnits() string {
	lo, hi := s.scales()
	switch {
	case lo == hi && lo == upstream.RealTime:
		return "times in seconds (run in real time)"
	case lo == hi:
		return fmt.Sprintf("times in model seconds (run at %s)", lo)
	}
	return fmt.Sprintf("times in model seconds (each cell at its own time scale, %s to %s)", lo, hi)
}
