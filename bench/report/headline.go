package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// headline computes the headline sentence and further findings. Its
// claims (a speed-up, a best pool, what bigger pools bought) rest only on
// rows that compete: neither harness-bound nor interrupted.
func (s *Summary) headline() (string, []string) {
	var parts []string
	if s.Failing {
		parts = append(parts, s.failingText())
	} else {
		parts = append(parts, s.mainText())
		if s.Best != nil {
			if t := s.beyondBest(); t != "" {
				parts = append(parts, t)
			}
		}
		if t := s.versusText(); t != "" {
			parts = append(parts, t)
		}
	}
	var details []string
	if u := s.Unbounded; u != nil {
		details = append(details, s.unboundedText(u))
	}
	if t := s.boundText(); t != "" {
		details = append(details, t)
	}
	if t := s.explainedText(); t != "" {
		details = append(details, t)
	}
	if !s.Results.Complete {
		details = append(details, "The run was interrupted: the figures cover only the cells measured.")
	}
	if t := s.recommendedText(); t != "" {
		details = append(details, t)
	}
	if t := s.modesText(); t != "" {
		details = append(details, t)
	}
	return strings.Join(parts, "; "), details
}

// mainText compares the baseline with the recommended pool, or names
// what there is when one of them is missing.
func (s *Summary) mainText() string {
	best, base := s.Best, s.Baseline
	if base != nil && (!base.competes() || !(base.Goodput.Median > 0)) {
		base = nil
	}
	switch {
	case base != nil && best != nil && base != best:
		return fmt.Sprintf("%s %s → %s %s: %s", base.Name(), seconds(base.Wall.Median), best.Name(),
			seconds(best.Wall.Median), gainText(base, best))
	case best != nil:
		return fmt.Sprintf("best pool: %s %s, %s items/s succeeded", best.Name(), seconds(best.Wall.Median),
			rate(best.Goodput.Median))
	}
	// No recommendation: no row competes (all bound, interrupted or
	// unbounded). Name the first row that is not bound, claiming nothing.
	for _, r := range s.Rows {
		if !r.HarnessBound {
			t := fmt.Sprintf("%s %s, %s items/s succeeded", r.Name(), seconds(r.Wall.Median), rate(r.Goodput.Median))
			if r.Failed.Median > 0 {
				t += fmt.Sprintf(" (%s of %s items failed)", thousands(r.Failed.Median), thousands(r.Items.Median))
			}
			return t + "; no pool to recommend"
		}
	}
	return "every cell was harness-bound: the figures measure poolbench rather than the upstream, and no pool is recommended"
}

// gainText says what best gains over base: "1.92× faster" when both
// failed the same items (wall times then compare as goodput does), else
// the goodput ratio with both goodputs.
func gainText(base, best *Row) string {
	if base.Failed.Median == best.Failed.Median && base.Items.Median == best.Items.Median {
		return speedText(best.SpeedUp) + " faster"
	}
	return fmt.Sprintf("%s the goodput (%s vs %s items/s succeeded)", times(best.SpeedUp),
		rate(best.Goodput.Median), rate(base.Goodput.Median))
}

// failingText says that (nearly) nothing succeeded: the row that failed
// the smallest share of its items, and the most common failure.
func (s *Summary) failingText() string {
	rows := s.Rows
	all := true
	for _, r := range rows {
		all = all && r.mostlyFailed()
	}
	lead := s.failingReason()
	if !all {
		// Rows compete and none had an item succeed; others did.
		rows = slices.DeleteFunc(slices.Clone(rows), func(r *Row) bool { return !r.competes() })
	}
	least := rows[0]
	nothing := true
	for _, r := range rows {
		if r.failedShare() < least.failedShare() {
			least = r
		}
		nothing = nothing && r.Succeeded.Max == 0
	}
	var t string
	switch {
	case all && nothing && len(rows) > 1:
		t = fmt.Sprintf("every cell failed all of its items: %s of %s failed in %s and every other cell",
			thousands(least.Failed.Median), thousands(least.Items.Median), least.Name())
	case len(rows) > 1 && least.failedShare() < 1:
		t = fmt.Sprintf("%s: %s of %s failed in %s, the fewest", lead,
			thousands(least.Failed.Median), thousands(least.Items.Median), least.Name())
	default:
		t = fmt.Sprintf("%s: %s of %s failed in %s", lead,
			thousands(least.Failed.Median), thousands(least.Items.Median), least.Name())
	}
	if cls := mostCommonFailure(rows); cls != "" {
		t += ", most often " + cls
	}
	return t
}

// failingReason says why a Failing run recommends nothing.
func (s *Summary) failingReason() string {
	for _, r := range s.Rows {
		if !r.mostlyFailed() {
			return "no pool had an item succeed"
		}
	}
	return "every cell failed most of its items"
}

