package report

import (
	"fmt"
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/poolbench/poolbench/bench/scenario"
)

// The charts over the pool axis: wall time, throughput and latency
// against pool size.

// series groups a summary's rows for the pool-axis charts.
type series struct {
	pools             []int
	bounded           map[scenario.Strategy][]*Row
	strategies        []scenario.Strategy
	serial, unbounded *Row
}

func seriesOf(s *Summary) series {
	sr := series{bounded: map[scenario.Strategy][]*Row{}, serial: s.Serial, unbounded: s.Unbounded}
	for _, r := range s.Rows {
		if r.bounded() {
			if _, ok := sr.bounded[r.Strategy]; !ok {
				sr.strategies = append(sr.strategies, r.Strategy)
			}
			sr.bounded[r.Strategy] = append(sr.bounded[r.Strategy], r)
			if !slices.Contains(sr.pools, r.Pool) {
				sr.pools = append(sr.pools, r.Pool)
			}
		}
	}
	slices.Sort(sr.pools)
	// Drawn last, pooled lies on top of workers when both measure alike.
	slices.Reverse(sr.strategies)
	if len(sr.pools) == 0 {
		sr.pools = []int{1}
	}
	return sr
}

// hline returns a horizontal line at y across the pool axis.
func (sr series) hline(y float64) plotter.XYs {
	lo, hi := float64(sr.pools[0]), float64(sr.pools[len(sr.pools)-1])
	if lo == hi {
		lo, hi = lo/2, hi*2
	}
	return plotter.XYs{{X: lo / 1.15, Y: y}, {X: hi * 1.15, Y: y}}
}

// rowXYs maps rows to (pool, f(row)) points, skipping non-positive values
// (log axes cannot show them).
func rowXYs(rows []*Row, f func(*Row) float64) plotter.XYs {
	var xys plotter.XYs
	for _, r := range rows {
		if v := f(r); v > 0 {
			xys = append(xys, plotter.XY{X: float64(r.Pool), Y: v})
		}
	}
	return xys
}

// poolPlot starts a chart over the pool axis: the rows grouped into
// series, and every value the y axis must show (from values).
func poolPlot(s *Summary, title, yLabel string, values func(*Row) []float64) (*plot.Plot, series, []float64) {
	sr := seriesOf(s)
	p := newPlot(title, "pool size (requests in flight, log₂)", yLabel)
	poolAxis(p, sr.pools)
	var all []float64
	for _, r := range s.Rows {
		all = append(all, values(r)...)
	}
	return p, sr, all
}

// wallChart: wall time vs pool size per strategy, serial and unbounded as
// reference lines, predictions dashed.
func wallChart(s *Summary) (chart, error) {
	title := "Wall time vs pool size"
	p, sr, all := poolPlot(s, title, "wall time (model seconds)", func(r *Row) []float64 { return []float64{r.Wall.Median, r.Predicted} })
	if !logY(p, all) {
		p.Y.Min = 0
	}
	p.Legend.Left = false
	if sr.serial != nil {
		if err := line(p, "serial "+seconds(sr.serial.Wall.Median), sr.hline(sr.serial.Wall.Median), strategyColor(scenario.Serial), dashed, noMarks); err != nil {
			return chart{}, err
		}
		if err := predictedRef(p, sr, sr.serial); err != nil {
			return chart{}, err
		}
	}
	for _, st := range sr.strategies {
		rows := sr.bounded[st]
		if err := line(p, string(st), rowXYs(rows, func(r *Row) float64 { return r.Wall.Median }), strategyColor(st), nil, marksFor(st)); err != nil {
			return chart{}, err
		}
		if pred := rowXYs(rows, func(r *Row) float64 { return r.Predicted }); len(pred) > 0 {
			if err := line(p, string(st)+" predicted", pred, lighten(strategyColor(st)), dashed, noMarks); err != nil {
				return chart{}, err
			}
		}
	}
	if u := sr.unbounded; u != nil {
		name := "unbounded " + seconds(u.Wall.Median)
		if u.Failed.Median > 0 {
			name += fmt.Sprintf(" (%s failed)", thousands(u.Failed.Median))
		}
		if err := line(p, name, sr.hline(u.Wall.Median), strategyColor(scenario.Unbounded), dotted, noMarks); err != nil {
			return chart{}, err
		}
		if err := predictedRef(p, sr, u); err != nil {
			return chart{}, err
		}
	}
	return render("wall", title, "Median wall time of each strategy at each pool size, in model seconds. Serial and unbounded do not depend on the pool: they are drawn across as references; dashed lines are the model's predictions.", p)
}

// predictedRef draws a reference row's predicted wall time, when the
// model gave one, as a light dashed line beside the measured one.
func predictedRef(p *plot.Plot, sr series, r *Row) error {
	if r.Predicted <= 0 {
		return nil
	}
	return line(p, string(r.Strategy)+" predicted", sr.hline(r.Predicted), lighten(strategyColor(r.Strategy)), dashed, noMarks)
}

