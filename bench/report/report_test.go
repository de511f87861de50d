package report

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/internal/publish"
)

// TestFixtureFiles writes the synthetic scenario folders (results.json and
// requests.jsonl) into $POOLBENCH_FIXTURE_OUT for the e2e script (make
// e2e); without the variable there is nothing to do.
func TestFixtureFiles(t *testing.T) {
	out := os.Getenv("POOLBENCH_FIXTURE_OUT")
	if out == "" {
		t.Skip("POOLBENCH_FIXTURE_OUT not set: the e2e script sets it")
	}
	for name, f := range fixtures() {
		dir := f.writeDir(t, true)
		if out != "" {
			dst := filepath.Join(out, name)
			if err := os.MkdirAll(dst, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, file := range []string{"results.json", "requests.jsonl"} {
				b, err := os.ReadFile(filepath.Join(dir, file))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dst, file), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			dir = dst
		}
		r, err := results.Read(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteAll(context.Background(), dir, r); err != nil {
			t.Fatal(err)
		}
	}
	if out != "" {
		if err := WriteIndex(out); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree returns every file under dir by relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Rendering the same files twice gives the same bytes, file by file.
// (Only seed-816s: it carries requests, predictions and a recommendation;
// each rendering costs seconds under -race.)
func TestWriteAllByteIdentical(t *testing.T) {
	t.Parallel() // each rendering takes seconds under -race
	for name, f := range map[string]fixture{"seed-816s": seedFixture()} {
		t.Run(name, func(t *testing.T) {
			dir := f.writeDir(t, true)
			render := func() map[string][]byte {
				r, err := results.Read(dir)
				if err != nil {
					t.Fatal(err)
				}
				if err := WriteAll(context.Background(), dir, r); err != nil {
					t.Fatal(err)
				}
				return readTree(t, dir)
			}
			first, second := render(), render()
			if len(first) != len(second) {
				t.Fatalf("%d files, then %d", len(first), len(second))
			}
			for path, b := range first {
				if !bytes.Equal(b, second[path]) {
					t.Errorf("%s differs between two renderings", path)
				}
			}
			for _, want := range []string{"index.html", "table.md", "table.csv", "charts/wall.png", "charts/inflight.svg", "charts/cdf.png"} {
				if _, ok := first[want]; !ok {
					t.Errorf("%s not written", want)
				}
			}
			s, err := Summarize(f.results)
			if err != nil {
				t.Fatal(err)
			}
			checkPage(t, string(first["index.html"]), s, 6, true)
			for _, name := range chartNames {
				checkChart(t, name, first["charts/"+name+".png"], first["charts/"+name+".svg"], seedSeries[name])
			}
			for path := range first {
				if strings.Contains(path, ".tmp") {
					t.Errorf("temporary file left behind: %s", path)
				}
			}
		})
	}
}

// svgTexts parses an SVG with encoding/xml and returns its text elements.
func svgTexts(t *testing.T, b []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var texts []string
	inText := false
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = v.Name.Local
			}
			inText = v.Name.Local == "text"
		case xml.CharData:
			if inText {
				texts = append(texts, string(v))
			}
		case xml.EndElement:
			inText = false
		}
	}
	if root != "svg" {
		t.Fatalf("SVG root element is %q", root)
	}
	return texts
}

// seedSeries and capSweepSeries are texts each chart's SVG must hold:
// titles, axis labels and the legend's series.
var seedSeries = map[string][]string{
	"headline":   {"The headline: items succeeded per model second", "serial", "pooled(2)", "unbounded", "1.23 items/s, 816 s", "all succeeded", "succeeded items per model second"},
	"wall":       {"Wall time vs pool size", "serial 816 s", "pooled", "workers", "pooled predicted", "serial predicted", "unbounded predicted", "unbounded 424 s", "wall time (model seconds)"},
	"throughput": {"Items succeeded per model second vs pool size", "upstream cap 2", "succeeded items per model second"},
	"latency":    {"Item latency vs pool size", "p50", "p95", "p99", "unbounded p99 420 s"},
	"cdf":        {"Latency distribution at pool 2", "serial (pool 1)", "pooled(2)", "workers(2)", "unbounded", "attempt latency (model seconds, log)"},
	"inflight":   {"Requests in flight over time: unbounded/p=0/r=0", "upstream cap 2"},
}

var capSweepSeries = map[string][]string{
	"headline":   {"pooled(1)", "pooled(16)", "unbounded†", "336 of 400 failed", "retries", "harness-bound"},
	"throughput": {"upstream cap 16", "pooled, failed included", "† harness-bound", "unbounded†"},
	"wall":       {"unbounded† 3.23 s (336 failed)", "† harness-bound"},
	"cdf":        {"Latency distribution at pool 16", "pooled(16)", "unbounded†"},
}

// capSweepCaptions are texts each cap-sweep chart's caption must hold.
var capSweepCaptions = map[string]string{
	"headline":   "Succeeded items per model second (goodput) of pooled(1) (the baseline), pooled(16) (recommended) and unbounded†",
	"throughput": "Light dashed: every item finished, failed ones included (throughput).",
	"latency":    "Beyond the upstream's cap of 16, requests are rejected with 503.",
	"cdf":        "Cumulative distribution of latency at pool 16, unbounded for reference, first repeat.",
	"inflight":   "Attempts of unbounded/p=0/r=0 (harness-bound) in flight",
	"wall":       "Crosses mark harness-bound cells",
}

// checkChart decodes a chart back: an 800×500 PNG, and an SVG that parses
// and holds the expected texts.
func checkChart(t *testing.T, name string, pngData, svg []byte, want []string) {
	t.Helper()
	if !bytes.HasPrefix(pngData, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("%s.png: no PNG header", name)
	}
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatalf("%s.png: %v", name, err)
	}
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 500 {
		t.Errorf("%s.png is %dx%d, want 800x500", name, b.Dx(), b.Dy())
	}
	texts := strings.Join(svgTexts(t, svg), "\n")
	for _, w := range want {
		if !strings.Contains(texts, w) {
			t.Errorf("%s.svg lacks %q; texts:\n%s", name, w, texts)
		}
	}
}

