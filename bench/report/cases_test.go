package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Runs built in code, one case per way a report can mislead: a run where
// every item fails, harness-bound cells, an external target, real time,
// cells at different time scales.

// mkCell builds a cell of items, failed of them failed (all with cls),
// attempts in all, over wall model seconds at scale, item latency p50.
func mkCell(st scenario.Strategy, pool, items, failed, attempts int, wall, p50 float64, scale upstream.Scale, cls string) results.Cell {
	c := results.Cell{Strategy: st, Pool: pool, Items: items, Succeeded: items - failed, Failed: failed, Attempts: attempts,
		Latency: results.Percentiles{Mean: p50, P50: p50, P90: p50 * 1.05, P95: p50 * 1.08, P99: p50 * 1.12, Max: p50 * 1.2}}
	if failed > 0 {
		c.Failures = map[string]int{cls: failed}
	}
	c.SetWall(scale.WallSeconds(wall), scale)
	return c
}

// mockScenario is a scenario on the embedded mock: cap 16 rejecting with
// 503, at scale.
func mockScenario(name string, scale upstream.Scale, st ...scenario.Strategy) scenario.Scenario {
	return scenario.Scenario{
		Name: name, Items: 400, Timescale: scenario.Fixed(scale),
		Upstream: &upstream.Config{Latency: "200ms", Cap: 16, Overflow: upstream.OverflowReject, RejectStatus: 503},
		Client:   scenario.Client{Timeout: upstream.Duration(10 * time.Second), Retry: scenario.Retry{MaxAttempts: 4}},
		Sweep:    scenario.Sweep{Strategies: st, PoolSizes: []int{1, 2, 4, 8}, Repeats: 1},
	}
}

func resultsOf(sc scenario.Scenario, cells ...results.Cell) *results.Results {
	return &results.Results{Schema: results.SchemaVersion, Scenario: sc, Complete: true, Cells: cells}
}

// allOutputs renders s's terminal table, Markdown, CSV and page (charts
// left out: they are checked where they matter).
func allOutputs(t *testing.T, s *Summary) (term, md, cs, page string) {
	t.Helper()
	var a, b, c bytes.Buffer
	if err := s.WriteTerminal(&a, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteCSV(&c); err != nil {
		t.Fatal(err)
	}
	p, err := renderPage(s, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return a.String(), b.String(), c.String(), string(p)
}

// csvField returns the named field of every CSV record.
func csvField(t *testing.T, text, name string) []string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range recs[0] {
		if h == name {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("table.csv has no %s column: %v", name, recs[0])
	}
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[col])
	}
	return out
}