// lighten mixes c with white, for a prediction drawn beside its measure.
func lighten(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(v uint32) uint8 { return uint8((v>>8)/2 + 0x80) }
	return color.RGBA{R: mix(r), G: mix(g), B: mix(b), A: 0xff}
}

// throughputChart: items per second vs pool, the upstream cap marked.
func throughputChart(s *Summary) (chart, error) {
	title := "Throughput vs pool size"
	anyFailed := false
	p, sr, all := poolPlot(s, title, "items per model second", func(r *Row) []float64 {
		anyFailed = anyFailed || r.Failed.Median > 0
		return []float64{r.Throughput.Median}
	})
	if !logY(p, all) {
		p.Y.Min = 0
	}
	for _, st := range sr.strategies {
		rows := sr.bounded[st]
		if err := line(p, string(st), rowXYs(rows, func(r *Row) float64 { return r.Throughput.Median }), strategyColor(st), nil, marksFor(st)); err != nil {
			return chart{}, err
		}
		if anyFailed {
			if err := line(p, string(st)+", succeeded only", rowXYs(rows, func(r *Row) float64 { return r.Goodput.Median }), lighten(strategyColor(st)), dashed, noMarks); err != nil {
				return chart{}, err
			}
		}
	}
	if sr.serial != nil {
		if err := line(p, "serial", sr.hline(sr.serial.Throughput.Median), strategyColor(scenario.Serial), dashed, noMarks); err != nil {
			return chart{}, err
		}
	}
	if u := sr.unbounded; u != nil && u.Throughput.Median > 0 {
		if err := line(p, "unbounded", sr.hline(u.Throughput.Median), strategyColor(scenario.Unbounded), dotted, noMarks); err != nil {
			return chart{}, err
		}
	}
	caption := "Items finished per model second (failed ones included) at each pool size."
	if s.Cap > 0 {
		if err := capLine(p, s); err != nil {
			return chart{}, err
		}
		caption += fmt.Sprintf(" The green line marks the upstream's cap of %d requests in service.", s.Cap)
	}
	if anyFailed {
		caption += " Dashed: succeeded items only."
	}
	return render("throughput", title, caption, p)
}

// capLine marks the upstream cap as a vertical line on a pool axis,
// across p's y range (set before).
func capLine(p *plot.Plot, s *Summary) error {
	x := float64(s.Cap)
	l, err := plotter.NewLine(plotter.XYs{{X: x, Y: p.Y.Min}, {X: x, Y: p.Y.Max}})
	if err != nil {
		return err
	}
	l.Color = capColor
	l.Width = vg.Points(1.5)
	l.Dashes = dashed
	p.Add(l)
	p.Legend.Add(fmt.Sprintf("upstream cap %d", s.Cap), l)
	return nil
}

// latencyChart: item latency p50/p95/p99 vs pool per strategy.
func latencyChart(s *Summary) (chart, error) {
	title := "Item latency vs pool size"
	p, sr, all := poolPlot(s, title, "item latency (model seconds)", func(r *Row) []float64 {
		return []float64{r.P50.Median, r.P95.Median, r.P99.Median}
	})
	logY(p, all)
	styles := []struct {
		name   string
		dashes []vg.Length
		f      func(*Row) float64
	}{
		{"p50", nil, func(r *Row) float64 { return r.P50.Median }},
		{"p95", dashed, func(r *Row) float64 { return r.P95.Median }},
		{"p99", dotted, func(r *Row) float64 { return r.P99.Median }},
	}
	for _, st := range sr.strategies {
		for i, ps := range styles {
			name := ""
			if i == 0 {
				name = string(st)
			}
			if err := line(p, name, rowXYs(sr.bounded[st], ps.f), strategyColor(st), ps.dashes, markIf(i == 0, st)); err != nil {
				return chart{}, err
			}
		}
	}
	if u := sr.unbounded; u != nil {
		if err := line(p, fmt.Sprintf("unbounded p50 %s", seconds(u.P50.Median)), sr.hline(u.P50.Median), strategyColor(scenario.Unbounded), nil, noMarks); err != nil {
			return chart{}, err
		}
		if err := line(p, fmt.Sprintf("unbounded p99 %s", seconds(u.P99.Median)), sr.hline(u.P99.Median), strategyColor(scenario.Unbounded), dotted, noMarks); err != nil {
			return chart{}, err
		}
	}
	// Line styles name the percentile once, in grey.
	grey := color.RGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff}
	for _, ps := range styles {
		l, err := plotter.NewLine(plotter.XYs{{X: 1, Y: 1}})
		if err != nil {
			return chart{}, err
		}
		l.Color, l.Width, l.Dashes = grey, vg.Points(2), ps.dashes
		p.Legend.Add(ps.name, l)
	}
	return render("latency", title, "Per-item latency (first attempt to final answer) at the 50th, 95th and 99th percentiles, in model seconds: solid p50, dashed p95, dotted p99. Beyond the upstream's cap, items wait in its queue.", p)
}
