package results

import (
	"fmt"
	"strconv"

	"github.com/poolbench/poolbench/bench/scenario"
)

// Tolerance is how far below the best goodput a recommended pool may be.
const Tolerance = 0.05

// Recommendation is the pool size Recommend picks.
type Recommendation struct {
	Strategy scenario.Strategy `json:"strategy"`
	Pool     int               `json:"pool"`
	// Goodput is the recommended group's median goodput (succeeded items
	// per model second); BestGoodput the best of any competing group.
	Goodput     float64 `json:"goodput"`
	BestGoodput float64 `json:"best_goodput"`
	// Throughput and BestThroughput are the same groups' median
	// throughput (items per model second, failed ones included).
	Throughput     float64 `json:"throughput"`
	BestThroughput float64 `json:"best_throughput"`
	// Reason says in words why, for the headline.
	Reason string `json:"reason"`
	// Clients is set when the cells were a fleet's (RecommendFleet): Pool
	// is then each of Clients clients' pool.
	Clients int `json:"clients,omitempty"`
}

// Recommend picks the pool size to use from measured (or predicted) cells:
// the smallest pool whose median goodput over repeats is within Tolerance
// (5%) of the best, without more failed items. It is the one rule every
// report, prediction and run uses.
//
// The rule, precisely:
//   - Only eligible groups compete (Group.Eligible): serial (pool 1),
//     pooled and workers (unbounded, adaptive and rate have no pool to
//     recommend), without an interrupted repeat or a repeat the harness
//     flagged as bound (it measured poolbench, not the upstream), and
//     without most of their items failed.
//   - Each group is summarised by medians over its repeats (Groups):
//     goodput (succeeded items per model second) and failed items.
//     Ranking by goodput rather than throughput keeps a pool that fails
//     items quickly from looking fast.
//   - The best group has the highest median goodput. A group whose median
//     of failed items is above the best group's is never recommended.
//   - Among the groups within Tolerance of the best goodput without more
//     failures, the smallest pool wins. At the same pool the strategy
//     listed first in scenario.Strategies wins (pooled before workers),
//     whatever their goodputs: both are within Tolerance of the best, and
//     a difference that small between two ways of keeping the same number
//     in flight is the machine's noise, not a preference. So a tie is
//     broken by this stated rule, never by which repeat ran faster.
//
// It returns nil when no group competes or none had an item succeed.
func Recommend(cells []Cell) *Recommendation {
	type entry struct {
		g                     *Group
		goodput, tput, failed float64
		pool                  int
	}
	var es []entry
	groups := Groups(cells)
	for i := range groups {
		g := &groups[i]
		if !g.Eligible() {
			continue
		}
		es = append(es, entry{
			g:       g,
			goodput: g.Median(func(c *Cell) float64 { return c.Goodput }),
			tput:    g.Median(func(c *Cell) float64 { return c.Throughput }),
			failed:  g.Median(func(c *Cell) float64 { return float64(c.Failed) }),
			pool:    g.Strategy.CellPool(g.Pool),
		})
	}
	if len(es) == 0 {
		return nil
	}
	best := es[0]
	for _, e := range es[1:] {
		if e.goodput > best.goodput {
			best = e
		}
	}
	if !(best.goodput > 0) {
		return nil // nothing succeeded anywhere: no pool to recommend
	}
	var pick *entry
	for i := range es {
		e := &es[i]
		if e.goodput < (1-Tolerance)*best.goodput || e.failed > best.failed {
			continue
		}
		if pick == nil || e.pool < pick.pool || (e.pool == pick.pool && e.g.Strategy.Rank() < pick.g.Strategy.Rank()) {
			pick = e
		}
	}
	rec := &Recommendation{
		Strategy: pick.g.Strategy, Pool: pick.pool,
		Goodput: pick.goodput, BestGoodput: best.goodput,
		Throughput: pick.tput, BestThroughput: best.tput,
	}
	if pick.g == best.g {
		rec.Reason = fmt.Sprintf("%s has the best goodput, %s items/s succeeded; every smaller pool is more than %.0f%% slower or fails more items",
			pick.g.Name(), sig3(pick.goodput), Tolerance*100)
	} else {
		rec.Reason = fmt.Sprintf("%s reaches %.1f%% of the best goodput (%s of %s items/s succeeded, %s) with no more failures; larger pools buy less than %.0f%%",
			pick.g.Name(), 100*pick.goodput/best.goodput, sig3(pick.goodput), sig3(best.goodput), best.g.Name(), Tolerance*100)
	}
	return rec
}

// sig3 prints v with three significant digits and no exponent: 26900,
// 2.36, 0.00123.
func sig3(v float64) string {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	return strconv.FormatFloat(r, 'f', -1, 64)
}
