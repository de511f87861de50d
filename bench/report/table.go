package report

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// column is one column of the tables: its header in the terminal and in
// Markdown (empty: not shown there), and how a row prints in it.
type column struct {
	term, md string
	left     bool
	value    func(r *Row, terminal bool) string
}

// statText prints a stat: the median, and "(min–max)" when repeats differ.
func statText(st Stat, f func(float64) string) string {
	if !st.Spread() {
		return f(st.Median)
	}
	return fmt.Sprintf("%s (%s–%s)", f(st.Median), f(st.Min), f(st.Max))
}

// columns lists the table's columns for s: the upstream ones only when the
// mock counted, the prediction ones only when a row carries a prediction,
// the harness error only when the cells carry it, the time scale only when
// cells ran at different scales. The terminal table shows fewer, narrower
// columns; Markdown, the page and CSV show everything.
func columns(s *Summary) []column {
	medianOnly := func(st Stat, f func(float64) string, terminal bool) string {
		if terminal {
			return f(st.Median)
		}
		return statText(st, f)
	}
	marks := func(r *Row, name string, bound bool) string {
		switch {
		case bound && r.HarnessBound:
			name += "†"
		case bound && r.Explained != "":
			name += "‡"
		}
		if r.Interrupted {
			name += "*"
		}
		return name
	}
	cols := []column{
		// The terminal marks a bound row in its harness column: the name
		// column starts each line, and scripts match it bare.
		{"cell", "", true, func(r *Row, _ bool) string { return marks(r, r.Name(), false) }},
		{"", "strategy", true, func(r *Row, _ bool) string { return marks(r, string(r.Strategy), true) }},
		{"", "pool", false, func(r *Row, _ bool) string { return r.PoolText() }},
		{"", "items", false, func(r *Row, _ bool) string { return statText(r.Items, count) }},
		{"", "succeeded", false, func(r *Row, _ bool) string { return statText(r.Succeeded, count) }},
		{"fail", "failed", false, func(r *Row, t bool) string { return medianOnly(r.Failed, count, t) }},
		{"", "failed %", false, func(r *Row, _ bool) string { return share(r.failedShare()) }},
		{"tries", "attempts", false, func(r *Row, t bool) string { return medianOnly(r.Attempts, count, t) }},
		{"", "attempts/item", false, func(r *Row, _ bool) string { return perItem(r.Attempts.Median, r.Items.Median) }},
		{"wall", "wall time", false, func(r *Row, t bool) string {
			if t {
				return plusMinus(r.Wall, seconds)
			}
			return statText(r.Wall, seconds)
		}},
		{"speedup", "speed-up vs " + baselineName(s), false, func(r *Row, _ bool) string { return times(r.SpeedUp) }},
		{"items/s", "items/s", false, func(r *Row, t bool) string { return medianOnly(r.Goodput, rate, t) }},
		{"", "items/s incl. failed", false, func(r *Row, _ bool) string { return statText(r.Throughput, rate) }},
		{"p50", "p50", false, func(r *Row, _ bool) string { return seconds(r.P50.Median) }},
		{"p95", "p95", false, func(r *Row, _ bool) string { return seconds(r.P95.Median) }},
		{"p99", "p99", false, func(r *Row, _ bool) string { return seconds(r.P99.Median) }},
	}
	upstream, rejects, resets := false, false, false
	for _, r := range s.Rows {
		upstream = upstream || r.Upstream
		rejects = rejects || r.Rejected.Max > 0
		resets = resets || r.Reset.Max > 0
	}
	if upstream {
		// The terminal names only what happened: rejections, resets or both.
		term := "rej/rst"
		switch {
		case !resets:
			term = "rej"
		case !rejects:
			term = "rst"
		}
		cols = append(cols,
			column{"peak", "peak in flight", false, func(r *Row, _ bool) string {
				if !r.Upstream {
					return "–"
				}
				return count(r.PeakInFlight.Median)
			}},
			column{term, "rejected/reset", false, func(r *Row, t bool) string {
				if !r.Upstream {
					return "–"
				}
				switch {
				case !t || term == "rej/rst":
					return count(r.Rejected.Median) + "/" + count(r.Reset.Median)
				case term == "rej":
					return count(r.Rejected.Median)
				}
				return count(r.Reset.Median)
			}})
	}
	if s.mixedScales() {
		cols = append(cols, column{"scale", "time scale", false, func(r *Row, _ bool) string { return scaleText(r.Scale) }})
	}
	if s.Predicted {
		cols = append(cols,
			column{"", "predicted", false, func(r *Row, _ bool) string {
				if r.Predicted == 0 {
					return "–"
				}
				return seconds(r.Predicted)
			}},
			column{"eff", "efficiency", false, func(r *Row, _ bool) string { return percent(r.Efficiency) }},
			column{"", s.rangeHeader(), false, func(r *Row, _ bool) string { return rangeText(r.Range) }})
	}
	if s.Harness {
		cols = append(cols, column{"harn", "harness error", false, func(r *Row, t bool) string {
			if !r.Harness {
				return "–"
			}
			v := share(r.HarnessError.Median)
			switch {
			case t && r.HarnessBound:
				v += "†"
			case t && r.Explained != "":
				v += "‡"
			}
			return v
		}})
	}
	return cols
}

