package compare

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
)

func mustCompare(t *testing.T, base, cur *results.Results, opts Options) *Report {
	t.Helper()
	rep, err := Results(base, cur, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// verdicts maps "cell metric" to the verdict.
func verdicts(rep *Report) map[string]Verdict {
	m := map[string]Verdict{}
	for _, r := range rep.Rows {
		m[r.Key.Cell()+" "+r.Metric.Name] = r.Verdict
	}
	return m
}

func TestResultsVerdicts(t *testing.T) {
	base := defaultSynth()
	tests := []struct {
		name   string
		cur    func(s *synth)
		failed bool
		want   map[string]Verdict // rows checked; others must not fail unless failed
	}{
		{
			name: "identical samples",
			cur:  func(s *synth) {},
			want: map[string]Verdict{"pooled/pool=4 wall": Unchanged, "serial/pool=1 p99": Unchanged, "pooled/pool=8 attempts": Unchanged, "pooled/pool=4 peak in flight": Unchanged},
		},
		{
			name: "same distribution, other jitter",
			cur:  func(s *synth) { s.phase = 3 },
			want: map[string]Verdict{"pooled/pool=4 wall": Unchanged, "serial/pool=1 wall": Unchanged, "pooled/pool=2 throughput": Unchanged},
		},
		{
			name:   "latency 10% higher",
			cur:    func(s *synth) { s.factor = 1.10; s.phase = 3 },
			failed: true,
			want:   map[string]Verdict{"serial/pool=1 wall": Regressed, "pooled/pool=4 wall": Regressed, "pooled/pool=4 throughput": Regressed, "pooled/pool=8 p50": Regressed, "pooled/pool=8 p99": Regressed, "pooled/pool=8 attempts": Unchanged},
		},
		{
			name: "2% slower: significant but within threshold",
			cur:  func(s *synth) { s.factor = 1.02 },
			want: map[string]Verdict{"pooled/pool=2 wall": Within, "pooled/pool=2 throughput": Within, "serial/pool=1 p50": Within},
		},
		{
			name: "10% faster",
			cur:  func(s *synth) { s.factor = 0.90; s.phase = 1 },
			want: map[string]Verdict{"pooled/pool=2 wall": Improved, "pooled/pool=2 throughput": Improved, "pooled/pool=2 p95": Improved},
		},
		{
			name:   "pool admits one request fewer than asked",
			cur:    func(s *synth) { s.cap = 3; s.phase = 2 },
			failed: true,
			want:   map[string]Verdict{"pooled/pool=4 peak in flight": Changed, "pooled/pool=8 peak in flight": Changed, "pooled/pool=4 wall": Regressed, "pooled/pool=2 wall": Unchanged, "pooled/pool=2 peak in flight": Unchanged},
		},
		{
			name:   "pool overshoots: peak in flight up is a change too",
			cur:    func(s *synth) { s.cap = 5 },
			failed: true,
			want:   map[string]Verdict{"pooled/pool=8 peak in flight": Changed, "pooled/pool=8 wall": Improved},
		},
		{
			name: "one failed item in one repeat",
			cur: func(s *synth) {
				s.edit = func(c *results.Cell) {
					if c.Pool == 4 && c.Repeat == 5 {
						c.Failed, c.Succeeded = 1, c.Items-1
					}
				}
			},
			failed: true,
			want:   map[string]Verdict{"pooled/pool=4 failed": Regressed, "pooled/pool=2 failed": Unchanged, "pooled/pool=4 wall": Unchanged},
		},
		{
			name: "one retry more",
			cur: func(s *synth) {
				s.edit = func(c *results.Cell) {
					if c.Pool == 2 && c.Repeat == 0 {
						c.Attempts++
					}
				}
			},
			failed: true,
			want:   map[string]Verdict{"pooled/pool=2 attempts": Regressed},
		},
		{
			name: "fewer attempts is an improvement",
			cur:  func(s *synth) { s.edit = func(c *results.Cell) { c.Attempts-- } },
			want: map[string]Verdict{"serial/pool=1 attempts": Improved},
		},
		{
			name: "two repeats against six: inconclusive, even for a large shift",
			cur:  func(s *synth) { s.repeats = 2; s.factor = 1.5 },
			want: map[string]Verdict{"pooled/pool=2 wall": Inconclusive, "serial/pool=1 p99": Inconclusive, "pooled/pool=2 attempts": Unchanged},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := defaultSynth()
			tt.cur(&cur)
			rep := mustCompare(t, base.build(), cur.build(), DefaultOptions)
			got := verdicts(rep)
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s: verdict %q, want %q", k, got[k], v)
				}
			}
			if rep.Failed() != tt.failed {
				t.Errorf("Failed() = %v, want %v; failures %v", rep.Failed(), tt.failed, rep.Failures())
			}
			if len(rep.Rows) != 4*len(Metrics()) {
				t.Errorf("%d rows, want %d", len(rep.Rows), 4*len(Metrics()))
			}
		})
	}
}

