package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/bench/results"
)

// TestRangeShown: a recommended cell whose wall time is not one number has
// its outcomes and their odds in the headline; the tables carry every
// range with its coverage; the wall chart draws them and says what they
// cover.
func TestRangeShown(t *testing.T) {
	f := seedFixture()
	r := f.results
	rec := r.Recommended
	if rec == nil {
		t.Fatal("the fixture recommends nothing")
	}
	two := &results.Interval{LowSeconds: 423.9, HighSeconds: 530, Coverage: 0.9, Runs: 99, JitterSeconds: 0.002, HarnessCostSeconds: 1e-5, Modes: []results.Mode{
		{WallSeconds: 424, LowSeconds: 423.9, HighSeconds: 424.1, Odds: 0.7},
		{WallSeconds: 529.5, LowSeconds: 529, HighSeconds: 530, Odds: 0.3},
	}}
	one := &results.Interval{LowSeconds: 815.9, HighSeconds: 818, Coverage: 1, JitterSeconds: 0.002}
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
	if d := strings.Join(details, "\n"); !strings.Contains(d, "Not one number: by the model, pooled(2) takes 424 s (70%) or 529.5 s (30%) (odds: shares of 99 simulated runs with requests and answers up to 2 ms late, a harness of 10 µs per message (½ to 2×)") {
		t.Errorf("headline details without the modes:\n%s", d)
	}
	var md bytes.Buffer
	if err := s.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		" predicted range |",
		"predicted range: one more simulated run (requests and answers up to 2 ms late, a harness of 10 µs per message (½ to 2×)) falls inside with at least 90% probability; for cells the closed formula covers, a bound on requests and answers up to 2 ms late",
		"its modes with their odds (share of 99 simulated runs)",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("table.md without %q:\n%s", want, md.String())
		}
	}
	var csv bytes.Buffer
	if err := s.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	// The range's columns, then a rate row's six, empty here.
	if !strings.Contains(csv.String(), ",815.9,818,,1,,,,,,\n") || !strings.Contains(csv.String(), "424 s (70%) or 529.5 s (30%),0.9,,,,,,\n") {
		t.Errorf("table.csv without the ranges:\n%s", csv.String())
	}
	c, err := wallChart(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Caption, "error bars its range: one more simulated run (requests and answers up to 2 ms late, a harness of 10 µs per message (½ to 2×)) falls inside with at least 90% probability") || !strings.Contains(c.Caption, "the bar spans its modes") {
		t.Errorf("wall chart caption %q", c.Caption)
	}
}

// TestRangeHeader: the range column names its coverage when every cell's
// range has the same.
func TestRangeHeader(t *testing.T) {
	sim := &results.Interval{Coverage: 0.9, Runs: 19}
	exact := &results.Interval{Coverage: 1}
	for _, tc := range []struct {
		ivs  []*results.Interval
		want string
	}{
		{[]*results.Interval{sim, sim, nil}, "predicted range (90%)"},
		{[]*results.Interval{exact, exact}, "predicted range (bound)"},
		{[]*results.Interval{sim, exact}, "predicted range"},
	} {
		s := &Summary{}
		for _, iv := range tc.ivs {
			s.Rows = append(s.Rows, &Row{Range: iv})
		}
		if got := s.rangeHeader(); got != tc.want {
			t.Errorf("%d intervals: %q, want %q", len(tc.ivs), got, tc.want)
		}
	}
}

// TestExplainedShown: a cell the harness check explained (its answer in
// one of the model's modes) is marked ‡, not †, and the details say where
// it fell and what its harness error means.
func TestExplainedShown(t *testing.T) {
	f := seedFixture()
	r := f.results
	two := &results.Interval{LowSeconds: 423.9, HighSeconds: 530, Coverage: 0.9, Runs: 99, JitterSeconds: 0.002, HarnessCostSeconds: 1e-5, Modes: []results.Mode{
		{WallSeconds: 424, LowSeconds: 423.9, HighSeconds: 424.1, Odds: 0.7},
		{WallSeconds: 529.5, LowSeconds: 529, HighSeconds: 530, Odds: 0.3},
	}}
	var name string
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Strategy == "workers" && c.Pool == 8 {
			c.Interval = two
			c.Harness.Explained = "the cell's answer turns on a few milliseconds"
			name = "workers(8)"
		}
	}
	if name == "" {
		t.Fatal("the fixture has no workers(8) cell")
	}
	s, err := Summarize(r)
	if err != nil {
		t.Fatal(err)
	}
	_, details := s.headline()
	if d := strings.Join(details, "\n"); !strings.Contains(d, "Explained, not flagged (‡): the answer of workers(8) turns") || !strings.Contains(d, "workers(8) 424 s in mode 1 of 2 (424 s, odds 70%)") {
		t.Errorf("details without the explained cell:\n%s", d)
	}
	var md bytes.Buffer
	if err := s.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| workers‡ ") || !strings.Contains(md.String(), "‡ explained (1 row)") {
		t.Errorf("table.md does not mark workers(8) ‡:\n%s", md.String())
	}
}