// detailColumns are the columns (by their Markdown header) that table.md
// and the page's main table leave out, so that table.md fits a pull
// request (at most 10 columns) and the page's table 1,400 px: table.csv
// has every one, and the page shows them in its detail table. What stays
// answers "which pool, how fast, how reliable, how far from the model,
// can the harness time it": strategy, pool, failed, wall time, speed-up,
// items/s, p50, p99, the predicted range (its central value is a detail)
// and harness error.
var detailColumns = []string{
	"items", "succeeded", "failed %", "attempts", "attempts/item", "items/s incl. failed", "p95",
	"peak in flight", "rejected/reset", "time scale", "predicted", "efficiency",
}

// detailHeaders are the Markdown headers of s's detail columns.
func (s *Summary) detailHeaders() []string {
	var out []string
	for _, c := range columns(s) {
		if slices.Contains(detailColumns, c.md) {
			out = append(out, c.md)
		}
	}
	return out
}

// keyColumns name a row in the page's detail table.
var keyColumns = []string{"strategy", "pool"}

// scaleText prints a row's time scale, or the range its repeats ran at.
func scaleText(st Stat) string {
	lo, hi := upstream.Scale(st.Min), upstream.Scale(st.Max)
	if lo == hi {
		return lo.String()
	}
	return lo.String() + "–" + hi.String()
}

// baselineName names the row speed-ups are relative to.
func baselineName(s *Summary) string {
	if s.Baseline == nil {
		return "serial"
	}
	return s.Baseline.Name()
}

// Caption describes the table's units and how rows summarise repeats, as
// Markdown and the page show it.
func (s *Summary) Caption() string { return s.caption(false) }

