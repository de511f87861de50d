package report

import (
	"strings"
	"testing"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
)

// TestAdaptiveHeadline: the headline says how close adaptive comes to
// the best fixed pool's goodput, with its mean limit, and the table shows
// its pool as auto.
func TestAdaptiveHeadline(t *testing.T) {
	cell := func(st scenario.Strategy, pool int, ok int, wall float64) results.Cell {
		c := results.Cell{Strategy: st, Pool: pool, Items: 2000, Succeeded: ok, Failed: 2000 - ok, Attempts: 2000}
		c.SetWall(wall, 1)
		return c
	}
	ad := cell(scenario.Adaptive, 0, 1940, 12.6)
	ad.Limit = &strategy.Trace{Mean: 15.3, Min: 1, Max: 18, Final: 16}
	r := &results.Results{Complete: true, Scenario: scenario.Scenario{Name: "t", Items: 2000},
		Cells: []results.Cell{cell(scenario.Pooled, 4, 2000, 50), cell(scenario.Pooled, 16, 2000, 12.5), ad}}
	s, err := Summarize(r)
	if err != nil {
		t.Fatal(err)
	}
	got := s.versusText()
	for _, want := range []string{"adaptive reaches 96% of the best fixed pool's goodput", "pooled(16)", "mean limit 15.3"} {
		if !strings.Contains(got, want) {
			t.Errorf("adaptive text %q lacks %q", got, want)
		}
	}
	if h, _ := s.headline(); !strings.Contains(h, got) {
		t.Errorf("headline %q lacks the adaptive text", h)
	}
	for _, row := range s.Rows {
		if row.Strategy == scenario.Adaptive && row.PoolText() != "auto" {
			t.Errorf("adaptive pool shown as %q", row.PoolText())
		}
	}
}
