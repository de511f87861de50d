package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
)

// chartFont is the charts' typeface: sans-serif reads better on screen,
// and Liberation ships with gonum/plot. It is set on each plot, never as
// gonum's package default.
var chartFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// sans gives a text style the charts' typeface, keeping its size.
func sans(ts *text.Style) {
	size := ts.Font.Size
	ts.Font = chartFont
	ts.Font.Size = size
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
// The colour is the strategy's own (bench/strategy), purple for one
// unknown to this build.
func strategyColor(s scenario.Strategy) color.Color {
	if k, ok := strategy.Lookup(string(s)); ok {
		return k.Color
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
	for _, ts := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle, &p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		sans(ts)
	}
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
	p.X.Tick.Marker = humanTicks{}
	p.Y.Tick.Marker = humanTicks{}
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

// marksFor gives workers (the strategies that reuse their goroutines)
// squares and every other strategy circles.
func marksFor(st scenario.Strategy) markStyle {
	if st.Kind().Reuse {
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
			v, _ := strconv.ParseFloat(strconv.FormatFloat(m*math.Pow(10, e), 'g', 6, 64), 64)
			if v < lo || v > hi {
				continue
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: tickLabel(v)})
		}
	}
	return ticks
}

// humanTicks labels a linear axis at round steps (1, 2 or 5 times a
// power of ten, at most nine ticks) in plain numbers: 0, 5k, 10k; 0, 0.5, 1.
type humanTicks struct{}

// Ticks implements plot.Ticker.
func (humanTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return []plot.Tick{{Value: lo, Label: tickLabel(lo)}}
	}
	e := math.Floor(math.Log10(hi - lo))
	step := math.Pow(10, e)
	for _, m := range []float64{0.1, 0.2, 0.5, 1, 2, 5} {
		if (hi-lo)/(m*math.Pow(10, e)) <= 8 {
			step = m * math.Pow(10, e)
			break
		}
	}
	// Decimals of the step, so that 3 × 0.1 prints as 0.3.
	dec := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	var ticks []plot.Tick
	for i := math.Ceil(lo/step - 1e-9); i*step <= hi+step*1e-9; i++ {
		v, _ := strconv.ParseFloat(strconv.FormatFloat(i*step, 'f', dec, 64), 64)
		ticks = append(ticks, plot.Tick{Value: v, Label: tickLabel(v)})
	}
	return ticks
}

// drawCharts renders every chart of s; reqs holds what the CDF and
// in-flight charts read of requests.jsonl (nil without it).
func drawCharts(s *Summary, reqs *requestData) ([]chart, error) {
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
	for _, f := range []func() (chart, bool, error){
		func() (chart, bool, error) { return inflightChart(s, reqs) },
		func() (chart, bool, error) { return limitChart(s) },
		func() (chart, bool, error) { return rateChart(s) },
	} {
		c, ok, err := f()
		if err != nil {
			return nil, err
		}
		if ok {
			charts = append(charts, c)
		}
	}
	return charts, nil
}

// wantedCells names the cells the charts read from requests.jsonl.
func wantedCells(s *Summary) wanted {
	in := inflightCell(s)
	w := wanted{cdf: map[string]bool{}, inflight: in.Label(), attempts: in.Attempts, known: map[string]bool{}}
	for i := range s.Results.Cells {
		w.known[s.Results.Cells[i].Label()] = true
	}
	for _, r := range cdfRows(s, cdfPool(s)) {
		w.cdf[r.Cells[0].Label()] = true
	}
	return w
}

// markIf returns the strategy's marks when cond holds.
func markIf(cond bool, st scenario.Strategy) markStyle {
	if cond {
		return marksFor(st)
	}
	return noMarks
}
