package report

import (
	"fmt"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// rateChart: item latency against the rate asked, one point per rate cell
// (medians of the repeats): p50 and p99 from the intended start, and p99
// from the actual start (uncorrected), with the embedded upstream's
// capacity (cap over mean service time) marked; ok false without rate
// cells.
func rateChart(s *Summary) (chart, bool, error) {
	var rows []*Row
	for _, r := range s.Rows {
		if !r.Rate.IsZero() {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return chart{}, false, nil
	}
	title := "Item latency vs rate asked"
	p := newPlot(title, "rate asked (items per model second)", "item latency ("+s.secondsWord()+")")
	p.Legend.Left = true
	uncorrected := func(c *results.Cell) float64 {
		if c.Schedule == nil {
			return math.NaN()
		}
		return c.Schedule.Uncorrected.P99
	}
	top, right := 0.0, 0.0
	col := strategyColor(rows[0].Strategy)
	for _, l := range []struct {
		name   string
		dashes []vg.Length
		f      func(*Row) float64
	}{
		{"p50 from the intended start", nil, func(r *Row) float64 { return r.P50.Median }},
		{"p99 from the intended start", dotted, func(r *Row) float64 { return r.P99.Median }},
		{"p99 uncorrected (from the actual start)", dashed, func(r *Row) float64 { return r.Group.Stat(uncorrected).Median }},
	} {
		var xys plotter.XYs
		for _, r := range rows {
			xys = append(xys, plotter.XY{X: r.Rate.PerSecond(), Y: l.f(r)})
			top, right = max(top, l.f(r)), max(right, r.Rate.PerSecond())
		}
		if err := line(p, l.name, xys, col, l.dashes, circleMarks); err != nil {
			return chart{}, false, err
		}
	}
	caption := "Each rate cell's item latency from its intended start (coordinated-omission-aware, as wrk2 measures it) and from its actual start"
	if c, ok := capacity(s); ok {
		if err := line(p, fmt.Sprintf("capacity %.3g/s (cap %d ÷ mean service time)", c, s.Cap), plotter.XYs{{X: c, Y: 0}, {X: c, Y: top * 1.05}}, capColor, dashed, noMarks); err != nil {
			return chart{}, false, err
		}
		right = max(right, c)
		caption += fmt.Sprintf("; the upstream answers at most %.3g items per second (cap %d over its mean service time): below it the latency is the service's, above it a queue grows or the excess is rejected", c, s.Cap)
	}
	p.X.Min, p.X.Max = 0, right*1.1
	p.Y.Min = 0
	c, err := render("rate", title, caption+".", p)
	return c, true, err
}

// capacity is the embedded upstream's capacity, items per model second
// (strategy.Capacity); ok false without a cap or an upstream.
func capacity(s *Summary) (float64, bool) {
	up := s.Results.Scenario.Upstream
	if up == nil || up.Cap <= 0 {
		return 0, false
	}
	lat, err := upstream.ParseLatency(up.Latency)
	if err != nil {
		return 0, false
	}
	c := strategy.Capacity(up.Cap, lat.Mean())
	return c, !math.IsInf(c, 1)
}
