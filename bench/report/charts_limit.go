package report

import (
	"fmt"

	"gonum.org/v1/plot/plotter"
)

// limitChart: an adaptive cell's concurrency limit over time (its first
// repeat's trace, model seconds) with the upstream's cap; ok false when
// no cell recorded a limit.
func limitChart(s *Summary) (chart, bool, error) {
	var row *Row
	for _, r := range s.Rows {
		if len(r.Cells) > 0 && r.Cells[0].Limit != nil && len(r.Cells[0].Limit.Points) > 0 {
			row = r
			break
		}
	}
	if row == nil {
		return chart{}, false, nil
	}
	cell := &row.Cells[0]
	tr := cell.Limit
	title := fmt.Sprintf("Concurrency limit over time: %s", cell.Label())
	p := newPlot(title, "time since the cell's start (model seconds)", "limit (items in flight allowed)")
	p.Legend.Left = false
	// A step curve: each limit holds until the next point, the last
	// until the cell's end.
	var xys plotter.XYs
	top := 0.0
	for i, pt := range tr.Points {
		if i > 0 {
			xys = append(xys, plotter.XY{X: pt[0], Y: tr.Points[i-1][1]})
		}
		xys = append(xys, plotter.XY{X: pt[0], Y: pt[1]})
		top = max(top, pt[1])
	}
	end := max(cell.ModelWallSeconds, xys[len(xys)-1].X)
	xys = append(xys, plotter.XY{X: end, Y: float64(tr.Final)})
	if err := line(p, fmt.Sprintf("%s limit (mean %.3g)", cell.Strategy, tr.Mean), xys, strategyColor(cell.Strategy), nil, noMarks); err != nil {
		return chart{}, false, err
	}
	if s.Cap > 0 {
		if err := line(p, fmt.Sprintf("upstream cap %d", s.Cap), plotter.XYs{{X: 0, Y: float64(s.Cap)}, {X: end, Y: float64(s.Cap)}}, capColor, dashed, noMarks); err != nil {
			return chart{}, false, err
		}
		top = max(top, float64(s.Cap))
	}
	p.Y.Min, p.Y.Max = 0, top*1.1+1
	p.X.Min = 0
	caption := fmt.Sprintf("The limit %s kept over its cell: from %d, between %d and %d, %.3g on average (time-weighted), %d at the end", cell.Label(), int(tr.Points[0][1]), tr.Min, tr.Max, tr.Mean, tr.Final)
	if cell.Bound() {
		caption += " (harness-bound)"
	}
	c, err := render("limit", title, caption+".", p)
	return c, true, err
}
