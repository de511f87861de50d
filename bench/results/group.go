package results

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
)

// Group is the repeats of one strategy × pool: the unit every reader
// reports, compares and recommends.
type Group struct {
	Strategy scenario.Strategy
	// Pool is the concurrency limit: 1 for serial, 0 for unbounded.
	Pool int
	// Rate is a rate group's rate (the zero rate otherwise).
	Rate strategy.ArrivalRate
	// Cells are the repeats, in results.json order.
	Cells []Cell
}

// Groups groups cells by strategy × pool (× rate), in report order:
// strategies in scenario.Strategies order (unknown ones after them, by
// name), then pools ascending, unbounded last, then rates ascending.
func Groups(cells []Cell) []Group {
	type key struct {
		s    scenario.Strategy
		pool int
		rate strategy.ArrivalRate
	}
	byKey := map[key]int{}
	var out []Group
	for _, c := range cells {
		var rate strategy.ArrivalRate
		if c.Rate != nil {
			rate = *c.Rate
		}
		k := key{c.Strategy, c.Pool, rate}
		i, ok := byKey[k]
		if !ok {
			i = len(out)
			byKey[k] = i
			out = append(out, Group{Strategy: c.Strategy, Pool: c.Pool, Rate: rate})
		}
		out[i].Cells = append(out[i].Cells, c)
	}
	slices.SortStableFunc(out, func(a, b Group) int {
		return cmp.Or(
			cmp.Compare(a.Strategy.Rank(), b.Strategy.Rank()),
			cmp.Compare(a.Strategy, b.Strategy),
			cmp.Compare(poolOrder(a.Pool), poolOrder(b.Pool)),
			cmp.Compare(a.Rate.PerSecond(), b.Rate.PerSecond()))
	})
	return out
}

// poolOrder sorts unbounded (pool 0) after every pool.
func poolOrder(p int) int {
	if p == 0 {
		return int(^uint(0) >> 1)
	}
	return p
}

// Name is the group's short name: "serial", "pooled(8)", "unbounded",
// "rate(4/s)".
func (g *Group) Name() string {
	if g.Strategy.Rated() && !g.Rate.IsZero() {
		return string(g.Strategy) + "(" + g.Rate.String() + ")"
	}
	if g.Strategy.Pooled() && g.Pool > 0 {
		return string(g.Strategy) + "(" + strconv.Itoa(g.Pool) + ")"
	}
	return string(g.Strategy)
}

// Bounded reports whether the group is a pooled or workers pool.
func (g *Group) Bounded() bool { return g.Strategy.Pooled() && g.Pool > 0 }

// Competes reports whether the group may be recommended: its strategy
// competes (bench/strategy) and, when it takes a pool, has one. The one
// rule for both the recommendation and the headline.
func (g *Group) Competes() bool {
	return g.Strategy.Competes() && (!g.Strategy.Pooled() || g.Pool > 0)
}

// Eligible reports whether the group competes for the recommendation as
// measured: it Competes, is Clean, and did not fail most of its items
// (MostlyFailed): a pool that loses most of its items is no answer to
// which pool to use, however fast its few successes came (a pool far
// above a rejecting cap, answered at once, "succeeds" 16 of 2,000 items in
// 0.1 s). The one rule for the recommendation and for the pool the
// headline compares other strategies with.
func (g *Group) Eligible() bool { return g.Competes() && g.Clean() && !g.MostlyFailed() }

// Clean reports whether every repeat measured the upstream: none was
// interrupted or harness-bound. Only clean groups stand in a headline's
// claims.
func (g *Group) Clean() bool { return !g.Interrupted() && !g.Bound() }

// MostlyFailed reports whether the group's median of failed items is above
// half its items.
func (g *Group) MostlyFailed() bool {
	failed := g.Median(func(c *Cell) float64 { return float64(c.Failed) })
	items := g.Median(func(c *Cell) float64 { return float64(c.Items) })
	return 2*failed > items
}

// Interrupted reports whether a repeat was interrupted.
func (g *Group) Interrupted() bool {
	return slices.ContainsFunc(g.Cells, func(c Cell) bool { return c.Interrupted })
}

// Bound reports whether the harness flagged a repeat as measuring
// poolbench rather than the upstream.
func (g *Group) Bound() bool {
	return slices.ContainsFunc(g.Cells, func(c Cell) bool { return c.Bound() })
}

// Stat is one figure of a group: the median over its repeats and the
// smallest and largest value.
type Stat struct {
	Median, Min, Max float64
}

// Spread reports whether the repeats disagree.
func (s Stat) Spread() bool { return s.Min != s.Max }

// Stat summarises f over the group's repeats.
func (g *Group) Stat(f func(*Cell) float64) Stat {
	v := make([]float64, len(g.Cells))
	for i := range g.Cells {
		v[i] = f(&g.Cells[i])
	}
	return StatOf(v)
}

// Median is the median of f over the group's repeats.
func (g *Group) Median(f func(*Cell) float64) float64 { return g.Stat(f).Median }

// StatOf summarises values: the median (the mean of the middle two for an
// even count), smallest and largest; zero for no values.
func StatOf(values []float64) Stat {
	if len(values) == 0 {
		return Stat{}
	}
	v := slices.Clone(values)
	slices.Sort(v)
	n := len(v)
	med := v[n/2]
	if n%2 == 0 {
		med = (v[n/2-1] + v[n/2]) / 2
	}
	return Stat{Median: med, Min: v[0], Max: v[n-1]}
}
