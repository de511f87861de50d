package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
)

// cmdPredict prints what a scenario's sweep should measure, computed by the
// model (bench/model) without sending a request. Flags override the
// scenario for what-ifs far beyond the machine.
func cmdPredict(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet("predict", "[flags] SCENARIO\n       poolbench predict -verify [-tolerance F] RESULTS...", env.stderr)
	items := fs.Int("items", 0, "items per cell (default: the scenario's; up to "+strconv.Itoa(model.MaxItems)+")")
	pools := fs.String("pools", "", "pool sizes, comma-separated, like 1,2,4,10000 (default: the scenario's)")
	strategies := fs.String("strategies", "", "strategies, comma-separated: serial, pooled, workers, unbounded (default: the scenario's)")
	seed := fs.String("seed", "", "seed for the client and the upstream (default: the scenario's seeds)")
	connect := fs.Duration("connect", 0, "model time a new connection costs when the scenario turns keep-alive off")
	rtt := fs.Duration("rtt", 0, "network round trip per attempt in model time, for a remote service (default 0, loopback)")
	verify := fs.Bool("verify", false, "compare measured runs with the model: the arguments are results.json files or their `DIR`s")
	tolerance := fs.Float64("tolerance", 0, "with -verify: the largest accepted |measured − predicted| / predicted wall time (default: each run's error budget)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *verify {
		if len(pos) == 0 {
			fs.Usage()
			return badInputf("predict -verify takes one or more results.json files or directories")
		}
		if !(*tolerance >= 0) || *tolerance >= 1 {
			return badInputf("-tolerance %v: want a fraction from 0 to 1, like 0.03 (0: each run's error budget)", *tolerance)
		}
		return verifyRuns(env.stdout, pos, *tolerance)
	}
	if len(pos) != 1 {
		fs.Usage()
		return badInputf("predict takes one SCENARIO (a built-in name, a file or -), got %d arguments", len(pos))
	}
	var opts model.Options
	if *items != 0 {
		if *items < 1 || *items > model.MaxItems {
			return badInputf("-items %d is out of range: want 1 to %d", *items, model.MaxItems)
		}
		opts.Items = *items
	}
	if *pools != "" {
		p, err := scenario.ParsePools(*pools)
		if err != nil {
			return badInputf("-pools: %w", err)
		}
		opts.Pools = p
	}
	if *strategies != "" {
		s, err := scenario.ParseStrategies(*strategies)
		if err != nil {
			return badInputf("-strategies: %w", err)
		}
		opts.Strategies = s
	}
	if *seed != "" {
		s, err := strconv.ParseUint(*seed, 10, 64)
		if err != nil {
			return badInputf("-seed %q: want a whole number from 0 to %d", *seed, uint64(1<<64-1))
		}
		opts.Seed = &s
	}
	if *connect < 0 {
		return badInputf("-connect %v: want a duration of 0 or more, like 2ms", *connect)
	}
	if *rtt < 0 {
		return badInputf("-rtt %v: want a duration of 0 or more, like 40ms", *rtt)
	}
	opts.ConnectCost, opts.RoundTrip = *connect, *rtt

	sc, err := loadScenario(env, pos[0])
	if err != nil {
		return badInput(err)
	}
	preds, err := model.Predict(ctx, sc, opts)
	if errors.Is(err, model.ErrInput) {
		return badInput(err)
	}
	if err != nil {
		return err
	}
	return writePredictions(env.stdout, sc, opts, preds)
}

