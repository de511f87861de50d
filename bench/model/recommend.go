package model

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/poolbench/poolbench/bench"
)

// Tolerance is how far below the best throughput a recommended pool may be.
const Tolerance = 0.05

// group is the repeats of one strategy × pool.
type group struct {
	strategy bench.Strategy
	pool     int
	goodput  float64 // median over repeats, successful items per model second
	tput     float64 // median over repeats, items per model second
	failed   float64 // median over repeats
}

// Recommend picks the pool size to use from measured (or predicted) cells:
// the smallest pool whose median goodput over repeats is within Tolerance
// (5%) of the best, without extra failures.
//
// The rule, precisely:
//   - Only bounded cells compete: serial (pool 1), pooled and workers.
//     Unbounded has no pool to recommend. Interrupted cells are ignored.
//   - Cells are grouped by strategy × pool and each group summarised by
//     medians over its repeats: goodput (succeeded items per model second,
//     which is the throughput when nothing fails), throughput and failed items.
//   - The best group has the highest median goodput. Ranking by goodput
//     rather than raw throughput keeps a pool that fails items quickly
//     (reject overflow without backoff) from looking fast.
//   - "Extra failures" means a median of failed items above the best
//     group's. A group with extra failures is never recommended.
//   - Among the groups within 5% of the best goodput without extra
//     failures, the smallest pool wins; on a tie, the higher goodput, then
//     the strategy order of bench.Strategies.
//
// It returns nil when no bounded cell completed, or none had an item
// succeed.
func Recommend(cells []bench.Cell) *bench.Recommendation {
	groups := summarise(cells)
	if len(groups) == 0 {
		return nil
	}
	best := groups[0]
	for _, g := range groups[1:] {
		if g.goodput > best.goodput {
			best = g
		}
	}
	if !(best.goodput > 0) {
		return nil // nothing succeeded anywhere: no pool to recommend
	}
	var pick *group
	for i := range groups {
		g := &groups[i]
		if g.goodput < (1-Tolerance)*best.goodput || g.failed > best.failed {
			continue
		}
		if pick == nil || g.pool < pick.pool || (g.pool == pick.pool && g.goodput > pick.goodput) {
			pick = g
		}
	}
	rec := &bench.Recommendation{
		Strategy:       pick.strategy,
		Pool:           pick.pool,
		Throughput:     pick.tput,
		BestThroughput: best.tput,
	}
	switch {
	case pick.strategy == best.strategy && pick.pool == best.pool:
		rec.Reason = fmt.Sprintf("%s with pool %d has the best throughput, %.4g items/s; every smaller pool is more than %.0f%% slower or fails more items",
			pick.strategy, pick.pool, pick.tput, Tolerance*100)
	default:
		rec.Reason = fmt.Sprintf("%s with pool %d reaches %.1f%% of the best throughput (%.4g of %.4g items/s, %s pool %d) with no more failures; larger pools buy less than %.0f%%",
			pick.strategy, pick.pool, 100*pick.goodput/best.goodput, pick.tput, best.tput, best.strategy, best.pool, Tolerance*100)
	}
	return rec
}

// summarise groups the bounded, complete cells by strategy × pool, in
// strategy order then pool order.
func summarise(cells []bench.Cell) []group {
	type key struct {
		s    bench.Strategy
		pool int
	}
	byKey := map[key][]bench.Cell{}
	var keys []key
	for _, c := range cells {
		if c.Interrupted || c.Strategy == bench.Unbounded || c.Items == 0 {
			continue
		}
		if !slices.Contains(bench.Strategies, c.Strategy) {
			continue
		}
		pool := c.Pool
		if c.Strategy == bench.Serial {
			pool = 1
		}
		k := key{c.Strategy, pool}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], c)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(slices.Index(bench.Strategies, a.s), slices.Index(bench.Strategies, b.s)), cmp.Compare(a.pool, b.pool))
	})
	out := make([]group, 0, len(keys))
	for _, k := range keys {
		cs := byKey[k]
		g := group{strategy: k.s, pool: k.pool}
		g.tput = median(cs, func(c bench.Cell) float64 { return c.Throughput })
		g.goodput = median(cs, func(c bench.Cell) float64 { return c.Throughput * float64(c.Succeeded) / float64(c.Items) })
		g.failed = median(cs, func(c bench.Cell) float64 { return float64(c.Failed) })
		out = append(out, g)
	}
	return out
}

// median of f over cs (the mean of the middle two for an even count).
func median(cs []bench.Cell, f func(bench.Cell) float64) float64 {
	v := make([]float64, len(cs))
	for i, c := range cs {
		v[i] = f(c)
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
