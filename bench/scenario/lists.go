package scenario

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/poolbench/poolbench/bench/strategy"
)

// ParsePools reads a comma-separated list of pool sizes, "1,2,4,8": each
// from 1 to MaxPool, none twice. Spaces around the numbers are allowed.
func ParsePools(s string) ([]int, error) {
	var out []int
	for i, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > MaxPool {
			return nil, fmt.Errorf("pool sizes %q: item %d, %q, is not accepted: want whole numbers from 1 to %d separated by commas, like 1,2,4,8", s, i+1, f, MaxPool)
		}
		if slices.Contains(out, n) {
			return nil, fmt.Errorf("pool sizes %q: %d is listed twice", s, n)
		}
		out = append(out, n)
	}
	return out, nil
}

// ParseRates reads a comma-separated list of rates, "1/s,2/s,4/s": each
// as strategy.ParseRate reads it, none twice. Spaces around them are
// allowed.
func ParseRates(s string) ([]strategy.ArrivalRate, error) {
	var out []strategy.ArrivalRate
	for i, f := range strings.Split(s, ",") {
		r, err := strategy.ParseRate(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("rates %q: item %d: %w", s, i+1, err)
		}
		if slices.ContainsFunc(out, func(o strategy.ArrivalRate) bool { return o.PerSecond() == r.PerSecond() }) {
			return nil, fmt.Errorf("rates %q: %s is listed twice", s, r)
		}
		out = append(out, r)
	}
	return out, nil
}

// ParseStrategies reads a comma-separated list of strategies,
// "serial,pooled": each one of Strategies, none twice.
func ParseStrategies(s string) ([]Strategy, error) {
	var out []Strategy
	for i, f := range strings.Split(s, ",") {
		st := Strategy(strings.TrimSpace(f))
		if !slices.Contains(Strategies(), st) {
			return nil, fmt.Errorf("strategies %q: item %d, %q, is not accepted: want %s, separated by commas", s, i+1, string(st), StrategyList())
		}
		if slices.Contains(out, st) {
			return nil, fmt.Errorf("strategies %q: %s is listed twice", s, st)
		}
		out = append(out, st)
	}
	return out, nil
}
