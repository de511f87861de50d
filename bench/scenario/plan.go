package scenario

import (
	"slices"

	"github.com/poolbench/poolbench/bench/strategy"
)

// CellPlan is one cell to run: strategy, pool (1 for serial, 0 for
// unbounded, adaptive and rate), rate (rate's cells only) and repeat;
// Adaptive and Pacing are the sweep's adaptive and rate blocks (nil:
// defaults).
type CellPlan struct {
	Strategy Strategy
	Pool     int
	Rate     strategy.ArrivalRate
	Repeat   int
	Adaptive *strategy.AdaptiveConfig
	Pacing   *strategy.RateConfig
}

// New builds the plan's strategy for a share of items items.
func (c CellPlan) New(items int) (strategy.Strategy, error) {
	return c.Strategy.Kind().New(Sweep{Adaptive: c.Adaptive, Rate: c.Pacing}.StrategyConfig(c.Pool, c.Rate, items))
}

// Plan lists the cells a sweep runs, in run order: repeat by repeat, then
// strategy by strategy in the scenario's order, then pool by pool (rate
// by rate for rate). Serial, unbounded and adaptive run once per repeat,
// whatever the pools.
func (w Sweep) Plan() []CellPlan {
	var plan []CellPlan
	for r := range max(w.Repeats, 1) {
		for _, st := range w.Strategies {
			cell := CellPlan{Strategy: st, Pool: st.CellPool(0), Repeat: r, Adaptive: w.Adaptive, Pacing: w.Rate}
			switch {
			case st.Rated():
				for _, rate := range w.Rates {
					cell.Rate = rate
					plan = append(plan, cell)
				}
			case st.Pooled():
				for _, p := range w.PoolSizes {
					cell.Pool = p
					plan = append(plan, cell)
				}
			default:
				plan = append(plan, cell)
			}
		}
	}
	return plan
}

// CellPool is the pool a cell of strategy s records: 1 for serial, 0 for
// unbounded, pool for pooled and workers (bench/strategy says which).
func (s Strategy) CellPool(pool int) int { return s.Kind().CellPool(pool) }

// DropUnused removes the blocks of the strategies the sweep does not run
// (adaptive:, rates: and rate:), as after -strategies replaced them: a
// scenario written for all of them still runs some.
func (w *Sweep) DropUnused() {
	if !slices.Contains(w.Strategies, Adaptive) {
		w.Adaptive = nil
	}
	if !slices.Contains(w.Strategies, Rate) {
		w.Rates, w.Rate = nil, nil
	}
}
