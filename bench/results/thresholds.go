package results

import (
	"fmt"
	"strings"

	"github.com/poolbench/poolbench/bench/scenario"
)

// Threshold is one criterion of the scenario checked against a run.
type Threshold struct {
	scenario.Criterion
	// Passed is true when every cell checked meets the criterion, and at
	// least one was checked.
	Passed bool `json:"passed"`
	// Worst is the cell that came closest to the bound or went furthest
	// past it, and Value its figure (in the criterion's unit).
	Worst string  `json:"worst,omitempty"`
	Value float64 `json:"value"`
	// Failing lists the cells that crossed the bound.
	Failing []string `json:"failing,omitempty"`
	// Note says what was not checked, and why.
	Note string `json:"note,omitempty"`
}

// CheckThresholds checks the scenario's thresholds against r's cells: every
// cell, or the recommended pool's cells (Recommend). A cell the harness
// flagged as bound, or an interrupted one, is not checked and the note
// says so; a criterion that checked no cell fails.
func CheckThresholds(r *Results) ([]Threshold, error) {
	criteria, which, err := r.Scenario.Criteria()
	if err != nil || len(criteria) == 0 {
		return nil, err
	}
	var cells []*Cell
	var skipped []string
	note := ""
	if which == scenario.ThresholdsRecommended {
		rec := r.Recommend()
		if rec == nil {
			note = "no pool was recommended (nothing succeeded, or every pool was interrupted or harness-bound)"
		}
		for i := range r.Cells {
			c := &r.Cells[i]
			if rec != nil && c.Strategy == rec.Strategy && c.Strategy.CellPool(c.Pool) == rec.Pool {
				cells = append(cells, c)
			}
		}
	} else {
		for i := range r.Cells {
			c := &r.Cells[i]
			switch {
			case c.Interrupted:
				skipped = append(skipped, c.Label()+" (interrupted)")
			case c.Bound():
				skipped = append(skipped, c.Label()+" (harness-bound)")
			default:
				cells = append(cells, c)
			}
		}
	}
	if len(skipped) > 0 {
		note = "not checked: " + strings.Join(skipped, ", ")
	}
	out := make([]Threshold, 0, len(criteria))
	for _, cr := range criteria {
		t := Threshold{Criterion: cr, Passed: len(cells) > 0, Note: note}
		if len(cells) == 0 && note == "" {
			t.Note = "no cell to check"
		}
		for i, c := range cells {
			v := metricOf(cr, c)
			if !cr.Holds(v) {
				t.Passed = false
				t.Failing = append(t.Failing, c.Label())
			}
			if i == 0 || worse(cr, v, t.Value) {
				t.Worst, t.Value = c.Label(), v
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// worse reports whether v is further towards failing cr than w.
func worse(cr scenario.Criterion, v, w float64) bool {
	if strings.HasPrefix(cr.Op, "<") {
		return v > w
	}
	return v < w
}

// metricOf is c's figure for criterion cr.
func metricOf(cr scenario.Criterion, c *Cell) float64 {
	switch cr.Metric {
	case "failed_items":
		if cr.Share {
			if c.Items == 0 {
				return 0
			}
			return float64(c.Failed) / float64(c.Items)
		}
		return float64(c.Failed)
	case "late_items": // a rate cell's items that started late; none in the others
		late := 0
		if c.Schedule != nil {
			late = c.Schedule.Late
		}
		if cr.Share {
			if c.Items == 0 {
				return 0
			}
			return float64(late) / float64(c.Items)
		}
		return float64(late)
	case "attempts_per_item":
		if c.Items == 0 {
			return 0
		}
		return float64(c.Attempts) / float64(c.Items)
	case "p50":
		return c.Latency.P50
	case "p90":
		return c.Latency.P90
	case "p95":
		return c.Latency.P95
	case "p99":
		return c.Latency.P99
	case "max":
		return c.Latency.Max
	case "wall":
		return c.ModelWallSeconds
	case "goodput":
		return c.Goodput
	case "throughput":
		return c.Throughput
	}
	panic(fmt.Sprintf("results: metric %q has no figure", cr.Metric)) // ParseCriterion knows no other
}
