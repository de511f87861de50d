package report

import (
	"errors"
	"fmt"
	"strings"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
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
	// SpeedUp is the baseline row's median wall time over this row's (0
	// without a baseline row).
	SpeedUp float64
	// Throughput is items per model second; Goodput succeeded items per
	// model second.
	Throughput, Goodput Stat
	// P50, P95, P99 are item latency percentiles, model seconds.
	P50, P95, P99 Stat

	// Upstream is true when the cells carry the mock's counters.
	Upstream                      bool
	PeakInFlight, Rejected, Reset Stat

	// Predicted is the model's wall time in model seconds and Efficiency
	// predicted / measured (medians; 0 when not predicted).
	Predicted, Efficiency float64

	// Interrupted is true when one of the cells was interrupted.
	Interrupted bool
}

// PoolText prints the pool column: the size, or "∞" for unbounded.
func (r *Row) PoolText() string {
	if r.Pool == 0 {
		return "∞"
	}
	return fmt.Sprint(r.Pool)
}

// bounded reports whether the row is a pooled or workers row.
func (r *Row) bounded() bool { return r.Bounded() }

// Summary is a run reduced to what reports show: rows, the headline and
// the facts the headline rests on.
type Summary struct {
	Results *results.Results
	// Rows holds one row per strategy × pool, in report order.
	Rows []*Row
	// Serial, Best and Unbounded are the rows the headline compares (nil
	// when the run has no such row). Best is the recommended bounded row.
	Serial, Best, Unbounded *Row
	// Baseline is what speed-ups are relative to: the serial row, or
	// without one a bounded row of pool 1 (one request at a time too).
	Baseline *Row
	// Cap is the upstream's concurrency cap (0: none or unknown).
	Cap int
	// Recommended is results.Recommend's pick (nil: none).
	Recommended *results.Recommendation
	// Headline is one sentence; Details are further findings, each one
	// sentence.
	Headline string
	Details  []string
	// Repeats is the most repeats of any row.
	Repeats int
	// Predicted is true when any row carries a prediction.
	Predicted bool
}

// ErrNoCells is returned for results without a single cell: there is
// nothing to report.
var ErrNoCells = errors.New("results hold no cells (the run measured nothing)")

// Summarize groups r's cells into rows and computes the headline.
func Summarize(r *results.Results) (*Summary, error) {
	if r == nil || len(r.Cells) == 0 {
		return nil, ErrNoCells
	}
	s := &Summary{Results: r}
	for _, g := range results.Groups(r.Cells) {
		row := &Row{Group: g}
		fillRow(row)
		s.Repeats = max(s.Repeats, row.Repeats)
		if row.Predicted > 0 {
			s.Predicted = true
		}
		s.Rows = append(s.Rows, row)
	}
	for _, row := range s.Rows {
		switch {
		case row.Strategy == scenario.Serial && s.Serial == nil:
			s.Serial = row
		case row.Strategy == scenario.Unbounded && s.Unbounded == nil:
			s.Unbounded = row
		}
	}
	s.Baseline = s.Serial
	if s.Baseline == nil {
		for _, row := range s.Rows {
			if row.bounded() && row.Pool == 1 {
				s.Baseline = row
				break
			}
		}
	}
	if s.Baseline != nil {
		for _, row := range s.Rows {
			if row.Wall.Median > 0 {
				row.SpeedUp = s.Baseline.Wall.Median / row.Wall.Median
			}
		}
	}
	if up := r.Scenario.Upstream; up != nil {
		s.Cap = up.Cap
	}
	s.Recommended = results.Recommend(r.Cells)
	if rec := s.Recommended; rec != nil {
		for _, row := range s.Rows {
			if row.Strategy == rec.Strategy && row.Strategy.CellPool(row.Pool) == rec.Pool {
				s.Best = row
			}
		}
	}
	s.Headline, s.Details = s.headline()
	return s, nil
}

