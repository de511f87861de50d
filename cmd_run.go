package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/bench/compare"
	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/report"
	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/bench/sweep"
	"github.com/poolbench/poolbench/internal/awake"
	"github.com/poolbench/poolbench/internal/publish"
)

const runUsage = `[flags] SCENARIO

SCENARIO is a built-in name (see 'poolbench scenarios'), a YAML file, or -
to read one from standard input. Flags may come before or after it.

Writes DIR/results.json, requests.jsonl, results.bench.txt, table.md,
table.csv, charts/ and index.html (DIR is -out, or reports/<name>), all
together once the run ends, and prints the table. Exit status: 0 ok, 1 the
run failed (or, with -strict, a cell measured the harness), 2 bad input,
130 interrupted (what was measured is written, "complete": false).`

// runFlags are `poolbench run`'s flags.
type runFlags struct {
	out, timescale, strategies, pools, rates string
	targets, format                          string
	items, repeats, parallel, http           int
	errorBudget                              float64
	allowRemote, json, strict                bool
	keepAwake                                *bool // -keep-awake, when given
	thresholds                               map[string]string
	shard                                    string // -shard i/n
	shards                                   int    // -shards n: the index from $JOB_COMPLETION_INDEX
	sync                                     string // -sync DIR: line shards' cells up there
	syncTimeout                              time.Duration
	profiles                                 profiles // -cpuprofile, -memprofile
}

// keepAwake is sweep.Options.KeepAwake, which the sweep starts when the
// scenario says keep_awake: true (or run -keep-awake): a spinner process
// (internal/awake), this program run again. nil when the program cannot
// start itself.
func keepAwake(env *environ) func() (func() error, int, error) {
	if !awake.Supported || env.executable == "" {
		return nil
	}
	return func() (func() error, int, error) {
		s, err := awake.Start(env.executable, "poolbench", env.environment)
		if err != nil {
			return nil, 0, err
		}
		return s.Stop, s.Pid(), nil
	}
}

