package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/bench/compare"
	"github.com/poolbench/poolbench/bench/report"
	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/sweep"
)

// TestEveryStrategyInEveryOutput: a run of every registered strategy
// (scenario.Strategies, bench/strategy's registry) on the embedded mock
// names each of its groups in every output: requests.jsonl, results.json,
// results.bench.txt, table.md, table.csv, index.html, the headline and the
// pool-axis charts, compare's rows and the thresholds' failing cells; and
// the headline compares every strategy that asks for it (Kind.Versus)
// with the best fixed pool. A strategy registered without its outputs
// fails here.
func TestEveryStrategyInEveryOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run; skipped under -short")
	}
	var names []string
	for _, st := range scenario.Strategies() {
		names = append(names, string(st))
	}
	sc, err := scenario.Parse("every.yaml", []byte(`
name: every
items: 60
timescale: 0.2
error_budget: 0.5
upstream: {latency: 50ms, cap: 4, overflow: reject}
client: {retry: {max_attempts: 1}}
thresholds: {p50: "< 1ms"}
sweep: {strategies: [`+strings.Join(names, ", ")+`], pool_sizes: [2, 4], rates: [40/s, 80/s]}
`))
	if err != nil {
		t.Fatal(err)
	}
	var records bytes.Buffer
	res, err := sweep.Run(context.Background(), sc, sweep.Options{Records: &records})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "requests.jsonl"), records.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := results.Write(filepath.Join(dir, "results.json"), res); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteAll(context.Background(), dir, res); err != nil {
		t.Fatal(err)
	}
	var bench bytes.Buffer
	if err := compare.WriteBenchFormat(&bench, res); err != nil {
		t.Fatal(err)
	}
	cmp, err := compare.Results(res, res, compare.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	var cmpText bytes.Buffer
	for _, row := range cmp.Rows {
		cmpText.WriteString(row.Key.String() + "\n")
	}
	ths, err := results.CheckThresholds(res)
	if err != nil {
		t.Fatal(err)
	}
	var failing string
	for _, th := range ths {
		// A cell is named as failing, or as not checked (harness-bound).
		failing += strings.Join(th.Failing, " ") + " " + th.Note + "\n"
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	summary, err := report.Summarize(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range results.Groups(res.Cells) {
		label, name := g.Cells[0].Label(), g.Name()
		outputs := map[string]string{
			"requests.jsonl":    `"attack":"` + label + `"`,
			"results.json":      `"strategy": "` + string(g.Strategy) + `"`,
			"results.bench.txt": "/strategy=" + string(g.Strategy),
			"table.md":          "| " + string(g.Strategy),
			"table.csv":         "," + string(g.Strategy) + ",",
			"index.html":        ">" + string(g.Strategy), // † may follow
			"compare":           compare.Key{Strategy: g.Strategy, Pool: g.Pool, Name: name}.String() + "\n",
			"thresholds":        label,
		}
		charts := []string{"wall", "throughput", "latency"}
		if !g.Strategy.Pooled() {
			// The headline's bars: the baseline, the best pool, and every
			// strategy that takes no pool.
			charts = append(charts, "headline")
		}
		if g.Cells[0].Bound() {
			// Left out of benchstat's input with a comment that names it.
			outputs["results.bench.txt"] = "# " + label + " left out"
		}
		for _, chart := range charts {
			outputs["charts/"+chart+".svg"] = string(g.Strategy)
		}
		for out, want := range outputs {
			var got string
			switch out {
			case "results.bench.txt":
				got = bench.String()
			case "compare":
				got = cmpText.String()
			case "thresholds":
				got = failing
			default:
				got = read(out)
			}
			if !strings.Contains(got, want) {
				t.Errorf("%s: %s lacks %q", name, out, want)
			}
		}
		// The headline rests on clean rows only.
		if v := g.Strategy.Kind().Versus; v != "" && !g.Bound() && !strings.Contains(summary.Headline, name+" reaches") {
			t.Errorf("%s: the headline %q does not compare it with the best fixed pool", name, summary.Headline)
		}
	}
}
