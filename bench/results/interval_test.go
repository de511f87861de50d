package results

import (
	"strings"
	"testing"
)

func TestIntervalExplain(t *testing.T) {
	one := &Interval{LowSeconds: 5.2, HighSeconds: 5.3, Coverage: 0.9}
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
		{"inside", one, 5.25, true, -1, "inside the range 5.2–5.3 s (90% of runs)"},
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
// baseline and a new run one the model expects?
func TestExplainedByRange(t *testing.T) {
	iv := &Interval{LowSeconds: 3.2, HighSeconds: 4.2, Coverage: 0.9, Modes: []Mode{
		{WallSeconds: 3.21, LowSeconds: 3.2, HighSeconds: 3.22, Odds: 0.6},
		{WallSeconds: 4.2, LowSeconds: 4.19, HighSeconds: 4.2, Odds: 0.4},
	}}
	cell := func(w float64, iv *Interval) *Cell { return &Cell{ModelWallSeconds: w, Interval: iv} }
	for _, tc := range []struct {
		name       string
		base, head *Cell
		ok         bool
		why        string
	}{
		{"one mode to the other", cell(3.21, iv), cell(4.2, iv), true, "baseline 3.21 s in mode 1 of 2 (3.21 s, odds 60%); new 4.2 s in mode 2 of 2"},
		{"the new run between modes", cell(3.21, iv), cell(3.7, iv), false, "new 3.7 s outside every mode"},
		{"no model", cell(3.21, nil), cell(4.2, iv), false, ""},
	} {
		ok, why := ExplainedByRange(tc.base, tc.head, 0.01)
		if ok != tc.ok || !strings.Contains(why, tc.why) || (tc.why == "" && why != "") {
			t.Errorf("%s: %v %q, want %v %q", tc.name, ok, why, tc.ok, tc.why)
		}
	}
}
