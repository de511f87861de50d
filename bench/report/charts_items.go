package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// The charts of the headline and of single cells: the headline bars, the
// latency CDF, requests in flight over time.

// headlineChart: the goodput of the baseline, the recommended pool and
// every row whose strategy takes no pool (unbounded, adaptive...),
// failures, retries and harness-bound rows noted.
func headlineChart(s *Summary) (chart, error) {
	title := "The headline: items succeeded " + s.perSecond()
	p := newPlot(title, "", "succeeded items "+s.perSecond())
	var rows []*Row
	var roles []string
	add := func(r *Row, role string) {
		if r != nil && !slices.Contains(rows, r) {
			rows = append(rows, r)
			roles = append(roles, role)
		}
	}
	add(s.Baseline, "the baseline")
	add(s.Best, "recommended")
	for _, r := range s.Refs {
		add(r, "")
	}
	if len(rows) == 0 {
		rows, roles = s.Rows[:1], []string{""}
	}
	var names, described []string
	var labels plotter.XYLabels
	top := 0.0
	for _, r := range rows {
		top = max(top, r.Goodput.Median)
	}
	if top == 0 {
		top = 1 // nothing succeeded: bars of zero under readable labels
	}
	for i, r := range rows {
		bars, err := plotter.NewBarChart(plotter.Values{r.Goodput.Median}, vg.Points(90))
		if err != nil {
			return chart{}, err
		}
		bars.XMin = float64(i)
		bars.Color = strategyColor(r.Strategy)
		bars.LineStyle.Width = 0
		p.Add(bars)
		name := r.Name()
		if r.HarnessBound {
			name += "†"
		}
		names = append(names, name)
		d := name
		if roles[i] != "" {
			d += " (" + roles[i] + ")"
		}
		described = append(described, d)
		label := rate(r.Goodput.Median) + " items/s, " + seconds(r.Wall.Median)
		if r.Failed.Median > 0 {
			label += fmt.Sprintf("\n%s of %s failed", thousands(r.Failed.Median), thousands(r.Items.Median))
		} else {
			label += "\nall succeeded"
		}
		if n := r.Attempts.Median - r.Items.Median; n > 0 {
			label += fmt.Sprintf(", %s retries", thousands(n))
		}
		if r.HarnessBound {
			label += "\nharness-bound"
		}
		labels.XYs = append(labels.XYs, plotter.XY{X: float64(i), Y: r.Goodput.Median + top*0.02})
		labels.Labels = append(labels.Labels, label)
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(rows))-0.4
	p.X.Tick.Label.Font.Size = vg.Points(12)
	p.Y.Min, p.Y.Max = 0, top*1.3
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return chart{}, err
	}
	for i := range l.TextStyle {
		sans(&l.TextStyle[i])
		l.TextStyle[i].Font.Size = vg.Points(11)
		l.TextStyle[i].XAlign = draw.XCenter
	}
	p.Add(l)
	p.Legend = plot.NewLegend()
	caption := fmt.Sprintf("Succeeded items %s (goodput) of %s, with the wall time, failed items and retries noted above each bar.",
		s.perSecond(), joinWords(described))
	switch {
	case s.Failing:
		caption += " No pool is recommended: " + s.failingReason() + "."
	case s.Best == nil:
		caption += " No pool is recommended."
	}
	if len(s.boundRows()) > 0 {
		caption += " † harness-bound: the figures measure poolbench rather than the upstream."
	}
	return render("headline", title, caption, p)
}

// joinWords joins words as a sentence lists them: "a", "a and b",
// "a, b and c".
func joinWords(w []string) string {
	if len(w) <= 1 {
		return strings.Join(w, "")
	}
	return strings.Join(w[:len(w)-1], ", ") + " and " + w[len(w)-1]
}

