package results

import (
	"strings"
	"testing"
)

func TestIntervalExplain(t *testing.T) {
	one := &Interval{LowSeconds: 5.2, HighSeconds: 5.3, Coverage: 0.9, Runs: 19}
	two := &Interval{LowSeconds: 3.2, HighSeconds: 4.2, Coverage: 0.9, Modes: []Mode{
		{WallSeconds: 3.21, LowSeconds: 3.2, HighSeconds: 3.22, Odds: 0.6},
		{WallSeconds: 4.2, LowSeconds: 4.19, HighSeconds: 4.2, Odds: 0.4},
	}}
	for _, tc := range []struct {
		name string
		iv   *Interval
		w    float64
		ok   bool
		mode int
		text string
	}{
		{"inside", one, 5.25, true, -1, "inside the range 5.2–5.3 s (90% of simulated runs), ±1%"},
		{"inside widened", one, 5.35, true, -1, "inside"},
		{"beyond the budget", one, 5.4, false, -1, "outside the range"},
		{"below", one, 5.1, false, -1, "outside"},
		{"first mode", two, 3.23, true, 0, "in mode 1 of 2 (3.21 s, odds 60%)"},
		{"second mode", two, 4.22, true, 1, "in mode 2 of 2 (4.2 s, odds 40%)"},
		{"between modes", two, 3.7, false, 0, "outside every mode"},
		{"far beyond", two, 190, false, 1, "outside every mode (nearest 4.2 s"},
	} {
		f := tc.iv.Explain(tc.w, 0.01)
		if f.OK != tc.ok || f.Mode != tc.mode {
			t.Errorf("%s: %+v, want ok %v mode %d", tc.name, f, tc.ok, tc.mode)
		}
		if got := tc.iv.Describe(tc.w, 0.01); !strings.Contains(got, tc.text) {
			t.Errorf("%s: %q, want %q in it", tc.name, got, tc.text)
		}
	}
	if got := two.RangeText(); got != "3.21 s (60%) or 4.2 s (40%)" {
		t.Errorf("RangeText = %q", got)
	}
}

// TestExplainedByRange: compare's question: is the difference between a
// baseline and a new run one the model expects, metric by metric?
func TestExplainedByRange(t *testing.T) {
	iv := &Interval{LowSeconds: 3.2, HighSeconds: 4.2, Coverage: 0.9, Runs: 99, Modes: []Mode{
		{WallSeconds: 3.21, LowSeconds: 3.2, HighSeconds: 3.22, Odds: 0.6},
		{WallSeconds: 4.2, LowSeconds: 4.19, HighSeconds: 4.2, Odds: 0.4},
	}, FailedLow: 217, FailedHigh: 220, AttemptsLow: 1110, AttemptsHigh: 1120,
		LatencyLow: Percentiles{P99: 3.2}, LatencyHigh: Percentiles{P99: 3.22}}
	cell := func(w float64, failed int, iv *Interval) *Cell {
		return &Cell{ModelWallSeconds: w, Failed: failed, Attempts: 1115, Latency: Percentiles{P99: 3.21}, Interval: iv}
	}
	old := &Interval{LowSeconds: 3.2, HighSeconds: 4.2, Coverage: 0.9, Runs: 19}
	for _, tc := range []struct {
		name       string
		metric     string
		base, head *Cell
		ok         bool
		why        string
	}{
		{"one mode to the other", "wall", cell(3.21, 218, iv), cell(4.2, 218, iv), true, "baseline 3.21 s in mode 1 of 2 (3.21 s, odds 60%); new 4.2 s in mode 2 of 2"},
		{"the new run between modes", "wall", cell(3.21, 218, iv), cell(3.7, 218, iv), false, "new 3.7 s outside every mode"},
		{"failed items in range", "failed", cell(3.21, 217, iv), cell(4.2, 220, iv), true, "new failed 220 inside 217–220 (90% of simulated runs)"},
		{"failed items beyond", "failed", cell(3.21, 217, iv), cell(4.2, 221, iv), false, "new failed 221 outside 217–220"},
		{"goodput follows wall and failed", "goodput", cell(3.21, 217, iv), cell(4.2, 221, iv), false, "failed 221 outside"},
		{"p99 widened by the budget", "p99", cell(3.21, 217, iv), cell(4.2, 221, iv), true, "p99 3.21 s inside 3.2–3.22 s"},
		{"attempts", "attempts", cell(3.21, 217, iv), cell(4.2, 221, iv), true, "attempts 1115 inside 1110–1120"},
		{"no attempts range in older results", "attempts", cell(3.21, 217, old), cell(4.2, 221, iv), false, ""},
		{"no range for peak in flight", "peak in flight", cell(3.21, 217, iv), cell(4.2, 221, iv), false, ""},
		{"no model", "wall", cell(3.21, 218, nil), cell(4.2, 218, iv), false, ""},
	} {
		ok, why := ExplainedByRange(tc.base, tc.head, tc.metric, 0.01)
		if ok != tc.ok || !strings.Contains(why, tc.why) || (tc.why == "" && why != "") {
			t.Errorf("%s: %v %q, want %v %q", tc.name, ok, why, tc.ok, tc.why)
		}
	}
}