// mostCommonFailure is the failure class (results.FailureClass) that
// failed the most items over rows' cells; on a tie, the first by name.
func mostCommonFailure(rows []*Row) string {
	n := map[string]int{}
	for _, r := range rows {
		for _, c := range r.Cells {
			for k, v := range c.Failures {
				n[k] += v
			}
		}
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(n[b], n[a]), cmp.Compare(a, b)) })
	if len(keys) == 0 || n[keys[0]] == 0 {
		return ""
	}
	return keys[0]
}

// speedText prints a speed-up in words.
func speedText(v float64) string {
	if v >= 1 {
		return times(v)
	}
	if v > 0 {
		return times(v) + " (slower)"
	}
	return "–"
}

// capText names the upstream cap and what it does with the excess:
// "upstream cap 16, excess rejected with 503" ("" without a cap).
func (s *Summary) capText() string {
	short, _ := s.overflow()
	if s.Cap <= 0 {
		return ""
	}
	if short == "" {
		return fmt.Sprintf("upstream cap %d", s.Cap)
	}
	return fmt.Sprintf("upstream cap %d, excess %s", s.Cap, short)
}

// beyondBest says what bigger pools than the best one bought, from the
// competing rows only.
func (s *Summary) beyondBest() string {
	best := s.Best
	var bigger []*Row
	for _, row := range s.Rows {
		if row.bounded() && row.competes() && row.Pool > best.Pool {
			bigger = append(bigger, row)
		}
	}
	if len(bigger) == 0 || !(best.Goodput.Median > 0) {
		return ""
	}
	faster, failing := 0.0, 0.0
	var fastest, worst *Row
	for _, row := range bigger {
		if g := row.Goodput.Median/best.Goodput.Median - 1; g > faster {
			faster, fastest = g, row
		}
		if f := row.Failed.Median - best.Failed.Median; f > failing {
			failing, worst = f, row
		}
	}
	suffix := ""
	if c := s.capText(); c != "" {
		suffix = " (" + c + ")"
	}
	switch {
	case faster >= results.Tolerance:
		return fmt.Sprintf("%s is %.0f%% faster still%s", fastest.Name(), faster*100, suffix)
	case worst != nil:
		return fmt.Sprintf("bigger pools only add failures, up to %s of %s items for %s%s", thousands(worst.Failed.Median),
			thousands(worst.Items.Median), worst.Name(), suffix)
	}
	return fmt.Sprintf("pools above %d%s gain nothing%s", best.Pool, s.perClient(), suffix)
}

// unboundedText describes what the unbounded client paid. A bound
// unbounded row is described but compared with nothing.
func (s *Summary) unboundedText(u *Row) string {
	t := fmt.Sprintf("Unbounded: %s", seconds(u.Wall.Median))
	if u.HarnessBound {
		t = fmt.Sprintf("Unbounded (harness-bound): %s", seconds(u.Wall.Median))
	} else if s.Baseline != nil && s.Baseline.competes() && !s.Failing && u.SpeedUp > 0 && u.Failed.Median == 0 {
		t += fmt.Sprintf(" (%s vs %s)", times(u.SpeedUp), s.Baseline.Name())
	}
	var paid []string
	if u.Failed.Median > 0 {
		paid = append(paid, fmt.Sprintf("%s of %s items failed", thousands(u.Failed.Median), thousands(u.Items.Median)))
	}
	if r := u.Attempts.Median - u.Items.Median; r > 0 {
		paid = append(paid, fmt.Sprintf("%s retries", thousands(r)))
	}
	if u.Upstream && u.Rejected.Median > 0 {
		paid = append(paid, fmt.Sprintf("%s rejected by the upstream", thousands(u.Rejected.Median)))
	}
	paid = append(paid, fmt.Sprintf("item latency p50 %s, p99 %s", seconds(u.P50.Median), seconds(u.P99.Median)))
	if b := s.Best; b != nil && !u.HarnessBound && b.P99.Median > 0 && u.P99.Median > 2*b.P99.Median {
		paid[len(paid)-1] += fmt.Sprintf(" vs %s for %s", seconds(b.P99.Median), b.Name())
	}
	return t + ": " + strings.Join(paid, ", ") + "."
}

// boundRows lists the rows with a harness-bound repeat.
func (s *Summary) boundRows() []*Row {
	var out []*Row
	for _, r := range s.Rows {
		if r.HarnessBound {
			out = append(out, r)
		}
	}
	return out
}

// boundText says how many cells were harness-bound, which rows they are,
// and that the headline and the recommendation leave them out.
func (s *Summary) boundText() string {
	rows := s.boundRows()
	if len(rows) == 0 {
		return ""
	}
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.Name()
	}
	list := strings.Join(names, ", ")
	if len(names) > 6 {
		list = strings.Join(names[:5], ", ") + fmt.Sprintf(" and %d more", len(names)-5)
	}
	verb, they := "were", "they are"
	if s.BoundCells == 1 {
		verb, they = "was", "it is"
	}
	return fmt.Sprintf("%d of %d cells %s harness-bound, measuring poolbench rather than the upstream (%s): %s marked † and left out of the headline and the recommendation.",
		s.BoundCells, len(s.Results.Cells), verb, list, they)
}