// A target that answers 503 to everything: the report says so and claims
// no best pool and no speed-up.
func TestEveryItemFailed(t *testing.T) {
	const cls = "503 after 4 attempts"
	sc := mockScenario("down", 0.02, scenario.Pooled, scenario.Unbounded)
	var cells []results.Cell
	for i, p := range []int{1, 2, 4, 8} {
		cells = append(cells, mkCell(scenario.Pooled, p, 400, 400, 1600, 20.5/float64(i+1), 0.05, 0.02, cls))
	}
	cells = append(cells, mkCell(scenario.Unbounded, 0, 400, 400, 1600, 2, 0.05, 0.02, cls))
	r := resultsOf(sc, cells...)
	if results.Recommend(r.Cells) != nil {
		t.Fatal("Recommend picked a pool where nothing succeeded")
	}
	s, err := Summarize(r)
	if err != nil {
		t.Fatal(err)
	}
	want := "every cell failed all of its items: 400 of 400 failed in pooled(1) and every other cell, most often 503 after 4 attempts"
	if s.Headline != want || !s.Failing || s.Best != nil {
		t.Errorf("headline %q (failing %v, best %v)\nwant %q", s.Headline, s.Failing, s.Best, want)
	}
	term, md, cs, page := allOutputs(t, s)
	for _, bad := range []string{"best pool", "faster", "Recommended", "gain nothing"} {
		if strings.Contains(term+md+page, bad) {
			t.Errorf("outputs claim %q", bad)
		}
	}
	if !strings.Contains(term, "no speed-up: pooled(1) had no item succeed") {
		t.Errorf("caption does not say why there is no speed-up:\n%s", term)
	}
	for _, v := range csvField(t, cs, "speedup") {
		if v != "" {
			t.Errorf("CSV speed-up %q, want empty", v)
		}
	}
	for _, row := range s.Rows {
		if row.SpeedUp != 0 {
			t.Errorf("%s speed-up %v, want none", row.Name(), row.SpeedUp)
		}
	}
	if !strings.Contains(page, `class="headline failing"`) || strings.Contains(page, `class="best"`) {
		t.Error("page: want a failing headline and no recommended row")
	}
	if !strings.Contains(pageTableHTML(page, "detail"), ">100%</td>") {
		t.Errorf("the page's detail table lacks the failed share:\n%s", page)
	}
	for _, v := range csvField(t, cs, "failed_share") {
		if v != "1" {
			t.Errorf("CSV failed_share %s, want 1", v)
		}
	}

	// Most items failed, some succeeded: Recommend still picks a pool, the
	// headline does not.
	for i := range r.Cells {
		c := &r.Cells[i]
		c.Succeeded, c.Failed = 100+10*i, 300-10*i
		c.Failures = map[string]int{cls: c.Failed - 3, "timeout after 1 attempt": 3}
		c.SetWall(c.WallSeconds, 0.02)
	}
	s, _ = Summarize(r)
	want = "every cell failed most of its items: 260 of 400 failed in unbounded, the fewest, most often 503 after 4 attempts"
	if s.Headline != want || s.Best != nil || s.recommendedText() != "" {
		t.Errorf("mostly failed: headline %q\nwant %q (best %v)", s.Headline, want, s.Best)
	}
}

