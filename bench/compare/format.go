package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchunit"
)

// title is a metric's section heading; seconds are model seconds when
// the runs were scaled.
func (m Metric) title(scaled bool) string {
	var dir string
	switch m.Better {
	case -1:
		dir = "lower is better"
	case +1:
		dir = "higher is better"
	default:
		dir = "any change fails"
	}
	switch {
	case m.Exact:
		return fmt.Sprintf("%s (exact, worst repeat; %s)", m.Name, dir)
	case m.Name == "wall":
		return "wall time, " + secondsUnit(scaled) + " (" + dir + ")"
	case m.Unit == "s":
		return fmt.Sprintf("item latency %s, %s (%s)", m.Name, secondsUnit(scaled), dir)
	}
	return fmt.Sprintf("%s, %s (%s)", m.Name, m.Unit, dir)
}

// label is the metric and its unit for a one-table row: "wall (s)".
func (m Metric) label(scaled bool) string {
	switch {
	case m.Unit == "s":
		return m.Name + " (" + secondsUnit(scaled) + ")"
	case m.Unit != "":
		return m.Name + " (" + m.Unit + ")"
	}
	return m.Name
}

// secondsUnit is "model s" for scaled runs, "s" for real time.
func secondsUnit(scaled bool) string {
	if scaled {
		return "model s"
	}
	return "s"
}

// center formats a summary as benchstat does: "1.512 ± 1%" for timing,
// the worst repeat for exact metrics.
func (s Summary) format(exact bool) string {
	if s.N == 0 {
		return "—"
	}
	if exact {
		if s.Lo != s.Hi {
			return fmt.Sprintf("%g (%g–%g)", s.Center, s.Lo, s.Hi)
		}
		return fmt.Sprintf("%g", s.Center)
	}
	v := benchunit.Scale(s.Center, benchunit.Decimal)
	switch {
	case !s.Interval:
		// Too few repeats for an interval: the range of the repeats.
		return fmt.Sprintf("%s [%s–%s]", v, benchunit.Scale(s.Lo, benchunit.Decimal), benchunit.Scale(s.Hi, benchunit.Decimal))
	case s.Center == 0:
		return v
	}
	pct := math.Max(s.Hi-s.Center, s.Center-s.Lo) / math.Abs(s.Center) * 100
	return fmt.Sprintf("%s ± %.0f%%", v, pct)
}

// deltaString is "+10.05%", or "~" when the row shows no significant
// change (benchstat's convention).
func (r Row) deltaString() string {
	switch {
	case r.Verdict == Unchanged || r.Verdict == Inconclusive:
		return "~"
	case r.Metric.Exact:
		return fmt.Sprintf("%+g", r.New.Center-r.Old.Center)
	case math.IsNaN(r.Delta):
		return "?"
	case math.IsInf(r.Delta, 0):
		return fmt.Sprintf("%g → %g", r.Old.Center, r.New.Center)
	}
	return fmt.Sprintf("%+.2f%%", r.Delta*100)
}

func (r Row) pString() string {
	if r.Metric.Exact {
		return "exact"
	}
	if math.IsNaN(r.P) {
		return "—"
	}
	return fmt.Sprintf("p=%.3f", r.P)
}

func (r Row) nString() string { return fmt.Sprintf("n=%d+%d", r.Old.N, r.New.N) }

func (r Row) verdictString() string {
	if r.Verdict == Unchanged {
		return ""
	}
	return string(r.Verdict)
}

// Headline says in one line whether the gate passes, and why not.
func (r *Report) Headline() string {
	if r.Failed() {
		// Missing cells and exact metrics first: they are rarer and say
		// more than a list of slower timings.
		var parts []string
		for _, k := range r.MissingCells {
			parts = append(parts, k.String()+" missing")
		}
		for _, exact := range []bool{true, false} {
			for _, row := range r.Failures() {
				if row.Metric.Exact == exact {
					parts = append(parts, fmt.Sprintf("%s %s %s", row.Key, row.Metric.Name, row.deltaString()))
				}
			}
		}
		const show = 3
		more := ""
		if len(parts) > show {
			more = fmt.Sprintf("; and %d more", len(parts)-show)
			parts = parts[:show]
		}
		return fmt.Sprintf("FAIL: %s: %d regression(s): %s%s", r.Scenario, len(r.Failures())+len(r.MissingCells), strings.Join(parts, "; "), more)
	}
	if r.Inconclusive() {
		var why []string
		if n := r.Count(Bound); n > 0 {
			why = append(why, fmt.Sprintf("%d timing rows of %s were set by the harness, not the service (%s)", n, r.boundCells(), r.firstNote(Bound)))
		}
		if n := r.Count(NotTimed); n > 0 {
			why = append(why, fmt.Sprintf("%d timing rows timed failures, not the service (%s)", n, r.firstNote(NotTimed)))
		}
		if n := r.Count(Inconclusive); n > 0 {
			why = append(why, fmt.Sprintf("%d of %d timing rows are inconclusive: the repeats are too few for the U test to show a regression (%s)", n, r.timingRows(), r.firstNote(Inconclusive)))
		}
		return fmt.Sprintf("CANNOT DECIDE: %s: %s", r.Scenario, strings.Join(why, "; "))
	}
	explained := ""
	if n := r.Count(Explained); n > 0 {
		explained = fmt.Sprintf(", %d explained by the model's ranges", n)
	}
	if n := r.Count(FewItems); n > 0 {
		explained += "; " + r.fewItems(n)
	}
	return fmt.Sprintf("ok: %s: no regression (%d ~, %d within threshold, %d improved%s)",
		r.Scenario, r.Count(Unchanged), r.Count(Within), r.Count(Improved), explained)
}