// explainedText names the rows whose answer turns on a few milliseconds
// and whose measurement the harness check explained (in one of the
// model's outcomes) rather than flagged, and where each fell.
func (s *Summary) explainedText() string {
	var parts, names, causes []string
	for _, r := range s.Rows {
		if r.Explained != "" && !r.HarnessBound {
			parts = append(parts, r.Name()+" "+r.Explained)
			names = append(names, r.Name())
			if why := r.Cells[0].TurnsOn(); !slices.Contains(causes, why) {
				causes = append(causes, why)
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	subject, verb, pron := "answer of "+names[0], "turns", "its"
	if len(names) > 1 {
		subject = "answers of " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
		verb, pron = "turn", "their"
	}
	return fmt.Sprintf("Explained, not flagged (‡): the %s %s on a few milliseconds (%s), and each measurement fell in one of the model's outcomes: %s. %s harness error is how far the harness's overhead could move the answer, to another outcome, not time the harness added.",
		subject, verb, strings.Join(causes, "; "), strings.Join(parts, "; "), strings.ToUpper(pron[:1])+pron[1:])
}

// recommendedText says which pool results.Recommend picked and why, in
// the report's number formats.
func (s *Summary) recommendedText() string {
	rec, best := s.Recommended, s.Best
	if rec == nil || best == nil {
		return ""
	}
	tol := fmt.Sprintf("%.0f%%", results.Tolerance*100)
	fleet := s.fleetText(rec.Pool)
	if rec.Goodput >= rec.BestGoodput {
		if !s.smallerPoolCompeted(rec.Pool) {
			return fmt.Sprintf("Recommended: %s%s, the best goodput (%s items/s succeeded); no smaller pool was measured.",
				best.Name(), fleet, rate(rec.Goodput))
		}
		return fmt.Sprintf("Recommended: %s%s, the best goodput (%s items/s succeeded); every smaller pool is more than %s slower or fails more items.",
			best.Name(), fleet, rate(rec.Goodput), tol)
	}
	return fmt.Sprintf("Recommended: %s%s, the smallest pool within %s of the best goodput without more failures (%s of %s items/s succeeded).",
		best.Name(), fleet, tol, rate(rec.Goodput), rate(rec.BestGoodput))
}

// modesText names the modes, with their odds, of the rows the headline
// compares (the baseline, the recommended pool, unbounded) whose wall
// time is not one number ("" when none): a reader deciding on a pool
// should know its time is one of several outcomes, and how likely each.
func (s *Summary) modesText() string {
	var parts []string
	var iv *results.Interval
	seen := map[*Row]bool{}
	for _, r := range []*Row{s.Baseline, s.Best, s.Unbounded} {
		if r == nil || seen[r] || r.Range == nil || len(r.Range.Modes) < 2 {
			continue
		}
		seen[r] = true
		iv = r.Range
		parts = append(parts, fmt.Sprintf("%s takes %s", r.Name(), iv.RangeText()))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("Not one number: by the model, %s (odds: shares of %d simulated runs with %s; a measurement between modes is not one the model expects).",
		strings.Join(parts, "; "), iv.Runs, iv.Timing())
}

// smallerPoolCompeted reports whether a row with a pool smaller than pool
// competed for the recommendation (results.Group.Eligible).
func (s *Summary) smallerPoolCompeted(pool int) bool {
	for _, r := range s.Rows {
		if r.Eligible() && r.Pool < pool {
			return true
		}
	}
	return false
}

// excessText says what the upstream does with requests beyond its cap
// ("" without a cap): for chart captions.
func (s *Summary) excessText() string {
	if t := s.excess(); t != "" {
		return fmt.Sprintf("requests beyond the upstream's cap of %d %s", s.Cap, t)
	}
	return ""
}

// excess says what happens to requests beyond the upstream's cap: "wait
// in its queue", "are rejected with 503" ("" without a cap).
func (s *Summary) excess() string {
	_, long := s.overflow()
	return long
}

// overflow is what the upstream does with requests beyond its cap, as
// capText says it ("rejected with 503", "reset", "" for a queue) and as
// excess does ("are rejected with 503", "have their connection reset",
// "wait in its queue"); both "" without a cap. The one home of those
// words, from the upstream's config with its defaults applied.
func (s *Summary) overflow() (short, long string) {
	if s.Cap <= 0 {
		return "", ""
	}
	switch up := s.Results.Scenario.Upstream.WithDefaults(); up.Overflow {
	case upstream.OverflowReject:
		t := fmt.Sprintf("rejected with %d", up.RejectStatus)
		return t, "are " + t
	case upstream.OverflowReset:
		return "reset", "have their connection reset"
	}
	return "", "wait in its queue"
}
