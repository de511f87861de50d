package results

import (
	"testing"

	"github.com/poolbench/poolbench/bench/scenario"
)

// curve builds cells of one strategy: tput[i] at pools[i], failed[i] items
// failed, each repeated with the given spreads (one cell per spread).
func curve(s scenario.Strategy, pools []int, tput []float64, failed []int, spreads ...float64) []Cell {
	if len(spreads) == 0 {
		spreads = []float64{1}
	}
	var cells []Cell
	for r, f := range spreads {
		for i, p := range pools {
			c := Cell{Strategy: s, Pool: p, Repeat: r, Items: 1000, Succeeded: 1000 - failed[i], Failed: failed[i]}
			c.SetWall(1000/(tput[i]*f), 1) // throughput tput[i]*f
			cells = append(cells, c)
		}
	}
	return cells
}

func TestRecommend(t *testing.T) {
	none := []int{0, 0, 0, 0, 0, 0}
	pools := []int{1, 2, 4, 8, 16, 32}
	for _, tc := range []struct {
		name     string
		cells    []Cell
		wantS    scenario.Strategy
		wantPool int
	}{
		{
			// The seed: capped at 2, nothing gained beyond.
			name:  "plateau at the cap",
			cells: curve(scenario.Pooled, pools, []float64{1.22, 2.36, 2.36, 2.35, 2.36, 2.34}, none),
			wantS: scenario.Pooled, wantPool: 2,
		},
		{
			// 4 is 96% of the best (within 5%), 2 is 60%.
			name:  "within 5 percent",
			cells: curve(scenario.Pooled, pools, []float64{1, 6, 9.6, 9.9, 10, 9.8}, none),
			wantS: scenario.Pooled, wantPool: 4,
		},
		{
			// 4 is 94.9%: not close enough.
			name:  "just outside 5 percent",
			cells: curve(scenario.Pooled, pools, []float64{1, 6, 9.49, 9.9, 10, 9.8}, none),
			wantS: scenario.Pooled, wantPool: 8,
		},
		{
			// Pool 8 has the best throughput but fails items; pool 4 is
			// within 5% of it without failures. The best by goodput is
			// pool 4 anyway.
			name:  "extra failures excluded",
			cells: curve(scenario.Pooled, pools, []float64{1, 5, 9.7, 10, 10, 10}, []int{0, 0, 0, 3, 40, 90}),
			wantS: scenario.Pooled, wantPool: 4,
		},
		{
			// Failing fast inflates throughput: pool 32 "finishes" first
			// only because half its items fail at once.
			name:  "fast failures do not win",
			cells: curve(scenario.Pooled, pools, []float64{1, 2, 2, 2, 2, 3.5}, []int{0, 0, 0, 0, 0, 500}),
			wantS: scenario.Pooled, wantPool: 2,
		},
		{
			// Medians over repeats: one slow repeat of pool 2 does not
			// sink it.
			name: "median over repeats",
			cells: append(curve(scenario.Pooled, []int{2}, []float64{10}, []int{0}, 1, 0.5, 1.01),
				curve(scenario.Pooled, []int{4}, []float64{10}, []int{0}, 1, 1, 1)...),
			wantS: scenario.Pooled, wantPool: 2,
		},
		{
			// Serial counts as pool 1; unbounded never competes.
			name: "serial and unbounded",
			cells: append(curve(scenario.Serial, []int{1}, []float64{10}, []int{0}),
				append(curve(scenario.Workers, []int{4}, []float64{10.2}, []int{0}),
					curve(scenario.Unbounded, []int{0}, []float64{50}, []int{0})...)...),
			wantS: scenario.Serial, wantPool: 1,
		},
		{
			// Same pool for two strategies, both within 5% of the best:
			// the stated order (pooled before workers), not the noise
			// between them.
			name: "tie on pool",
			cells: append(curve(scenario.Pooled, []int{2, 8}, []float64{9.6, 10}, []int{0, 0}),
				curve(scenario.Workers, []int{2}, []float64{9.9}, []int{0})...),
			wantS: scenario.Pooled, wantPool: 2,
		},
		{
			// The order holds whichever of the two read faster.
			name: "tie on pool, the other way",
			cells: append(curve(scenario.Pooled, []int{2, 8}, []float64{9.9, 10}, []int{0, 0}),
				curve(scenario.Workers, []int{2}, []float64{9.6}, []int{0})...),
			wantS: scenario.Pooled, wantPool: 2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Recommend(tc.cells)
			if r == nil {
				t.Fatal("no recommendation")
			}
			if r.Strategy != tc.wantS || r.Pool != tc.wantPool {
				t.Errorf("recommended %s/%d, want %s/%d (%s)", r.Strategy, r.Pool, tc.wantS, tc.wantPool, r.Reason)
			}
			if r.Reason == "" || r.BestThroughput < r.Throughput*0.5 {
				t.Errorf("bad recommendation fields: %+v", r)
			}
		})
	}
	if r := Recommend(curve(scenario.Unbounded, []int{0}, []float64{5}, []int{0})); r != nil {
		t.Errorf("unbounded only: got %+v, want nil", r)
	}
	if r := Recommend(curve(scenario.Pooled, []int{1, 2}, []float64{5, 9}, []int{1000, 1000})); r != nil {
		t.Errorf("everything failed: got %+v, want nil", r)
	}
	if r := Recommend(nil); r != nil {
		t.Errorf("no cells: got %+v, want nil", r)
	}
	// A pool the harness flagged (it measured poolbench) never competes,
	// however fast it read.
	cells := curve(scenario.Pooled, pools, []float64{1, 2, 4, 8, 16, 16}, none)
	cells[5].Harness = &Harness{Bound: true}
	cells[4].Harness = &Harness{Bound: false}
	if r := Recommend(cells); r == nil || r.Pool != 16 {
		t.Errorf("with pool 32 bound: %+v, want pool 16", r)
	}
	cells[4].Harness.Bound = true
	if r := Recommend(cells); r == nil || r.Pool != 8 || r.BestGoodput != 8 {
		t.Errorf("with pools 16 and 32 bound: %+v, want pool 8", r)
	}
}

// TestRecommendMostlyFailed: a pool far above a rejecting cap, whose
// items are answered at once with a reject, succeeds in a few items so
// fast that its goodput is the highest; having failed most of its items
// it is not eligible, and with the only clean pool that did not fail
// harness-bound, nothing is recommended.
func TestRecommendMostlyFailed(t *testing.T) {
	cell := func(pool, failed int, wall float64, bound bool) Cell {
		c := Cell{Strategy: scenario.Pooled, Pool: pool, Items: 2000, Succeeded: 2000 - failed, Failed: failed}
		c.SetWall(wall, 1)
		if bound {
			c.Harness = &Harness{Bound: true}
		}
		return c
	}
	clean := []Cell{cell(16, 0, 12.5, false), cell(64, 1984, 0.1, false)}
	if rec := Recommend(clean); rec == nil || rec.Pool != 16 || rec.BestGoodput != 160 {
		t.Errorf("recommended %+v, want pooled(16), the best at 160 items/s", rec)
	}
	if rec := Recommend([]Cell{cell(16, 0, 12.5, true), cell(64, 1984, 0.1, false)}); rec != nil {
		t.Errorf("recommended %+v, want none: pooled(64) failed 1,984 of 2,000 items", rec)
	}
}