// cdfChart: item latency CDF per strategy at one pool size. With
// requests.jsonl it is the CDF of every attempt's latency, to the
// precision of latencyHist; without, the item latency percentiles of
// results.json.
func cdfChart(s *Summary, reqs *requestData) (chart, error) {
	pool := cdfPool(s)
	title := fmt.Sprintf("Latency distribution at pool %d", pool)
	rows := cdfRows(s, pool)
	fromRequests := false
	for _, r := range rows {
		if reqs.latencyOf(r.Cells[0].Label()).count() > 0 {
			fromRequests = true
		}
	}
	xLabel := "item latency (" + s.secondsWord() + ", log)"
	if fromRequests {
		xLabel = "attempt latency (" + s.secondsWord() + ", log)"
	}
	p := newPlot(title, xLabel, "fraction of requests at or below")
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = humanLogTicks{}
	p.Legend.Left = false
	p.Legend.Top = false
	p.Y.Min, p.Y.Max = 0, 1
	lo, hi := math.Inf(1), 0.0
	for _, r := range rows {
		ts := r.Cells[0].Timescale
		var xys plotter.XYs
		if fromRequests {
			xys = reqs.latencyOf(r.Cells[0].Label()).cdfXYs(ts)
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
		if r.HarnessBound {
			name += "†"
		}
		if !r.Strategy.Pooled() && r.Pool > 0 {
			name += fmt.Sprintf(" (pool %d)", r.Pool) // serial
		}
		if err := line(p, name, xys, strategyColor(r.Strategy), nil, markIf(!fromRequests, r.Strategy)); err != nil {
			return chart{}, err
		}
	}
	if hi > 0 {
		p.X.Min, p.X.Max = lo/1.3, hi*1.3
	}
	caption := fmt.Sprintf("Cumulative distribution of latency at pool %d", pool)
	var refs []string
	for _, r := range rows {
		if !r.Strategy.Pooled() {
			refs = append(refs, r.Name())
		}
	}
	if len(refs) > 0 {
		caption += ", " + joinWords(refs) + " for reference"
	}
	caption += ", first repeat."
	if slices.ContainsFunc(rows, func(r *Row) bool { return r.HarnessBound }) {
		caption += " † harness-bound: its latencies include the harness's own delays."
	}
	if fromRequests {
		caption += " Over every attempt in requests.jsonl, to 3 significant digits (HdrHistogram)."
	} else {
		caption += " requests.jsonl is absent: the points are the item latency percentiles p50, p90, p95, p99 and max of results.json."
	}
	return render("cdf", title, caption, p)
}

// cdfPool is the pool size the CDF compares strategies at: the
// recommended one, else the largest pool of a row that is not
// harness-bound, else the largest pool.
func cdfPool(s *Summary) int {
	if s.Best != nil {
		return s.Best.Pool
	}
	pool, free := 1, 0
	for _, r := range s.Rows {
		if r.bounded() {
			pool = max(pool, r.Pool)
			if !r.HarnessBound {
				free = max(free, r.Pool)
			}
		}
	}
	if free > 0 {
		return free
	}
	return pool
}

// cdfRows are the rows the CDF shows: every bounded strategy at pool, and
// every row whose strategy takes no pool (serial, unbounded, adaptive...).
func cdfRows(s *Summary, pool int) []*Row {
	var rows []*Row
	for _, r := range s.Rows {
		if !r.Strategy.Pooled() || (r.bounded() && r.Pool == pool) {
			rows = append(rows, r)
		}
	}
	return rows
}

// cdfXYs turns the latencies l recorded (in wall seconds, divided by the
// time scale ts) into a step CDF of at most about 1,000 points: the value
// of every step-th rank, from the smallest to the largest. A value is the
// highest its histogram bucket holds, kept within the exact extremes, so
// within latencyHist's precision of the exact value at that rank; the
// first and last points are exact. Empty for a nil l.
func (l *latencyHist) cdfXYs(ts upstream.Scale) plotter.XYs {
	n := l.count()
	if n == 0 {
		return nil
	}
	step := max(1, n/1000)
	var ranks []int64 // 1-based
	for i := int64(0); i < n; i += step {
		ranks = append(ranks, i+1)
	}
	if ranks[len(ranks)-1] < n {
		ranks = append(ranks, n)
	}
	pct := make([]float64, len(ranks))
	for i, r := range ranks {
		pct[i] = 100 * float64(r) / float64(n)
	}
	values := l.h.ValueAtPercentilesSlice(pct)
	xys := make(plotter.XYs, len(ranks))
	for i, r := range ranks {
		v := min(max(time.Duration(values[i])*histUnit, l.min), l.max)
		if r == 1 {
			v = l.min
		}
		xys[i] = plotter.XY{X: ts.ModelSeconds(v.Seconds()), Y: float64(r) / float64(n)}
	}
	return xys
}

// inflightCell is the cell whose requests in flight the page draws: the
// unbounded client when it ran (it shows what the cap does to it), else
// the recommended pool; first repeat.
func inflightCell(s *Summary) *results.Cell {
	for _, r := range []*Row{s.Unbounded, s.Best, s.Serial} {
		if r != nil {
			return &r.Cells[0]
		}
	}
	return &s.Rows[0].Cells[0]
}

// inflightChart: requests in flight over time for one cell.
func inflightChart(s *Summary, reqs *requestData) (chart, bool, error) {
	cell := inflightCell(s)
	att := reqs.inflightOf(cell.Label())
	if len(att.starts) == 0 {
		return chart{}, false, nil
	}
	title := fmt.Sprintf("Requests in flight over time: %s", cell.Label())
	p := newPlot(title, "time since the cell's first request ("+s.secondsWord()+")", "requests in flight (client side)")
	p.Legend.Left = false
	xys := inflightXYs(att, cell.Timescale)
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
	caption := fmt.Sprintf("Attempts of %s in flight at each moment, from requests.jsonl (%s attempts)", cell.Label(), thousands(float64(len(att.starts))))
	if cell.Bound() {
		caption = strings.Replace(caption, cell.Label(), cell.Label()+" (harness-bound)", 1)
	}
	if t := s.excessText(); t != "" {
		caption += ": " + t
	}
	c, err := render("inflight", title, caption+".", p)
	return c, true, err
}

// inflightXYs computes the step curve of attempts in flight from sorted
// spans (at least one), sampled at most 2,000 times (the peak of each
// interval) so large cells stay light. It walks the starts and the ends
// together, a start before an end at the same instant, and needs no
// memory beyond the points it returns.
func inflightXYs(att spans, ts upstream.Scale) plotter.XYs {
	t0 := att.starts[0]
	at := func(t int64) float64 { return ts.ModelSeconds(time.Duration(t - t0).Seconds()) }
	end := at(att.ends[len(att.ends)-1])
	if last := at(att.starts[len(att.starts)-1]); last > end {
		end = last // a negative latency
	}
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
	for i, j := 0, 0; i < len(att.starts) || j < len(att.ends); {
		var t float64
		d := -1
		if i < len(att.starts) && (j == len(att.ends) || att.starts[i] <= att.ends[j]) {
			t, d = at(att.starts[i]), 1
			i++
		} else {
			t = at(att.ends[j])
			j++
		}
		b := buckets - 1
		if width > 0 {
			b = min(buckets-1, int(t/width))
		}
		if b != bucket {
			flush()
			bucket, peak = b, n
		}
		n += d
		peak = max(peak, n)
	}
	flush()
	xys = append(xys, plotter.XY{X: end, Y: 0})
	return xys
}
