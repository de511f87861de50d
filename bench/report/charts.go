package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/poolbench/poolbench/bench"
)

func init() {
	// Sans-serif reads better on screen; Liberation ships with gonum/plot.
	plot.DefaultFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	plotter.DefaultFont = plot.DefaultFont
}

// Chart sizes: 800×500 pixels in PNG at gonum's 96 dpi; the same plot in
// SVG is 600×375 pt, which browsers show as 800×500 CSS pixels.
const (
	chartWidth  = 600 * vg.Length(1)
	chartHeight = 375 * vg.Length(1)
)

// chart is one rendered chart: a file base name, a title, a caption for
// the page, and the plot in both formats.
type chart struct {
	Name    string
	Title   string
	Caption string
	PNG     []byte
	SVG     []byte
}

// strategyColor gives each strategy the same colour in every chart.
func strategyColor(s bench.Strategy) color.Color {
	switch s {
	case bench.Serial:
		return color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff}
	case bench.Pooled:
		return color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	case bench.Workers:
		return color.RGBA{R: 0xe6, G: 0x7e, B: 0x0e, A: 0xff}
	case bench.Unbounded:
		return color.RGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}
	}
	return color.RGBA{R: 0x6a, G: 0x3d, B: 0x9a, A: 0xff}
}

var (
	capColor = color.RGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff}
	dashed   = []vg.Length{vg.Points(6), vg.Points(4)}
	dotted   = []vg.Length{vg.Points(1.5), vg.Points(3)}
)

// newPlot returns a plot with the house style.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(15)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Legend.ThumbnailWidth = vg.Points(24)
	p.Legend.Top = true
	p.Legend.Padding = vg.Points(2)
	p.Add(plotter.NewGrid())
	return p
}

// render draws p as PNG and SVG.
func render(name, title, caption string, p *plot.Plot) (chart, error) {
	c := chart{Name: name, Title: title, Caption: caption}
	for _, format := range []string{"png", "svg"} {
		wt, err := draw.NewFormattedCanvas(chartWidth, chartHeight, format)
		if err != nil {
			return c, fmt.Errorf("chart %s: %w", name, err)
		}
		drawPlot(draw.Crop(draw.New(wt), vg.Points(4), -vg.Points(10), vg.Points(4), -vg.Points(6)), p)
		var buf bytes.Buffer
		if _, err := wt.WriteTo(&buf); err != nil {
			return c, fmt.Errorf("chart %s: %w", name, err)
		}
		if format == "png" {
			c.PNG = buf.Bytes()
		} else {
			c.SVG = buf.Bytes()
		}
	}
	return c, nil
}

// markStyle says whether a line marks its points, and how.
type markStyle int

const (
	noMarks markStyle = iota
	circleMarks
	squareMarks
)

// marksFor gives workers squares and every other strategy circles.
func marksFor(st bench.Strategy) markStyle {
	if st == bench.Workers {
		return squareMarks
	}
	return circleMarks
}

// drawPlot draws p with its legend, if any, in a column of its own on the
// right, so it never hides a line.
func drawPlot(c draw.Canvas, p *plot.Plot) {
	legend := p.Legend
	r := legend.Rectangle(c)
	if r.Size().X <= 0 {
		p.Draw(c)
		return
	}
	w := r.Size().X + vg.Points(14)
	p.Legend = plot.NewLegend()
	p.Draw(draw.Crop(c, 0, -w, 0, 0))
	p.Legend = legend
	legend.Top, legend.Left = true, true
	legend.YOffs = -vg.Points(34) // below the title, level with the data
	legend.Draw(draw.Crop(c, c.Max.X-c.Min.X-w+vg.Points(10), 0, 0, 0))
}

