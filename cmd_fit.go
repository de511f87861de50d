package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/poolbench/poolbench/bench/fit"
	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/internal/publish"
)

const fitUsage = `[flags] RESULTS

RESULTS is a run's directory (or its results.json) against a target: a
probe's, or your own sweep's. Infers the service (its service-time
distribution, cap, what happens past the cap, contention, error rate and
round trip, each with a 95% bootstrap interval), prints every measured
cell beside the fitted model's prediction, and writes fitted.yaml beside
the results: a scenario whose upstream: is the fit, for 'poolbench
predict' and 'poolbench run', and gate.yaml: the service's own target at
the pools that matter, for scripts/gate.sh in CI. A run with cells the harness flagged is
refused (exit 2). -check OTHER sets the cells of another run against the
service (a fresh measurement, say of pools the probe did not run) beside
the fitted model's ranges, and exits 1 when one falls outside.`

// fitFlags are what-ifs and where the fit goes.
type fitFlags struct {
	out, pools, check string
	items             int
	replicates        int
}

// cmdFit fits a run's service and writes fitted.yaml.
func cmdFit(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet("fit", fitUsage, env.stderr)
	var f fitFlags
	fs.StringVar(&f.out, "out", "", "write the fitted scenario to `FILE` (default fitted.yaml beside the results)")
	fs.StringVar(&f.pools, "pools", "", "also predict these pool `sizes` with their ranges, like 32,128")
	fs.IntVar(&f.items, "items", 0, "items per predicted cell with -pools (default: the run's)")
	fs.IntVar(&f.replicates, "replicates", 200, "bootstrap `N` replicates behind each interval")
	fs.StringVar(&f.check, "check", "", "set the cells of the run in `DIR` (or its results.json) beside the fitted model's ranges; exit 1 when one is outside")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return badInputf("fit takes one RESULTS directory or results.json, got %d arguments", len(pos))
	}
	if f.replicates < 20 || f.replicates > 100_000 {
		return badInputf("-replicates %d: want 20 to 100000", f.replicates)
	}
	if f.items < 0 || f.items > model.MaxItems {
		return badInputf("-items %d: want 1 to %d", f.items, model.MaxItems)
	}
	var pools []int
	if f.pools != "" {
		if pools, err = scenario.ParsePools(f.pools); err != nil {
			return badInputf("-pools: %w", err)
		}
	}
	var other *results.Results
	if f.check != "" {
		if other, err = results.Read(f.check); err != nil {
			return badInputf("-check: %w", err)
		}
	}
	ft, err := fitAndWrite(ctx, env.stdout, pos[0], f.out, fit.Options{Replicates: f.replicates}, f.items, pools)
	if err != nil || other == nil {
		return err
	}
	return checkAgainst(ctx, env.stdout, ft, f.check, other)
}

// checkAgainst sets the cells of run (read from path) beside the fitted
// model's ranges; it fails (exit 1) when one is outside its range, and
// when no cell could be checked.
func checkAgainst(ctx context.Context, w io.Writer, ft *fit.Fit, path string, run *results.Results) error {
	rs, skipped, err := ft.CheckRun(ctx, run)
	if err != nil {
		return fmt.Errorf("predicting the cells of %s: %w", path, err)
	}
	fmt.Fprintf(w, "\n%s against the fitted model:", path)
	if err := fit.WriteChecked(w, rs); err != nil {
		return err
	}
	if len(skipped) > 0 {
		fmt.Fprintf(w, "not checked (flagged by the harness: they measured poolbench): %s\n", strings.Join(skipped, ", "))
	}
	if len(rs) == 0 {
		return failed(fmt.Errorf("-check %s: no cell to check (none finished unflagged)", path))
	}
	if out := fit.Outside(rs); len(out) > 0 {
		labels := make([]string, len(out))
		for i, r := range out {
			labels[i] = fmt.Sprintf("%s (measured %.4g s, range %.4g–%.4g s)", r.Label, r.Measured, r.Low, r.High)
		}
		return failed(fmt.Errorf("-check %s: %d of %d cells outside the fitted model's range: %s", path, len(out), len(rs), strings.Join(labels, "; ")))
	}
	fmt.Fprintf(w, "every cell of %s is within the fitted model's range\n", path)
	return nil
}

// fitAndWrite fits the run in path, prints the fit, the what-ifs for
// pools, and writes the fitted scenario to out (default DIR/fitted.yaml)
// and, for a run against a target, the gate's scenario beside it
// (gate.yaml), each atomically.
func fitAndWrite(ctx context.Context, w io.Writer, path, out string, opts fit.Options, items int, pools []int) (*fit.Fit, error) {
	ft, err := fit.Dir(ctx, path, opts)
	switch {
	case errors.Is(err, fit.ErrFlagged), errors.Is(err, fit.ErrCannotFit), errors.Is(err, os.ErrNotExist):
		return nil, badInputf("fit %s: %w", path, err)
	case err != nil && ctx.Err() == nil:
		return nil, badInputf("fit %s: %w", path, err)
	case err != nil:
		return nil, err
	}
	checks, err := ft.Check(ctx)
	if err != nil {
		return nil, fmt.Errorf("predicting the measured cells from the fit: %w", err)
	}
	if err := ft.Write(w, checks); err != nil {
		return nil, err
	}
	if len(pools) > 0 {
		if items == 0 {
			items = ft.Run.Scenario.Items
		}
		rs, err := ft.Predict(ctx, items, []scenario.Strategy{scenario.Pooled}, pools)
		if err != nil {
			return nil, fmt.Errorf("predicting pools %v: %w", pools, err)
		}
		if err := fit.WriteRanges(w, rs); err != nil {
			return nil, err
		}
	}
	b, err := ft.YAML()
	if err != nil {
		return nil, err
	}
	if out == "" {
		dir := path
		if st, err := os.Stat(path); err == nil && !st.IsDir() {
			dir = filepath.Dir(path)
		}
		out = filepath.Join(dir, "fitted.yaml")
	}
	if err := publish.WriteFile(out, b); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "\nwrote %s: what-ifs with 'poolbench predict %s -items 1000000 -pools %s', a replay on the mock with 'poolbench run %s'\n",
		out, out, whatIfPools(ft), out)
	if ft.Run.Scenario.Target != nil {
		g, err := ft.GateYAML()
		if err != nil {
			return nil, err
		}
		gate := filepath.Join(filepath.Dir(out), fit.GateFile)
		if err := publish.WriteFile(gate, g); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "wrote %s: the service's own target at pools %v, to gate it in CI with scripts/gate.sh\n", gate, ft.GatePools())
	}
	if rt := ft.Point.RoundTrip; rt > 0.001 {
		fmt.Fprintf(w, "the network round trip (%.3g ms) is not part of fitted.yaml: add -rtt %.3gms to predict\n", rt*1000, rt*1000)
	}
	return ft, nil
}

// whatIfPools lists pools around the fitted cap for the suggested what-if.
func whatIfPools(ft *fit.Fit) string {
	top := max(ft.Point.MaxConc, 8) * 8
	var ps []string
	for p := 1; p <= top; p *= 2 {
		ps = append(ps, fmt.Sprint(p))
	}
	return strings.Join(ps, ",")
}