// fillRow computes a row's statistics from its cells.
func fillRow(row *Row) {
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
	row.Interrupted = g.Interrupted()
	for _, c := range g.Cells {
		row.Upstream = row.Upstream || c.Upstream != nil
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
	row.Predicted = g.Median(func(c *results.Cell) float64 { return c.PredictedWallSeconds })
	row.Efficiency = g.Median(func(c *results.Cell) float64 { return c.Efficiency })
}

// headline computes the headline sentence and further findings.
func (s *Summary) headline() (string, []string) {
	var parts []string
	best, serial := s.Best, s.Baseline
	switch {
	case serial != nil && best != nil && serial != best:
		h := fmt.Sprintf("%s %s → %s %s: %s faster", serial.Name(), seconds(serial.Wall.Median), best.Name(),
			seconds(best.Wall.Median), speedText(best.SpeedUp))
		parts = append(parts, h)
	case best != nil:
		parts = append(parts, fmt.Sprintf("best pool: %s %s (%s items/s)", best.Name(),
			seconds(best.Wall.Median), rate(best.Throughput.Median)))
	case serial != nil:
		parts = append(parts, fmt.Sprintf("serial %s (%s items/s)", seconds(serial.Wall.Median), rate(serial.Throughput.Median)))
	}
	if best != nil {
		if t := s.beyondBest(); t != "" {
			parts = append(parts, t)
		}
	}
	var details []string
	if u := s.Unbounded; u != nil {
		details = append(details, s.unboundedText(u))
	}
	if !s.Results.Complete {
		details = append(details, "The run was interrupted: the figures cover only the cells measured.")
	}
	if rec := s.Recommended; rec != nil && best != nil {
		details = append(details, "Recommended: "+strings.TrimSuffix(rec.Reason, ".")+".")
	}
	if len(parts) == 0 {
		u := s.Rows[0]
		return fmt.Sprintf("%s %s (%s items/s)", u.Name(), seconds(u.Wall.Median), rate(u.Throughput.Median)), details
	}
	return strings.Join(parts, "; "), details
}

// speedText prints a speed-up in words.
func speedText(v float64) string {
	if v >= 1 {
		return times(v)
	}
	if v > 0 {
		return times(v) + " (slower)"
	}
	return "–"
}

// capText names the upstream cap and what it does with the excess.
func (s *Summary) capText() string {
	if s.Cap <= 0 {
		return ""
	}
	up := s.Results.Scenario.Upstream
	switch up.Overflow {
	case "reject":
		status := up.RejectStatus
		if status == 0 {
			status = 503
		}
		return fmt.Sprintf("upstream cap %d, excess rejected with %d", s.Cap, status)
	case "reset":
		return fmt.Sprintf("upstream cap %d, excess reset", s.Cap)
	}
	return fmt.Sprintf("upstream cap %d", s.Cap)
}

// beyondBest says what bigger pools than the best one bought.
func (s *Summary) beyondBest() string {
	best := s.Best
	var bigger []*Row
	for _, row := range s.Rows {
		if row.bounded() && row.Pool > best.Pool {
			bigger = append(bigger, row)
		}
	}
	if len(bigger) == 0 {
		return ""
	}
	faster, failing := 0.0, 0.0
	var fastest, worst *Row
	for _, row := range bigger {
		if g := row.Goodput.Median/best.Goodput.Median - 1; g > faster {
			faster, fastest = g, row
		}
		if f := row.Failed.Median - best.Failed.Median; f > failing {
			failing, worst = f, row
		}
	}
	suffix := ""
	if c := s.capText(); c != "" {
		suffix = " (" + c + ")"
	}
	switch {
	case faster >= 0.05:
		return fmt.Sprintf("%s is %.0f%% faster still%s", fastest.Name(), faster*100, suffix)
	case worst != nil:
		return fmt.Sprintf("bigger pools only add failures, up to %s of %s items for %s%s", thousands(worst.Failed.Median),
			thousands(worst.Items.Median), worst.Name(), suffix)
	}
	return fmt.Sprintf("pools above %d gain nothing%s", best.Pool, suffix)
}

// unboundedText describes what the unbounded client paid.
func (s *Summary) unboundedText(u *Row) string {
	t := fmt.Sprintf("Unbounded: %s", seconds(u.Wall.Median))
	if s.Baseline != nil && u.SpeedUp > 0 && u.Failed.Median == 0 {
		t += fmt.Sprintf(" (%s vs %s)", times(u.SpeedUp), s.Baseline.Name())
	}
	var paid []string
	if u.Failed.Median > 0 {
		paid = append(paid, fmt.Sprintf("%s of %s items failed", thousands(u.Failed.Median), thousands(u.Items.Median)))
	}
	if r := u.Attempts.Median - u.Items.Median; r > 0 {
		paid = append(paid, fmt.Sprintf("%s retries", thousands(r)))
	}
	if u.Upstream && u.Rejected.Median > 0 {
		paid = append(paid, fmt.Sprintf("%s rejected by the upstream", thousands(u.Rejected.Median)))
	}
	paid = append(paid, fmt.Sprintf("item latency p50 %s, p99 %s", seconds(u.P50.Median), seconds(u.P99.Median)))
	if s.Best != nil && s.Best.P99.Median > 0 && u.P99.Median > 2*s.Best.P99.Median {
		paid[len(paid)-1] += fmt.Sprintf(" vs %s for %s", seconds(s.Best.P99.Median), s.Best.Name())
	}
	return t + ": " + strings.Join(paid, ", ") + "."
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