// line adds a line (with point markers when marks) to p and the legend.
func line(p *plot.Plot, name string, xys plotter.XYs, c color.Color, dashes []vg.Length, marks markStyle) error {
	if len(xys) == 0 {
		return nil
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color = c
	l.Width = vg.Points(2)
	l.Dashes = dashes
	p.Add(l)
	if marks == noMarks {
		if name != "" {
			p.Legend.Add(name, l)
		}
		return nil
	}
	s, err := plotter.NewScatter(xys)
	if err != nil {
		return err
	}
	s.Color = c
	s.Shape = draw.CircleGlyph{}
	s.Radius = vg.Points(2.5)
	if marks == squareMarks {
		// Workers often measure exactly as pooled: a bigger square shows
		// behind pooled's circle.
		s.Shape = draw.BoxGlyph{}
		s.Radius = vg.Points(4)
	}
	p.Add(s)
	if name != "" {
		p.Legend.Add(name, l, s)
	}
	return nil
}

// poolAxis makes p's x axis a log₂ pool-size axis over pools.
func poolAxis(p *plot.Plot, pools []int) {
	p.X.Scale = plot.LogScale{}
	var ticks plot.ConstantTicks
	for _, n := range pools {
		ticks = append(ticks, plot.Tick{Value: float64(n), Label: strconv.Itoa(n)})
	}
	p.X.Tick.Marker = ticks
	lo, hi := float64(pools[0]), float64(pools[len(pools)-1])
	if lo == hi {
		lo, hi = lo/2, hi*2
	}
	p.X.Min, p.X.Max = lo/1.15, hi*1.15
}

// logY makes p's y axis logarithmic when values span more than 20×.
func logY(p *plot.Plot, values []float64) bool {
	lo, hi := math.Inf(1), 0.0
	for _, v := range values {
		if v > 0 {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if hi == 0 || hi/lo <= 20 {
		return false
	}
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = humanLogTicks{}
	p.Y.Min, p.Y.Max = lo/1.5, hi*1.5
	return true
}

// humanLogTicks labels a log axis at 1-2-5 steps in plain numbers.
type humanLogTicks struct{}

// Ticks implements plot.Ticker.
func (humanLogTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v < lo || v > hi {
				continue
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
		}
	}
	return ticks
}

// series groups a summary's rows for the pool-axis charts.
type series struct {
	pools             []int
	bounded           map[bench.Strategy][]*Row
	strategies        []bench.Strategy
	serial, unbounded *Row
}

func seriesOf(s *Summary) series {
	sr := series{bounded: map[bench.Strategy][]*Row{}, serial: s.Serial, unbounded: s.Unbounded}
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
		if err := line(p, "serial "+seconds(sr.serial.Wall.Median), sr.hline(sr.serial.Wall.Median), strategyColor(bench.Serial), dashed, noMarks); err != nil {
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
		if err := line(p, name, sr.hline(u.Wall.Median), strategyColor(bench.Unbounded), dotted, noMarks); err != nil {
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
			if err := line(p, string(st)+", succeeded only", rowXYs(rows, (*Row).Goodput), lighten(strategyColor(st)), dashed, noMarks); err != nil {
				return chart{}, err
			}
		}
	}
	if sr.serial != nil {
		if err := line(p, "serial", sr.hline(sr.serial.Throughput.Median), strategyColor(bench.Serial), dashed, noMarks); err != nil {
			return chart{}, err
		}
	}
	if u := sr.unbounded; u != nil && u.Throughput.Median > 0 {
		if err := line(p, "unbounded", sr.hline(u.Throughput.Median), strategyColor(bench.Unbounded), dotted, noMarks); err != nil {
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
		if err := line(p, fmt.Sprintf("unbounded p50 %s", seconds(u.P50.Median)), sr.hline(u.P50.Median), strategyColor(bench.Unbounded), nil, noMarks); err != nil {
			return chart{}, err
		}
		if err := line(p, fmt.Sprintf("unbounded p99 %s", seconds(u.P99.Median)), sr.hline(u.P99.Median), strategyColor(bench.Unbounded), dotted, noMarks); err != nil {
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

// headlineChart: serial vs best pooled vs unbounded wall time, failures
// annotated.
func headlineChart(s *Summary) (chart, error) {
	title := "The headline: wall time for all items"
	p := newPlot(title, "", "wall time (model seconds)")
	var rows []*Row
	for _, r := range []*Row{s.Serial, s.Best, s.Unbounded} {
		if r != nil {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		rows = s.Rows[:1]
	}
	var names []string
	var labels plotter.XYLabels
	top := 0.0
	for _, r := range rows {
		top = max(top, r.Wall.Median)
	}
	for i, r := range rows {
		bars, err := plotter.NewBarChart(plotter.Values{r.Wall.Median}, vg.Points(90))
		if err != nil {
			return chart{}, err
		}
		bars.XMin = float64(i)
		bars.Color = strategyColor(r.Strategy)
		bars.LineStyle.Width = 0
		p.Add(bars)
		names = append(names, r.Name())
		label := seconds(r.Wall.Median)
		if r.Failed.Median > 0 {
			label += fmt.Sprintf(", %s of %s failed", thousands(r.Failed.Median), thousands(r.Items.Median))
		} else {
			label += ", all succeeded"
		}
		if n := r.Attempts.Median - r.Items.Median; n > 0 {
			label += fmt.Sprintf("\n%s retries", thousands(n))
		}
		labels.XYs = append(labels.XYs, plotter.XY{X: float64(i), Y: r.Wall.Median + top*0.02})
		labels.Labels = append(labels.Labels, label)
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(rows))-0.4
	p.X.Tick.Label.Font.Size = vg.Points(12)
	p.Y.Min, p.Y.Max = 0, top*1.2
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return chart{}, err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font.Size = vg.Points(11)
		l.TextStyle[i].XAlign = draw.XCenter
	}
	p.Add(l)
	p.Legend = plot.NewLegend()
	return render("headline", title, "Wall time of serial, the recommended pool and the unbounded client, in model seconds, with failed items and retries noted above each bar.", p)
}

// cdfChart: item latency CDF per strategy at one pool size. With
// requests.jsonl it is the exact CDF of attempt latencies; without, the
// item latency percentiles of results.json.
func cdfChart(s *Summary, reqs map[string][]attempt) (chart, error) {
	pool := cdfPool(s)
	title := fmt.Sprintf("Latency distribution at pool %d", pool)
	rows := cdfRows(s, pool)
	exact := false
	for _, r := range rows {
		if len(reqs[r.Cells[0].Label()]) > 0 {
			exact = true
		}
	}
	xLabel := "item latency (model seconds, log)"
	if exact {
		xLabel = "attempt latency (model seconds, log)"
	}
	p := newPlot(title, xLabel, "fraction of requests at or below")
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = humanLogTicks{}
	p.Legend.Left = false
	p.Legend.Top = false
	p.Y.Min, p.Y.Max = 0, 1
	lo, hi := math.Inf(1), 0.0
	ts := timescale(s.Results)
	for _, r := range rows {
		var xys plotter.XYs
		if exact {
			att := reqs[r.Cells[0].Label()]
			lat := make([]float64, 0, len(att))
			for _, a := range att {
				if v := a.latency.Seconds() / ts; v > 0 {
					lat = append(lat, v)
				}
			}
			slices.Sort(lat)
			xys = cdfXYs(lat)
		} else {
			pc := r.Cells[0].Latency
			for _, q := range []struct{ x, y float64 }{{pc.P50, .5}, {pc.P90, .9}, {pc.P95, .95}, {pc.P99, .99}, {pc.Max, 1}} {
				if q.x > 0 {
					xys = append(xys, plotter.XY{X: q.x, Y: q.y})
				}
			}
		}
		for _, xy := range xys {
			lo, hi = min(lo, xy.X), max(hi, xy.X)
		}
		name := r.Name()
		if r.Strategy == bench.Serial {
			name += " (pool 1)"
		}
		if err := line(p, name, xys, strategyColor(r.Strategy), nil, markIf(!exact, r.Strategy)); err != nil {
			return chart{}, err
		}
	}
	if hi > 0 {
		p.X.Min, p.X.Max = lo/1.3, hi*1.3
	}
	caption := fmt.Sprintf("Cumulative distribution of latency at pool %d, serial and unbounded for reference, first repeat.", pool)
	if exact {
		caption += " Exact over every attempt in requests.jsonl."
	} else {
		caption += " requests.jsonl is absent: the points are the item latency percentiles p50, p90, p95, p99 and max of results.json."
	}
	return render("cdf", title, caption, p)
}

// cdfPool is the pool size the CDF compares strategies at: the
// recommended one, else the largest bounded pool.
func cdfPool(s *Summary) int {
	if s.Best != nil {
		return s.Best.Pool
	}
	pool := 1
	for _, r := range s.Rows {
		if r.bounded() {
			pool = max(pool, r.Pool)
		}
	}
	return pool
}

// cdfRows are the rows the CDF shows: serial, every bounded strategy at
// pool, unbounded.
func cdfRows(s *Summary, pool int) []*Row {
	var rows []*Row
	for _, r := range s.Rows {
		if r.Strategy == bench.Serial || r.Strategy == bench.Unbounded || (r.bounded() && r.Pool == pool) {
			rows = append(rows, r)
		}
	}
	return rows
}

// cdfXYs turns sorted values into a step CDF, at most about 1,000 points.
func cdfXYs(sorted []float64) plotter.XYs {
	n := len(sorted)
	if n == 0 {
		return nil
	}
	step := max(1, n/1000)
	var xys plotter.XYs
	for i := 0; i < n; i += step {
		xys = append(xys, plotter.XY{X: sorted[i], Y: float64(i+1) / float64(n)})
	}
	if last := xys[len(xys)-1]; last.Y < 1 {
		xys = append(xys, plotter.XY{X: sorted[n-1], Y: 1})
	}
	return xys
}

// timescale is the run's time scale (1 when unset).
func timescale(r *bench.Results) float64 {
	if ts := r.Scenario.Timescale; ts > 0 {
		return ts
	}
	return 1
}

// inflightCell is the cell whose requests in flight the page draws: the
// unbounded client when it ran (it shows what the cap does to it), else
// the recommended pool; first repeat.
func inflightCell(s *Summary) *bench.Cell {
	for _, r := range []*Row{s.Unbounded, s.Best, s.Serial} {
		if r != nil {
			return &r.Cells[0]
		}
	}
	return &s.Rows[0].Cells[0]
}

// inflightChart: requests in flight over time for one cell.
func inflightChart(s *Summary, reqs map[string][]attempt) (chart, bool, error) {
	cell := inflightCell(s)
	att := reqs[cell.Label()]
	if len(att) == 0 {
		return chart{}, false, nil
	}
	title := fmt.Sprintf("Requests in flight over time: %s", cell.Label())
	p := newPlot(title, "time since the cell's first request (model seconds)", "requests in flight (client side)")
	p.Legend.Left = false
	ts := timescale(s.Results)
	xys := inflightXYs(att, ts)
	if err := line(p, cell.Label(), xys, strategyColor(cell.Strategy), nil, noMarks); err != nil {
		return chart{}, false, err
	}
	top := 0.0
	for _, xy := range xys {
		top = max(top, xy.Y)
	}
	if s.Cap > 0 {
		end := xys[len(xys)-1].X
		if err := line(p, fmt.Sprintf("upstream cap %d", s.Cap), plotter.XYs{{X: 0, Y: float64(s.Cap)}, {X: end, Y: float64(s.Cap)}}, capColor, dashed, noMarks); err != nil {
			return chart{}, false, err
		}
		top = max(top, float64(s.Cap))
	}
	p.Y.Min, p.Y.Max = 0, top*1.1+1
	p.X.Min = 0
	c, err := render("inflight", title, fmt.Sprintf("Attempts of %s in flight at each moment, from requests.jsonl (%s attempts): everything above the upstream's cap waits in its queue or is turned away.", cell.Label(), thousands(float64(len(att)))), p)
	return c, true, err
}

// inflightXYs computes the step curve of attempts in flight, sampled at
// most 2,000 times (the peak of each interval) so large cells stay light.
func inflightXYs(att []attempt, ts float64) plotter.XYs {
	type ev struct {
		t float64
		d int
	}
	t0 := att[0].start
	evs := make([]ev, 0, 2*len(att))
	for _, a := range att {
		s := a.start.Sub(t0).Seconds() / ts
		evs = append(evs, ev{s, 1}, ev{s + a.latency.Seconds()/ts, -1})
	}
	slices.SortStableFunc(evs, func(a, b ev) int {
		if a.t != b.t {
			if a.t < b.t {
				return -1
			}
			return 1
		}
		return b.d - a.d // starts before ends at the same instant
	})
	end := evs[len(evs)-1].t
	const buckets = 2000
	width := end / buckets
	var xys plotter.XYs
	n, peak, bucket := 0, 0, -1
	flush := func() {
		if bucket >= 0 {
			x := float64(bucket) * width
			xys = append(xys, plotter.XY{X: x, Y: float64(peak)}, plotter.XY{X: x + width, Y: float64(peak)})
		}
	}
	for _, e := range evs {
		b := buckets - 1
		if width > 0 {
			b = min(buckets-1, int(e.t/width))
		}
		if b != bucket {
			flush()
			bucket, peak = b, n
		}
		n += e.d
		peak = max(peak, n)
	}
	flush()
	xys = append(xys, plotter.XY{X: end, Y: 0})
	return xys
}

// drawCharts renders every chart of s; reqs holds the attempts of the cells
// the CDF and in-flight charts need (nil without requests.jsonl).
func drawCharts(s *Summary, reqs map[string][]attempt) ([]chart, error) {
	var charts []chart
	for _, f := range []func(*Summary) (chart, error){headlineChart, wallChart, throughputChart, latencyChart} {
		c, err := f(s)
		if err != nil {
			return nil, err
		}
		charts = append(charts, c)
	}
	c, err := cdfChart(s, reqs)
	if err != nil {
		return nil, err
	}
	charts = append(charts, c)
	c, ok, err := inflightChart(s, reqs)
	if err != nil {
		return nil, err
	}
	if ok {
		charts = append(charts, c)
	}
	return charts, nil
}

// wantedCells lists the cell labels the charts read from requests.jsonl.
func wantedCells(s *Summary) map[string]bool {
	want := map[string]bool{inflightCell(s).Label(): true}
	for _, r := range cdfRows(s, cdfPool(s)) {
		want[r.Cells[0].Label()] = true
	}
	return want
}

// markIf returns the strategy's marks when cond holds.
func markIf(cond bool, st bench.Strategy) markStyle {
	if cond {
		return marksFor(st)
	}
	return noMarks
}