// Harness-bound cells are marked in every output and left out of every
// claim, even when they read the fastest.
func TestHarnessBound(t *testing.T) {
	sc := mockScenario("bound", 0.02, scenario.Serial, scenario.Pooled)
	sc.Sweep.PoolSizes = []int{2, 4, 8, 16}
	cells := []results.Cell{
		mkCell(scenario.Serial, 1, 400, 0, 400, 80, 0.2, 0.02, ""),
		mkCell(scenario.Pooled, 2, 400, 0, 400, 40, 0.2, 0.02, ""),
		mkCell(scenario.Pooled, 4, 400, 0, 400, 20, 0.2, 0.02, ""),
		mkCell(scenario.Pooled, 8, 400, 0, 400, 19.9, 0.4, 0.02, ""),
		mkCell(scenario.Pooled, 16, 400, 0, 400, 5, 0.2, 0.02, ""), // fastest, but bound
	}
	for i := range cells {
		cells[i].Harness = &results.Harness{CPU: 0.1, Error: 0.004, AddedPerAttempt: 3e-4}
	}
	cells[4].Harness = &results.Harness{CPU: 0.95, Error: 0.31, AddedPerAttempt: 0.004, Bound: true,
		Reason: "poolbench used 95% of the machine's CPU during the cell: run it with fewer cells in parallel or fewer requests in flight"}
	s, err := Summarize(resultsOf(sc, cells...))
	if err != nil {
		t.Fatal(err)
	}
	if s.Best == nil || s.Best.Pool != 4 {
		t.Fatalf("best %v, want pooled(4)", s.Best)
	}
	if want := "serial 80 s → pooled(4) 20 s: 4.00× faster; pools above 4 gain nothing (upstream cap 16, excess rejected with 503)"; s.Headline != want {
		t.Errorf("headline %q\nwant %q", s.Headline, want)
	}
	details := strings.Join(s.Details, "\n")
	if !strings.Contains(details, "1 of 5 cells was harness-bound, measuring poolbench rather than the upstream (pooled(16)): it is marked † and left out") {
		t.Errorf("details lack the bound cells: %s", details)
	}
	term, md, cs, page := allOutputs(t, s)
	if !strings.Contains(term, "31%†") || !strings.Contains(term, "harn") {
		t.Errorf("terminal table does not mark the bound row:\n%s", term)
	}
	if !strings.Contains(md, "| pooled†  |   16 |") || !strings.Contains(md, "harness error") || !strings.Contains(md, "31%") {
		t.Errorf("Markdown does not mark the bound row:\n%s", md)
	}
	caption := "† harness-bound (1 of 5 cells), left out of the headline and the recommendation: poolbench used 95% of the machine's CPU"
	for name, out := range map[string]string{"terminal": strings.ReplaceAll(term, "\n", " "), "Markdown": md, "page": strings.ReplaceAll(page, "&#39;", "'")} {
		if !strings.Contains(out, caption) {
			t.Errorf("%s caption lacks the footnote %q", name, caption)
		}
	}
	if got := strings.Join(csvField(t, cs, "harness_bound"), ","); got != "false,false,false,false,true" {
		t.Errorf("CSV harness_bound %s", got)
	}
	if got := csvField(t, cs, "harness_cpu")[4]; got != "0.95" {
		t.Errorf("CSV harness_cpu %s", got)
	}
	if got := csvField(t, cs, "added_per_attempt_s")[4]; got != "0.004" {
		t.Errorf("CSV added_per_attempt_s %s", got)
	}
	if !strings.Contains(page, `<tr class="bound" title="harness-bound: poolbench used 95%`) ||
		!strings.Contains(page, `<span class="badge">harness-bound</span>`) {
		t.Error("page does not mark the bound row")
	}

	// A bound pool that reads faster than the best is no "faster still";
	// a bound baseline is compared with nothing.
	cells[3].SetWall(cells[3].WallSeconds/2, 0.02)
	cells[3].Harness = cells[4].Harness
	cells[0].Harness = cells[4].Harness
	s, _ = Summarize(resultsOf(sc, cells...))
	if want := "best pool: pooled(4) 20 s, 20 items/s succeeded"; s.Headline != want {
		t.Errorf("bound baseline and bigger pools: headline %q\nwant %q", s.Headline, want)
	}

	// Everything bound: no claim at all.
	for i := range cells {
		cells[i].Harness = cells[4].Harness
	}
	s, _ = Summarize(resultsOf(sc, cells...))
	if !strings.HasPrefix(s.Headline, "every cell was harness-bound") || s.Best != nil {
		t.Errorf("all bound: headline %q", s.Headline)
	}
}