func TestInconclusiveSaysHowMany(t *testing.T) {
	b, c := defaultSynth(), defaultSynth()
	b.repeats, c.repeats = 3, 3
	rep := mustCompare(t, b.build(), c.build(), DefaultOptions)
	for _, r := range rep.Rows {
		if r.Metric.Exact {
			continue
		}
		if r.Verdict != Inconclusive || !strings.Contains(r.Note, "need >= 4 samples to detect a difference at alpha level 0.05") || !strings.Contains(r.Note, "have 3+3") {
			t.Fatalf("%s %s: %q %q", r.Key, r.Metric.Name, r.Verdict, r.Note)
		}
	}
	var out strings.Builder
	if err := WriteText(&out, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "need >= 4 samples") || !rep.Inconclusive() || !strings.HasPrefix(rep.Headline(), "CANNOT DECIDE") {
		t.Errorf("text output does not say the gate cannot decide, and how many repeats are needed:\n%s", out.String())
	}
}

func TestMissingAndNewCells(t *testing.T) {
	b, c := defaultSynth(), defaultSynth()
	c.pools = []int{2, 4, 16}
	rep := mustCompare(t, b.build(), c.build(), DefaultOptions)
	want := []Key{{scenario.Pooled, 8, "pooled(8)"}}
	if !slices.Equal(rep.MissingCells, want) {
		t.Errorf("missing %v, want %v", rep.MissingCells, want)
	}
	if want := []Key{{scenario.Pooled, 16, "pooled(16)"}}; !slices.Equal(rep.NewCells, want) {
		t.Errorf("new %v, want %v", rep.NewCells, want)
	}
	if !rep.Failed() {
		t.Error("a missing cell must fail the gate")
	}
	if len(rep.Failures()) != 0 {
		t.Errorf("matched cells should not fail: %v", rep.Failures())
	}
	// Only new cells: the gate passes but says so.
	c.pools = []int{2, 4, 8, 16}
	rep = mustCompare(t, b.build(), c.build(), DefaultOptions)
	if rep.Failed() || len(rep.NewCells) != 1 {
		t.Errorf("only a new cell: failed=%v new=%v", rep.Failed(), rep.NewCells)
	}
}

// TestOtherScenario: runs of different scenarios are refused, unless
// allowed; then cells match by strategy and pool, with a warning.
func TestOtherScenario(t *testing.T) {
	b, c := defaultSynth(), defaultSynth()
	c.scenario = "other"
	if _, err := Results(b.build(), c.build(), DefaultOptions); !errors.Is(err, ErrOtherScenario) || !strings.Contains(err.Error(), `base "ci-gate", new "other"`) {
		t.Fatalf("other scenario: %v, want ErrOtherScenario naming both", err)
	}
	opts := DefaultOptions
	opts.OtherScenario = true
	rep := mustCompare(t, b.build(), c.build(), opts)
	if len(rep.MissingCells) != 0 || rep.Failed() || len(rep.Rows) == 0 {
		t.Errorf("allowed: missing %v, failed %v, %d rows", rep.MissingCells, rep.Failed(), len(rep.Rows))
	}
	if len(rep.Warnings) == 0 || !strings.Contains(rep.Warnings[0], "scenarios differ") {
		t.Errorf("warnings %q", rep.Warnings)
	}
}

