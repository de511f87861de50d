// Package report turns a run's results.json (and requests.jsonl) into what
// people read: a headline, tables for the terminal, a pull request
// (table.md) and a spreadsheet (table.csv), charts as PNG and SVG, and one
// self-contained index.html per scenario, with reports/index.html linking
// several.
//
// Every figure comes from the files; rendering the same files twice gives
// the same bytes. It is the only package that imports tablewriter and
// gonum/plot.
//
// A scenario folder after WriteAll:
//
//	results.json     the run (written by poolbench run)
//	requests.jsonl   every attempt as a vegeta Result (optional)
//	table.md         headline and table (at most 10 columns), GitHub Markdown
//	table.csv        one row per strategy × pool, plain numbers, every column
//	charts/*.png     800×500 charts, and the same as *.svg
//	index.html       the page: scenario, headline, table and detail table
//	                 (both fit 1,400 px), charts inline
package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/internal/publish"
)

// ErrRequests is wrapped by errors about a malformed requests.jsonl.
var ErrRequests = errors.New("malformed requests.jsonl")

// chartNames lists every chart WriteAll may write, so a re-render removes
// one it no longer draws (the in-flight chart without requests.jsonl).
var chartNames = []string{"headline", "wall", "throughput", "latency", "cdf", "inflight"}

// WriteAll renders r into dir: table.md, table.csv, the charts (PNG and
// SVG under dir/charts) and index.html, published together (see Render).
// It reads dir/requests.jsonl, when present, for the latency CDF and the
// in-flight chart. When Render stops for ctx, WriteAll writes nothing
// and returns ctx's error.
func WriteAll(ctx context.Context, dir string, r *results.Results) error {
	return WriteAllWarn(ctx, dir, r, nil)
}

// WriteAllWarn is WriteAll, calling warn (when not nil) with a line for
// each chart it could not draw and why (requests.jsonl missing, unreadable,
// empty or another run's); the page says the same.
func WriteAllWarn(ctx context.Context, dir string, r *results.Results, warn func(string)) error {
	set, err := publish.New(dir)
	if err != nil {
		return err
	}
	reqPath := filepath.Join(dir, "requests.jsonl")
	absent := ""
	if _, err := os.Stat(reqPath); errors.Is(err, fs.ErrNotExist) {
		reqPath, absent = "", "there is no requests.jsonl"
	} else if err != nil {
		reqPath, absent = "", fmt.Sprintf("requests.jsonl cannot be read (%v)", err)
	}
	if err := renderReport(ctx, set, r, reqPath, absent, warn); err != nil {
		set.Abort()
		return err
	}
	return set.Commit()
}

// Render stages r's report in set: table.md, table.csv, the charts and
// index.html last (it links the rest); a chart it no longer draws is
// marked for removal. requests, when not empty, is the requests.jsonl to
// read for the latency CDF and the in-flight chart (it may still be a
// staged temporary file). It streams the file, keeping 16 bytes per
// attempt of the one cell whose requests in flight it draws and a
// histogram of fixed size (about 270 KB) per cell of the latency CDF,
// however large the file. A requests.jsonl that is not a regular file
// is an error wrapping ErrRequests, found without blocking. Render looks
// at ctx before every line of requests.jsonl and before drawing, and stops
// with ctx's error once it is done.
func Render(ctx context.Context, set *publish.Set, r *results.Results, requests string) error {
	return renderReport(ctx, set, r, requests, "there is no requests.jsonl", nil)
}

// renderReport is Render; absent says why requests is "", and warn (when not
// nil) is told of each chart not drawn.
func renderReport(ctx context.Context, set *publish.Set, r *results.Results, requests, absent string, warn func(string)) error {
	s, err := Summarize(r)
	if err != nil {
		return err
	}
	var reqs *requestData
	if requests != "" {
		if reqs, err = readRequests(ctx, requests, wantedCells(s)); err != nil {
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return err
			}
			return fmt.Errorf("%w: %w", ErrRequests, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	charts, err := drawCharts(s, reqs)
	if err != nil {
		return err
	}
	var md, csv bytes.Buffer
	if err := s.WriteMarkdown(&md); err != nil {
		return err
	}
	if err := s.WriteCSV(&csv); err != nil {
		return err
	}
	if err := set.Write("table.md", md.Bytes()); err != nil {
		return err
	}
	if err := set.Write("table.csv", csv.Bytes()); err != nil {
		return err
	}
	drawn := map[string]bool{}
	for _, c := range charts {
		drawn[c.Name] = true
		if err := set.Write(filepath.Join("charts", c.Name+".png"), c.PNG); err != nil {
			return err
		}
		if err := set.Write(filepath.Join("charts", c.Name+".svg"), c.SVG); err != nil {
			return err
		}
	}
	for _, name := range chartNames {
		if !drawn[name] {
			set.Remove(filepath.Join("charts", name+".png"))
			set.Remove(filepath.Join("charts", name+".svg"))
		}
	}
	var notes []string
	if why := inflightMissing(s, reqs, absent); why != "" {
		notes = append(notes, why)
		if warn != nil {
			warn(why)
		}
	}
	page, err := renderPage(s, charts, requests != "", notes...)
	if err != nil {
		return err
	}
	return set.Write("index.html", page)
}

// ErrNoResults is returned by WriteIndex when no folder under the root
// holds a results.json.
var ErrNoResults = errors.New("no scenario folder with a results.json")

// WriteIndex writes root/index.html linking every scenario folder directly
// under root that holds a results.json, with its headline. A results.json
// that cannot be read is an error naming it.
func WriteIndex(root string) error {
	entries, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	var items []indexItem
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		path := filepath.Join(root, e.Name(), "results.json")
		if _, err := os.Stat(path); err != nil {
			continue
		}
		r, err := results.Read(path)
		if err != nil {
			return err
		}
		s, err := Summarize(r)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		_, pageErr := os.Stat(filepath.Join(root, e.Name(), "index.html"))
		items = append(items, indexItem{
			Dir: e.Name(), Name: r.Scenario.Name, Description: r.Scenario.Description,
			Headline: s.Headline, Complete: r.Complete, HasPage: pageErr == nil,
		})
	}
	if len(items) == 0 {
		return fmt.Errorf("%s: %w", root, ErrNoResults)
	}
	page, err := renderIndex(items)
	if err != nil {
		return err
	}
	return publish.WriteFile(filepath.Join(root, "index.html"), page)
}
