package main

// What run does before its sweep: the scenario read, the command line's
// overrides applied and validated again, and the plan checked against the
// machine's memory and file descriptors.

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/sweep"
)

// applyOverrides applies the command line's sweep overrides and validates
// the scenario again.
func applyOverrides(sc *scenario.Scenario, f runFlags) error {
	if f.items != 0 {
		sc.Items = f.items
	}
	if f.repeats != 0 {
		sc.Sweep.Repeats = f.repeats
	}
	if f.parallel != 0 {
		sc.Sweep.Parallel = f.parallel
	}
	if f.errorBudget != 0 {
		sc.ErrorBudget = f.errorBudget
	}
	if f.keepAwake != nil {
		sc.KeepAwake = *f.keepAwake
	}
	if f.targets != "" || f.format != "" {
		if sc.Target == nil {
			return errors.New("-targets and -format: the scenario has no target: (its upstream: is the embedded mock); give them with a scenario that has a target: block, or drop them to run on the mock")
		}
		t := *sc.Target
		if f.targets != "" {
			t.URL, t.Method, t.Targets = "", "", f.targets
		}
		t.Format = cmp.Or(f.format, t.Format, scenario.FormatHTTP)
		sc.Target = &t
	}
	if f.http != 0 {
		switch {
		case sc.Target != nil:
			t := *sc.Target
			t.HTTP = f.http
			sc.Target = &t
		case sc.Upstream != nil:
			u := *sc.Upstream
			u.HTTP = f.http
			sc.Upstream = &u
		}
	}
	for k, v := range f.thresholds {
		if sc.Thresholds == nil {
			sc.Thresholds = map[string]string{}
		}
		sc.Thresholds[k] = v
	}
	if f.timescale != "" {
		ts, err := scenario.ParseTimescale(f.timescale)
		if err != nil {
			return fmt.Errorf("-timescale: %w", err)
		}
		sc.Timescale = ts
	}
	if f.strategies != "" {
		s, err := scenario.ParseStrategies(f.strategies)
		if err != nil {
			return fmt.Errorf("-strategies: %w", err)
		}
		sc.Sweep.Strategies = s
		sc.Sweep.DropUnused()
	}
	if f.rates != "" {
		r, err := scenario.ParseRates(f.rates)
		if err != nil {
			return fmt.Errorf("-rates: %w", err)
		}
		sc.Sweep.Rates = r
	}
	if f.pools != "" {
		p, err := scenario.ParsePools(f.pools)
		if err != nil {
			return fmt.Errorf("-pools: %w", err)
		}
		sc.Sweep.PoolSizes = p
	}
	if err := sc.Validate(); err != nil {
		return fmt.Errorf("after the command-line overrides: %w", err)
	}
	return nil
}

// scenarioSource names where the scenario is read from.
func scenarioSource(arg string) string {
	if arg == "-" {
		return "the scenario on standard input"
	}
	return "the scenario " + arg
}

// loadScenario reads SCENARIO: - is standard input, else a built-in name
// or a file (scenario.Load).
func loadScenario(env *environ, arg string) (*scenario.Scenario, error) {
	if arg != "-" {
		return scenario.Load(arg, builtinScenarios())
	}
	data, err := io.ReadAll(io.LimitReader(env.stdin, scenario.MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the scenario from standard input: %w", err)
	}
	if len(data) > scenario.MaxFileBytes {
		return nil, fmt.Errorf("standard input: a scenario larger than %d bytes: a scenario is a short YAML file (poolbench scenarios NAME prints one); put a long list of requests in a -targets file", scenario.MaxFileBytes)
	}
	return scenario.Parse("<stdin>", data)
}

// preflight checks the plan's peak against the machine: it refuses a
// plan whose requests in flight need more memory than is available, and
// warns when they need more than half of it, or more file descriptors than
// ulimit -n allows (the cells would then fail to connect, and say so).
func preflight(env *environ, sc *scenario.Scenario) error {
	fp := sweep.FootprintOf(sc)
	need := fmt.Sprintf("%s requests in flight at once (%d cells at a time, about 20 KiB each)", thousands(fp.InFlight), min(max(sc.Sweep.Parallel, 1), len(sc.Sweep.Plan())))
	switch {
	case env.memAvailable > 0 && fp.Bytes > env.memAvailable:
		return fmt.Errorf("the plan needs about %s of memory for %s and %s is available%s: lower the largest pool, the items of an unbounded cell, or -parallel",
			mib(fp.Bytes), need, mib(env.memAvailable), memFrom(env.memSource))
	case env.memAvailable > 0 && fp.Bytes > env.memAvailable/2:
		fmt.Fprintf(env.stderr, "poolbench: warning: the plan needs about %s of memory for %s, more than half of the %s available%s\n", mib(fp.Bytes), need, mib(env.memAvailable), memFrom(env.memSource))
	}
	if env.fdLimit > 0 && uint64(fp.FDs)+64 > env.fdLimit {
		fmt.Fprintf(env.stderr, "poolbench: warning: %s hold about %s file descriptors and ulimit -n is %d: raise it (ulimit -n %d) or the attempts beyond it fail to connect\n",
			need, thousands(fp.FDs), env.fdLimit, fp.FDs+64)
	}
	return nil
}

// memFrom says which limit set the memory available, when a cgroup's did.
func memFrom(source string) string {
	if source == "" || source == "MemAvailable" {
		return ""
	}
	return " (under the cgroup limit in " + source + ", minus its usage)"
}

// mib prints bytes as "1.2 GiB" or "340 MiB".
func mib(b uint64) string {
	if b >= 1<<30 {
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	}
	return fmt.Sprintf("%d MiB", b>>20)
}

// thousands prints n with thousands separators: 20,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