// fewItems says why n tail rows were not compared and what would compare
// them all: "4 tail rows not compared (p95, p99): a cell's tail percentile is
// its slowest items; 100 items per cell compare them".
func (r *Report) fewItems(n int) string {
	var names []string
	need := 0
	for _, row := range r.Rows {
		if row.Verdict != FewItems {
			continue
		}
		if !slices.Contains(names, row.Metric.Name) {
			names = append(names, row.Metric.Name)
		}
		need = max(need, row.Metric.minItems())
	}
	return fmt.Sprintf("%d tail rows not compared (%s): a cell's tail percentile is its slowest items; %d items per cell compare them", n, strings.Join(names, ", "), need)
}

// boundCells names the cells whose timing rows are Bound: "pooled/pool=4"
// or "5 cells".
func (r *Report) boundCells() string {
	var cells []string
	for _, row := range r.Rows {
		if row.Verdict == Bound && !slices.Contains(cells, row.Key.String()) {
			cells = append(cells, row.Key.String())
		}
	}
	if len(cells) == 1 {
		return cells[0]
	}
	return fmt.Sprintf("%d cells", len(cells))
}

func (r *Report) timingRows() int {
	n := 0
	for _, row := range r.Rows {
		if !row.Metric.Exact {
			n++
		}
	}
	return n
}

// firstNote is the note of the first row with verdict v.
func (r *Report) firstNote(v Verdict) string {
	for _, row := range r.Rows {
		if row.Verdict == v {
			return row.Note
		}
	}
	return ""
}

func (r *Report) settings() string {
	return fmt.Sprintf("threshold %g%%, alpha %g; Mann-Whitney U over repeats (benchstat's statistics)",
		r.Options.Threshold*100, r.Options.Alpha)
}

// WriteText writes the verdict first, then the rows that decided it
// (regressed, changed, improved, explained by the model) in one
// table, missing and new cells, warnings and notes, and how many rows
// read the same. A pass is a few lines. WriteFullText adds every row.
func WriteText(w io.Writer, r *Report) error { return writeText(w, r, false) }

// WriteFullText is WriteText followed by every row in benchstat's look:
// one section per metric with old, new, delta, p and n.
func WriteFullText(w io.Writer, r *Report) error { return writeText(w, r, true) }

