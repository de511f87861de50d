package results

import "fmt"

// Interval is the model's range for a cell: what a run of it measures, at
// stated odds, besides the central prediction (Cell.PredictedWallSeconds).
// Times are model seconds. It is computed by bench/model (model.Range),
// which documents how.
type Interval struct {
	// LowSeconds and HighSeconds bound the cell's model wall time: a run
	// falls inside with probability Coverage (at least). The central
	// prediction is always inside.
	LowSeconds  float64 `json:"predicted_low_seconds"`
	HighSeconds float64 `json:"predicted_high_seconds"`
	// Modes lists the separate outcomes of a cell whose wall time is not
	// one number (two or more; absent otherwise), fastest first, each with
	// its odds: the share of the simulated runs it holds.
	Modes []Mode `json:"predicted_modes,omitempty"`
	// Coverage is the probability that one more run falls inside the
	// ranges: (n + 1 − 2k) / (n + 1) for the k-th smallest to the k-th
	// largest of n simulated runs, or 1 for a bound.
	Coverage float64 `json:"predicted_coverage"`
	// Runs is the number of simulated runs (0: the range is a bound from
	// the exact formula, nothing was simulated).
	Runs int `json:"predicted_runs"`
	// JitterSeconds is the model time each simulated request left and each
	// answer came back late, at most (uniformly from 0, each on its own;
	// answers only in results written before requests were): the
	// run-to-run timing the range covers, with HarnessCostSeconds.
	// late, at most (uniformly from 0): the run-to-run timing the range
	// covers.
	JitterSeconds float64 `json:"predicted_jitter_seconds"`
	// HarnessCostSeconds is the model time the simulated harness spent on
	// each message, requests and answers one at a time (each run drew its
	// own from half to twice this); 0: none. A burst of retries reaches
	// the upstream spread by it, and answers sent during the burst wait
	// for it: which retries meet the cap's free slots turns on it.
	HarnessCostSeconds float64 `json:"predicted_harness_cost_seconds,omitempty"`
	// FailedLow and FailedHigh bound the failed items, AttemptsLow and
	// AttemptsHigh the attempts, and LatencyLow and LatencyHigh each
	// latency percentile, at the same coverage (attempts: 0 and 0 in
	// results written before they were predicted).
	//
	// CountsCoverage is the probability that one more run's failed items
	// (and, apart, its attempts) fall inside their range (0 in results
	// written before it was stated: Coverage). The counts' ranges are the
	// extremes of the runs, which cover more than Coverage, and a cell
	// whose counts vary is run CountRuns times (bench/model): a compare of
	// two runs holds a dozen count rows to these ranges at once, and 90%
	// each would make it fail most of the time on a model that is right.
	CountsCoverage float64     `json:"predicted_counts_coverage,omitempty"`
	FailedLow      int         `json:"predicted_failed_low"`
	FailedHigh     int         `json:"predicted_failed_high"`
	AttemptsLow    int         `json:"predicted_attempts_low,omitempty"`
	AttemptsHigh   int         `json:"predicted_attempts_high,omitempty"`
	LatencyLow     Percentiles `json:"predicted_latency_low"`
	LatencyHigh    Percentiles `json:"predicted_latency_high"`
}

// Mode is one of the outcomes of a multi-modal cell.
type Mode struct {
	// WallSeconds is the mode's median model wall time, and LowSeconds to
	// HighSeconds the simulated runs it holds.
	WallSeconds float64 `json:"wall_seconds"`
	LowSeconds  float64 `json:"low_seconds"`
	HighSeconds float64 `json:"high_seconds"`
	// Odds is the share of the simulated runs in this mode.
	Odds float64 `json:"odds"`
}

// Fit is where a measured model wall time falls against an interval.
type Fit struct {
	// OK says it is inside the range widened by the budget (a share of
	// the wall time) and, for a multi-modal cell, within the budget of one
	// of its modes: an outcome between two modes is not one the model
	// expects.
	OK bool
	// Mode is the index in Interval.Modes of the mode it fell in (the
	// nearest, when not OK), −1 for a cell with one mode.
	Mode int
}

// Explain places measured model wall time w against iv widened by budget
// (0.01 for 1%): see Fit.
func (iv *Interval) Explain(w, budget float64) Fit {
	f := Fit{Mode: -1}
	within := func(lo, hi float64) bool { return w >= lo*(1-budget) && w <= hi*(1+budget) }
	f.OK = within(iv.LowSeconds, iv.HighSeconds)
	if len(iv.Modes) < 2 {
		return f
	}
	best := -1.0
	for i, m := range iv.Modes {
		d := max(m.LowSeconds-w, w-m.HighSeconds, 0)
		if best < 0 || d < best {
			best, f.Mode = d, i
		}
	}
	m := iv.Modes[f.Mode]
	f.OK = f.OK && within(m.LowSeconds, m.HighSeconds)
	return f
}

// Describe says where w fell, in words: "in mode 2 of 2 (4.21 s, odds
// 35%)", "inside the range 5.22–5.27 s (90% of simulated runs), ±1%".
func (iv *Interval) Describe(w, budget float64) string {
	f := iv.Explain(w, budget)
	where := "inside"
	if !f.OK {
		where = "outside"
	}
	if f.Mode < 0 {
		return fmt.Sprintf("%s the range %s (%s), ±%g%%", where, iv.RangeText(), iv.CoverageText(), 100*budget)
	}
	m := iv.Modes[f.Mode]
	if !f.OK {
		return fmt.Sprintf("outside every mode (nearest %.4g s, odds %.0f%%), ±%g%%", m.WallSeconds, 100*m.Odds, 100*budget)
	}
	return fmt.Sprintf("in mode %d of %d (%.4g s, odds %.0f%%)", f.Mode+1, len(iv.Modes), m.WallSeconds, 100*m.Odds)
}

