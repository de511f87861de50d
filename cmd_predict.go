package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/report"
	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
)

// cmdPredict prints what a scenario's sweep should measure, computed by the
// model (bench/model) without sending a request. Flags override the
// scenario for what-ifs far beyond the machine.
func cmdPredict(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet("predict", "[flags] SCENARIO\n       poolbench predict -verify [-tolerance F] RESULTS...", env.stderr)
	items := fs.Int("items", 0, "items per cell (default: the scenario's; up to "+strconv.Itoa(model.MaxItems)+")")
	pools := fs.String("pools", "", "pool sizes, comma-separated, like 1,2,4,10000 (default: the scenario's)")
	rates := fs.String("rates", "", "rates for the rate strategy, comma-separated, like 1/s,2/s,4/s (default: the scenario's)")
	strategies := fs.String("strategies", "", "strategies, comma-separated: "+strategy.List()+" (default: the scenario's)")
	clients := fs.Int("clients", 0, "a fleet: N independent clients, each with the cell's pool, sharing the upstream's cap (default: the scenario's clients, 1)")
	seed := fs.String("seed", "", "seed for the client and the upstream (default: the scenario's seeds)")
	connect := fs.Duration("connect", 0, "model time a new connection costs when the scenario turns keep-alive off")
	rtt := fs.Duration("rtt", 0, "network round trip per attempt in model time, for a remote service (default 0, loopback)")
	verify := fs.Bool("verify", false, "compare measured runs with the model: the arguments are results.json files or their `DIR`s")
	tolerance := fs.Float64("tolerance", 0, "with -verify: the largest accepted |measured − predicted| / predicted wall time (default: each run's error budget)")
	runs := fs.Int("runs", model.DefaultRuns, "simulated runs per cell for its range (0: the central prediction only); a cell whose runs split into modes is run "+strconv.Itoa(model.ModeRuns)+" times")
	jitter := fs.Duration("jitter", model.DefaultJitter, "the most model time each simulated request leaves and each answer comes back late, for the ranges: the harness's run-to-run timing")
	harnessCPU := fs.Duration("harness-cpu", model.DefaultRequestCPU, "the harness's CPU per request (client and mock, wall time) the ranges simulate, half on each message, one message at a time, at the scenario's time scale (auto: real time); a run uses its own calibration's")
	budget := fs.Int64("range-budget", model.DefaultBudget, "the most attempts one cell's range may simulate, in all its runs; a cell over it gets fewer runs (at least "+strconv.Itoa(model.MinRuns)+") and says the lower coverage (0: no limit)")
	varySeeds := fs.Bool("vary-seeds", false, "ranges over the client's and upstream's seeds too (a service that is not the seeded mock), not only over timing")
	asJSON := fs.Bool("json", false, "print the predictions as results.json on stdout (the table goes to stderr)")
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
	if *rates != "" {
		r, err := scenario.ParseRates(*rates)
		if err != nil {
			return badInputf("-rates: %w", err)
		}
		opts.Rates = r
	}
	if *strategies != "" {
		s, err := scenario.ParseStrategies(*strategies)
		if err != nil {
			return badInputf("-strategies: %w", err)
		}
		opts.Strategies = s
	}
	if *clients != 0 {
		if *clients < 1 || *clients > scenario.MaxClients {
			return badInputf("-clients %d is out of range: want 1 to %d independent clients sharing the upstream", *clients, scenario.MaxClients)
		}
		opts.Clients = *clients
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
	if *runs < 0 || *runs > 10_000 {
		return badInputf("-runs %d: want 0 (no ranges) to 10000", *runs)
	}
	if *jitter <= 0 {
		return badInputf("-jitter %v: want a duration above 0, like 2ms", *jitter)
	}
	if *harnessCPU <= 0 {
		return badInputf("-harness-cpu %v: want a duration above 0, like 20µs", *harnessCPU)
	}
	opts.NoRange = *runs == 0
	if *budget < 0 {
		return badInputf("-range-budget %d: want 0 (no limit) or a number of simulated attempts, like 10000000", *budget)
	}
	if *budget == 0 {
		*budget = -1 // model.Spread: no limit
	}
	opts.Spread = model.Spread{Runs: *runs, Jitter: *jitter, VarySeeds: *varySeeds, Budget: *budget}
	opts.RequestCPU = *harnessCPU

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
	table := env.stdout
	if *asJSON {
		table = env.stderr
		b, err := results.Marshal(predictedResults(sc, opts, preds))
		if err != nil {
			return err
		}
		if _, err := env.stdout.Write(b); err != nil {
			return err
		}
	}
	return writePredictions(table, sc, opts, preds)
}

// predictedResults is the predictions as results.json, as `run -json`
// prints a run: the scenario with the overrides applied, one cell per
// prediction (PredictedWallSeconds and its range set), the recommendation,
// and Predicted set.
func predictedResults(sc *scenario.Scenario, opts model.Options, preds []model.Prediction) *results.Results {
	s := *sc
	if opts.Items != 0 {
		s.Items = opts.Items
	}
	if opts.Pools != nil {
		s.Sweep.PoolSizes = opts.Pools
	}
	if opts.Strategies != nil {
		s.Sweep.Strategies = opts.Strategies
	}
	if opts.Rates != nil {
		s.Sweep.Rates = opts.Rates
	}
	s.Sweep.DropUnused()
	if opts.Clients != 0 {
		s.Clients = opts.Clients
	}
	if opts.Seed != nil {
		up := *s.Upstream
		s.Seed, up.Seed = *opts.Seed, *opts.Seed
		s.Upstream = &up
	}
	now := time.Now().UTC()
	r := &results.Results{Schema: results.SchemaVersion, Scenario: s, Machine: results.CurrentMachine(),
		Started: now, Finished: now, Complete: true, Predicted: true}
	for _, p := range preds {
		r.Cells = append(r.Cells, p.Cell)
	}
	r.Recommended = r.Recommend()
	return r
}

// writePredictions prints the predicted table and the recommendation.
func writePredictions(w io.Writer, sc *scenario.Scenario, opts model.Options, preds []model.Prediction) error {
	up := sc.Upstream
	n, clients := sc.Items, sc.ClientCount()
	if opts.Items != 0 {
		n = opts.Items
	}
	if opts.Clients != 0 {
		clients = opts.Clients
	}
	capText := "no cap"
	if up.Cap > 0 {
		capText = fmt.Sprintf("cap %d (%s)", up.Cap, up.Overflow)
	}
	fmt.Fprintf(w, "%s: %d items, latency %s, %s, contention %g, timeout %s, %d attempts\n",
		sc.Name, n, up.Latency, capText, up.Contention, sc.Client.Timeout.D(), sc.Client.Retry.MaxAttempts)
	if clients > 1 {
		fmt.Fprintf(w, "a fleet of %d clients sharing the upstream, items dealt round robin; pool is per client (%d × pool in flight in all)\n", clients, clients)
	}
	if opts.RoundTrip > 0 || opts.ConnectCost > 0 {
		fmt.Fprintf(w, "what-if: network round trip %v, connection cost %v (keep-alive %v)\n", opts.RoundTrip, opts.ConnectCost, sc.Client.KeepAliveOn())
	}
	fmt.Fprintf(w, "predicted by the model, no request sent; times in model seconds (the scenario runs at %s); goodput counts succeeded items only\n", sc.Timescale)

	if !opts.NoRange {
		fmt.Fprintln(w, rangeNote(opts.Spread, preds))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "strategy\tpool\twall s\trange s\tgoodput items/s\tfailed\tp50 s\tp99 s\tmax s\tattempts\tpeak in flight\trejected\tmethod\t")
	cells := make([]results.Cell, len(preds))
	for i, p := range preds {
		cells[i] = p.Cell
		pool := p.PoolText()
		method := "simulated"
		if p.Exact {
			method = "exact"
		}
		u := p.Upstream
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t\n", p.Strategy, pool,
			num(p.ModelWallSeconds), rangeCell(p.Interval), num(p.Goodput), failedCell(p.Failed, p.Interval),
			latencyCell(p.Interval, p.Latency, "p50"), latencyCell(p.Interval, p.Latency, "p99"), num(p.Latency.Max),
			attemptsCell(p.Attempts, p.Interval), u.PeakInFlight, u.Rejected, method)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range preds {
		if l := p.Limit; l != nil {
			fmt.Fprintf(w, "%s: limit mean %.3g, %d–%d, final %d (model time)\n", p.Strategy, l.Mean, l.Min, l.Max, l.Final)
		}
	}
	for _, l := range report.ScheduleLines(cells) {
		fmt.Fprintln(w, l)
	}
	if rec := results.RecommendFleet(cells, clients); rec != nil {
		fmt.Fprintf(w, "\nrecommended: %s\n", rec.Reason)
		for _, c := range cells {
			if c.Strategy == rec.Strategy && c.Pool == rec.Pool && c.Interval != nil && len(c.Modes) > 1 {
				fmt.Fprintf(w, "  its wall time is not one number: %s\n", c.RangeText())
			}
		}
	}
	return nil
}

// rangeNote says what the ranges of preds cover, at the coverage their
// simulated runs give.
func rangeNote(sp model.Spread, preds []model.Prediction) string {
	sp = sp.WithDefaults(0)
	over := "timing (the scenario's seeds fix the draws, as a run reproduces them)"
	if sp.VarySeeds {
		over = "timing and the client's and upstream's seeds"
	}
	cov := "a run falls inside with the probability its coverage states"
	for _, p := range preds {
		if iv := p.Interval; iv != nil && iv.Runs == sp.Runs {
			cov = fmt.Sprintf("one more simulated run falls inside with at least %.0f%% probability (the coverage of the runs' order statistics)", 100*iv.Coverage)
			break
		}
	}
	timing := fmt.Sprintf("requests and answers up to %v late", sp.Jitter)
	for _, p := range preds {
		if iv := p.Interval; iv != nil && iv.Runs > 0 {
			timing = iv.Timing()
			break
		}
	}
	counts := ""
	for _, p := range preds {
		if iv := p.Interval; iv != nil && iv.CountsCoverage > 0 && iv.FailedLow+iv.AttemptsLow < iv.FailedHigh+iv.AttemptsHigh {
			counts = fmt.Sprintf(" (counts: the smallest to the largest of %d runs, which hold one more with %.1f%% probability, as a compare of two runs holds a dozen count rows at once)", iv.Runs, 100*iv.CountsCoverage)
			break
		}
	}
	note := fmt.Sprintf("range: %d simulated runs per cell, %s, over %s; %s; where runs split into modes they are named with their odds (their share of the cell's runs, at least %d); failed items, attempts, p50 and p99 show their range in brackets where it is not one number%s",
		sp.Runs, timing, over, cov, max(sp.Runs, model.ModeRuns), counts)
	var fewer []string
	for _, p := range preds {
		if iv := p.Interval; iv != nil && iv.Runs > 0 && iv.Runs < sp.Runs {
			fewer = append(fewer, fmt.Sprintf("%s(%s) %d runs, %.0f%%", p.Strategy, p.PoolText(), iv.Runs, 100*iv.Coverage))
		}
	}
	if len(fewer) > 0 {
		note += fmt.Sprintf("; over the range budget (%d simulated attempts a cell, -range-budget), fewer runs and a lower coverage: %s", sp.Budget, strings.Join(fewer, "; "))
	}
	return note
}

// rangeCell prints a cell's range: "5.218–5.274", or its modes with
// their odds, "3.218 (64%) | 4.209 (36%)".
func rangeCell(iv *results.Interval) string {
	if iv == nil {
		return "-"
	}
	if len(iv.Modes) < 2 {
		return num(iv.LowSeconds) + "–" + num(iv.HighSeconds)
	}
	parts := make([]string, len(iv.Modes))
	for i, m := range iv.Modes {
		parts[i] = fmt.Sprintf("%s (%.0f%%)", num(m.WallSeconds), 100*m.Odds)
	}
	return strings.Join(parts, " | ")
}

// failedCell prints failed items, with their range where it is not one
// number: "16 (12–20)".
func failedCell(failed int, iv *results.Interval) string {
	if iv == nil || iv.FailedLow == iv.FailedHigh {
		return strconv.Itoa(failed)
	}
	return fmt.Sprintf("%d (%d–%d)", failed, iv.FailedLow, iv.FailedHigh)
}

// attemptsCell prints attempts, with their range where it is not one
// number: "1115 (1110–1120)".
func attemptsCell(attempts int, iv *results.Interval) string {
	if iv == nil || iv.AttemptsLow == iv.AttemptsHigh {
		return strconv.Itoa(attempts)
	}
	return fmt.Sprintf("%d (%d–%d)", attempts, iv.AttemptsLow, iv.AttemptsHigh)
}

// latencyCell prints the latency percentile name of lat, with its range
// where it is not one number at four significant digits: "3 (0.2–3)".
func latencyCell(iv *results.Interval, lat results.Percentiles, name string) string {
	pick := func(p results.Percentiles) float64 {
		if name == "p50" {
			return p.P50
		}
		return p.P99
	}
	v := num(pick(lat))
	if iv == nil {
		return v
	}
	lo, hi := num(pick(iv.LatencyLow)), num(pick(iv.LatencyHigh))
	if lo == hi {
		return v
	}
	return fmt.Sprintf("%s (%s–%s)", v, lo, hi)
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
