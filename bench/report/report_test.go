package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/bench"
)

// TestFixtureFiles writes the synthetic scenario folders (results.json and
// requests.jsonl) into $POOLBENCH_FIXTURE_OUT for the e2e script; without
// the variable it only checks that they render.
func TestFixtureFiles(t *testing.T) {
	out := os.Getenv("POOLBENCH_FIXTURE_OUT")
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
		r, err := bench.ReadResults(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteAll(dir, r); err != nil {
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
func TestWriteAllByteIdentical(t *testing.T) {
	for name, f := range fixtures() {
		t.Run(name, func(t *testing.T) {
			dir := f.writeDir(t, true)
			render := func() map[string][]byte {
				r, err := bench.ReadResults(dir)
				if err != nil {
					t.Fatal(err)
				}
				if err := WriteAll(dir, r); err != nil {
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

// Every chart decodes back: an 800×500 PNG and an SVG that parses, with
// the title and the expected series in the legend.
func TestChartsDecode(t *testing.T) {
	tests := []struct {
		f      fixture
		series map[string][]string // chart -> texts that must appear
	}{
		{seedFixture(), map[string][]string{
			"headline":   {"The headline", "serial", "pooled(2)", "unbounded", "816 s, all succeeded"},
			"wall":       {"Wall time vs pool size", "serial 816 s", "pooled", "workers", "pooled predicted", "unbounded 424 s", "wall time (model seconds)"},
			"throughput": {"Throughput vs pool size", "upstream cap 2", "items per model second"},
			"latency":    {"Item latency vs pool size", "p50", "p95", "p99", "unbounded p99 420 s"},
			"cdf":        {"Latency distribution at pool 2", "serial (pool 1)", "pooled(2)", "workers(2)", "unbounded", "attempt latency (model seconds, log)"},
			"inflight":   {"Requests in flight over time: unbounded/p=0/r=0", "upstream cap 2"},
		}},
		{capSweepFixture(), map[string][]string{
			"headline":   {"pooled(16)", "889 of 1,000 failed", "retries"},
			"throughput": {"upstream cap 16", "pooled, succeeded only"},
			"wall":       {"unbounded 762 ms (889 failed)"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.f.results.Scenario.Name, func(t *testing.T) {
			s, err := Summarize(tt.f.results)
			if err != nil {
				t.Fatal(err)
			}
			dir := tt.f.writeDir(t, true)
			reqs, err := readRequests(filepath.Join(dir, "requests.jsonl"), wantedCells(s))
			if err != nil {
				t.Fatal(err)
			}
			charts, err := Charts(s, reqs)
			if err != nil {
				t.Fatal(err)
			}
			if len(charts) != 6 {
				t.Errorf("%d charts, want 6", len(charts))
			}
			for _, c := range charts {
				if !bytes.HasPrefix(c.PNG, []byte("\x89PNG\r\n\x1a\n")) {
					t.Errorf("%s.png: no PNG header", c.Name)
				}
				img, err := png.Decode(bytes.NewReader(c.PNG))
				if err != nil {
					t.Fatalf("%s.png: %v", c.Name, err)
				}
				if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 500 {
					t.Errorf("%s.png is %dx%d, want 800x500", c.Name, b.Dx(), b.Dy())
				}
				texts := strings.Join(svgTexts(t, c.SVG), "\n")
				for _, want := range tt.series[c.Name] {
					if !strings.Contains(texts, want) {
						t.Errorf("%s.svg lacks %q; texts:\n%s", c.Name, want, texts)
					}
				}
			}
		})
	}
}

// Without requests.jsonl the CDF falls back to the percentiles of
// results.json and there is no in-flight chart; a stale one is removed.
func TestWriteAllWithoutRequests(t *testing.T) {
	f := seedFixture()
	dir := f.writeDir(t, true)
	if err := WriteAll(dir, f.results); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "requests.jsonl")); err != nil {
		t.Fatal(err)
	}
	if err := WriteAll(dir, f.results); err != nil {
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
}

func TestWriteAllBadRequests(t *testing.T) {
	f := seedFixture()
	dir := f.writeDir(t, false)
	if err := os.WriteFile(filepath.Join(dir, "requests.jsonl"), []byte("{\"attack\": 12}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteAll(dir, f.results)
	if !errors.Is(err, ErrRequests) {
		t.Fatalf("err = %v, want ErrRequests", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); !errors.Is(err, os.ErrNotExist) {
		t.Error("index.html written despite the error")
	}
}