// caption describes the table; terminal names the terminal's columns.
func (s *Summary) caption(terminal bool) string {
	r := s.Results
	parts := []string{fmt.Sprintf("%s items per cell", thousands(float64(r.Scenario.Items)))}
	if t := s.fleetCaption(); t != "" {
		parts = append(parts, t)
	}
	parts = append(parts, s.timeUnits())
	parts = append(parts, "items/s: succeeded items "+s.perSecond()+" (goodput)")
	if b := s.Baseline; b != nil {
		switch {
		case !(b.Goodput.Median > 0):
			parts = append(parts, fmt.Sprintf("no speed-up: %s had no item succeed", b.Name()))
		case b != s.Serial:
			parts = append(parts, fmt.Sprintf("speed-up: goodput relative to %s (no serial cell)", b.Name()))
		default:
			parts = append(parts, "speed-up: goodput relative to serial")
		}
	}
	parts = append(parts, "latency per item, first attempt to final answer")
	if s.Repeats > 1 {
		if terminal {
			parts = append(parts, fmt.Sprintf("median of %d repeats (± the farthest from it)", s.Repeats))
		} else {
			parts = append(parts, fmt.Sprintf("median of %d repeats (min–max)", s.Repeats))
		}
	}
	if s.Predicted {
		parts = append(parts, "efficiency = predicted / measured wall time")
		if !terminal {
			if cov := s.rangeCoverage(false); cov != "" {
				parts = append(parts, "predicted range: "+cov)
			}
		}
	}
	if s.Harness {
		name := "harness error"
		if terminal {
			name = "harn"
		}
		parts = append(parts, name+": the share of the wall time the harness itself made (median)")
	}
	if bound := s.boundRows(); len(bound) > 0 {
		parts = append(parts, fmt.Sprintf("† harness-bound (%d of %d cells), left out of the headline and the recommendation: %s",
			s.BoundCells, len(r.Cells), strings.TrimSuffix(bound[0].BoundReason, ".")))
	}
	explained := 0
	for _, row := range s.Rows {
		if row.Explained != "" && !row.HarnessBound {
			explained++
		}
	}
	if explained > 0 {
		rows := "rows"
		if explained == 1 {
			rows = "row"
		}
		parts = append(parts, fmt.Sprintf("‡ explained (%d %s): the answer turns on a few milliseconds and fell in one of the model's outcomes (above)", explained, rows))
	}
	for _, row := range s.Rows {
		if row.Interrupted {
			parts = append(parts, "* interrupted")
			break
		}
	}
	return strings.Join(parts, "; ") + "."
}

// headerLines prints the headline and details, wrapped at width (0: one
// line each).
func (s *Summary) headerLines(w io.Writer, width int) error {
	if _, err := io.WriteString(w, wrap(s.Results.Scenario.Name+": "+s.Headline, width)); err != nil {
		return err
	}
	for _, d := range s.Details {
		if _, err := io.WriteString(w, wrap(d, width)); err != nil {
			return err
		}
	}
	return nil
}

// newTable builds a tablewriter table over s's rows, leaving out the
// columns whose header (of the terminal or of Markdown) is in drop.
func newTable(w io.Writer, s *Summary, terminal bool, drop []string, opts ...tablewriter.Option) (*tablewriter.Table, error) {
	var cols []column
	var header []any
	for _, c := range columns(s) {
		h := c.md
		if terminal {
			h = c.term
		}
		if h != "" && !slices.Contains(drop, h) {
			cols = append(cols, c)
			header = append(header, h)
		}
	}
	align := make([]tw.Align, len(cols))
	for i, c := range cols {
		align[i] = tw.AlignRight
		if c.left {
			align[i] = tw.AlignLeft
		}
	}
	opts = append(opts,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	)
	t := tablewriter.NewTable(w, opts...)
	t.Header(header...)
	for _, r := range s.Rows {
		row := make([]string, len(cols))
		for i, c := range cols {
			row[i] = c.value(r, terminal)
		}
		if err := t.Append(row); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// WriteTable writes the headline and the terminal table of r to w: one row
// per strategy × pool, aligned, at most 100 columns wide where leaving out
// p95 achieves it. Prose is wrapped at width when it is above 0 (a
// terminal's width), else left one line each for whatever reads it.
func WriteTable(w io.Writer, r *results.Results, width int) error {
	s, err := Summarize(r)
	if err != nil {
		return err
	}
	return s.WriteTerminal(w, width)
}

// WriteTerminal writes the headline, the terminal table and its caption,
// prose wrapped at width (0: not wrapped).
func (s *Summary) WriteTerminal(w io.Writer, width int) error {
	if err := s.headerLines(w, width); err != nil {
		return err
	}
	lines, rule, err := s.terminalLines(nil)
	if err != nil {
		return err
	}
	if rule > maxTerminalWidth {
		// p95 lies between p50 and p99, both shown: the first to go.
		if lines, rule, err = s.terminalLines([]string{"p95"}); err != nil {
			return err
		}
	}
	for _, line := range lines {
		if strings.HasPrefix(line, "─") {
			line = strings.Repeat("─", rule)
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	_, err = io.WriteString(w, wrap(s.caption(true), width))
	return err
}

// maxTerminalWidth is the widest the terminal table may grow before it
// leaves a column out.
const maxTerminalWidth = 100

// terminalLines renders the terminal table without the drop columns, as
// lines without trailing blanks, and returns the widest line's width.
func (s *Summary) terminalLines(drop []string) ([]string, int, error) {
	var buf bytes.Buffer
	t, err := newTable(&buf, s, true, drop,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.Border{Left: tw.Off, Right: tw.Off, Top: tw.Off, Bottom: tw.Off},
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.On},
			},
		})),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: "  ", Overwrite: true}),
	)
	if err != nil {
		return nil, 0, err
	}
	if err := t.Render(); err != nil {
		return nil, 0, err
	}
	// Trailing padding would only push lines past the terminal's width,
	// and the header rule spans it too.
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	rule := 0
	for i, line := range lines {
		lines[i] = strings.TrimRight(line, " ")
		if !strings.HasPrefix(lines[i], "─") {
			rule = max(rule, utf8.RuneCountInString(lines[i]))
		}
	}
	return lines, rule, nil
}

