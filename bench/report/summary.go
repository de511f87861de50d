package report

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/poolbench/poolbench/bench"
)

// Stat is one figure of a row: the median over the row's repeats, and the
// smallest and largest value seen.
type Stat struct {
	Median, Min, Max float64
}

// Spread reports whether the repeats disagree.
func (s Stat) Spread() bool { return s.Min != s.Max }

// statOf summarises values (at least one).
func statOf(values []float64) Stat {
	v := slices.Clone(values)
	slices.Sort(v)
	n := len(v)
	med := v[n/2]
	if n%2 == 0 {
		med = (v[n/2-1] + v[n/2]) / 2
	}
	return Stat{Median: med, Min: v[0], Max: v[n-1]}
}

// Row is one strategy × pool of a run, summarised over its repeats. Every
// figure comes from results.json.
type Row struct {
	Strategy bench.Strategy
	// Pool is the concurrency limit: 1 for serial, 0 for unbounded.
	Pool int
	// Repeats is the number of cells summarised.
	Repeats int

	Items, Succeeded, Failed, Attempts Stat
	// Wall is the wall time in model seconds.
	Wall Stat
	// SpeedUp is the serial row's median wall time over this row's (0
	// without a serial row).
	SpeedUp float64
	// Throughput is items per model second.
	Throughput Stat
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
	// Cells are the row's cells, in results.json order.
	Cells []bench.Cell
}

// Name is the row's short name: "serial", "pooled(8)", "unbounded".
func (r *Row) Name() string {
	if r.Strategy == bench.Serial || r.Pool == 0 {
		return string(r.Strategy)
	}
	return fmt.Sprintf("%s(%d)", r.Strategy, r.Pool)
}

// PoolText prints the pool column: the size, or "∞" for unbounded.
func (r *Row) PoolText() string {
	if r.Pool == 0 {
		return "∞"
	}
	return fmt.Sprint(r.Pool)
}

// bounded reports whether the row is a pooled or workers row.
func (r *Row) bounded() bool {
	return (r.Strategy == bench.Pooled || r.Strategy == bench.Workers) && r.Pool > 0
}

// strategyRank orders strategies as bench.Strategies does, unknown ones
// after them.
func strategyRank(s bench.Strategy) int {
	if i := slices.Index(bench.Strategies, s); i >= 0 {
		return i
	}
	return len(bench.Strategies)
}

// compareRows orders rows by strategy, then pool (unbounded last).
func compareRows(a, b *Row) int {
	if c := cmp.Compare(strategyRank(a.Strategy), strategyRank(b.Strategy)); c != 0 {
		return c
	}
	if c := strings.Compare(string(a.Strategy), string(b.Strategy)); c != 0 {
		return c
	}
	pa, pb := a.Pool, b.Pool
	if pa == 0 {
		pa = int(^uint(0) >> 1)
	}
	if pb == 0 {
		pb = int(^uint(0) >> 1)
	}
	return cmp.Compare(pa, pb)
}

