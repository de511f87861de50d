package results

import (
	"strings"
	"testing"

	"github.com/poolbench/poolbench/bench/scenario"
)

// TestCheckThresholds: every cell or the recommended ones; bound and
// interrupted cells are not checked and the note says so; nothing
// checked fails.
func TestCheckThresholds(t *testing.T) {
	mk := func(pool int, failed int, p99 float64) Cell {
		c := Cell{Strategy: scenario.Pooled, Pool: pool, Items: 100, Succeeded: 100 - failed, Failed: failed, Attempts: 100 + failed}
		c.Latency.P99 = p99
		c.SetWall(20/float64(min(pool, 2)), 1) // pools above 2 gain nothing
		return c
	}
	r := &Results{Scenario: scenario.Scenario{Name: "t", Thresholds: map[string]string{"p99": "< 2s", "failed_items": "< 1%"}}}
	r.Cells = []Cell{mk(1, 0, 1.0), mk(2, 0, 1.5), mk(4, 3, 2.5)}
	th, err := CheckThresholds(r)
	if err != nil || len(th) != 2 {
		t.Fatalf("%+v %v", th, err)
	}
	f, p := th[0], th[1] // metric order: failed_items, p99
	if f.Passed || f.Worst != "pooled/p=4/r=0" || f.Value != 0.03 || len(f.Failing) != 1 {
		t.Errorf("failed_items: %+v", f)
	}
	if p.Passed || p.Worst != "pooled/p=4/r=0" || p.Value != 2.5 {
		t.Errorf("p99: %+v", p)
	}
	// The recommended pool only: pooled(2) (as fast as 4, no failures).
	r.Scenario.Thresholds["cells"] = "recommended"
	th, _ = CheckThresholds(r)
	if !th[0].Passed || !th[1].Passed || th[1].Worst != "pooled/p=2/r=0" {
		t.Errorf("recommended: %+v", th)
	}
	// Every cell, the failing one bound: not checked, said.
	r.Scenario.Thresholds["cells"] = "every"
	r.Cells[2].Harness = &Harness{Bound: true}
	th, _ = CheckThresholds(r)
	if !th[1].Passed || !strings.Contains(th[1].Note, "pooled/p=4/r=0 (harness-bound)") {
		t.Errorf("bound cell: %+v", th[1])
	}
	// Nothing checked: a failure.
	for i := range r.Cells {
		r.Cells[i].Harness = &Harness{Bound: true}
	}
	th, _ = CheckThresholds(r)
	if th[0].Passed {
		t.Errorf("every cell bound, threshold passed: %+v", th[0])
	}
}

// TestLateItemsThreshold: late_items is a rate cell's items that started
// late, as a share or a count; a closed-loop cell has none.
func TestLateItemsThreshold(t *testing.T) {
	rate := Cell{Strategy: scenario.Rate, Items: 200, Succeeded: 200, Schedule: &Schedule{Started: 200, Late: 6}}
	pooled := Cell{Strategy: scenario.Pooled, Pool: 2, Items: 200, Succeeded: 200}
	for _, tt := range []struct {
		bound  string
		passed bool
		value  float64
	}{
		{"< 5%", true, 0.03}, {"< 2%", false, 0.03}, {"<= 6", true, 6}, {"< 6", false, 6},
	} {
		r := &Results{Scenario: scenario.Scenario{Name: "t", Thresholds: map[string]string{"late_items": tt.bound}}, Cells: []Cell{pooled, rate}}
		th, err := CheckThresholds(r)
		if err != nil || len(th) != 1 || th[0].Passed != tt.passed || th[0].Value != tt.value || th[0].Worst != rate.Label() {
			t.Errorf("late_items %s: %+v %v", tt.bound, th, err)
		}
	}
}