// WriteMarkdown writes table.md: the headline, the table as GitHub
// Markdown without its detail columns (at most 10 columns: table.csv has
// them all) and its caption, pasteable into a pull request.
func (s *Summary) WriteMarkdown(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "### %s\n\n**%s**\n\n", s.Results.Scenario.Name, s.Headline); err != nil {
		return err
	}
	for _, d := range s.Details {
		if _, err := fmt.Fprintf(w, "%s\n\n", d); err != nil {
			return err
		}
	}
	t, err := newTable(w, s, false, detailColumns, tablewriter.WithRenderer(renderer.NewMarkdown()))
	if err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "\n_%s_\n", s.Caption()); err != nil {
		return err
	}
	if detail := s.detailHeaders(); len(detail) > 0 {
		_, err = fmt.Fprintf(w, "\n_Also in table.csv and the page's detail table: %s._\n", strings.Join(detail, ", "))
	}
	return err
}

// rangeHeader is the range column's header, with its coverage when
// every row's range has the same: "predicted range (90%)".
func (s *Summary) rangeHeader() string {
	cov := map[string]bool{}
	for _, r := range s.Rows {
		if iv := r.Range; iv != nil {
			if iv.Runs == 0 {
				cov["bound"] = true
			} else {
				cov[fmt.Sprintf("%.0f%%", 100*iv.Coverage)] = true
			}
		}
	}
	if len(cov) == 1 {
		for c := range cov {
			return "predicted range (" + c + ")"
		}
	}
	return "predicted range"
}

// rangeCoverage says what the rows' ranges cover, from their intervals:
// the coverage of the simulated ranges, the jitter they simulate, that an
// exact cell's is a bound, and how modes are shown (in a table with
// their odds; in a chart, chart is true, the bar spans them).
func (s *Summary) rangeCoverage(chart bool) string {
	var sim, exact, modes *results.Interval
	for _, r := range s.Rows {
		switch iv := r.Range; {
		case iv == nil:
		case iv.Runs == 0:
			exact = iv
		case len(iv.Modes) > 1:
			modes = iv
		default:
			sim = iv
		}
	}
	var parts []string
	if iv := cmp.Or(sim, modes); iv != nil {
		parts = append(parts, fmt.Sprintf("one more simulated run (%s) falls inside with at least %.0f%% probability",
			iv.Timing(), 100*iv.Coverage))
	}
	if exact != nil {
		parts = append(parts, fmt.Sprintf("for cells the closed formula covers, a bound on %s", exact.Timing()))
	}
	switch {
	case modes != nil && chart:
		parts = append(parts, "where a cell's outcome is not one number, the bar spans its modes (the headline and table name them with their odds)")
	case modes != nil:
		parts = append(parts, fmt.Sprintf("where a cell's outcome is not one number, its modes with their odds (share of %d simulated runs)", modes.Runs))
	}
	return strings.Join(parts, "; ")
}

// rangeText prints the model's range for a row: "5.218–5.249 s", or its
// outcomes with their odds, "3.22 s (41%) or 4.21 s (59%)".
func rangeText(iv *results.Interval) string {
	if iv == nil {
		return "–"
	}
	return iv.RangeText()
}
