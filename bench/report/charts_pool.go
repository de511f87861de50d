package report

import (
	"fmt"
	"image/color"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/poolbench/poolbench/bench/scenario"
)

// The charts over the pool axis: wall time, throughput and latency
// against pool size.

// series groups a summary's rows for the pool-axis charts.
type series struct {
	pools      []int
	bounded    map[scenario.Strategy][]*Row
	strategies []scenario.Strategy
	// refs are the rows whose strategy takes no pool (Summary.Refs),
	// drawn across as reference lines.
	refs []*Row
}

func seriesOf(s *Summary) series {
	sr := series{bounded: map[scenario.Strategy][]*Row{}, refs: s.Refs}
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

// rowXYs maps rows to (pool, f(row)) points, skipping negative values and,
// on a log axis, zeros (it cannot show them).
func rowXYs(rows []*Row, log bool, f func(*Row) float64) plotter.XYs {
	var xys plotter.XYs
	for _, r := range rows {
		if v := f(r); v > 0 || (v == 0 && !log) {
			xys = append(xys, plotter.XY{X: float64(r.Pool), Y: v})
		}
	}
	return xys
}

// poolPlot starts a chart over the pool axis: the rows grouped into
// series, and a y axis that shows every value (from values): logarithmic
// when they span more than 20×, else linear from 0.
func poolPlot(s *Summary, title, yLabel string, values func(*Row) []float64) (*plot.Plot, series, bool) {
	sr := seriesOf(s)
	p := newPlot(title, "pool size (requests in flight, log₂)", yLabel)
	poolAxis(p, sr.pools)
	var all []float64
	for _, r := range s.Rows {
		all = append(all, values(r)...)
	}
	log := logY(p, all)
	if !log {
		p.Y.Min = 0
	}
	return p, sr, log
}

// finishY gives a linear y axis that holds only zeros a range to show.
func finishY(p *plot.Plot, log bool) {
	if !log && p.Y.Max <= p.Y.Min {
		p.Y.Max = p.Y.Min + 1
	}
}

// boundMarks crosses out the points of harness-bound rows, with a legend
// entry, and says so for the caption ("" when no row is bound).
func boundMarks(p *plot.Plot, s *Summary, log bool, f func(*Row) float64) (string, error) {
	var rows []*Row
	for _, r := range s.Rows {
		if r.HarnessBound && r.bounded() {
			rows = append(rows, r)
		}
	}
	xys := rowXYs(rows, log, f)
	if len(xys) == 0 {
		return "", nil
	}
	sc, err := plotter.NewScatter(xys)
	if err != nil {
		return "", err
	}
	sc.Color = color.Black
	sc.Shape = draw.CrossGlyph{}
	sc.Radius = vg.Points(6)
	p.Add(sc)
	p.Legend.Add("† harness-bound", sc)
	return " Crosses mark harness-bound cells: their figures measure poolbench rather than the upstream.", nil
}

// refName names a reference row's line: its name, † when bound, and what
// follows.
func refName(r *Row, rest string) string {
	name := r.Name()
	if r.HarnessBound {
		name += "†"
	}
	if rest != "" {
		name += " " + rest
	}
	return name
}

// refDashes are the reference lines' dash patterns, by their place among
// the references: serial's dashed, unbounded's dotted, a third dash-dot.
var refDashes = [][]vg.Length{dashed, dotted, {vg.Points(6), vg.Points(3), vg.Points(1.5), vg.Points(3)}}

// refDash is the dash pattern of the i-th reference line.
func refDash(i int) []vg.Length { return refDashes[i%len(refDashes)] }

// refsText names the reference rows drawn across a pool chart: "Serial
// and unbounded do not depend on the pool: they are drawn across." ("":
// none).
func refsText(sr series) string {
	var names []string
	for _, r := range sr.refs {
		names = append(names, r.Name())
	}
	if len(names) == 0 {
		return ""
	}
	verb := "does"
	if len(names) > 1 {
		verb = "do"
	}
	t := joinWords(names)
	return " " + strings.ToUpper(t[:1]) + t[1:] + " " + verb + " not depend on the pool: drawn across as a reference."
}

// wallChart: wall time vs pool size per strategy, serial and unbounded as
// reference lines, predictions dashed.
func wallChart(s *Summary) (chart, error) {
	title := "Wall time vs pool size"
	p, sr, log := poolPlot(s, title, "wall time ("+s.secondsWord()+")", func(r *Row) []float64 {
		if r.Range != nil {
			return []float64{r.Wall.Median, r.Predicted, r.Range.LowSeconds, r.Range.HighSeconds}
		}
		return []float64{r.Wall.Median, r.Predicted}
	})
	p.Legend.Left = false
	wall := func(r *Row) float64 { return r.Wall.Median }
	for _, st := range sr.strategies {
		rows := sr.bounded[st]
		if err := line(p, string(st), rowXYs(rows, log, wall), strategyColor(st), nil, marksFor(st)); err != nil {
			return chart{}, err
		}
		if pred := rowXYs(rows, true, func(r *Row) float64 { return r.Predicted }); len(pred) > 0 {
			if err := line(p, string(st)+" predicted", pred, lighten(strategyColor(st)), dashed, noMarks); err != nil {
				return chart{}, err
			}
		}
		if err := rangeBars(p, rows, lighten(strategyColor(st))); err != nil {
			return chart{}, err
		}
	}
	for i, u := range sr.refs {
		rest := seconds(u.Wall.Median)
		if u.Failed.Median > 0 {
			rest += fmt.Sprintf(" (%s failed)", thousands(u.Failed.Median))
		}
		if err := line(p, refName(u, rest), sr.hline(u.Wall.Median), strategyColor(u.Strategy), refDash(i), noMarks); err != nil {
			return chart{}, err
		}
		if err := predictedRef(p, sr, u); err != nil {
			return chart{}, err
		}
	}
	bound, err := boundMarks(p, s, log, wall)
	if err != nil {
		return chart{}, err
	}
	finishY(p, log)
	caption := "Median wall time of each strategy at each pool size, in " + s.secondsWord() + "." + refsText(sr)
	if s.Predicted {
		caption += " Light dashed lines are the model's predictions, their error bars its range: " + s.rangeCoverage(true) + "."
	}
	return render("wall", title, caption+bound, p)
}

// rangeBars draws the model's range of each row that has one as an error
// bar around its prediction.
func rangeBars(p *plot.Plot, rows []*Row, c color.Color) error {
	var bars struct {
		plotter.XYs
		plotter.YErrors
	}
	for _, r := range rows {
		if iv := r.Range; iv != nil && r.Predicted > 0 {
			bars.XYs = append(bars.XYs, plotter.XY{X: float64(r.Pool), Y: r.Predicted})
			bars.YErrors = append(bars.YErrors, struct{ Low, High float64 }{r.Predicted - iv.LowSeconds, iv.HighSeconds - r.Predicted})
		}
	}
	if len(bars.XYs) == 0 {
		return nil
	}
	b, err := plotter.NewYErrorBars(bars)
	if err != nil {
		return err
	}
	b.LineStyle.Color = c
	p.Add(b)
	return nil
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

// throughputChart: goodput vs pool (solid), throughput with failed items
// (dashed, when any failed), the upstream cap marked.
func throughputChart(s *Summary) (chart, error) {
	title := "Items succeeded " + s.perSecond() + " vs pool size"
	anyFailed := false
	for _, r := range s.Rows {
		anyFailed = anyFailed || r.Failed.Max > 0
	}
	p, sr, log := poolPlot(s, title, "succeeded items "+s.perSecond(), func(r *Row) []float64 {
		if anyFailed {
			return []float64{r.Goodput.Median, r.Throughput.Median}
		}
		return []float64{r.Goodput.Median}
	})
	good := func(r *Row) float64 { return r.Goodput.Median }
	for _, st := range sr.strategies {
		rows := sr.bounded[st]
		if err := line(p, string(st), rowXYs(rows, log, good), strategyColor(st), nil, marksFor(st)); err != nil {
			return chart{}, err
		}
		if anyFailed {
			if err := line(p, string(st)+", failed included", rowXYs(rows, log, func(r *Row) float64 { return r.Throughput.Median }), lighten(strategyColor(st)), dashed, noMarks); err != nil {
				return chart{}, err
			}
		}
	}
	for i, r := range sr.refs {
		if r.Goodput.Median > 0 || !log {
			if err := line(p, refName(r, ""), sr.hline(r.Goodput.Median), strategyColor(r.Strategy), refDash(i), noMarks); err != nil {
				return chart{}, err
			}
		}
	}
	bound, err := boundMarks(p, s, log, good)
	if err != nil {
		return chart{}, err
	}
	finishY(p, log)
	caption := "Succeeded items " + s.perSecond() + " (goodput) at each pool size." + refsText(sr)
	if anyFailed {
		caption += " Light dashed: every item finished, failed ones included (throughput)."
	}
	if s.Cap > 0 {
		if err := capLine(p, s); err != nil {
			return chart{}, err
		}
		caption += fmt.Sprintf(" The green line marks the upstream's cap of %d requests in service.", s.Cap)
	}
	return render("throughput", title, caption+bound, p)
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
	p, sr, log := poolPlot(s, title, "item latency ("+s.secondsWord()+")", func(r *Row) []float64 {
		return []float64{r.P50.Median, r.P95.Median, r.P99.Median}
	})
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
			if err := line(p, name, rowXYs(sr.bounded[st], log, ps.f), strategyColor(st), ps.dashes, markIf(i == 0, st)); err != nil {
				return chart{}, err
			}
		}
	}
	// A reference row's p50 solid and p99 dotted, as the pools' lines.
	for _, u := range sr.refs {
		if err := line(p, refName(u, "p50 "+seconds(u.P50.Median)), sr.hline(u.P50.Median), strategyColor(u.Strategy), nil, noMarks); err != nil {
			return chart{}, err
		}
		if err := line(p, refName(u, "p99 "+seconds(u.P99.Median)), sr.hline(u.P99.Median), strategyColor(u.Strategy), dotted, noMarks); err != nil {
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
	bound, err := boundMarks(p, s, log, styles[0].f)
	if err != nil {
		return chart{}, err
	}
	finishY(p, log)
	caption := "Per-item latency (first attempt to final answer) at the 50th, 95th and 99th percentiles, in " +
		s.secondsWord() + ": solid p50, dashed p95, dotted p99." + refsText(sr)
	if t := s.excess(); t != "" {
		caption += fmt.Sprintf(" Beyond the upstream's cap of %d, requests %s.", s.Cap, t)
	}
	return render("latency", title, caption+bound, p)
}
