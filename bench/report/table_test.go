package report

import (
	"github.com/poolbench/poolbench/internal/goldenfile"

	"bytes"
	"encoding/csv"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
)

// golden compares got with its golden file, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", "golden", name), got)
}

func fixtures() map[string]fixture {
	return map[string]fixture{"seed-816s": seedFixture(), "cap-sweep": capSweepFixture()}
}

func TestTablesGolden(t *testing.T) {
	for name, f := range fixtures() {
		t.Run(name, func(t *testing.T) {
			s, err := Summarize(f.results)
			if err != nil {
				t.Fatal(err)
			}
			var term, md, cs bytes.Buffer
			if err := s.WriteTerminal(&term, 100); err != nil {
				t.Fatal(err)
			}
			if err := s.WriteMarkdown(&md); err != nil {
				t.Fatal(err)
			}
			if err := s.WriteCSV(&cs); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".txt", term.Bytes())
			golden(t, name+".md", md.Bytes())
			golden(t, name+".csv", cs.Bytes())

			// The terminal table stays readable at 100 columns.
			for line := range strings.Lines(term.String()) {
				if n := utf8.RuneCountInString(strings.TrimRight(line, "\n")); n > 100 {
					t.Errorf("terminal line is %d runes wide (> 100): %q", n, line)
				}
			}
			// One CSV record per strategy × pool, plus the header, all the
			// same width.
			recs, err := csv.NewReader(&cs).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(s.Rows)+1 {
				t.Errorf("table.csv has %d records, want %d", len(recs), len(s.Rows)+1)
			}
			// Markdown: a header, a separator and one line per row.
			var tableLines int
			for line := range strings.Lines(md.String()) {
				if strings.HasPrefix(line, "|") {
					tableLines++
				}
			}
			if tableLines != len(s.Rows)+2 {
				t.Errorf("table.md has %d table lines, want %d", tableLines, len(s.Rows)+2)
			}
		})
	}
}

func TestHeadline(t *testing.T) {
	tests := []struct {
		name     string
		f        fixture
		headline string
		details  []string
	}{
		{"seed-816s", seedFixture(),
			"serial 816 s → pooled(2) 424 s: 1.92× faster; pools above 2 gain nothing (upstream cap 2)",
			[]string{"Unbounded: 424 s (1.92× vs serial)", "p99 420 s vs 852 ms for pooled(2)",
				"Recommended: pooled(2), the smallest pool within 5% of the best goodput without more failures (2.36 of 2.36 items/s succeeded)."}},
		// No serial cell: pooled(1) is the baseline. pooled(512) and
		// unbounded are harness-bound: the failures claim stops at 256.
		{"cap-sweep", capSweepFixture(),
			"pooled(1) 82.9 s → pooled(16) 5.47 s: 15.2× faster; bigger pools only add failures, up to 224 of 400 items for pooled(256) (upstream cap 16, excess rejected with 503)",
			[]string{"Unbounded (harness-bound): 3.23 s: 336 of 400 items failed", "rejected by the upstream",
				"2 of 11 cells were harness-bound, measuring poolbench rather than the upstream (pooled(512), unbounded)",
				"Recommended: pooled(16), the best goodput (73.1 items/s succeeded)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Summarize(tt.f.results)
			if err != nil {
				t.Fatal(err)
			}
			if s.Headline != tt.headline {
				t.Errorf("headline\n got %q\nwant %q", s.Headline, tt.headline)
			}
			all := strings.Join(s.Details, "\n")
			for _, d := range tt.details {
				if !strings.Contains(all, d) {
					t.Errorf("details %q lack %q", all, d)
				}
			}
		})
	}
}

// The headline follows the data: the report calls the one recommendation
// rule (results.Recommend) whatever results.json says; with a cap of 4 it
// names a pool of 4; without serial it still says something.
func TestHeadlineVariants(t *testing.T) {
	f := seedFixture()
	want := results.Recommend(f.results.Cells)
	f.results.Recommended = &results.Recommendation{Strategy: scenario.Pooled, Pool: 64, Reason: "stale"}
	s, err := Summarize(f.results)
	if err != nil {
		t.Fatal(err)
	}
	if s.Best == nil || s.Best.Strategy != want.Strategy || s.Best.Pool != want.Pool {
		t.Fatalf("best = %v, want the rule's %s/%d", s.Best, want.Strategy, want.Pool)
	}

	f = seedFixtureCap(4)
	s, _ = Summarize(f.results)
	if !strings.Contains(s.Headline, "(4)") || !strings.Contains(s.Headline, "upstream cap 4") {
		t.Errorf("cap 4 headline: %q", s.Headline)
	}

	f = seedFixture()
	f.results.Recommended = nil
	var cells = f.results.Cells[:0]
	for _, c := range f.results.Cells {
		if c.Strategy != "serial" {
			cells = append(cells, c)
		}
	}
	f.results.Cells = cells
	s, _ = Summarize(f.results)
	if !strings.HasPrefix(s.Headline, "pooled(1) 816 s → pooled(2) 424 s: 1.92× faster") {
		t.Errorf("no-serial headline: %q", s.Headline)
	}
	if !strings.Contains(s.Caption(), "speed-up: goodput relative to pooled(1) (no serial cell)") {
		t.Errorf("no-serial caption: %q", s.Caption())
	}

	// Only bounded pools above 1: no baseline, the best pool is named.
	cells = f.results.Cells[:0]
	for _, c := range f.results.Cells {
		if c.Pool >= 2 {
			cells = append(cells, c)
		}
	}
	f.results.Cells = cells
	s, _ = Summarize(f.results)
	if !strings.HasPrefix(s.Headline, "best pool: pooled(2) 424 s") {
		t.Errorf("no-baseline headline: %q", s.Headline)
	}

	// An interrupted run says so in the details, the table and the page.
	f = seedFixture()
	f.results.Complete = false
	last := &f.results.Cells[len(f.results.Cells)-1]
	last.Interrupted = true
	s, _ = Summarize(f.results)
	var term bytes.Buffer
	if err := s.WriteTerminal(&term, 100); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(s.Details, " "), "The run was interrupted") ||
		!strings.Contains(term.String(), "unbounded*") || !strings.Contains(term.String(), "* interrupted") {
		t.Errorf("interrupted run not marked:\n%s", term.String())
	}
	page, err := renderPage(s, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), `class="incomplete"`) {
		t.Error("page does not say the run was interrupted")
	}

	if _, err := Summarize(&results.Results{Schema: results.SchemaVersion}); err != ErrNoCells {
		t.Errorf("no cells: err = %v, want ErrNoCells", err)
	}
}

