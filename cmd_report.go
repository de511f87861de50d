package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/poolbench/poolbench/bench/report"
	"github.com/poolbench/poolbench/bench/results"
)

// cmdReport re-renders tables, charts and the HTML page from results.json
// (and requests.jsonl) without running anything. DIR is a scenario folder
// (it holds results.json), or a folder of scenario folders such as
// reports/, whose every scenario is re-rendered and linked from
// DIR/index.html.
func cmdReport(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet("report", "DIR", env.stderr)
	quiet := fs.Bool("q", false, "do not print the tables, only the page to open")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return badInputf("report: want one folder, got %d arguments", len(pos))
	}
	dir := pos[0]
	fi, err := os.Stat(dir)
	if err != nil {
		return badInputf("report: %w", err)
	}
	if !fi.IsDir() {
		if filepath.Base(dir) != "results.json" {
			return badInputf("report: %s is not a folder: name a scenario folder (it holds results.json) or a folder of them, like reports", dir)
		}
		dir = filepath.Dir(dir)
	}
	out := env.stdout
	if *quiet {
		out = io.Discard
	}
	if _, err := os.Stat(filepath.Join(dir, "results.json")); err == nil {
		if err := renderScenario(ctx, dir, out, env.stderr, env.stdoutWidth); err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "report: open %s\n", filepath.Join(dir, "index.html"))
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return badInputf("report: %w", err)
	}
	n := 0
	for _, e := range entries {
		sub := filepath.Join(dir, e.Name())
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(sub, "results.json")); err != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return interrupted(err)
		}
		if n > 0 {
			fmt.Fprintln(out)
		}
		if err := renderScenario(ctx, sub, out, env.stderr, env.stdoutWidth); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return badInputf("report: %s holds no results.json, nor does any folder in it: run 'poolbench run SCENARIO' first, or name the folder it wrote (reports/<scenario>)", dir)
	}
	if err := report.WriteIndex(dir); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(env.stderr, "report: open %s\n", filepath.Join(dir, "index.html"))
	return nil
}

// renderScenario re-renders one scenario folder and prints its table.
// Problems with the input files are bad input (exit 2); failing to write
// is not; ctx done is an interruption (130), the folder left as it was.
func renderScenario(ctx context.Context, dir string, stdout, stderr io.Writer, width int) error {
	r, err := results.Read(dir)
	if err != nil {
		return badInputf("report: %w", err)
	}
	warn := func(msg string) { fmt.Fprintf(stderr, "report: warning: %s: %s\n", dir, msg) }
	if err := report.WriteAllWarn(ctx, dir, r, warn); err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return interrupted(fmt.Errorf("report: %s: %w", dir, err))
		}
		if errors.Is(err, report.ErrNoCells) || errors.Is(err, report.ErrRequests) {
			return badInputf("report: %s: %w", dir, err)
		}
		return fmt.Errorf("report: %s: %w", dir, err)
	}
	return report.WriteTable(stdout, r, width)
}