// cmdRun runs a scenario's sweep and writes reports/<name>/.
func cmdRun(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet("run", runUsage, env.stderr)
	var f runFlags
	fs.StringVar(&f.out, "out", "", "write the run's files to `DIR` (default reports/<name>)")
	fs.IntVar(&f.items, "items", 0, "`N` items per cell (overrides the scenario)")
	fs.IntVar(&f.repeats, "repeats", 0, "run the whole sweep `N` times (overrides the scenario)")
	fs.StringVar(&f.timescale, "timescale", "", "multiply every modeled duration by `X` (0.01, 1e-2 or 1:100), or auto (overrides the scenario)")
	fs.StringVar(&f.strategies, "strategies", "", "comma-separated `list` of "+strings.Join(strategy.Names(), ",")+" (overrides the scenario)")
	fs.StringVar(&f.pools, "pools", "", "comma-separated pool `sizes`, like 1,2,4 (overrides the scenario)")
	fs.StringVar(&f.rates, "rates", "", "comma-separated `rates` for the rate strategy, like 1/s,2/s,4/s (overrides the scenario)")
	fs.IntVar(&f.parallel, "parallel", 0, "run `N` cells at once, each against a mock of its own (overrides the scenario; upstream: scenarios only)")
	fs.Float64Var(&f.errorBudget, "error-budget", 0, "share of a cell's wall time the harness may add before the cell is flagged, like 0.02 (overrides the scenario)")
	fs.StringVar(&f.targets, "targets", "", "send item i the `FILE`'s request i, a vegeta targets file (replaces the scenario target's url; a target: scenario only)")
	fs.IntVar(&f.http, "http", 0, "the HTTP `version` the client speaks: 1 or 2 (h2 over https://, h2c over http://; against the embedded mock, h2c) (overrides target.http or upstream.http)")
	fs.StringVar(&f.format, "format", "", "the -targets file's `format`: http (default) or json, as vegeta's")
	fs.BoolVar(&f.allowRemote, "allow-remote", false, "allow a target that is not a loopback address (only a service you own)")
	fs.BoolVar(&f.json, "json", false, "print results.json on stdout (the table goes to stderr)")
	fs.BoolFunc("keep-awake", "while cells run faster than real time, keep this machine's CPUs from idling with a busy loop per CPU at the lowest priority (Linux), so the harness's wake-ups cost less; off unless given (or the scenario's keep_awake: true); -keep-awake=false overrides the scenario", func(v string) error {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		f.keepAwake = &on
		return nil
	})
	fs.StringVar(&f.shard, "shard", "", "run shard `i/n` of every cell of a target: scenario: items i, i+n, i+2n… with the cell's pool; files go to DIR/shard-i (merge them with 'poolbench merge DIR')")
	fs.IntVar(&f.shards, "shards", 0, "run one of `n` shards, its index read from $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job's pod), as -shard does")
	fs.StringVar(&f.sync, "sync", "", "with -shard or -shards: line every cell up with the other shards' in `DIR`, a folder they all see and new to this run (a shared volume), so no two cells overlap")
	fs.DurationVar(&f.syncTimeout, "sync-timeout", 10*time.Minute, "with -sync: how long a shard waits for the others at a cell before the run fails")
	f.profiles.register(fs)
	fs.BoolVar(&f.strict, "strict", false, "exit 1 when a cell measured the harness rather than the upstream (harness.bound)")
	fs.Func("threshold", "a pass/fail `criterion`, like 'p99<2s' or 'failed_items<1%' or cells=recommended (repeatable; adds to the scenario's)", func(v string) error {
		if f.thresholds == nil {
			f.thresholds = map[string]string{}
		}
		if cells, ok := strings.CutPrefix(strings.TrimSpace(v), "cells="); ok {
			f.thresholds["cells"] = cells
			return nil
		}
		c, err := scenario.ParseCriterion(v)
		if err != nil {
			return err
		}
		f.thresholds[c.Metric] = strings.TrimPrefix(c.Text, c.Metric+" ")
		return nil
	})
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return badInputf("run takes one SCENARIO (a built-in name, a file or -), got %d arguments", len(pos))
	}
	sc, err := whileBlocked(ctx, scenarioSource(pos[0]), func() (*scenario.Scenario, error) { return loadScenario(env, pos[0]) })
	if err != nil {
		return badInputUnlessExit(err)
	}
	if err := applyOverrides(sc, f); err != nil {
		return badInput(err)
	}
	if sc.Upstream != nil { // the embedded mock's timers (minProcs)
		raiseProcs(env)
	}
	shard, err := runShard(env, f)
	if err != nil {
		return badInput(err)
	}
	if shard != nil && sc.Target == nil {
		return badInputf("-shard: scenario %s has an upstream: block; shards share a target: (one service every shard calls), where each shard's own mock would have a cap of its own", sc.Name)
	}
	if sc.Target != nil && !f.allowRemote {
		if err := scenario.CheckTarget(ctx, sc.Target); err != nil {
			return badInput(err)
		}
	}
	reqs, err := sweep.OpenRequests(ctx, sc, env.lookupEnv, f.allowRemote)
	if err != nil {
		return badInput(err)
	}
	if err := preflight(env, sc); err != nil {
		return badInput(err)
	}
	dir := f.out
	switch dir {
	case "-":
		return badInputf("-out -: a run writes a folder of files; name one, and use -json to print results.json on stdout")
	case "":
		dir = filepath.Join("reports", sc.Name)
	}
	if shard != nil {
		dir = filepath.Join(dir, shardDir(*shard))
	}
	set, err := publish.New(dir)
	if err != nil {
		return err
	}
	defer set.Abort() // a no-op once committed
	rec, err := set.Create("requests.jsonl")
	if err != nil {
		return err
	}

	beforeCell, err := shardSync(env, shard, f)
	if err != nil {
		return badInput(err)
	}
	var done atomic.Int64
	prog := newProgress(env, sc, len(sc.Sweep.Plan()), &done)
	stopProfiles, err := f.profiles.start()
	if err != nil {
		return badInput(err)
	}
	res, runErr := sweep.Run(ctx, sc, sweep.Options{
		Records:     rec,
		AllowRemote: f.allowRemote,
		LookupEnv:   env.lookupEnv,
		Requests:    reqs,
		ItemsDone:   &done,
		OnCell:      prog.cell,
		OnLoad:      prog.load,
		OnRerun:     prog.rerun,
		KeepAwake:   keepAwake(env),
		Shard:       shard,
		BeforeCell:  beforeCell,
		Warn:        func(msg string) { fmt.Fprintf(env.stderr, "poolbench: warning: %s\n", msg) },
	})
	prog.finish()
	if err := stopProfiles(); err != nil {
		return err
	}
	if res == nil {
		rec.Abort()
		return runErr
	}
	if err := rec.Done(); err != nil {
		return err
	}
	// The model predicts every measured cell; a model failure costs the
	// predictions, never the measurements.
	if err := model.Annotate(res); err != nil {
		fmt.Fprintf(env.stderr, "poolbench: model: %v (results written without predictions)\n", err)
	}
	if res.Thresholds, err = results.CheckThresholds(res); err != nil {
		return badInput(err)
	}
	if err := stageRun(ctx, set, res); err != nil {
		return err
	}
	if err := set.Commit(); err != nil {
		return err
	}
	if f.out == "" && shard == nil {
		if err := report.WriteIndex(filepath.Dir(dir)); err != nil {
			return fmt.Errorf("writing the reports index: %w", err)
		}
	}

	if err := printRun(env, res, f.json); err != nil {
		return err
	}
	return runOutcome(ctx, env, sc, dir, res, runErr, f.strict)
}

