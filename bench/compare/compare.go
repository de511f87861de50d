// Package compare compares two poolbench runs (results.json) cell by cell
// and decides, with benchstat's statistics, whether the new run regressed.
//
// Cells are matched by scenario, strategy and pool; a cell's repeats are
// the samples. Two kinds of metric are compared:
//
//   - Timing metrics (wall time, throughput, item latency p50/p95/p99) are
//     summarised by their median and 95% interval over repeats and tested
//     with the Mann-Whitney U test (golang.org/x/perf/benchmath's
//     AssumeNothing, as benchstat does). A row is Regressed only when the
//     change is in the bad direction, larger than the threshold and
//     significant at alpha; Improved likewise in the good direction;
//     Unchanged ("~") when the test finds no significant difference;
//     Within when it is significant but no larger than the threshold; and
//     Inconclusive when there are too few repeats for the test ever to
//     reach alpha (MinRepeats says how many are needed).
//   - Exact metrics (failed items, attempts, the upstream's peak requests
//     in flight) are compared as the worst repeat, exactly: any increase in
//     failures or attempts is a regression whatever the repeats. Peak in
//     flight has no good direction: it is the concurrency the client
//     really delivered, so a change either way (a pool admitting one
//     request fewer than asked, or overshooting the upstream's cap) means
//     the concurrency behaviour changed and is reported as Changed, which
//     fails the gate like a regression.
//
// A difference the statistics find (Regressed or Improved; for a count,
// any change) is Explained instead when both runs are of the same
// scenario and every repeat of both falls inside the model's predicted
// range for that metric (results.ExplainedByRange, widened by the
// scenario's error budget; in one of its modes where the cell has
// several): cap-sweep's pooled(256) measures 3.22 s or 4.21 s as its
// retries meet the cap's free slots or miss them, and a move from one to
// the other is the model's own odds, not a regression. Rows the U test
// cannot decide stay Inconclusive: a range is no substitute for repeats.
//
// A tail percentile (p95, p99) is compared only where every cell of both
// runs has enough items for it to be one (20 for p95, 100 for p99): with
// 12 items it is their slowest, as noisy as one sample, and its rows say
// FewItems instead; they neither fail nor leave the report undecided, as
// the cells' other rows judge them.
//
// Cells present in the base but not in the new run are Missing and fail
// the gate (coverage was lost: refresh the baseline deliberately if that
// was intended); cells only in the new run are listed as New.
//
// Exact metrics are compared in every cell, flagged or not: a count of
// failed items or attempts does not depend on how well the harness timed
// it, so a service that went down fails the gate however its cells were
// flagged. The timing rows (but goodput) of a cell whose every item
// failed in either run are NotTimed: they time failures. The timing rows
// of a cell the harness flagged as bound in
// either run (results.Harness: its figures measured poolbench, not the
// upstream) are not compared: they say Bound and why, and, like a timing
// row benchstat's statistics cannot decide (too few repeats: benchmath
// warns; Inconclusive), they leave the report undecided: Report.Decided
// is false and the gate cannot pass on it. Runs of different scenarios
// are refused unless Options.OtherScenario says otherwise.
package compare

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
)

// Results compares the new run with the base run. It never drops a cell:
// cells only in one run are listed in MissingCells or NewCells. Runs of
// different scenarios are refused (ErrOtherScenario) unless
// opts.OtherScenario.
func Results(base, cur *results.Results, opts Options) (*Report, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if base == nil || cur == nil {
		return nil, fmt.Errorf("compare: nil results")
	}
	if base.Scenario.Name != cur.Scenario.Name && !opts.OtherScenario {
		return nil, fmt.Errorf("%w: base %q, new %q (no cell would match; allow it explicitly to match cells by strategy and pool)", ErrOtherScenario, base.Scenario.Name, cur.Scenario.Name)
	}
	rep := &Report{Options: opts, Scenario: cur.Scenario.Name, Scaled: scaled(base) || scaled(cur)}
	rep.Warnings = warnings(base, cur)
	// Only runs of one scenario share the model's ranges: a changed
	// scenario explains its own differences.
	budget := -1.0
	if base.Scenario.Name == cur.Scenario.Name && len(scenarioDiff(base.Scenario, cur.Scenario)) == 0 {
		budget = cur.Scenario.WithDefaults().ErrorBudget
	}
	oldCells, oldKeys := group(base)
	newCells, newKeys := group(cur)
	for _, k := range oldKeys {
		if _, ok := newCells[k]; !ok {
			rep.MissingCells = append(rep.MissingCells, k)
		}
	}
	for _, k := range newKeys {
		if _, ok := oldCells[k]; !ok {
			rep.NewCells = append(rep.NewCells, k)
		}
	}
	for _, m := range metrics {
		for _, k := range oldKeys {
			nc, ok := newCells[k]
			if !ok {
				continue
			}
			row, ok := compareMetric(k, m, oldCells[k], nc, opts)
			if ok && budget >= 0 {
				explainByRange(&row, oldCells[k], nc, budget)
			}
			if ok {
				rep.Rows = append(rep.Rows, row)
			}
		}
	}
	// benchmath's own warnings about the summaries, said once: a median
	// with no 95% interval is shown with the range of its repeats.
	for _, row := range rep.Rows {
		if w := append(slices.Clone(row.Old.Warnings), row.New.Warnings...); len(w) > 0 {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf(
				"with %d+%d repeats a median has no 95%% interval (%s): timing rows show the median and, in brackets, the range of the repeats; record %d repeats for intervals",
				row.Old.N, row.New.N, w[0], minIntervalRepeats))
			break
		}
	}
	return rep, nil
}

