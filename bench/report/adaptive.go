package report

import (
	"fmt"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
)

// adaptiveText says how close the adaptive row comes to the best fixed
// pool's goodput — the competing row with the highest median goodput —
// and the limit it kept on average (median over repeats of each cell's
// time-weighted mean); "" without an adaptive row that was measured
// cleanly or a fixed pool to compare it with.
func (s *Summary) adaptiveText() string {
	var ad, best *Row
	for _, r := range s.Rows {
		switch {
		case r.Strategy == scenario.Adaptive && !r.HarnessBound && !r.Interrupted:
			ad = r
		case r.competes() && (best == nil || r.Goodput.Median > best.Goodput.Median):
			best = r
		}
	}
	if ad == nil || best == nil || !(best.Goodput.Median > 0) {
		return ""
	}
	limit := ""
	if m := ad.Median(func(c *results.Cell) float64 {
		if c.Limit == nil {
			return 0
		}
		return c.Limit.Mean
	}); m > 0 {
		limit = fmt.Sprintf(", mean limit %.3g", m)
	}
	return fmt.Sprintf("adaptive reaches %.0f%% of the best fixed pool's goodput without knowing the cap (%s vs %s's %s items/s%s)",
		100*ad.Goodput.Median/best.Goodput.Median, rate(ad.Goodput.Median), best.Name(), rate(best.Goodput.Median), limit)
}
