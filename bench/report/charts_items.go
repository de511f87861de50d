package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
)

// The charts of the headline and of single cells: the headline bars, the
// latency CDF, requests in flight over time.

// headlineChart: the goodput of the baseline, the recommended pool and
// the unbounded client, failures, retries and harness-bound rows noted.
func headlineChart(s *Summary) (chart, error) {
	title := "The headline: items succeeded " + s.perSecond()
	p := newPlot(title, "", "succeeded items "+s.perSecond())
	var rows []*Row
	var roles []string
	for _, c := range []struct {
		r    *Row
		role string
	}{{s.Baseline, "the baseline"}, {s.Best, "recommended"}, {s.Unbounded, ""}} {
		if c.r != nil && !slices.Contains(rows, c.r) {
			rows = append(rows, c.r)
			roles = append(roles, c.role)
		}
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
	xLabel := "item latency (" + s.secondsWord() + ", log)"
	if exact {
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
		ts := r.Cells[0].Timescale.Factor()
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
		if r.HarnessBound {
			name += "†"
		}
		if r.Strategy == scenario.Serial {
			name += " (pool 1)"
		}
		if err := line(p, name, xys, strategyColor(r.Strategy), nil, markIf(!exact, r.Strategy)); err != nil {
			return chart{}, err
		}
	}
	if hi > 0 {
		p.X.Min, p.X.Max = lo/1.3, hi*1.3
	}
	caption := fmt.Sprintf("Cumulative distribution of latency at pool %d", pool)
	var refs []string
	for _, r := range []*Row{s.Serial, s.Unbounded} {
		if r != nil {
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
	if exact {
		caption += " Exact over every attempt in requests.jsonl."
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

// cdfRows are the rows the CDF shows: serial, every bounded strategy at
// pool, unbounded.
func cdfRows(s *Summary, pool int) []*Row {
	var rows []*Row
	for _, r := range s.Rows {
		if r.Strategy == scenario.Serial || r.Strategy == scenario.Unbounded || (r.bounded() && r.Pool == pool) {
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
func inflightChart(s *Summary, reqs map[string][]attempt) (chart, bool, error) {
	cell := inflightCell(s)
	att := reqs[cell.Label()]
	if len(att) == 0 {
		return chart{}, false, nil
	}
	title := fmt.Sprintf("Requests in flight over time: %s", cell.Label())
	p := newPlot(title, "time since the cell's first request ("+s.secondsWord()+")", "requests in flight (client side)")
	p.Legend.Left = false
	xys := inflightXYs(att, cell.Timescale.Factor())
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
	caption := fmt.Sprintf("Attempts of %s in flight at each moment, from requests.jsonl (%s attempts)", cell.Label(), thousands(float64(len(att))))
	if cell.Bound() {
		caption = strings.Replace(caption, cell.Label(), cell.Label()+" (harness-bound)", 1)
	}
	if t := s.excessText(); t != "" {
		caption += ": " + t
	}
	c, err := render("inflight", title, caption+".", p)
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