// Summary is a run reduced to what reports show: rows, the headline and
// the facts the headline rests on.
type Summary struct {
	Results *bench.Results
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
func Summarize(r *bench.Results) (*Summary, error) {
	if r == nil || len(r.Cells) == 0 {
		return nil, ErrNoCells
	}
	type key struct {
		s bench.Strategy
		p int
	}
	byKey := map[key]*Row{}
	var rows []*Row
	for _, c := range r.Cells {
		k := key{c.Strategy, c.Pool}
		row := byKey[k]
		if row == nil {
			row = &Row{Strategy: c.Strategy, Pool: c.Pool}
			byKey[k] = row
			rows = append(rows, row)
		}
		row.Cells = append(row.Cells, c)
	}
	s := &Summary{Results: r}
	for _, row := range rows {
		fillRow(row)
		s.Repeats = max(s.Repeats, row.Repeats)
		if row.Predicted > 0 {
			s.Predicted = true
		}
	}
	slices.SortStableFunc(rows, compareRows)
	s.Rows = rows
	for _, row := range rows {
		switch {
		case row.Strategy == bench.Serial && s.Serial == nil:
			s.Serial = row
		case row.Strategy == bench.Unbounded && s.Unbounded == nil:
			s.Unbounded = row
		}
	}
	s.Baseline = s.Serial
	if s.Baseline == nil {
		for _, row := range rows {
			if row.bounded() && row.Pool == 1 {
				s.Baseline = row
				break
			}
		}
	}
	if s.Baseline != nil {
		for _, row := range rows {
			if row.Wall.Median > 0 {
				row.SpeedUp = s.Baseline.Wall.Median / row.Wall.Median
			}
		}
	}
	if up := r.Scenario.Upstream; up != nil {
		s.Cap = up.Cap
	}
	s.Best = s.best()
	s.Headline, s.Details = s.headline()
	return s, nil
}

// fillRow computes a row's statistics from its cells.
func fillRow(row *Row) {
	n := len(row.Cells)
	row.Repeats = n
	col := func(f func(c *bench.Cell) float64) Stat {
		v := make([]float64, n)
		for i := range row.Cells {
			v[i] = f(&row.Cells[i])
		}
		return statOf(v)
	}
	row.Items = col(func(c *bench.Cell) float64 { return float64(c.Items) })
	row.Succeeded = col(func(c *bench.Cell) float64 { return float64(c.Succeeded) })
	row.Failed = col(func(c *bench.Cell) float64 { return float64(c.Failed) })
	row.Attempts = col(func(c *bench.Cell) float64 { return float64(c.Attempts) })
	row.Wall = col(func(c *bench.Cell) float64 { return c.ModelWallSeconds })
	row.Throughput = col(func(c *bench.Cell) float64 { return c.Throughput })
	row.P50 = col(func(c *bench.Cell) float64 { return c.Latency.P50 })
	row.P95 = col(func(c *bench.Cell) float64 { return c.Latency.P95 })
	row.P99 = col(func(c *bench.Cell) float64 { return c.Latency.P99 })
	for _, c := range row.Cells {
		if c.Upstream != nil {
			row.Upstream = true
		}
		if c.Interrupted {
			row.Interrupted = true
		}
	}
	if row.Upstream {
		up := func(f func(c *bench.Cell) int64) Stat {
			return col(func(c *bench.Cell) float64 {
				if c.Upstream == nil {
					return 0
				}
				return float64(f(c))
			})
		}
		row.PeakInFlight = up(func(c *bench.Cell) int64 { return c.Upstream.PeakInFlight })
		row.Rejected = up(func(c *bench.Cell) int64 { return c.Upstream.Rejected })
		row.Reset = up(func(c *bench.Cell) int64 { return c.Upstream.Reset })
	}
	row.Predicted = col(func(c *bench.Cell) float64 { return c.PredictedWallSeconds }).Median
	row.Efficiency = col(func(c *bench.Cell) float64 { return c.Efficiency }).Median
}

// best returns the recommended bounded row: Results.Recommended when the
// model set it and the run has that row, otherwise the smallest pool
// within 5% of the best bounded throughput without extra failures (the
// model's own rule).
func (s *Summary) best() *Row {
	if rec := s.Results.Recommended; rec != nil {
		for _, row := range s.Rows {
			if row.Strategy == rec.Strategy && row.Pool == rec.Pool {
				return row
			}
		}
	}
	var bounded []*Row
	for _, row := range s.Rows {
		if row.bounded() && !row.Interrupted {
			bounded = append(bounded, row)
		}
	}
	if len(bounded) == 0 {
		return nil
	}
	minFailed := bounded[0].Failed.Median
	for _, row := range bounded {
		minFailed = min(minFailed, row.Failed.Median)
	}
	bestGP := 0.0
	for _, row := range bounded {
		if row.Failed.Median <= minFailed {
			bestGP = max(bestGP, row.Goodput())
		}
	}
	var pick *Row
	for _, row := range bounded {
		if row.Goodput() < 0.95*bestGP || row.Failed.Median > minFailed {
			continue
		}
		if pick == nil || row.Pool < pick.Pool {
			pick = row
		}
	}
	return pick
}

// Goodput is the row's median succeeded items per model second of wall
// time: throughput that does not count failing fast as progress.
func (r *Row) Goodput() float64 {
	if r.Wall.Median <= 0 {
		return 0
	}
	return r.Succeeded.Median / r.Wall.Median
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
	if rec := s.Results.Recommended; rec != nil && rec.Reason != "" && best != nil &&
		rec.Strategy == best.Strategy && rec.Pool == best.Pool {
		details = append(details, "Recommended: "+best.Name()+", "+strings.TrimSuffix(rec.Reason, ".")+".")
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
		if g := row.Goodput()/best.Goodput() - 1; g > faster {
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
