package report

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"

	"github.com/poolbench/poolbench/bench/results"
)

// csvHeader is table.csv's header: plain numbers, in the units the names
// say: model seconds and items per model second, except
// added_per_attempt_s (wall seconds); failed_share, harness_error and
// harness_cpu are shares of 1; timescale is the factor the cells ran at
// (the median). It has a field for every column of the other tables.
var csvHeader = []string{
	"scenario", "strategy", "pool", "repeats", "items", "succeeded", "failed", "failed_share",
	"attempts", "attempts_per_item",
	"wall_s", "wall_min_s", "wall_max_s",
	"goodput_items_per_s", "goodput_min_items_per_s", "goodput_max_items_per_s",
	"speedup", "speedup_baseline",
	"throughput_items_per_s", "throughput_min_items_per_s", "throughput_max_items_per_s",
	"latency_p50_s", "latency_p95_s", "latency_p99_s",
	"peak_in_flight", "rejected", "reset", "predicted_wall_s", "efficiency", "timescale",
	"harness_bound", "harness_error", "harness_cpu", "added_per_attempt_s", "interrupted",
	"predicted_low_s", "predicted_high_s", "predicted_modes", "predicted_coverage",
	"rate_per_s", "start_rate_per_s", "latency_uncorrected_p50_s", "latency_uncorrected_p99_s", "late", "lateness_p99_s",
}

// perItemNum is attempts per item as a plain number, empty without items.
func perItemNum(attempts, items float64) string {
	if !(items > 0) {
		return ""
	}
	return strconv.FormatFloat(attempts/items, 'g', -1, 64)
}

// WriteCSV writes table.csv: one row per strategy × pool with plain numbers
// (medians over repeats, wall and rate ranges), for spreadsheets. speedup
// is the goodput ratio to the row speedup_baseline names (empty without
// one, or when its goodput is 0). predicted_low_s and predicted_high_s
// are the model's range, predicted_modes its outcomes with their odds
// where it has several, predicted_coverage the probability that one more
// simulated run falls inside (1 for an exact cell's bound). A rate row
// has its rate (rate_per_s, asked) and its schedule (results.Schedule):
// the start rate achieved, the latency from the actual start beside the
// table's from the intended start, the items that started late and how
// late; these are empty for the other rows.
func (s *Summary) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	base := ""
	if s.Baseline != nil && s.Baseline.Goodput.Median > 0 {
		base = s.Baseline.Name()
	}
	for _, r := range s.Rows {
		up := func(st Stat) string {
			if !r.Upstream {
				return ""
			}
			return num(st.Median)
		}
		harness := func(st Stat) string {
			if !r.Harness {
				return ""
			}
			return num(st.Median)
		}
		opt := func(v float64) string {
			if v == 0 {
				return ""
			}
			return num(v)
		}
		speedup := ""
		if base != "" {
			speedup = num(r.SpeedUp)
		}
		bound := ""
		if r.Harness {
			bound = strconv.FormatBool(r.HarnessBound)
		}
		rec := []string{
			s.Results.Scenario.Name, string(r.Strategy), strconv.Itoa(r.Pool), strconv.Itoa(r.Repeats),
			num(r.Items.Median), num(r.Succeeded.Median), num(r.Failed.Median), num(r.failedShare()),
			num(r.Attempts.Median), perItemNum(r.Attempts.Median, r.Items.Median),
			num(r.Wall.Median), num(r.Wall.Min), num(r.Wall.Max),
			num(r.Goodput.Median), num(r.Goodput.Min), num(r.Goodput.Max),
			speedup, base,
			num(r.Throughput.Median), num(r.Throughput.Min), num(r.Throughput.Max),
			num(r.P50.Median), num(r.P95.Median), num(r.P99.Median),
			up(r.PeakInFlight), up(r.Rejected), up(r.Reset), opt(r.Predicted), opt(r.Efficiency), num(r.Scale.Median),
			bound, harness(r.HarnessError), harness(r.HarnessCPU), harness(r.AddedPerAttempt),
			strconv.FormatBool(r.Interrupted),
		}
		if iv := r.Range; iv != nil {
			modes := ""
			if len(iv.Modes) > 1 {
				modes = iv.RangeText()
			}
			rec = append(rec, num(iv.LowSeconds), num(iv.HighSeconds), modes, num(iv.Coverage))
		} else {
			rec = append(rec, "", "", "", "")
		}
		rec = append(rec, scheduleFields(r, num)...)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// scheduleFields are a rate row's last columns (medians over its repeats),
// empty for the other rows.
func scheduleFields(r *Row, num func(float64) string) []string {
	if r.Rate.IsZero() {
		return []string{"", "", "", "", "", ""}
	}
	sched := func(f func(*results.Schedule) float64) string {
		return num(r.Group.Stat(func(c *results.Cell) float64 {
			if c.Schedule == nil {
				return math.NaN()
			}
			return f(c.Schedule)
		}).Median)
	}
	return []string{num(r.Rate.PerSecond()),
		sched(func(s *results.Schedule) float64 { return s.StartRate }),
		sched(func(s *results.Schedule) float64 { return s.Uncorrected.P50 }),
		sched(func(s *results.Schedule) float64 { return s.Uncorrected.P99 }),
		sched(func(s *results.Schedule) float64 { return float64(s.Late) }),
		sched(func(s *results.Schedule) float64 { return s.Lateness.P99 }),
	}
}