// scaled reports whether some cell of r ran at a time scale other than
// real time.
func scaled(r *results.Results) bool {
	for i := range r.Cells {
		if f := r.Cells[i].Timescale.Factor(); f != 1 {
			return true
		}
	}
	return false
}

// group collects a run's cells by key (results.Groups), keys in report
// order.
func group(r *results.Results) (map[Key][]results.Cell, []Key) {
	m := map[Key][]results.Cell{}
	var keys []Key
	for _, g := range results.Groups(r.Cells) {
		k := keyOf(&g)
		keys = append(keys, k)
		m[k] = g.Cells
	}
	return m, keys
}

func values(cells []results.Cell, m Metric) []float64 {
	var v []float64
	for i := range cells {
		x := m.value(&cells[i])
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	slices.Sort(v)
	return v
}

// compareMetric builds the row for metric m of cell k; ok is false when the
// metric does not apply (peak in flight of an external target).
func compareMetric(k Key, m Metric, oldCells, newCells []results.Cell, opts Options) (Row, bool) {
	ov, nv := values(oldCells, m), values(newCells, m)
	if len(ov) == 0 && len(nv) == 0 {
		return Row{}, false
	}
	if m.Exact && k.Strategy.Kind().TimedCounts {
		m.Exact = false // an adaptive cell's counts turn on timing
	}
	row := Row{Key: k, Metric: m, P: math.NaN()}
	if why := boundIn(oldCells, newCells); why != "" && !m.Exact {
		row.Verdict, row.Note = Bound, why
		row.Old, row.New = exactSummary(ov), exactSummary(nv)
		row.Delta = math.NaN()
		return row, true
	}
	if side := allFailed(oldCells, newCells); side != "" && !m.Exact && m.Name != "goodput" {
		row.Verdict = NotTimed
		row.Note = fmt.Sprintf("not compared: every item failed in the %s run, so its times are those of failures, not of the service", side)
		row.Old, row.New = exactSummary(ov), exactSummary(nv)
		row.Delta = math.NaN()
		return row, true
	}
	if n, need := fewestItems(oldCells, newCells), m.minItems(); n < need && len(ov) > 0 && len(nv) > 0 {
		row.Verdict = FewItems
		row.Note = fmt.Sprintf("not compared: with %d items a cell's %s is one of its slowest items, not a percentile; %d items per cell make it one", n, m.Name, need)
		row.Old, row.New = exactSummary(ov), exactSummary(nv)
		row.Delta = math.NaN()
		return row, true
	}
	if len(ov) == 0 || len(nv) == 0 {
		row.Verdict = Changed
		row.Note = "measured in only one run"
		row.Old, row.New = exactSummary(ov), exactSummary(nv)
		row.Delta = math.NaN()
		return row, true
	}
	if m.Exact {
		row.Old, row.New = exactSummary(ov), exactSummary(nv)
		row.Delta = delta(row.Old.Center, row.New.Center)
		row.Verdict = exactVerdict(m, row.Old.Center, row.New.Center)
		if row.Verdict == Changed {
			row.Note = fmt.Sprintf("peak in flight %g → %g: the concurrency delivered to the upstream changed", row.Old.Center, row.New.Center)
		}
		return row, true
	}
	th := benchmath.DefaultThresholds
	th.CompareAlpha = opts.Alpha
	so, sn := benchmath.NewSample(ov, &th), benchmath.NewSample(nv, &th)
	row.Old, row.New = timingSummary(so), timingSummary(sn)
	row.Delta = delta(row.Old.Center, row.New.Center)
	cmp := benchmath.AssumeNothing.Compare(so, sn)
	row.P = cmp.P
	if allEqual(ov, nv) {
		// Nothing moved (a percentile of a histogram at its precision can
		// read the same in every repeat): no test is needed to say so.
		row.Verdict = Unchanged
		row.Note = fmt.Sprintf("every repeat of both runs reads %g", ov[0])
		return row, true
	}
	if len(cmp.Warnings) > 0 || !separable(len(ov), len(nv), opts.Alpha) {
		// The U test cannot reach alpha with these repeats, whatever
		// the samples: benchmath warns when both sides are short, and
		// the test itself, on samples as far apart as samples go, tells
		// the lopsided cases.
		row.Verdict = Inconclusive
		why := errors.Join(cmp.Warnings...)
		if why == nil {
			why = fmt.Errorf("the U test cannot reach alpha %v with these repeats, however far apart they are", opts.Alpha)
		}
		row.Note = fmt.Sprintf("%v (have %d+%d repeats)", why, len(ov), len(nv))
		return row, true
	}
	row.Verdict = timingVerdict(m, row.Delta, cmp.P, opts)
	return row, true
}

// fewestItems is the fewest items of any cell of either run.
func fewestItems(runs ...[]results.Cell) int {
	n := math.MaxInt
	for _, cells := range runs {
		for i := range cells {
			n = min(n, cells[i].Items)
		}
	}
	return n
}

// explainByRange makes a regressed or improved row Explained when the
// model's range for its metric holds every repeat of both runs
// (results.ExplainedByRange, widened by budget), and says where they
// fell.
func explainByRange(row *Row, oldCells, newCells []results.Cell, budget float64) {
	if row.Verdict != Regressed && row.Verdict != Improved {
		return
	}
	n := max(len(oldCells), len(newCells))
	if len(oldCells) == 0 || len(newCells) == 0 {
		return
	}
	var first string
	for i := range n {
		ok, why := results.ExplainedByRange(&oldCells[i%len(oldCells)], &newCells[i%len(newCells)], row.Metric.Name, budget)
		if !ok {
			return
		}
		if i == 0 {
			first = why
		}
	}
	row.Verdict = Explained
	row.Note = "explained by the model's range for this scenario: " + first
	if n > 1 {
		row.Note += fmt.Sprintf(" (and every other repeat: %d and %d)", len(oldCells), len(newCells))
	}
}

// allEqual reports whether every value of a and b is the same.
func allEqual(a, b []float64) bool {
	if len(a) == 0 {
		return false
	}
	for _, v := range slices.Concat(a, b) {
		if v != a[0] {
			return false
		}
	}
	return true
}

// allFailed names the run ("base", "new") in which every repeat of the
// cell failed every item, or is "" when neither did.
func allFailed(oldCells, newCells []results.Cell) string {
	for _, side := range []struct {
		name  string
		cells []results.Cell
	}{{"base", oldCells}, {"new", newCells}} {
		all := len(side.cells) > 0
		for _, c := range side.cells {
			all = all && c.Items > 0 && c.Succeeded == 0
		}
		if all {
			return side.name
		}
	}
	return ""
}

// boundIn says why a cell is not compared: the harness flagged it in one
// of the runs ("" when neither).
func boundIn(oldCells, newCells []results.Cell) string {
	for _, side := range []struct {
		name  string
		cells []results.Cell
	}{{"base", oldCells}, {"new", newCells}} {
		for _, c := range side.cells {
			if c.Bound() {
				return fmt.Sprintf("not compared: in the %s run the harness, not the upstream, set this cell's figures (%s)", side.name, c.Harness.Reason)
			}
		}
	}
	return ""
}

// minIntervalRepeats is how many repeats benchmath needs for a 95%
// interval of a median.
const minIntervalRepeats = 6

// timingSummary is the median and its 95% interval; with too few repeats
// for one (benchmath warns), the range of the repeats instead, and
// Interval false.
func timingSummary(s *benchmath.Sample) Summary {
	sum := benchmath.AssumeNothing.Summary(s, 0.95)
	var w []string
	for _, e := range sum.Warnings {
		w = append(w, e.Error())
	}
	out := Summary{Center: sum.Center, Lo: sum.Lo, Hi: sum.Hi, N: len(s.Values), Values: s.Values, Warnings: w, Interval: true}
	if math.IsInf(sum.Lo, 0) || math.IsInf(sum.Hi, 0) {
		out.Lo, out.Hi, out.Interval = s.Values[0], s.Values[len(s.Values)-1], false
	}
	return out
}

func exactSummary(v []float64) Summary {
	if len(v) == 0 {
		return Summary{Center: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	return Summary{Center: v[len(v)-1], Lo: v[0], Hi: v[len(v)-1], N: len(v), Values: v}
}

func delta(old, cur float64) float64 {
	switch {
	case old == cur:
		return 0
	case old == 0:
		return math.Copysign(math.Inf(1), cur)
	}
	return cur/old - 1
}

func exactVerdict(m Metric, old, cur float64) Verdict {
	switch {
	case old == cur:
		return Unchanged
	case m.Better == 0:
		return Changed
	case (cur > old) == (m.Better < 0):
		return Regressed
	}
	return Improved
}

// timingVerdict decides a timing row from its delta and p-value.
func timingVerdict(m Metric, d, p float64, opts Options) Verdict {
	if !(p <= opts.Alpha) { // benchstat's rule: "~" when P > alpha
		return Unchanged
	}
	if math.IsNaN(d) || math.Abs(d) <= opts.Threshold {
		return Within
	}
	if m.Better == 0 {
		return Changed
	}
	if (d > 0) == (m.Better < 0) {
		return Regressed
	}
	return Improved
}

// Decidable reports whether the U test can show a difference at alpha
// with n repeats a side.
func Decidable(n int, alpha float64) bool { return separable(n, n, alpha) }

// separable reports whether benchmath's U test, given samples of n1 and n2
// values as far apart as samples go, finds them different at alpha.
func separable(n1, n2 int, alpha float64) bool {
	if n1 < 1 || n2 < 1 {
		return false
	}
	th := benchmath.DefaultThresholds
	th.CompareAlpha = alpha
	a, b := make([]float64, n1), make([]float64, n2)
	for i := range a {
		a[i] = float64(i)
	}
	for i := range b {
		b[i] = float64(n1 + i)
	}
	c := benchmath.AssumeNothing.Compare(benchmath.NewSample(a, &th), benchmath.NewSample(b, &th))
	return len(c.Warnings) == 0 && c.P <= alpha
}

// warnings lists what differs between the runs beyond the cells.
func warnings(base, cur *results.Results) []string {
	var w []string
	if base.Scenario.Name != cur.Scenario.Name {
		w = append(w, fmt.Sprintf("scenarios differ: base %q, new %q (cells matched by strategy and pool, as asked)", base.Scenario.Name, cur.Scenario.Name))
	} else if d := scenarioDiff(base.Scenario, cur.Scenario); len(d) > 0 {
		w = append(w, fmt.Sprintf("scenario %q differs between the runs in: %s", cur.Scenario.Name, strings.Join(d, ", ")))
	}
	if !base.Complete {
		w = append(w, "the base run is incomplete (interrupted)")
	}
	if !cur.Complete {
		w = append(w, "the new run is incomplete (interrupted): its canceled items count as failed")
	}
	bm, nm := base.Machine, cur.Machine
	if bm.GOOS != nm.GOOS || bm.GOARCH != nm.GOARCH || bm.CPUs != nm.CPUs {
		w = append(w, fmt.Sprintf("machines differ: base %s/%s %d CPUs, new %s/%s %d CPUs", bm.GOOS, bm.GOARCH, bm.CPUs, nm.GOOS, nm.GOARCH, nm.CPUs))
	}
	return w
}

// scenarioDiff names the scenario fields that differ, repeats aside.
func scenarioDiff(a, b scenario.Scenario) []string {
	a.Sweep.Repeats, b.Sweep.Repeats = 0, 0
	// Results written before sweep.parallel existed ran one cell at a time.
	a.Sweep.Parallel, b.Sweep.Parallel = max(a.Sweep.Parallel, 1), max(b.Sweep.Parallel, 1)
	var d []string
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	t := va.Type()
	for i := range t.NumField() {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			name := t.Field(i).Tag.Get("json")
			name, _, _ = strings.Cut(name, ",")
			d = append(d, name)
		}
	}
	return d
}

// ParseThreshold reads a threshold flag: "5%" or the fraction "0.05". A
// bare number of 1 or more is refused as ambiguous.
func ParseThreshold(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	t = strings.TrimSuffix(t, "%")
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("invalid threshold %q: want a percentage like 5%% or a fraction like 0.05", s)
	}
	if pct {
		v /= 100
	} else if v >= 1 {
		return 0, fmt.Errorf("ambiguous threshold %q: write %s%% for a percentage, or a fraction below 1", s, t)
	}
	if v < 0 || v >= 10 {
		return 0, fmt.Errorf("threshold %q out of range: want 0%% to 1000%%", s)
	}
	return v, nil
}
