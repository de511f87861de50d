package report

import (
	"fmt"
	"strings"

	"github.com/poolbench/poolbench/bench/results"
)

// versusText says, for every row whose strategy asks for it
// (strategy.Kind.Versus: adaptive), how close its goodput comes to the
// best fixed pool's — the recommended pool, else the eligible row
// (results.Group.Eligible) with the highest median goodput — and, for a
// row that recorded a limit over time, the limit it kept on average
// (median over repeats of each cell's time-weighted mean); "" without
// such a row measured cleanly or a fixed pool to compare it with.
func (s *Summary) versusText() string {
	best := s.Best
	for _, r := range s.Rows {
		if s.Best == nil && r.Eligible() && (best == nil || r.Goodput.Median > best.Goodput.Median) {
			best = r
		}
	}
	if best == nil || !(best.Goodput.Median > 0) {
		return ""
	}
	var parts []string
	for _, r := range s.Rows {
		versus := r.Strategy.Kind().Versus
		if versus == "" || !r.Clean() {
			continue
		}
		limit := ""
		if m := r.Median(func(c *results.Cell) float64 {
			if c.Limit == nil {
				return 0
			}
			return c.Limit.Mean
		}); m > 0 {
			limit = fmt.Sprintf(", mean limit %.3g", m)
		}
		parts = append(parts, fmt.Sprintf("%s reaches %.0f%% of the best fixed pool's goodput %s (%s vs %s's %s items/s%s)",
			r.Name(), 100*r.Goodput.Median/best.Goodput.Median, versus, rate(r.Goodput.Median), best.Name(), rate(best.Goodput.Median), limit))
	}
	return strings.Join(parts, "; ")
}
