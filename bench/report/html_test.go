package report

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// checkPage checks index.html's structure: the headline, the scenario in
// words, the table with one row per strategy × pool, every chart inline
// as SVG, the file links, and nothing that would reach the network.
func checkPage(t *testing.T, page string, s *Summary, charts int, requests bool) {
	t.Helper()
	must := []string{
		"<!DOCTYPE html>",
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none'`,
		"<h1>" + s.Results.Scenario.Name,
		`id="headline">`,
		"<strong>" + templateEscape(s.Headline) + "</strong>",
		`<ul class="words" id="scenario">`,
		`<table id="results">`,
		`href="results.json"`, `href="table.md"`, `href="table.csv"`,
	}
	for _, m := range must {
		if !strings.Contains(page, m) {
			t.Errorf("page lacks %q", m)
		}
	}
	// The main table and the detail table: a header and one row per
	// strategy × pool each, and every column in one of them.
	main, detail := pageTableHTML(page, "results"), pageTableHTML(page, "detail")
	for name, table := range map[string]string{"results": main, "detail": detail} {
		if got := strings.Count(table, "<tr"); got != len(s.Rows)+1 {
			t.Errorf("table %s has %d rows, want %d", name, got, len(s.Rows)+1)
		}
	}
	for _, c := range columns(s) {
		if c.md != "" && !strings.Contains(main+detail, ">"+templateEscape(c.md)+"</th>") {
			t.Errorf("column %q is in neither table of the page", c.md)
		}
	}
	if got := strings.Count(page, "<tr"); got != 2*(len(s.Rows)+1) {
		t.Errorf("page has %d table rows, want %d", got, 2*(len(s.Rows)+1))
	}
	if got := len(regexp.MustCompile(`<figure id="chart-\w+">\n<svg`).FindAllString(page, -1)); got != charts {
		t.Errorf("page has %d inline SVG charts, want %d", got, charts)
	}
	if strings.Contains(page, "<?xml") {
		t.Error("page carries an XML prolog inside HTML")
	}
	if got := strings.Contains(page, `href="requests.jsonl"`); got != requests {
		t.Errorf("page links requests.jsonl: %v, want %v", got, requests)
	}
	if regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(page) {
		t.Error("page refers to the network")
	}
	if strings.Contains(page, `class="best"`) != (s.Best != nil) {
		t.Error("recommended row highlight does not match the summary")
	}
}

// pageTableHTML is the page's table id, from <table to </table>, or "".
func pageTableHTML(page, id string) string {
	start := strings.Index(page, `<table id="`+id+`">`)
	if start < 0 {
		return ""
	}
	end := strings.Index(page[start:], "</table>")
	if end < 0 {
		return ""
	}
	return page[start : start+end]
}

// templateEscape escapes as html/template does for text.
func templateEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
	return r.Replace(s)
}

func TestPageStructure(t *testing.T) {
	for name, f := range fixtures() {
		t.Run(name, func(t *testing.T) {
			s, err := Summarize(f.results)
			if err != nil {
				t.Fatal(err)
			}
			// Charts are checked elsewhere; the page only needs SVG bodies.
			var charts []chart
			for _, n := range chartNames {
				charts = append(charts, chart{Name: n, Title: n, Caption: "c", SVG: []byte("<?xml version=\"1.0\"?>\n<!-- x -->\n<svg viewBox=\"0 0 600 375\"></svg>\n")})
			}
			page, err := renderPage(s, charts, true)
			if err != nil {
				t.Fatal(err)
			}
			checkPage(t, string(page), s, len(charts), true)
			again, _ := renderPage(s, charts, true)
			if !bytes.Equal(page, again) {
				t.Error("the page differs between two renderings")
			}
		})
	}
}

func TestWriteIndex(t *testing.T) {
	root := t.TempDir()
	if err := WriteIndex(root); !errors.Is(err, ErrNoResults) {
		t.Fatalf("empty root: err = %v, want ErrNoResults", err)
	}
	if _, err := os.Stat(filepath.Join(root, "index.html")); err == nil {
		t.Fatal("index.html written for an empty root")
	}
	for _, f := range []fixture{seedFixture(), capSweepFixture()} {
		dir := filepath.Join(root, f.results.Scenario.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writeResultsFile(filepath.Join(dir, "results.json"), f); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "baseline"), 0o755); err != nil { // no results.json: skipped
		t.Fatal(err)
	}
	if err := WriteIndex(root); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{
		`href="cap-sweep/results.json"`, `href="seed-816s/table.md"`,
		"serial 816 s → pooled(2) 424 s: 1.92× faster",
		"pooled(1) 82.9 s → pooled(16) 5.47 s: 15.2× faster",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("reports index lacks %q", want)
		}
	}
	if strings.Index(page, "cap-sweep") > strings.Index(page, "seed-816s/") {
		t.Error("scenarios not in folder order")
	}

	// A broken results.json is named, not skipped.
	if err := os.WriteFile(filepath.Join(root, "seed-816s", "results.json"), []byte(`{"schema": 7}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteIndex(root); err == nil || !strings.Contains(err.Error(), "seed-816s") {
		t.Errorf("broken results.json: err = %v", err)
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		f    fixture
		want []string
	}{
		{seedFixture(), []string{
			"Each cell sends 1,000 items, run at 1:12.5: every duration is multiplied by 0.08",
			"latency 816ms, serving at most 2 requests at once while the excess waits in its queue; each request is 3.9% slower per other request in service.",
			"Client: keep-alive connections, timeout 30m0s per attempt, up to 4 attempts per item, retrying on 5xx, 429, connect, timeout at once.",
			"Sweep: serial, pooled, workers, unbounded at pool sizes 1, 2, 4, 8, 16, 32, 64; 1 repeat of each cell.",
		}},
		{capSweepFixture(), []string{
			"serving at most 16 requests at once and rejecting the excess with 503 and Retry-After 1s; of admitted requests, 2% answered 500.",
			"with exponential backoff and full jitter (from 100ms, at most 2s), honouring Retry-After.",
			"Sweep: pooled, unbounded at pool sizes 1, 2, 4, 8, 16, 32, 64, 128, 256, 512; 1 repeat of each cell.",
		}},
	}
	par := seedFixture()
	par.results.Scenario.Sweep.Parallel = 12
	tests = append(tests, struct {
		f    fixture
		want []string
	}{par, []string{"1 repeat of each cell; 12 cells at a time, each against a mock of its own."}})
	for _, tt := range tests {
		words := strings.Join(Describe(tt.f.results.Scenario), "\n")
		for _, w := range tt.want {
			if !strings.Contains(words, w) {
				t.Errorf("%s: description lacks %q:\n%s", tt.f.results.Scenario.Name, w, words)
			}
		}
	}
}
