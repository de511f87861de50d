package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/bench/fit"
	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/probe"
	"github.com/poolbench/poolbench/bench/report"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/internal/publish"
)

const probeUsage = `[flags] URL

Measures the service at URL with a short sweep designed to be fitted: one
request at a time, then pools doubling from 2 until goodput stops growing,
failures pass -max-failures or a limit would be crossed (requests, time,
rate, pool: printed before it starts; the rate holds also against a
service that fails fast). No retries: an attempt is an item.
Then fits it as 'poolbench fit' does. Writes DIR/results.json,
requests.jsonl, the report and DIR/fitted.yaml (DIR is -out, or
reports/probe-HOST-PORT). Loopback addresses only, unless -allow-remote.
Ctrl-C stops the probe and fits what was measured (exit 130).`

// cmdProbe probes a service and fits it.
func cmdProbe(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet("probe", probeUsage, env.stderr)
	var l probe.Limits
	var out, method, body string
	var budget float64
	var allowRemote bool
	headers := map[string]string{}
	fs.StringVar(&out, "out", "", "write the probe's files to `DIR` (default reports/probe-HOST-PORT)")
	fs.IntVar(&l.MaxRequests, "max-requests", 3000, "send at most `N` requests in all")
	fs.DurationVar(&l.MaxTime, "max-time", time.Minute, "stop after `D` of wall time (what was measured is kept)")
	fs.Float64Var(&l.MaxRate, "max-rate", 500, "send at most `R` requests a second once a cell's pool has started, however fast the service answers; start no cell that would need more at the latency measured one at a time")
	fs.IntVar(&l.MaxPool, "max-pool", 256, "the largest pool to try")
	fs.Float64Var(&l.MaxFailures, "max-failures", 0.2, "stop after a cell that failed more than this `share` of its items")
	fs.Float64Var(&l.Precision, "precision", 0.02, "relative precision wanted of the mean service time at 95% (sets the items per cell)")
	fs.Float64Var(&l.Growth, "growth", 0.1, "stop doubling when goodput grows by less than this `share`")
	fs.DurationVar(&l.Timeout, "timeout", 10*time.Second, "give up an attempt after `D`")
	fs.Float64Var(&budget, "error-budget", 0, "share of a cell's wall time the harness may add before the cell is flagged (default 0.02)")
	fs.BoolVar(&allowRemote, "allow-remote", false, "allow a URL that is not a loopback address (only a service you own)")
	fs.StringVar(&method, "method", "GET", "the request's `method`")
	fs.StringVar(&body, "body", "", "the request's `body`")
	fs.Func("header", "a request header, `'Name: value'` (repeatable)", func(v string) error {
		k, val, ok := strings.Cut(v, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("want 'Name: value', got %q", v)
		}
		headers[strings.TrimSpace(k)] = strings.TrimSpace(val)
		return nil
	})
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return badInputf("probe takes one URL, got %d arguments", len(pos))
	}
	u, err := url.Parse(pos[0])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return badInputf("probe %q: want an http:// or https:// URL with a host", pos[0])
	}
	if err := l.Validate(); err != nil {
		return badInput(err)
	}
	if !(budget >= 0 && budget <= scenario.MaxErrorBudget) {
		return badInputf("-error-budget %v: want 0 to %v", budget, scenario.MaxErrorBudget)
	}
	t := scenario.Target{URL: u.String(), Method: method, Body: body, Headers: headers}
	if !allowRemote {
		if err := scenario.CheckTarget(ctx, &t); err != nil {
			return badInput(err)
		}
	}
	name := "probe-" + strings.Trim(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(u.Host, "-"), "-")
	if out == "" {
		out = filepath.Join("reports", name)
	}
	fmt.Fprintf(env.stderr, "probe %s: at most %d requests, %v, %g requests/s, pool %d; stops past %.0f%% failed items; no retries\n",
		t.URL, l.MaxRequests, l.MaxTime, l.MaxRate, l.MaxPool, 100*l.MaxFailures)

	set, err := publish.New(out)
	if err != nil {
		return err
	}
	defer set.Abort()
	rec, err := set.Create("requests.jsonl")
	if err != nil {
		return err
	}
	var done atomic.Int64
	prog := newProbeProgress(env, name, &done)
	o, runErr := probe.Run(ctx, probe.Options{Target: t, Name: name, Limits: l, ErrorBudget: budget, AllowRemote: allowRemote,
		Records: rec, Progress: prog, ItemsDone: &done, Warn: func(msg string) { fmt.Fprintf(prog, "poolbench: warning: %s\n", msg) }})
	prog.finish()
	if o == nil || o.Results == nil {
		rec.Abort()
		if runErr == nil {
			runErr = errors.New("the probe measured nothing")
		}
		return runErr
	}
	if err := rec.Done(); err != nil {
		return err
	}
	res := o.Results
	if o.Stopped != "" {
		fmt.Fprintf(env.stderr, "probe: stopped: %s (%d requests sent)\n", o.Stopped, o.Attempts)
	}
	bg := context.WithoutCancel(ctx)
	if pool, ok := probe.Rejected(o); ok && runErr == nil && o.Attempts+pool <= l.WithDefaults().MaxRequests {
		look, err := probe.LookAtRejection(ctx, t, pool, l.Timeout, allowRemote)
		if err != nil {
			fmt.Fprintf(env.stderr, "poolbench: warning: %v\n", err)
		}
		if look != nil {
			b, _ := json.Marshal(look)
			if err := set.Write(fit.RejectLookFile, append(b, '\n')); err != nil {
				return err
			}
		}
	}
	if err := model.Annotate(res); err != nil {
		fmt.Fprintf(env.stderr, "poolbench: model: %v\n", err)
	}
	if err := stageRun(bg, set, res); err != nil {
		return err
	}
	if err := set.Commit(); err != nil {
		return err
	}
	if err := report.WriteTable(env.stdout, res, env.stdoutWidth); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout)
	if _, err := fitAndWrite(bg, env.stdout, out, "", fit.Options{}, 0, nil); err != nil {
		if runErr == nil {
			return err
		}
		fmt.Fprintf(env.stderr, "poolbench: %v\n", err)
	}
	if runErr != nil && ctx.Err() != nil {
		return interrupted(fmt.Errorf("probe interrupted: wrote what was measured to %s: %w", out, runErr))
	}
	return runErr
}
