package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/bench/results"
)

// TestRangeShown: a recommended cell whose wall time is not one number has
// its outcomes and their odds in the headline; the tables carry every
// range; the wall chart draws them.
func TestRangeShown(t *testing.T) {
	f := seedFixture()
	r := f.results
	rec := r.Recommended
	if rec == nil {
		t.Fatal("the fixture recommends nothing")
	}
	two := &results.Interval{LowSeconds: 423.9, HighSeconds: 530, Coverage: 0.9, Runs: 99, Modes: []results.Mode{
		{WallSeconds: 424, LowSeconds: 423.9, HighSeconds: 424.1, Odds: 0.7},
		{WallSeconds: 529.5, LowSeconds: 529, HighSeconds: 530, Odds: 0.3},
	}}
	one := &results.Interval{LowSeconds: 815.9, HighSeconds: 818, Coverage: 1}
	for i := range r.Cells {
		c := &r.Cells[i]
		switch {
		case c.Strategy == rec.Strategy && c.Pool == rec.Pool:
			c.Interval = two
		case c.PredictedWallSeconds > 0:
			c.Interval = one
		}
	}
	s, err := Summarize(r)
	if err != nil {
		t.Fatal(err)
	}
	_, details := s.headline()
	if d := strings.Join(details, "\n"); !strings.Contains(d, "Its wall time is not one number: the model predicts 424 s (70%) or 529.5 s (30%).") {
		t.Errorf("headline details without the modes:\n%s", d)
	}
	var csv bytes.Buffer
	if err := s.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csv.String(), ",815.9,818,") || !strings.Contains(csv.String(), "424 s (70%) or 529.5 s (30%)") {
		t.Errorf("table.csv without the ranges:\n%s", csv.String())
	}
	c, err := wallChart(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Caption, "error bars its range") {
		t.Errorf("wall chart caption %q", c.Caption)
	}
}