// An external target has no mock, no counters and no model: nothing in
// the report speaks of them. At real time, times are plain seconds.
func TestExternalTargetRealTime(t *testing.T) {
	sc := scenario.Scenario{
		Name: "external", Items: 200, Timescale: scenario.Fixed(1),
		Target: &scenario.Target{URL: "http://127.0.0.1:8080/item"},
		Sweep:  scenario.Sweep{Strategies: []scenario.Strategy{scenario.Pooled}, PoolSizes: []int{1, 4, 16}},
	}
	r := resultsOf(sc,
		mkCell(scenario.Pooled, 1, 200, 0, 200, 44, 0.216, 1, ""),
		mkCell(scenario.Pooled, 4, 200, 0, 200, 11.5, 0.228, 1, ""),
		mkCell(scenario.Pooled, 16, 200, 0, 200, 3.2, 0.204, 1, ""))
	s, err := Summarize(r)
	if err != nil {
		t.Fatal(err)
	}
	term, md, _, page := allOutputs(t, s)
	charts, err := drawCharts(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, c := range charts {
		texts = append(texts, c.Caption, strings.Join(svgTexts(t, c.SVG), "\n"))
		page += c.Caption
	}
	all := strings.ReplaceAll(term+md+page+strings.Join(texts, "\n"), "(no serial cell)", "")
	for _, bad := range []string{"model second", "predict", "upstream cap", "cap of", "serial", "queue", "upstream's", "e+0", "0.00"} {
		if strings.Contains(all, bad) {
			t.Errorf("outputs of an external target in real time say %q", bad)
		}
	}
	if !strings.Contains(term, "times in seconds (run in real time)") || !strings.Contains(term, "succeeded items per second") {
		t.Errorf("caption: %s", term)
	}
	if strings.Contains(term, "peak") || strings.Contains(term, "eff") {
		t.Errorf("terminal table has columns without data:\n%s", term)
	}
	// The latency chart's linear axis starts at 0 rather than magnifying
	// 24 ms of jitter; its ticks are plain numbers.
	lat := strings.Join(svgTexts(t, chartNamed(t, charts, "latency").SVG), "\n")
	if !strings.Contains(lat, "\n0\n") || !strings.Contains(lat, "item latency (seconds)") {
		t.Errorf("latency axis does not start at 0 in seconds:\n%s", lat)
	}
	cap := chartNamed(t, charts, "cdf").Caption
	if !strings.HasPrefix(cap, "Cumulative distribution of latency at pool 16, first repeat. requests.jsonl is absent") {
		t.Errorf("CDF caption %q", cap)
	}
}

func chartNamed(t *testing.T, charts []chart, name string) chart {
	t.Helper()
	for _, c := range charts {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s chart", name)
	return chart{}
}

// Cells at different time scales (timescale auto) show a scale column and
// say so in the caption.
func TestMixedTimeScales(t *testing.T) {
	sc := mockScenario("auto", 0, scenario.Serial, scenario.Pooled)
	sc.Timescale = scenario.Auto
	r := resultsOf(sc,
		mkCell(scenario.Serial, 1, 400, 0, 400, 80, 0.2, 0.08, ""),
		mkCell(scenario.Pooled, 2, 400, 0, 400, 40, 0.2, 0.08, ""),
		mkCell(scenario.Pooled, 4, 400, 0, 400, 20, 0.2, 0.04, ""),
		mkCell(scenario.Pooled, 8, 400, 0, 400, 10.2, 0.2, 0.02, ""))
	s, err := Summarize(r)
	if err != nil {
		t.Fatal(err)
	}
	term, md, cs, page := allOutputs(t, s)
	var wrapped bytes.Buffer
	if err := s.WriteTerminal(&wrapped, 100); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(term, "times in model seconds (each cell at its own time scale, 1:50 to 1:12.5)") {
		t.Errorf("caption does not say the scales differ:\n%s", term)
	}
	if !strings.Contains(term, "scale") || !strings.Contains(term, "1:25") || !strings.Contains(pageTableHTML(page, "detail"), ">time scale</th>") {
		t.Errorf("no scale column:\n%s\n%s", term, page)
	}
	if !strings.Contains(md, "table.csv and the page's detail table: ") || !strings.Contains(md, "time scale._") {
		t.Errorf("table.md does not say where the time scale is:\n%s", md)
	}
	if got := strings.Join(csvField(t, cs, "timescale"), ","); got != "0.08,0.08,0.04,0.02" {
		t.Errorf("CSV timescale %s", got)
	}
	for line := range strings.Lines(wrapped.String()) {
		if n := len([]rune(strings.TrimRight(line, "\n"))); n > 100 {
			t.Errorf("terminal line of %d runes: %q", n, line)
		}
	}
	// The full seed-816s sweep under timescale auto: the terminal table
	// leaves out p95 rather than grow past 100 columns.
	f := mixedScalesSeed()
	s, _ = Summarize(f.results)
	wrapped.Reset()
	if err := s.WriteTerminal(&wrapped, 100); err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(wrapped.String()) {
		if n := len([]rune(strings.TrimRight(line, "\n"))); n > 100 {
			t.Errorf("seed-816s, mixed scales: terminal line of %d runes: %q", n, line)
		}
	}
	if strings.Contains(wrapped.String(), "p95") || !strings.Contains(wrapped.String(), "1:12.5") {
		t.Errorf("seed-816s, mixed scales:\n%s", wrapped.String())
	}

	// One scale for every cell: no column.
	s, _ = Summarize(resultsOf(sc, r.Cells[:2]...))
	if term, _, _, _ := allOutputs(t, s); strings.Contains(term, "scale  ") {
		t.Errorf("scale column for a single scale:\n%s", term)
	}
}

// mixedScalesSeed is the seed-816s fixture run under timescale auto, its
// cells at three different scales.
func mixedScalesSeed() fixture {
	f := seedFixture()
	f.results.Scenario.Timescale = scenario.Auto
	for i := range f.results.Cells {
		c := &f.results.Cells[i]
		scale := upstream.Scale([]float64{0.08, 0.04, 0.0125}[i%3])
		c.SetWall(scale.WallSeconds(c.ModelWallSeconds), scale)
	}
	return f
}

// Linear axes read as people write numbers.
func TestHumanTicks(t *testing.T) {
	for _, tt := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 25000, "0 5k 10k 15k 20k 25k"},
		{0, 1, "0 0.2 0.4 0.6 0.8 1"},
		{0, 0.3, "0 0.05 0.1 0.15 0.2 0.25 0.3"},
		{0, 850, "0 200 400 600 800"},
		{0, 7, "0 1 2 3 4 5 6 7"},
		{0, 2.5e6, "0 500k 1M 1.5M 2M 2.5M"},
	} {
		var got []string
		for _, tk := range (humanTicks{}).Ticks(tt.lo, tt.hi) {
			got = append(got, tk.Label)
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("ticks %g–%g: %s, want %s", tt.lo, tt.hi, g, tt.want)
		}
	}
	// Large rates print without an exponent in the headline.
	sc := mockScenario("fast", 1, scenario.Pooled)
	s, _ := Summarize(resultsOf(sc,
		mkCell(scenario.Pooled, 1, 100000, 0, 100000, 7.4, 0.00007, 1, ""),
		mkCell(scenario.Pooled, 2, 100000, 0, 100000, 3.72, 0.00007, 1, "")))
	if text := s.Headline + strings.Join(s.Details, " "); strings.Contains(text, "e+") || !strings.Contains(text, "26882 items/s") {
		t.Errorf("headline %q details %q", s.Headline, s.Details)
	}
}