// writePredictions prints the predicted table and the recommendation.
func writePredictions(w io.Writer, sc *scenario.Scenario, opts model.Options, preds []model.Prediction) error {
	up := sc.Upstream
	n := sc.Items
	if opts.Items != 0 {
		n = opts.Items
	}
	capText := "no cap"
	if up.Cap > 0 {
		capText = fmt.Sprintf("cap %d (%s)", up.Cap, up.Overflow)
	}
	fmt.Fprintf(w, "%s: %d items, latency %s, %s, contention %g, timeout %s, %d attempts\n",
		sc.Name, n, up.Latency, capText, up.Contention, sc.Client.Timeout.D(), sc.Client.Retry.MaxAttempts)
	if opts.RoundTrip > 0 || opts.ConnectCost > 0 {
		fmt.Fprintf(w, "what-if: network round trip %v, connection cost %v (keep-alive %v)\n", opts.RoundTrip, opts.ConnectCost, sc.Client.KeepAliveOn())
	}
	fmt.Fprintf(w, "predicted by the model, no request sent; times in model seconds (the scenario runs at %s)\n\n", sc.Timescale)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "strategy\tpool\twall s\titems/s\tp50 s\tp99 s\tmax s\tattempts\tfailed\tpeak in flight\trejected\tmethod\t")
	cells := make([]results.Cell, len(preds))
	for i, p := range preds {
		cells[i] = p.Cell
		pool := strconv.Itoa(p.Pool)
		if p.Strategy == scenario.Unbounded {
			pool = "all"
		}
		method := "simulated"
		if p.Exact {
			method = "exact"
		}
		u := p.Upstream
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t\n", p.Strategy, pool,
			num(p.ModelWallSeconds), num(p.Throughput), num(p.Latency.P50), num(p.Latency.P99), num(p.Latency.Max),
			p.Attempts, p.Failed, u.PeakInFlight, u.Rejected, method)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if rec := results.Recommend(cells); rec != nil {
		fmt.Fprintf(w, "\nrecommended: %s\n", rec.Reason)
	}
	return nil
}

// num prints a figure with four significant digits, without exponent for
// everyday magnitudes.
func num(x float64) string {
	switch {
	case x == 0:
		return "0"
	case x >= 1e7 || x < 1e-3:
		return strconv.FormatFloat(x, 'g', 4, 64)
	case x >= 1000:
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// verifyRuns prints measured against predicted wall time for every cell of
// the given runs and fails if a cell the harness did not flag is off by
// more than tolerance (0: its run's error budget).
func verifyRuns(w io.Writer, paths []string, tolerance float64) error {
	var bad []string
	flagged := 0
	for i, path := range paths {
		r, err := results.Read(path)
		if err != nil {
			return badInput(err)
		}
		checks, err := model.Verify(r, tolerance)
		if err != nil {
			return badInputf("%s: %w", path, err)
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s (%s): measured vs predicted wall time, model seconds\n", r.Scenario.Name, path)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "cell\tmeasured s\tpredicted s\tdiff\tscale\tharness\tverdict\t")
		var reasons []string
		for _, c := range checks {
			verdict := fmt.Sprintf("ok (±%.1f%%)", 100*c.Tolerance)
			switch {
			case !c.Checked:
				flagged++
				verdict = "not checked: flagged †"
				reasons = append(reasons, fmt.Sprintf("  † %s: %s", c.Cell.Label(), c.Cell.Harness.Reason))
			case !c.OK:
				verdict = fmt.Sprintf("OFF (±%.1f%%)", 100*c.Tolerance)
				bad = append(bad, fmt.Sprintf("%s %s %+.1f%%", r.Scenario.Name, c.Cell.Label(), 100*c.Diff))
			}
			harness := "-"
			if h := c.Cell.Harness; h != nil {
				harness = fmt.Sprintf("%.2f%%", 100*h.Error)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%+.2f%%\t%s\t%s\t%s\t\n", c.Cell.Label(), num(c.Cell.ModelWallSeconds), num(c.Cell.PredictedWallSeconds),
				100*c.Diff, c.Cell.Timescale, harness, verdict)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, line := range reasons {
			fmt.Fprintln(w, line)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d cells differ from the model by more than their tolerance: %s", len(bad), strings.Join(bad, "; "))
	}
	msg := "every cell is within its tolerance of the model"
	if flagged > 0 {
		msg = fmt.Sprintf("every cell the harness did not flag is within its tolerance of the model; %d flagged cells not checked (†)", flagged)
	}
	fmt.Fprintf(w, "\n%s\n", msg)
	return nil
}