// RangeText prints the range, "5.218–5.274 s", or its modes with their
// odds, "3.218 s (65%) or 4.209 s (35%)".
func (iv *Interval) RangeText() string {
	if len(iv.Modes) < 2 {
		return fmt.Sprintf("%.4g–%.4g s", iv.LowSeconds, iv.HighSeconds)
	}
	s := ""
	for i, m := range iv.Modes {
		if i > 0 {
			s += " or "
		}
		s += fmt.Sprintf("%.4g s (%.0f%%)", m.WallSeconds, 100*m.Odds)
	}
	return s
}

// Timing says in words what run-to-run timing the simulated runs covered:
// "requests and answers up to 2 ms late, a harness of 10 µs per message
// (½ to 2×)".
func (iv *Interval) Timing() string {
	d := func(s float64) string {
		if s >= 1e-3 {
			return fmt.Sprintf("%.3g ms", s*1e3)
		}
		return fmt.Sprintf("%.3g µs", s*1e6)
	}
	t := "requests and answers up to " + d(iv.JitterSeconds) + " late"
	if iv.HarnessCostSeconds > 0 {
		t += ", a harness of " + d(iv.HarnessCostSeconds) + " per message (½ to 2×)"
	}
	return t
}

// CoverageText says what the ranges cover, for a caption or a column:
// "90% of simulated runs", or "a bound" for an exact cell.
func (iv *Interval) CoverageText() string {
	if iv.Runs == 0 {
		return "a bound"
	}
	return fmt.Sprintf("%.0f%% of simulated runs", 100*iv.Coverage)
}

// countsCoverageText is CoverageText for the counts' ranges.
func (iv *Interval) countsCoverageText() string {
	if iv.Runs == 0 || iv.CountsCoverage == 0 {
		return iv.CoverageText()
	}
	return fmt.Sprintf("%.1f%% of simulated runs", 100*iv.CountsCoverage)
}

// Covers reports whether cell c's figure named metric lies inside iv's
// range for it, and where it fell, in words. known is false for a metric
// iv has no range for. Wall time is Explain's rule (its modes included);
// a latency percentile ("p50", "p90", "p95", "p99", "max", "mean") is
// widened by budget like the wall time; counts ("failed", "attempts")
// are held to their range exactly; "goodput" and "throughput", which
// follow from the wall time and the failed items, are covered when both
// are.
func (iv *Interval) Covers(metric string, c *Cell, budget float64) (ok, known bool, where string) {
	count := func(name string, v, lo, hi int) (bool, bool, string) {
		in := v >= lo && v <= hi
		return in, true, fmt.Sprintf("%s %d %s %d–%d (%s)", name, v, inside(in), lo, hi, iv.countsCoverageText())
	}
	switch metric {
	case "wall":
		w := c.ModelWallSeconds
		return iv.Explain(w, budget).OK, true, fmt.Sprintf("%.4g s %s", w, iv.Describe(w, budget))
	case "failed":
		return count("failed", c.Failed, iv.FailedLow, iv.FailedHigh)
	case "attempts":
		if iv.AttemptsHigh == 0 {
			return false, false, ""
		}
		return count("attempts", c.Attempts, iv.AttemptsLow, iv.AttemptsHigh)
	case "goodput", "throughput":
		okw, _, ww := iv.Covers("wall", c, budget)
		okf, _, wf := iv.Covers("failed", c, budget)
		return okw && okf, true, ww + ", " + wf
	}
	pc := percentileOf(metric)
	if pc == nil {
		return false, false, ""
	}
	v, lo, hi := *pc(&c.Latency), *pc(&iv.LatencyLow), *pc(&iv.LatencyHigh)
	in := v >= lo*(1-budget) && v <= hi*(1+budget)
	return in, true, fmt.Sprintf("%s %.4g s %s %.4g–%.4g s (%s), ±%g%%", metric, v, inside(in), lo, hi, iv.CoverageText(), 100*budget)
}

func inside(in bool) string {
	if in {
		return "inside"
	}
	return "outside"
}

// percentileOf reaches the percentile named name in a Percentiles (nil for
// another name).
func percentileOf(name string) func(*Percentiles) *float64 {
	switch name {
	case "mean":
		return func(p *Percentiles) *float64 { return &p.Mean }
	case "p50":
		return func(p *Percentiles) *float64 { return &p.P50 }
	case "p90":
		return func(p *Percentiles) *float64 { return &p.P90 }
	case "p95":
		return func(p *Percentiles) *float64 { return &p.P95 }
	case "p99":
		return func(p *Percentiles) *float64 { return &p.P99 }
	case "max":
		return func(p *Percentiles) *float64 { return &p.Max }
	}
	return nil
}

// ExplainedByRange reports whether the difference in metric (Covers'
// names) between two measured cells of one scenario, a baseline and a
// new run, is one the model expects: both carry an interval and each
// falls inside its own, widened by budget (Covers). why says where each
// fell, for a compare row; it is empty when a cell has no interval or the
// interval no range for metric (no model: the difference is for the
// statistics to judge). The caller makes sure the two runs are of the
// same scenario: a changed scenario explains its own difference.
func ExplainedByRange(base, head *Cell, metric string, budget float64) (ok bool, why string) {
	if base.Interval == nil || head.Interval == nil || base.Interrupted || head.Interrupted {
		return false, ""
	}
	okb, kb, wb := base.Interval.Covers(metric, base, budget)
	okh, kh, wh := head.Interval.Covers(metric, head, budget)
	if !kb || !kh {
		return false, ""
	}
	return okb && okh, fmt.Sprintf("baseline %s; new %s", wb, wh)
}
