package scenario

import "github.com/poolbench/poolbench/bench/strategy"

// CellPlan is one cell to run: strategy, pool (1 for serial, 0 for
// unbounded and adaptive) and repeat; Adaptive is the sweep's adaptive
// block (nil: defaults).
type CellPlan struct {
	Strategy Strategy
	Pool     int
	Repeat   int
	Adaptive *strategy.AdaptiveConfig
}

// New builds the plan's strategy for a share of items items.
func (c CellPlan) New(items int) (strategy.Strategy, error) {
	return c.Strategy.Kind().New(Sweep{Adaptive: c.Adaptive}.StrategyConfig(c.Pool, items))
}

// Plan lists the cells a sweep runs, in run order: repeat by repeat, then
// strategy by strategy in the scenario's order, then pool by pool. Serial
// and unbounded run once per repeat, whatever the pools.
func (w Sweep) Plan() []CellPlan {
	var plan []CellPlan
	for r := range max(w.Repeats, 1) {
		for _, st := range w.Strategies {
			if !st.Pooled() {
				plan = append(plan, CellPlan{st, st.CellPool(0), r, w.Adaptive})
				continue
			}
			for _, p := range w.PoolSizes {
				plan = append(plan, CellPlan{st, p, r, w.Adaptive})
			}
		}
	}
	return plan
}

// CellPool is the pool a cell of strategy s records: 1 for serial, 0 for
// unbounded, pool for pooled and workers (bench/strategy says which).
func (s Strategy) CellPool(pool int) int { return s.Kind().CellPool(pool) }