// TestTablesFit: with every optional column present (upstream counts,
// predictions, harness errors, mixed time scales), table.md has at most
// 10 columns and names the ones it leaves out, and table.csv has a field
// for every column of the tables.
func TestTablesFit(t *testing.T) {
	f := mixedScalesSeed()
	for i := range f.results.Cells {
		c := &f.results.Cells[i]
		c.PredictedWallSeconds = 0.98 * c.ModelWallSeconds
		c.Efficiency = 0.98
	}
	s, err := Summarize(f.results)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Predicted || !s.Harness || !s.mixedScales() {
		t.Fatalf("the fixture lacks optional columns: predicted %v, harness %v, mixed scales %v", s.Predicted, s.Harness, s.mixedScales())
	}
	var md, cs bytes.Buffer
	if err := s.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteCSV(&cs); err != nil {
		t.Fatal(err)
	}
	var header []string
	for line := range strings.Lines(md.String()) {
		if strings.HasPrefix(line, "|") {
			for _, h := range strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|") {
				header = append(header, strings.TrimSpace(h))
			}
			break
		}
	}
	if len(header) > 10 || len(header) < 8 {
		t.Errorf("table.md has %d columns, want 8 to 10: %q", len(header), header)
	}
	// The line after the caption names the columns left out.
	var named []string
	for line := range strings.Lines(md.String()) {
		if list, ok := strings.CutPrefix(strings.TrimSpace(line), "_Also in table.csv and the page's detail table: "); ok {
			named = strings.Split(strings.TrimSuffix(list, "._"), ", ")
		}
	}
	recs, err := csv.NewReader(&cs).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	csvHeader := recs[0]
	// The table.csv fields that hold each column (plain numbers).
	inCSV := map[string][]string{
		"strategy": {"strategy"}, "pool": {"pool"}, "items": {"items"}, "succeeded": {"succeeded"},
		"failed": {"failed"}, "failed %": {"failed_share"}, "attempts": {"attempts"},
		"attempts/item": {"attempts_per_item"}, "wall time": {"wall_s", "wall_min_s", "wall_max_s"},
		"items/s":              {"goodput_items_per_s", "goodput_min_items_per_s", "goodput_max_items_per_s"},
		"items/s incl. failed": {"throughput_items_per_s", "throughput_min_items_per_s", "throughput_max_items_per_s"},
		"p50":                  {"latency_p50_s"}, "p95": {"latency_p95_s"}, "p99": {"latency_p99_s"},
		"peak in flight": {"peak_in_flight"}, "rejected/reset": {"rejected", "reset"},
		"time scale": {"timescale"}, "predicted": {"predicted_wall_s"}, "efficiency": {"efficiency"},
		"predicted range": {"predicted_low_s", "predicted_high_s"},
		"harness error":   {"harness_error", "harness_bound"},
	}
	for _, c := range columns(s) {
		if c.md == "" {
			continue
		}
		if !slices.Contains(header, c.md) && !slices.Contains(named, c.md) {
			t.Errorf("table.md neither shows nor names column %q", c.md)
		}
		fields, ok := inCSV[strings.Split(c.md, " (")[0]] // "predicted range (90%)"
		if !strings.HasPrefix(c.md, "speed-up vs ") && !ok {
			t.Errorf("column %q: which table.csv field holds it? (add it to inCSV)", c.md)
		}
		if strings.HasPrefix(c.md, "speed-up vs ") {
			fields = []string{"speedup", "speedup_baseline"}
		}
		for _, field := range fields {
			if !slices.Contains(csvHeader, field) {
				t.Errorf("column %q: table.csv has no field %s", c.md, field)
			}
		}
	}
}