// printRun prints a run's table, its failures and thresholds on stdout,
// or, asJSON, results.json on stdout and the rest on stderr.
func printRun(env *environ, res *results.Results, asJSON bool) error {
	table := env.stdout
	if asJSON {
		table = env.stderr
		b, err := results.Marshal(res)
		if err != nil {
			return err
		}
		if _, err := env.stdout.Write(b); err != nil {
			return err
		}
	}
	if err := report.WriteTable(table, res, env.stdoutWidth); err != nil {
		return err
	}
	printFailures(table, res)
	for _, l := range report.ScheduleLines(res.Cells) {
		fmt.Fprintln(table, l)
	}
	printThresholds(table, res.Thresholds)
	return nil
}

// stageRun stages the run's files in set: results.json, results.bench.txt
// and the report (which reads the staged requests.jsonl). The report is
// rendered even once ctx is done: an interrupted run writes what it
// measured, and a second signal ends the process (see mainCode).
func stageRun(ctx context.Context, set *publish.Set, res *results.Results) error {
	b, err := results.Marshal(res)
	if err != nil {
		return err
	}
	if err := set.Write("results.json", b); err != nil {
		return err
	}
	var bench bytes.Buffer
	if err := compare.WriteBenchFormat(&bench, res); err != nil {
		return err
	}
	if err := set.Write("results.bench.txt", bench.Bytes()); err != nil {
		return err
	}
	if err := report.Render(context.WithoutCancel(ctx), set, res, set.Path("requests.jsonl")); err != nil {
		return fmt.Errorf("rendering the report in %s: %w", set.Dir(), err)
	}
	return nil
}