// TestBoundCells: the timing rows of a cell the harness flagged in either
// run are neither a regression nor an improvement, and say why; its exact
// rows (failed items, attempts) are compared all the same, so a service
// that fails items fails the gate however its cells were flagged; and a
// report whose only doubt is a flagged cell cannot pass.
func TestBoundCells(t *testing.T) {
	b, c := defaultSynth(), defaultSynth()
	c.factor = 1.5 // everything 50% slower
	c.edit = func(cl *results.Cell) {
		if cl.Pool == 8 {
			cl.Harness = &results.Harness{Bound: true, Error: 0.4, Reason: "the harness added about 40%"}
			cl.Failed, cl.Succeeded = 3, cl.Items-3
		}
	}
	rep := mustCompare(t, b.build(), c.build(), DefaultOptions)
	for _, r := range rep.Rows {
		switch {
		case r.Key.Pool == 8 && !r.Metric.Exact && (r.Verdict != Bound || !strings.Contains(r.Note, "in the new run the harness, not the upstream") || !strings.Contains(r.Note, "about 40%")):
			t.Errorf("%s %s: %s %q, want harness-bound with the reason", r.Key, r.Metric.Name, r.Verdict, r.Note)
		case r.Key.Pool == 8 && r.Metric.Name == "failed" && r.Verdict != Regressed:
			t.Errorf("%s failed 0 → 3 in a flagged cell: %s, want regressed", r.Key, r.Verdict)
		case r.Key.Pool != 8 && r.Metric.Name == "wall" && r.Verdict != Regressed:
			t.Errorf("%s wall: %s, want regressed", r.Key, r.Verdict)
		}
	}
	if !strings.Contains(rep.Headline(), "regression") || !strings.Contains(rep.Headline(), "pooled/pool=8 failed +3") {
		t.Errorf("headline %q", rep.Headline())
	}

	// The same flag with nothing else changed: nothing failed, but the
	// cell's timing could not be judged, so the report is not a pass.
	c = defaultSynth()
	c.edit = func(cl *results.Cell) {
		if cl.Pool == 8 {
			cl.Harness = &results.Harness{Bound: true, Reason: "the harness added about 40%"}
		}
	}
	rep = mustCompare(t, b.build(), c.build(), DefaultOptions)
	if rep.Failed() || rep.Decided() || !rep.Inconclusive() {
		t.Errorf("flagged cell only: failed %v decided %v inconclusive %v, want undecided", rep.Failed(), rep.Decided(), rep.Inconclusive())
	}
	if h := rep.Headline(); !strings.HasPrefix(h, "CANNOT DECIDE") || !strings.Contains(h, "pooled/pool=8") || !strings.Contains(h, "about 40%") {
		t.Errorf("headline %q, want CANNOT DECIDE naming the cell and why", h)
	}
	// Unflagged and unchanged: decided.
	if rep := mustCompare(t, b.build(), defaultSynth().build(), DefaultOptions); !rep.Decided() {
		t.Errorf("unchanged run undecided: %s", rep.Headline())
	}
}

func TestWarnings(t *testing.T) {
	b, c := defaultSynth().build(), defaultSynth().build()
	c.Complete = false
	c.Scenario.Items = 41
	c.Machine.CPUs = 8
	rep := mustCompare(t, b, c, DefaultOptions)
	all := strings.Join(rep.Warnings, "\n")
	for _, w := range []string{"differs between the runs in: items", "new run is incomplete", "machines differ"} {
		if !strings.Contains(all, w) {
			t.Errorf("warnings lack %q:\n%s", w, all)
		}
	}
}