// The recommendation claims smaller pools were slower only when a smaller
// pool was measured.
func TestRecommendedAlone(t *testing.T) {
	sc := mockScenario("alone", 1, scenario.Pooled)
	for _, tt := range []struct {
		name  string
		cells []results.Cell
		want  string
	}{
		{"one cell", []results.Cell{mkCell(scenario.Pooled, 8, 400, 0, 400, 10, 0.2, 1, "")},
			"Recommended: pooled(8), the best goodput (40 items/s succeeded); no smaller pool was measured."},
		{"a slower smaller pool", []results.Cell{mkCell(scenario.Pooled, 4, 400, 0, 400, 20, 0.2, 1, ""), mkCell(scenario.Pooled, 8, 400, 0, 400, 10, 0.2, 1, "")},
			"Recommended: pooled(8), the best goodput (40 items/s succeeded); every smaller pool is more than 5% slower or fails more items."},
		{"a smaller pool, only unbounded", []results.Cell{mkCell(scenario.Unbounded, 0, 400, 0, 400, 20, 0.2, 1, ""), mkCell(scenario.Pooled, 8, 400, 0, 400, 10, 0.2, 1, "")},
			"no smaller pool was measured."},
	} {
		s, err := Summarize(resultsOf(sc, tt.cells...))
		if err != nil {
			t.Fatal(err)
		}
		if got := s.recommendedText(); !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
