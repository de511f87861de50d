package compare

import (
	"github.com/poolbench/poolbench/internal/goldenfile"

	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/bench/results"
)

// golden compares got with its golden file, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

// goldenReports are the reports the golden files show.
func goldenReports(t *testing.T) map[string]*Report {
	base := defaultSynth()
	regressed := defaultSynth()
	regressed.factor, regressed.phase = 1.10, 3
	regressed.pools = []int{2, 4, 16}
	regressed.edit = func(c *results.Cell) {
		if c.Pool == 2 && c.Repeat == 1 {
			c.Failed, c.Succeeded, c.Attempts = 1, c.Items-1, c.Attempts+3
		}
	}
	ok := defaultSynth()
	ok.phase = 2
	few := defaultSynth()
	few.repeats = 3
	out := map[string]*Report{}
	for name, pair := range map[string][2]synth{
		"regressed": {base, regressed}, "ok": {base, ok}, "inconclusive": {few, few},
	} {
		rep := mustCompare(t, pair[0].build(), pair[1].build(), DefaultOptions)
		rep.Base, rep.New = "reports/baseline/ci-gate/results.json", "reports/ci-gate/results.json"
		out[name] = rep
	}
	return out
}

func TestGoldenOutputs(t *testing.T) {
	for name, rep := range goldenReports(t) {
		for ext, write := range map[string]func(*bytes.Buffer, *Report) error{
			"txt":  func(b *bytes.Buffer, r *Report) error { return WriteText(b, r) },
			"md":   func(b *bytes.Buffer, r *Report) error { return WriteMarkdown(b, r) },
			"json": func(b *bytes.Buffer, r *Report) error { return WriteJSON(b, r) },
		} {
			t.Run(name+"."+ext, func(t *testing.T) {
				var b bytes.Buffer
				if err := write(&b, rep); err != nil {
					t.Fatal(err)
				}
				golden(t, name+"."+ext, b.Bytes())
			})
		}
	}
}

func TestMarkdownRegressionsFirst(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, goldenReports(t)["regressed"]); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	reg, details := strings.Index(md, "### Regressions"), strings.Index(md, "<details>")
	if reg < 0 || details < 0 || reg > details {
		t.Fatalf("regressions must come before the folded full table:\n%s", md)
	}
	if !strings.HasPrefix(md, "## poolbench compare ❌") {
		t.Errorf("headline: %q", strings.SplitN(md, "\n", 2)[0])
	}
	if !strings.Contains(md, "ci-gate: ") || !strings.Contains(md, "pooled/pool=8 missing") {
		t.Error("missing cell not in the headline")
	}
}

func TestJSONVerdictPerRow(t *testing.T) {
	var b bytes.Buffer
	rep := goldenReports(t)["regressed"]
	if err := WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Failed bool `json:"failed"`
		Rows   []struct {
			Verdict string   `json:"verdict"`
			P       *float64 `json:"p"`
			Metric  Metric   `json:"metric"`
		} `json:"rows"`
		MissingCells []Key `json:"missing_cells"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Failed || len(got.Rows) != len(rep.Rows) || len(got.MissingCells) != 1 {
		t.Fatalf("failed=%v rows=%d missing=%v", got.Failed, len(got.Rows), got.MissingCells)
	}
	for _, r := range got.Rows {
		if r.Verdict == "" {
			t.Error("row without a verdict")
		}
		if r.Metric.Exact != (r.P == nil) {
			t.Errorf("%s: p=%v for exact=%v", r.Metric.Name, r.P, r.Metric.Exact)
		}
	}
}
