package scenario

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The cells thresholds apply to (the "cells" key of Scenario.Thresholds).
const (
	ThresholdsEvery       = "every"
	ThresholdsRecommended = "recommended"
)

// Criterion is one threshold: Metric Op Value, like p99 < 2s.
type Criterion struct {
	Metric string `json:"metric"`
	// Op is <, <=, > or >=.
	Op string `json:"op"`
	// Value is the bound in the metric's unit: seconds for times, a share
	// (0.01) for failed_items written with %, items per second for rates,
	// a count or a ratio otherwise.
	Value float64 `json:"value"`
	// Share says the bound was written as a percentage (failed_items).
	Share bool `json:"share,omitempty"`
	// Text is the criterion as written.
	Text string `json:"text"`
}

// thresholdMetrics lists the metrics a criterion may name, and the kind of
// value each takes.
var thresholdMetrics = map[string]string{
	"failed_items": "count", "late_items": "count", "attempts_per_item": "ratio",
	"p50": "time", "p90": "time", "p95": "time", "p99": "time", "max": "time", "wall": "time",
	"goodput": "rate", "throughput": "rate",
}

func thresholdMetricNames() []string {
	var out []string
	for k := range thresholdMetrics {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ParseCriterion reads one criterion, "p99<2s" or "failed_items < 1%".
func ParseCriterion(text string) (Criterion, error) {
	t := strings.TrimSpace(text)
	i := strings.IndexAny(t, "<>")
	if i <= 0 {
		return Criterion{}, fmt.Errorf("threshold %q: want METRIC OP VALUE, like p99 < 2s or failed_items < 1%%", text)
	}
	c, err := criterion(strings.TrimSpace(t[:i]), t[i:])
	if err != nil {
		return Criterion{}, fmt.Errorf("threshold %q: %w", text, err)
	}
	return c, nil
}

// criterion reads "OP VALUE" for metric.
func criterion(metric, expr string) (Criterion, error) {
	e := strings.TrimSpace(expr)
	if e == "" || (e[0] != '<' && e[0] != '>') {
		return Criterion{}, fmt.Errorf("%q: want OP VALUE, like \"< 2s\" (quoted in YAML: a bare > starts a folded scalar)", expr)
	}
	op := e[:1]
	rest := e[1:]
	if strings.HasPrefix(rest, "=") {
		op += "="
		rest = rest[1:]
	}
	rest = strings.TrimSpace(rest)
	c, err := parseBound(metric, op, rest)
	if err != nil {
		return Criterion{}, err
	}
	c.Text = metric + " " + op + " " + rest
	return c, nil
}

// parseBound reads the value of a criterion on metric.
func parseBound(metric, op, v string) (Criterion, error) {
	kind, ok := thresholdMetrics[metric]
	if !ok {
		return Criterion{}, fmt.Errorf("unknown metric %q: want one of %s", metric, strings.Join(thresholdMetricNames(), ", "))
	}
	c := Criterion{Metric: metric, Op: op}
	var err error
	switch kind {
	case "time":
		var d time.Duration
		d, err = time.ParseDuration(v)
		c.Value = d.Seconds()
		if err != nil {
			err = fmt.Errorf("%s takes a duration, like 2s or 850ms, not %q", metric, v)
		}
	case "rate":
		c.Value, err = strconv.ParseFloat(strings.TrimSuffix(v, "/s"), 64)
		if err != nil {
			err = fmt.Errorf("%s takes items per model second, like 2/s or 2.5, not %q", metric, v)
		}
	case "count":
		if p, ok := strings.CutSuffix(v, "%"); ok {
			c.Share = true
			c.Value, err = strconv.ParseFloat(strings.TrimSpace(p), 64)
			c.Value /= 100
		} else {
			c.Value, err = strconv.ParseFloat(v, 64)
		}
		if err != nil {
			err = fmt.Errorf("%s takes a share like 1%% or a count like 5, not %q", metric, v)
		}
	default:
		c.Value, err = strconv.ParseFloat(v, 64)
		if err != nil {
			err = fmt.Errorf("%s takes a number, like 1.5, not %q", metric, v)
		}
	}
	if err != nil {
		return Criterion{}, err
	}
	if math.IsNaN(c.Value) || math.IsInf(c.Value, 0) || c.Value < 0 {
		return Criterion{}, fmt.Errorf("%s: %q is not a bound: want a finite number of 0 or more", metric, v)
	}
	return c, nil
}

// Holds reports whether x meets the criterion.
func (c Criterion) Holds(x float64) bool {
	switch c.Op {
	case "<":
		return x < c.Value
	case "<=":
		return x <= c.Value
	case ">":
		return x > c.Value
	}
	return x >= c.Value
}

// Criteria parses the scenario's thresholds, in metric order, and says
// which cells they apply to. In YAML:
//
//	thresholds:
//	  cells: recommended      # every (default) or recommended
//	  failed_items: "< 1%"    # share of the cell's items (or a count: "< 5")
//	  p99: "< 2s"             # item latency, model time
//	  goodput: "> 2/s"        # succeeded items per model second
//
// Metrics: failed_items, attempts_per_item, p50, p90, p95, p99, max,
// wall, goodput, throughput. A problem is a *FieldError naming the key.
func (s *Scenario) Criteria() ([]Criterion, string, error) {
	cells := ThresholdsEvery
	keys := make([]string, 0, len(s.Thresholds))
	for k := range s.Thresholds {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []Criterion
	for _, k := range keys {
		v := s.Thresholds[k]
		if k == "cells" {
			if v != ThresholdsEvery && v != ThresholdsRecommended {
				return nil, "", fieldErrorf("thresholds.cells", "%q is not accepted: want %s or %s", v, ThresholdsEvery, ThresholdsRecommended)
			}
			cells = v
			continue
		}
		c, err := criterion(k, v)
		if err != nil {
			return nil, "", fieldErrorf("thresholds."+k, "%v", err)
		}
		out = append(out, c)
	}
	return out, cells, nil
}