// Every cap-sweep chart decodes back (seed-816s's are checked from the
// files TestWriteAllByteIdentical writes).
func TestChartsDecode(t *testing.T) {
	t.Parallel() // each rendering takes seconds under -race
	f := capSweepFixture()
	s, err := Summarize(f.results)
	if err != nil {
		t.Fatal(err)
	}
	charts, err := drawCharts(s, f.requests(wantedCells(s)))
	if err != nil {
		t.Fatal(err)
	}
	if len(charts) != 6 {
		t.Errorf("%d charts, want 6", len(charts))
	}
	for _, c := range charts {
		checkChart(t, c.Name, c.PNG, c.SVG, capSweepSeries[c.Name])
		if want := capSweepCaptions[c.Name]; !strings.Contains(c.Caption, want) {
			t.Errorf("%s caption %q lacks %q", c.Name, c.Caption, want)
		}
		if strings.Contains(c.Caption, "serial") || strings.Contains(c.Caption, "predict") {
			t.Errorf("%s caption speaks of what cap-sweep lacks: %q", c.Name, c.Caption)
		}
	}
}

// Without requests.jsonl the CDF falls back to the percentiles of
// results.json and there is no in-flight chart; a stale one is removed.
func TestWriteAllWithoutRequests(t *testing.T) {
	t.Parallel() // each rendering takes seconds under -race
	f := seedFixture()
	dir := f.writeDir(t, false)
	for _, stale := range []string{"charts/inflight.png", "charts/inflight.svg"} {
		if err := publish.WriteFile(filepath.Join(dir, stale), []byte("stale")); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteAll(context.Background(), dir, f.results); err != nil {
		t.Fatal(err)
	}
	files := readTree(t, dir)
	if _, ok := files["charts/inflight.png"]; ok {
		t.Error("stale in-flight chart left behind")
	}
	if texts := strings.Join(svgTexts(t, files["charts/cdf.svg"]), "\n"); !strings.Contains(texts, "item latency (model seconds, log)") {
		t.Errorf("CDF without requests.jsonl: %s", texts)
	}
	page := string(files["index.html"])
	if strings.Contains(page, `href="requests.jsonl"`) {
		t.Error("page links a requests.jsonl that is not there")
	}
	if n := strings.Count(page, "<svg"); n != 5 {
		t.Errorf("page has %d inline SVGs, want 5", n)
	}
}

func TestWriteAllBadRequests(t *testing.T) {
	f := seedFixture()
	dir := f.writeDir(t, false)
	if err := os.WriteFile(filepath.Join(dir, "requests.jsonl"), []byte("{\"attack\": 12}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteAll(context.Background(), dir, f.results)
	if !errors.Is(err, ErrRequests) {
		t.Fatalf("err = %v, want ErrRequests", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); !errors.Is(err, os.ErrNotExist) {
		t.Error("index.html written despite the error")
	}
}
