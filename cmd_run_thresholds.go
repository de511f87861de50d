package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/poolbench/poolbench/bench/results"
)

// printThresholds prints each threshold's verdict, like k6's summary.
func printThresholds(w io.Writer, ts []results.Threshold) {
	if len(ts) == 0 {
		return
	}
	fmt.Fprintln(w, "thresholds:")
	for _, t := range ts {
		mark := "✓"
		if !t.Passed {
			mark = "✗"
		}
		line := fmt.Sprintf("  %s %s", mark, t.Text)
		if t.Worst != "" {
			line += fmt.Sprintf(" (worst %s: %s)", t.Worst, thresholdValue(t))
		}
		if len(t.Failing) > 0 {
			line += fmt.Sprintf(", crossed in %s", strings.Join(t.Failing, ", "))
		}
		if t.Note != "" {
			line += "; " + t.Note
		}
		fmt.Fprintln(w, line)
	}
}

// thresholdValue prints a threshold's worst figure in its unit.
func thresholdValue(t results.Threshold) string {
	switch {
	case t.Share:
		return strconv.FormatFloat(100*t.Value, 'g', 4, 64) + "%"
	case t.Metric == "goodput" || t.Metric == "throughput":
		return strconv.FormatFloat(t.Value, 'g', 4, 64) + "/s"
	case t.Metric == "failed_items" || t.Metric == "attempts_per_item":
		return strconv.FormatFloat(t.Value, 'g', 4, 64)
	}
	return time.Duration(t.Value * float64(time.Second)).Round(10 * time.Microsecond).String()
}

// crossedThresholds names the thresholds that did not pass.
func crossedThresholds(ts []results.Threshold) []string {
	var out []string
	for _, t := range ts {
		if !t.Passed {
			out = append(out, t.Text)
		}
	}
	return out
}