// TestDecidable: with alpha 0.05 the U test needs 4 repeats a side
// (benchmath says so), with 0.01 five.
func TestDecidable(t *testing.T) {
	for _, tt := range []struct {
		n     int
		alpha float64
		want  bool
	}{{3, 0.05, false}, {4, 0.05, true}, {4, 0.01, false}, {5, 0.01, true}, {0, 0.05, false}} {
		if got := Decidable(tt.n, tt.alpha); got != tt.want {
			t.Errorf("Decidable(%d, %v) = %v, want %v", tt.n, tt.alpha, got, tt.want)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{{Threshold: -0.1, Alpha: 0.05}, {Threshold: 0.05, Alpha: 0}, {Threshold: 0.05, Alpha: 1}, {Threshold: math.NaN(), Alpha: 0.05}} {
		if _, err := Results(defaultSynth().build(), defaultSynth().build(), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestExternalTargetHasNoPeakRow(t *testing.T) {
	s := defaultSynth()
	s.edit = func(c *results.Cell) { c.Upstream = nil }
	rep := mustCompare(t, s.build(), s.build(), DefaultOptions)
	for _, r := range rep.Rows {
		if r.Metric.Name == "peak in flight" {
			t.Fatalf("peak in flight row for an external target: %+v", r)
		}
	}
}

// TestAllEqualIsUnchanged: a timing row whose every repeat, in both runs,
// reads the same value is unchanged (benchmath warns "all samples are
// equal"; the gate used to call that inconclusive and fail).
func TestAllEqualIsUnchanged(t *testing.T) {
	base, cur := defaultSynth().build(), defaultSynth().build()
	for _, r := range []*results.Results{base, cur} {
		for i := range r.Cells {
			r.Cells[i].Latency.P99 = 0.25
		}
	}
	rep := mustCompare(t, base, cur, DefaultOptions)
	saw := 0
	for _, r := range rep.Rows {
		if r.Metric.Name != "p99" {
			continue
		}
		saw++
		if r.Verdict != Unchanged {
			t.Errorf("%s %s: %s (%s), want unchanged", r.Key, r.Metric.Name, r.Verdict, r.Note)
		}
	}
	if saw == 0 || rep.Inconclusive() {
		t.Errorf("%d p99 rows; headline %s", saw, rep.Headline())
	}
	if !allEqual([]float64{0.25, 0.25}, []float64{0.25, 0.25, 0.25}) || allEqual([]float64{0.25}, []float64{0.26}) || allEqual(nil, nil) {
		t.Error("allEqual")
	}
}

// TestEveryItemFailed: a cell whose every item failed in the new run (the
// service went down) fails on its exact counts and its goodput; its other
// timing rows time failures and are not compared (never "improved").
func TestEveryItemFailed(t *testing.T) {
	b, c := defaultSynth(), defaultSynth()
	c.factor = 0.01 // failures come back at once
	c.edit = func(cl *results.Cell) { cl.Failed, cl.Succeeded, cl.Goodput = cl.Items, 0, 0 }
	rep := mustCompare(t, b.build(), c.build(), DefaultOptions)
	if !rep.Failed() || rep.Count(Improved) != 0 {
		t.Fatalf("service down: failed %v, %d improved rows; headline %q", rep.Failed(), rep.Count(Improved), rep.Headline())
	}
	for _, r := range rep.Rows {
		switch r.Metric.Name {
		case "failed", "goodput":
			if r.Verdict != Regressed {
				t.Errorf("%s %s: %s, want regressed", r.Key, r.Metric.Name, r.Verdict)
			}
		case "wall", "throughput", "p50", "p95", "p99":
			if r.Verdict != NotTimed || !strings.Contains(r.Note, "every item failed in the new run") {
				t.Errorf("%s %s: %s %q, want not timed", r.Key, r.Metric.Name, r.Verdict, r.Note)
			}
		}
	}
}

// TestExplainedByTheModel: a cell whose outcome is not one number moves
// from one of the model's modes to the other between two runs of the same
// scenario: the wall time, goodput, failed items and attempts differ, but
// every repeat lies in the model's range, so the rows are explained, not
// regressed; a run between the modes, or of a changed scenario, is not.
func TestExplainedByTheModel(t *testing.T) {
	iv := &results.Interval{
		LowSeconds: 0.97, HighSeconds: 1.33, Coverage: 0.9, Runs: 99,
		Modes: []results.Mode{
			{WallSeconds: 1.0, LowSeconds: 0.97, HighSeconds: 1.03, Odds: 0.6},
			{WallSeconds: 1.3, LowSeconds: 1.27, HighSeconds: 1.33, Odds: 0.4},
		},
		FailedLow: 0, FailedHigh: 3, AttemptsLow: 40, AttemptsHigh: 46,
		LatencyLow:  results.Percentiles{Mean: 0.09, P50: 0.09, P90: 0.09, P95: 0.09, P99: 0.09, Max: 0.09},
		LatencyHigh: results.Percentiles{Mean: 0.2, P50: 0.2, P90: 0.2, P95: 0.2, P99: 0.2, Max: 0.2},
	}
	withRange := func(slower float64) func(cl *results.Cell) {
		return func(cl *results.Cell) {
			if cl.Pool != 8 {
				return
			}
			cl.Interval = iv
			if slower > 1 {
				cl.ModelWallSeconds *= slower
				cl.Failed, cl.Succeeded, cl.Attempts = 2, cl.Items-2, cl.Items+4
				cl.Goodput, cl.Throughput = float64(cl.Succeeded)/cl.ModelWallSeconds, float64(cl.Items)/cl.ModelWallSeconds
			}
		}
	}
	b := defaultSynth()
	b.items = 40 // the range above is of 40 items
	b.edit = withRange(1)
	c := defaultSynth()
	c.items = 40
	c.phase = 3
	c.edit = withRange(1.3)
	rep := mustCompare(t, b.build(), c.build(), DefaultOptions)
	got := verdicts(rep)
	for _, m := range []string{"wall", "goodput", "throughput", "failed", "attempts"} {
		if v := got["pooled/pool=8 "+m]; v != Explained {
			t.Errorf("pooled/pool=8 %s: %s, want %s", m, v, Explained)
		}
	}
	if rep.Failed() || !rep.Decided() || !strings.Contains(rep.Headline(), "5 explained by the model's ranges") {
		t.Errorf("headline %q, want a pass with 5 rows explained", rep.Headline())
	}
	var text strings.Builder
	if err := WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "in mode 1 of 2 (1 s, odds 60%)") || !strings.Contains(text.String(), "in mode 2 of 2 (1.3 s, odds 40%)") {
		t.Errorf("the report does not say which mode each run fell in:\n%s", text.String())
	}

	// Between the modes: an outcome the model does not expect.
	c.edit = withRange(1.15)
	rep = mustCompare(t, b.build(), c.build(), DefaultOptions)
	if v := verdicts(rep)["pooled/pool=8 wall"]; v != Regressed || !rep.Failed() {
		t.Errorf("between the modes: wall %s, failed %v; want regressed", v, rep.Failed())
	}

	// Another scenario: its own difference, whatever the ranges say.
	c.edit = withRange(1.3)
	cur := c.build()
	cur.Scenario.Description = "another service"
	rep = mustCompare(t, b.build(), cur, DefaultOptions)
	if v := verdicts(rep)["pooled/pool=8 failed"]; v != Regressed {
		t.Errorf("changed scenario: failed %s, want regressed", v)
	}
}

// TestTimedCounts: an adaptive cell's failed items turn on timing
// (strategy.Kind.TimedCounts), so two runs whose worst repeats differ are
// tested over repeats like a time, not called a regression exactly; a
// fixed pool's are still compared exactly.
func TestTimedCounts(t *testing.T) {
	run := func(failed ...int) *results.Results {
		r := defaultSynth().build()
		for i, f := range failed {
			for _, st := range []scenario.Strategy{scenario.Adaptive, scenario.Pooled} {
				c := results.Cell{Strategy: st, Pool: st.CellPool(64), Repeat: i, Items: 400, Succeeded: 400 - f, Failed: f, Attempts: 400}
				c.SetWall(2.5, 1)
				r.Cells = append(r.Cells, c)
			}
		}
		return r
	}
	rep := mustCompare(t, run(13, 41, 98, 20, 30, 50), run(30, 133, 60, 25, 45, 70), DefaultOptions)
	verdict := map[string]Row{}
	for _, row := range rep.Rows {
		if row.Metric.Name == "failed" {
			verdict[row.Key.String()] = row
		}
	}
	if row := verdict["adaptive"]; row.Metric.Exact || math.IsNaN(row.P) || row.Verdict == Regressed {
		t.Errorf("adaptive failed: exact %v, p %v, verdict %v; want tested over repeats, not a regression", row.Metric.Exact, row.P, row.Verdict)
	}
	if row := verdict["pooled/pool=64"]; !row.Metric.Exact || row.Verdict != Regressed {
		t.Errorf("pooled(64) failed: exact %v, verdict %v; want compared exactly and regressed", row.Metric.Exact, row.Verdict)
	}
}

// TestTailOfFewItemsNotCompared: with 12 items a cell's p99 and p95 are
// its slowest item; a 10% shift there is not a regression of a
// percentile, and the rows say so without failing the gate or leaving it
// undecided, while wall and p50 still judge the cells.
func TestTailOfFewItemsNotCompared(t *testing.T) {
	b, c := defaultSynth(), defaultSynth()
	b.items, c.items = 12, 12
	c.phase = 3
	c.edit = func(cl *results.Cell) { cl.Latency.P95 *= 1.1; cl.Latency.P99 *= 1.1 }
	rep := mustCompare(t, b.build(), c.build(), DefaultOptions)
	got := verdicts(rep)
	for _, k := range []string{"pooled/pool=8 p99", "pooled/pool=8 p95", "serial/pool=1 p99"} {
		if got[k] != FewItems {
			t.Errorf("%s: %s, want %s", k, got[k], FewItems)
		}
	}
	if got["pooled/pool=8 p50"] == FewItems || got["pooled/pool=8 wall"] == FewItems {
		t.Errorf("p50 %s, wall %s: the cells' other rows must be compared", got["pooled/pool=8 p50"], got["pooled/pool=8 wall"])
	}
	if rep.Failed() || !rep.Decided() {
		t.Errorf("failed %v, decided %v: want a decided pass (%s)", rep.Failed(), rep.Decided(), rep.Headline())
	}
	if h := rep.Headline(); !strings.Contains(h, "tail rows not compared") || !strings.Contains(h, "100 items per cell") {
		t.Errorf("headline %q does not say the tail rows were not compared, nor what would compare them", h)
	}
	// With 100 items the same shift of p99 is judged.
	b.items, c.items = 100, 100
	rep = mustCompare(t, b.build(), c.build(), DefaultOptions)
	if v := verdicts(rep)["pooled/pool=8 p99"]; v != Regressed {
		t.Errorf("100 items, p99 10%% higher: %s, want %s", v, Regressed)
	}
}