// runOutcome says how the run ended, on stderr, and maps it to the
// command's error: interrupted (130), the run's own error, a run in which
// every cell failed most items (1), harness-bound cells under -strict (1).
func runOutcome(ctx context.Context, env *environ, sc *scenario.Scenario, dir string, res *results.Results, runErr error, strict bool) error {
	switch {
	case ctx.Err() != nil && errors.Is(runErr, ctx.Err()):
		fmt.Fprintf(env.stderr, "interrupted: wrote the %d cells measured to %s (\"complete\": false)\n", len(res.Cells), dir)
		return interrupted(fmt.Errorf("run %s interrupted: %w", sc.Name, runErr))
	case runErr != nil:
		fmt.Fprintf(env.stderr, "wrote what was measured to %s\n", dir)
		return runErr
	}
	fmt.Fprintf(env.stderr, "wrote %s; open %s\n", dir, filepath.Join(dir, "index.html"))
	bound := boundCells(res)
	if len(bound) > 0 {
		fmt.Fprintf(env.stderr, "warning: %d of %d cells measured the harness rather than the upstream (harness.bound); they are left out of the headline and the recommendation:\n", len(bound), len(res.Cells))
		for _, c := range bound {
			fmt.Fprintf(env.stderr, "  %s: %s\n", c.Label(), c.Harness.Reason)
		}
	}
	if err := failedRun(res); err != nil {
		return failed(err)
	}
	if crossed := crossedThresholds(res.Thresholds); len(crossed) > 0 {
		return failed(fmt.Errorf("thresholds crossed: %s", strings.Join(crossed, "; ")))
	}
	if len(bound) > 0 && strict {
		return failed(fmt.Errorf("-strict: %d harness-bound cells", len(bound)))
	}
	return nil
}

// boundCells are the cells the harness flagged.
func boundCells(r *results.Results) []*results.Cell {
	var out []*results.Cell
	for i := range r.Cells {
		if r.Cells[i].Bound() {
			out = append(out, &r.Cells[i])
		}
	}
	return out
}

// failedRun reports a run in which every cell failed most of its items:
// nothing it measured is a measure of the upstream working. The error
// names the likely cause from the failures seen.
func failedRun(res *results.Results) error {
	if len(res.Cells) == 0 {
		return nil
	}
	classes := map[string]int{}
	for _, c := range res.Cells {
		if c.Items == 0 || 2*c.Failed <= c.Items {
			return nil
		}
		for k, v := range c.Failures {
			classes[k] += v
		}
	}
	worst, n := "", 0
	for k, v := range classes {
		if v > n || v == n && k < worst {
			worst, n = k, v
		}
	}
	cause := "see the failures above"
	switch {
	case strings.HasPrefix(worst, "connect"):
		cause = "the target refused connections: is it running, at that address?"
	case strings.HasPrefix(worst, "5"):
		cause = "the target answered 5xx: it is failing or overloaded"
	case strings.HasPrefix(worst, "4"):
		cause = "the target answered 4xx: check the URL, method, headers and body"
	case strings.HasPrefix(worst, "timeout"):
		cause = "attempts timed out: the target is too slow for the client's timeout, or hung"
	case strings.HasPrefix(worst, "reset"):
		cause = "the target reset connections"
	case strings.HasPrefix(worst, scenario.OutcomeFDLimit):
		cause = "poolbench ran out of file descriptors: see the warning above"
	}
	return fmt.Errorf("the run failed: every cell failed most of its items (most often %q, %d items): %s", worst, n, cause)
}

// printFailures lists each cell's failed items by their last error class,
// and the requests it re-sent on a new connection, under the table.
func printFailures(w io.Writer, r *results.Results) {
	for _, c := range r.Cells {
		if c.Reconnects > 0 {
			fmt.Fprintf(w, "reconnected in %s: %d requests met a keep-alive connection the server had closed and were sent again on a new one (not attempts)\n", c.Label(), c.Reconnects)
		}
		if len(c.Failures) == 0 {
			continue
		}
		classes := make([]string, 0, len(c.Failures))
		for k := range c.Failures {
			classes = append(classes, k)
		}
		slices.Sort(classes)
		parts := make([]string, len(classes))
		for i, k := range classes {
			parts[i] = fmt.Sprintf("%d × %s", c.Failures[k], k)
		}
		fmt.Fprintf(w, "failed in %s: %s\n", c.Label(), strings.Join(parts, ", "))
	}
}
