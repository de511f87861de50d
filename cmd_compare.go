package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/poolbench/poolbench/bench/compare"
	"github.com/poolbench/poolbench/bench/results"
)

const compareUsage = `[flags] BASE NEW

BASE and NEW are results.json files or report folders (reports/<name>/)
of the same scenario (-other-scenario to compare two). Cells are matched
by strategy and pool; their repeats are the samples. Timing metrics
(wall, goodput, throughput, item latency p50/p95/p99) are compared with
the Mann-Whitney U test: a row regresses only when the change is in the
bad direction, beyond -threshold and significant at -alpha. Failed items
and attempts regress on any increase; peak in flight on any change. A
cell missing from NEW fails too. A cell the harness flagged as bound in
either run is not compared (it says why).

When $GITHUB_STEP_SUMMARY is set, the Markdown verdict is appended to it.
Exit status: 0 no regression, 1 regression, 2 usage, unreadable or empty
input, other scenarios, or too few repeats for the U test to decide
(-allow-inconclusive accepts that with exit 0).`

// cmdCompare compares two runs and fails (exit 1) on a regression.
func cmdCompare(ctx context.Context, env *environ, args []string) error {
	fset := newFlagSet("compare", compareUsage, env.stderr)
	threshold := fset.String("threshold", "5%", "smallest change of a timing median that counts, as 5% or 0.05")
	alpha := fset.Float64("alpha", compare.DefaultOptions.Alpha, "significance level of the U test")
	format := fset.String("format", "text", "output format: text, markdown or json")
	otherScenario := fset.Bool("other-scenario", false, "compare runs of different scenarios, matching cells by strategy and pool")
	allowInconclusive := fset.Bool("allow-inconclusive", false, "exit 0 when the repeats are too few for the U test to show a regression")
	paths, err := parseArgs(fset, args)
	if err != nil {
		return err
	}
	if len(paths) != 2 {
		fset.Usage()
		return badInputf("compare: want BASE and NEW, got %d argument(s)", len(paths))
	}
	th, err := compare.ParseThreshold(*threshold)
	if err != nil {
		return badInputf("compare: -threshold: %w", err)
	}
	opts := compare.Options{Threshold: th, Alpha: *alpha, OtherScenario: *otherScenario}
	if err := opts.Validate(); err != nil {
		return badInputf("compare: -alpha: %w", err)
	}
	write, ok := map[string]func(io.Writer, *compare.Report) error{
		"text": compare.WriteText, "markdown": compare.WriteMarkdown, "md": compare.WriteMarkdown, "json": compare.WriteJSON,
	}[*format]
	if !ok {
		return badInputf("compare: -format %q: want text, markdown or json", *format)
	}
	base, err := readRun("baseline", paths[0])
	if err == nil {
		var cur *results.Results
		if cur, err = readRun("new run", paths[1]); err == nil {
			return compareRuns(env, base, cur, paths, opts, write, *allowInconclusive)
		}
	}
	// Say so in the job summary too: a gate that could not run is not a pass.
	if path := env.stepSummary; path != "" {
		serr := appendSummary(path, fmt.Sprintf("## poolbench compare ⚠️ could not compare\n\n```\n%v\n```\n", err))
		err = errors.Join(err, serr)
	}
	return err
}

// compareRuns compares two runs read from paths and writes the report.
func compareRuns(env *environ, base, cur *results.Results, paths []string, opts compare.Options, write func(io.Writer, *compare.Report) error, allowInconclusive bool) error {
	rep, err := compare.Results(base, cur, opts)
	if errors.Is(err, compare.ErrOtherScenario) {
		return badInputf("compare: %w: pass -other-scenario to compare them anyway", err)
	}
	if err != nil {
		return badInputf("compare: %w", err)
	}
	rep.Base, rep.New = paths[0], paths[1]
	if err := write(env.stdout, rep); err != nil {
		return fmt.Errorf("compare: writing the report: %w", err)
	}
	if path := env.stepSummary; path != "" {
		var md strings.Builder
		if err := compare.WriteMarkdown(&md, rep); err != nil {
			return err
		}
		if err := appendSummary(path, md.String()); err != nil {
			return err
		}
	}
	// The verdict is written above; the exit status says it again.
	switch {
	case rep.Failed():
		return &exitError{code: exitFailed, err: errors.New(rep.Headline()), quiet: true}
	case rep.Inconclusive() && !allowInconclusive:
		return &exitError{code: exitBadInput, err: fmt.Errorf("compare: the gate cannot decide; record more repeats (or pass -allow-inconclusive to accept that)"), quiet: false}
	}
	return nil
}

// readRun reads one side; any failure is bad input: a missing or malformed
// baseline is an error, never a pass.
func readRun(what, path string) (*results.Results, error) {
	r, err := results.Read(path)
	if err == nil && len(r.Cells) == 0 {
		return nil, badInputf("compare: %s %s holds no cells: it measured nothing to compare", what, path)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		hint := ""
		if what == "baseline" {
			hint = " (record one deliberately with `make baseline` or `poolbench run -out DIR`)"
		}
		return nil, badInputf("compare: %s %s: no results.json there%s", what, path, hint)
	case err != nil:
		return nil, badInputf("compare: %s: %w", what, err)
	}
	return r, nil
}

// appendSummary appends Markdown to a GitHub job summary file.
func appendSummary(path, md string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("compare: $GITHUB_STEP_SUMMARY: %w", err)
	}
	_, werr := io.WriteString(f, md+"\n")
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("compare: $GITHUB_STEP_SUMMARY: %w", err)
	}
	return nil
}
