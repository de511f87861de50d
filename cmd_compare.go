package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"syscall"

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
cell missing from NEW fails too. Exact counts are compared in every
cell; the timing rows of a cell the harness flagged in either run are not
(they say why), and leave the verdict undecided.

The verdict comes first, then the rows that decided it; -v adds every
row. When $GITHUB_STEP_SUMMARY is set, the Markdown verdict is appended
to it (a failure to write it is a warning, never the verdict).
Exit status: 0 no regression, every row judged; 1 regression; 2 usage,
unreadable or empty input, other scenarios, or a run compared with
itself; 3 cannot decide: too few repeats for the U test, or timing set by
the harness in some cell (-allow-inconclusive accepts that with exit 0;
exact counts still fail).

With -allocs, BASE and NEW are Go benchmark outputs (go test -bench
-benchmem): a benchmark whose every run in NEW allocates more per
operation than its worst run in BASE, or that is missing from NEW, fails
(exit 1); time and bytes per operation are
printed, not gated (they depend on the machine's load). scripts/allocs.sh
runs poolbench's own benchmarks against reports/baseline/allocs.txt.`

// cmdCompare compares two runs and fails (exit 1) on a regression.
func cmdCompare(ctx context.Context, env *environ, args []string) error {
	fset := newFlagSet("compare", compareUsage, env.stderr)
	threshold := fset.String("threshold", "5%", "smallest change of a timing median that counts, as 5% or 0.05")
	alpha := fset.Float64("alpha", compare.DefaultOptions.Alpha, "significance level of the U test")
	format := fset.String("format", "text", "output format: text, markdown or json")
	otherScenario := fset.Bool("other-scenario", false, "compare runs of different scenarios, matching cells by strategy and pool")
	allowInconclusive := fset.Bool("allow-inconclusive", false, "exit 0 when some timing rows cannot be decided (too few repeats, or set by the harness); exact counts still fail")
	verbose := fset.Bool("v", false, "text format: every row, one section per metric, after the verdict")
	allocs := fset.Bool("allocs", false, "BASE and NEW are `go test -bench -benchmem` outputs: fail on more allocations per operation (times printed, not gated)")
	paths, err := parseArgs(fset, args)
	if err != nil {
		return err
	}
	if len(paths) != 2 {
		fset.Usage()
		return badInputf("compare: want BASE and NEW, got %d argument(s)", len(paths))
	}
	if *allocs {
		return compareAllocs(env, paths)
	}
	th, err := compare.ParseThreshold(*threshold)
	if err != nil {
		return badInputf("compare: -threshold: %w", err)
	}
	opts := compare.Options{Threshold: th, Alpha: *alpha, OtherScenario: *otherScenario}
	if err := opts.Validate(); err != nil {
		return badInputf("compare: -alpha: %w", err)
	}
	text := compare.WriteText
	if *verbose {
		text = compare.WriteFullText
	}
	write, ok := map[string]func(io.Writer, *compare.Report) error{
		"text": text, "markdown": compare.WriteMarkdown, "md": compare.WriteMarkdown, "json": compare.WriteJSON,
	}[*format]
	if !ok {
		return badInputf("compare: -format %q: want text, markdown or json", *format)
	}
	base, err := readRun("baseline", paths[0])
	if err == nil {
		var cur *results.Results
		if cur, err = readRun("new run", paths[1]); err == nil {
			if err = sameRun(paths, base, cur); err == nil {
				return compareRuns(env, base, cur, paths, opts, write, *allowInconclusive)
			}
		}
	}
	// Say so in the job summary too: a gate that could not run is not a pass.
	appendSummary(env, fmt.Sprintf("## poolbench compare ⚠️ could not compare\n\n```\n%v\n```\n", err))
	return err
}

// sameRun refuses a run compared with itself, the same file twice or a
// copy of it (the same start, machine and cells): that judges nothing,
// and a gate would pass on it.
func sameRun(paths []string, base, cur *results.Results) error {
	fa, erra := os.Stat(results.Path(paths[0]))
	fb, errb := os.Stat(results.Path(paths[1]))
	if erra == nil && errb == nil && os.SameFile(fa, fb) {
		return badInputf("compare: BASE and NEW are the same file (%s): a run compared with itself judges nothing", results.Path(paths[0]))
	}
	if base.Started.Equal(cur.Started) && reflect.DeepEqual(base.Machine, cur.Machine) && reflect.DeepEqual(base.Cells, cur.Cells) {
		return badInputf("compare: BASE and NEW are the same run (started %s on the same machine): a run compared with itself judges nothing; compare a new run with the baseline",
			base.Started.Format("2006-01-02 15:04:05"))
	}
	return nil
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
	if env.stepSummary != "" {
		var md strings.Builder
		if err := compare.WriteMarkdown(&md, rep); err == nil {
			appendSummary(env, md.String())
		}
	}
	// The verdict is written above; the exit status says it again.
	switch {
	case rep.Failed():
		return &exitError{code: exitFailed, err: errors.New(rep.Headline()), quiet: true}
	case rep.Inconclusive() && !allowInconclusive:
		return &exitError{code: exitUndecided, err: errors.New(rep.Headline()), quiet: true}
	}
	return nil
}

// compareAllocs compares two Go benchmark outputs by allocations per
// operation (compare.Allocs): exit 1 when one allocates more or went
// missing, 2 when a file is unreadable or holds no benchmark.
func compareAllocs(env *environ, paths []string) error {
	var files [2]*os.File
	for i, p := range paths {
		f, _, err := results.OpenRegular(p)
		if err != nil {
			return badInputf("compare -allocs: %w", err)
		}
		defer f.Close()
		files[i] = f
	}
	rep, err := compare.Allocs(files[0], files[1], paths[0], paths[1])
	if err != nil {
		return badInputf("compare -allocs: %w", err)
	}
	if err := compare.WriteAllocs(env.stdout, rep); err != nil {
		return fmt.Errorf("compare -allocs: writing the report: %w", err)
	}
	if rep.Failed() {
		return &exitError{code: exitFailed, err: errors.New("a benchmark allocates more per operation than its baseline, or went missing"), quiet: true}
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

// appendSummary appends Markdown to the GitHub job summary
// ($GITHUB_STEP_SUMMARY), when one is set. The summary is a courtesy:
// a failure to write it (a missing folder, a full disk, something other
// than a regular file) is a warning on stderr, never the verdict, and it
// never blocks (a FIFO with no reader is refused at once).
func appendSummary(env *environ, md string) {
	if env.stepSummary == "" {
		return
	}
	if err := writeSummary(env.stepSummary, md); err != nil {
		fmt.Fprintf(env.stderr, "poolbench: warning: $GITHUB_STEP_SUMMARY not written (the verdict stands): %v\n", err)
	}
}

func writeSummary(path, md string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NONBLOCK, 0o644)
	if err != nil {
		return err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = fmt.Errorf("%s: not a regular file", path)
		}
		return err
	}
	_, werr := io.WriteString(f, md+"\n")
	return errors.Join(werr, f.Close())
}