func writeText(w io.Writer, r *Report, full bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nbase: %s\nnew:  %s\n%s\n", r.Headline(), r.Base, r.New, r.settings())
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	var quiet int
	first := true
	for _, row := range r.Rows {
		if !row.decides() {
			quiet++
			continue
		}
		if first {
			fmt.Fprintf(tw, "\ncell\tmetric\told\tnew\tdelta\tp\tn\tverdict\n")
			first = false
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.Key.Cell(), row.Metric.label(r.Scaled), row.Old.format(row.Metric.Exact),
			row.New.format(row.Metric.Exact), row.deltaString(), row.pString(), row.nString(), row.verdictString())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	writeLists(&b, r, "")
	if full {
		writeSections(&b, r)
	} else if quiet > 0 {
		fmt.Fprintf(&b, "\n%d more rows unchanged, within threshold or undecided (-v shows every row)\n", quiet)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// decides reports whether a row is shown in the short report: a
// regression, a change, an improvement or a difference the model
// explains. Rows that could not be decided
// are summed up by the headline, which says why and what would decide
// them.
func (r Row) decides() bool {
	return r.Verdict.Fails() || r.Verdict == Improved || r.Verdict == Explained
}

// writeSections writes every row, one section per metric.
func writeSections(b *strings.Builder, r *Report) {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	for _, m := range metrics {
		first := true
		for _, row := range r.Rows {
			if row.Metric.Name != m.Name {
				continue
			}
			if first {
				fmt.Fprintf(tw, "\n%s\n", m.title(r.Scaled)) // no tab: each section aligns on its own
				fmt.Fprintf(tw, "cell\told\tnew\tdelta\tp\tn\tverdict\n")
				first = false
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.Key.Cell(), row.Old.format(m.Exact), row.New.format(m.Exact),
				row.deltaString(), row.pString(), row.nString(), row.verdictString())
		}
	}
	tw.Flush()
}

// writeLists writes missing and new cells, warnings and row notes, each
// line prefixed (Markdown uses "- ").
func writeLists(b *strings.Builder, r *Report, bullet string) {
	if len(r.MissingCells) > 0 {
		fmt.Fprintf(b, "\nmissing in new (they fail the gate; refresh the baseline if deliberate):\n")
		for _, k := range r.MissingCells {
			fmt.Fprintf(b, "%s  %s\n", bullet, k)
		}
	}
	if len(r.NewCells) > 0 {
		fmt.Fprintf(b, "\nnew cells, not in base (not compared):\n")
		for _, k := range r.NewCells {
			fmt.Fprintf(b, "%s  %s\n", bullet, k)
		}
	}
	var notes []string
	seen := map[string]bool{}
	for _, row := range r.Rows {
		if row.Note != "" && !seen[row.Note] {
			seen[row.Note] = true
			notes = append(notes, row.Note)
		}
	}
	if len(r.Warnings)+len(notes) > 0 {
		fmt.Fprintf(b, "\nnotes:\n")
		for _, s := range append(append([]string{}, r.Warnings...), notes...) {
			fmt.Fprintf(b, "%s  %s\n", bullet, s)
		}
	}
}

// WriteMarkdown writes the verdict for a pull request or a job summary:
// the headline, the failing rows first, improvements, missing and new
// cells, then the full table folded in <details>.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	mark := "✅"
	switch {
	case r.Failed():
		mark = "❌"
	case r.Inconclusive():
		mark = "⚠️"
	}
	fmt.Fprintf(&b, "## poolbench compare %s %s\n\n", mark, mdEscape(r.Headline()))
	fmt.Fprintf(&b, "Base `%s`, new `%s`; %s.\n", r.Base, r.New, r.settings())
	section := func(title string, keep func(Row) bool) {
		var rows []Row
		for _, row := range r.Rows {
			if keep(row) {
				rows = append(rows, row)
			}
		}
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n### %s\n\n", title)
		mdTable(&b, rows, r.Scaled)
	}
	section("Regressions", func(row Row) bool { return row.Verdict.Fails() })
	section("Improvements", func(row Row) bool { return row.Verdict == Improved })
	section("Differences the model explains", func(row Row) bool { return row.Verdict == Explained })
	section("Cannot decide", func(row Row) bool {
		return row.Verdict == Inconclusive || row.Verdict == Bound || row.Verdict == NotTimed
	})
	var lists strings.Builder
	writeLists(&lists, r, "-")
	if lists.Len() > 0 {
		b.WriteString(strings.ReplaceAll(lists.String(), "-  ", "- "))
	}
	fmt.Fprintf(&b, "\n<details><summary>Full table (%d rows)</summary>\n\n", len(r.Rows))
	mdTable(&b, r.Rows, r.Scaled)
	fmt.Fprintf(&b, "\n</details>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func mdTable(b *strings.Builder, rows []Row, scaled bool) {
	fmt.Fprintf(b, "| cell | metric | old | new | delta | p | n | verdict |\n")
	fmt.Fprintf(b, "|---|---|--:|--:|--:|--:|--:|---|\n")
	for _, row := range rows {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", mdEscape(row.Key.String()), row.Metric.label(scaled),
			row.Old.format(row.Metric.Exact), row.New.format(row.Metric.Exact), mdEscape(row.deltaString()),
			row.pString(), row.nString(), mdEscape(string(row.Verdict)))
	}
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "~", `\~`, "*", `\*`, "_", `\_`, "<", "&lt;").Replace(s)
}

// WriteJSON writes the report as indented JSON, a verdict on every row,
// plus "failed" and the headline as "verdict". Numbers that are not finite
// (an unbounded interval, no p-value for an exact metric) are null.
func WriteJSON(w io.Writer, r *Report) error {
	c := *r
	c.MissingCells = nonNil(c.MissingCells)
	c.NewCells = nonNil(c.NewCells)
	c.Warnings = nonNil(c.Warnings)
	c.Rows = nonNil(c.Rows)
	out := struct {
		Failed  bool   `json:"failed"`
		Decided bool   `json:"decided"`
		Verdict string `json:"verdict"`
		*Report
	}{r.Failed(), r.Decided(), r.Headline(), &c}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// finite is v, or nil when v is NaN or infinite (JSON has no such numbers).
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// MarshalJSON writes non-finite numbers as null.
func (s Summary) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Center   *float64  `json:"center"`
		Lo       *float64  `json:"lo"`
		Hi       *float64  `json:"hi"`
		Interval bool      `json:"interval"`
		N        int       `json:"n"`
		Values   []float64 `json:"values"`
	}{finite(s.Center), finite(s.Lo), finite(s.Hi), s.Interval, s.N, nonNil(s.Values)})
}

// MarshalJSON writes a missing p-value (exact metrics) and an undefined
// delta as null.
func (r Row) MarshalJSON() ([]byte, error) {
	type plain Row // without this method
	return json.Marshal(struct {
		plain
		Delta *float64 `json:"delta"`
		P     *float64 `json:"p"`
	}{plain(r), finite(r.Delta), finite(r.P)})
}
