package fit

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
)

// Write prints the fit: every parameter with its 95% bootstrap interval,
// the families' goodness of fit, then every measured cell's wall time
// beside the fitted model's prediction and range.
func (f *Fit) Write(w io.Writer, checks []Range) error {
	e := f.Point
	ms := func(s float64) string { return strconv.FormatFloat(s*1000, 'f', 3, 64) + " ms" }
	iv := func(param func(Estimate) float64, format func(float64) string) string {
		lo, hi := f.Interval(param)
		return fmt.Sprintf("%s  [%s, %s]", format(param(e)), format(lo), format(hi))
	}
	fmt.Fprintf(w, "fit of %s (%s): %d cells, %d bootstrap replicates over the items; intervals are 95%%\n\n",
		f.Run.Scenario.Name, targetURL(f.Run), len(f.Used), len(f.Replicates))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "service time\t%s\t(the family that fits best: Kolmogorov–Smirnov %.3f)\n", e.Service.Spec(), e.Candidates[0].KS)
	a, b := e.Service.ParamNames()
	fmt.Fprintf(tw, "  median\t%s\t(of the samples)\n", iv(func(x Estimate) float64 { return x.Median }, ms))
	fmt.Fprintf(tw, "  %s %s\t%s\t\n", e.Service.Family, a, iv(func(x Estimate) float64 { return x.Service.A }, ms))
	if b != "" {
		format := num
		if e.Service.BIsDuration() {
			format = ms
		}
		fmt.Fprintf(tw, "  %s %s\t%s\t\n", e.Service.Family, b, iv(func(x Estimate) float64 { return x.Service.B }, format))
	}
	switch {
	case e.Cap > 0:
		lo, hi := f.Interval(func(x Estimate) float64 { return float64(x.Cap) })
		fmt.Fprintf(tw, "cap\t%d  [%g, %g]\t(requests in service at once)\n", e.Cap, lo, hi)
	default:
		fmt.Fprintf(tw, "cap\tno cap up to %d in flight\t(the most this run kept in flight)\n", e.MaxConc)
	}
	ra := "no Retry-After recorded (probe records it)"
	if f.Reject != nil {
		ra = "Retry-After: " + strconv.Quote(f.Reject.RetryAfter)
		if f.Reject.RetryAfter == "" {
			ra = "no Retry-After header"
		}
	}
	switch {
	case e.Overflow == "reject":
		fmt.Fprintf(tw, "past the cap\treject with %d, %s\t(%s)\n", e.RejectStatus, ra, f.agree())
	case e.QueueLimit > 0:
		lo, hi := f.Interval(func(x Estimate) float64 { return float64(x.QueueLimit) })
		fmt.Fprintf(tw, "past the cap\tqueue of %d  [%g, %g], then reject with %d, %s\t(requests waiting at most; %s)\n", e.QueueLimit, lo, hi, e.RejectStatus, ra, f.agree())
	case e.Overflow != "":
		fmt.Fprintf(tw, "past the cap\t%s\t(%s)\n", e.Overflow, f.agree())
	}
	fmt.Fprintf(tw, "contention\t%s\t(service time × (1 + c × (in service − 1)))\n", iv(func(x Estimate) float64 { return x.Contention }, func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }))
	pct := func(v float64) string { return strconv.FormatFloat(100*v, 'f', 2, 64) + "%" }
	errText := iv(func(x Estimate) float64 { return x.ErrorRate }, pct)
	if e.ErrorStatus > 0 {
		errText += fmt.Sprintf(" (%d)", e.ErrorStatus)
	}
	fmt.Fprintf(tw, "error rate\t%s\t(of the attempts the service admitted: the cells that did not overflow)\n", errText)
	if e.ResetRate > 0 {
		fmt.Fprintf(tw, "reset rate\t%s\t(of the attempts the service admitted)\n", iv(func(x Estimate) float64 { return x.ResetRate }, pct))
	}
	if e.StallRate > 0 {
		fmt.Fprintf(tw, "stall rate\t%s\t(of the attempts the service admitted: no answer before the client's timeout)\n", iv(func(x Estimate) float64 { return x.StallRate }, pct))
	}
	fmt.Fprintf(tw, "round trip\t%s\t(taken off every answer: %s)\n", iv(Estimate.Added, ms), e.RoundTripFrom)
	if e.Wakeup > 0 {
		fmt.Fprintf(tw, "  loopback\t%s\t(back to back: the network's)\n", ms(e.RoundTrip))
		fmt.Fprintf(tw, "  harness wake-up\t%s\t(both sides waking from idle: the harness's own)\n", ms(e.Wakeup))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nfamilies tried (Kolmogorov–Smirnov distance, smaller fits better):")
	for _, c := range e.Candidates {
		fmt.Fprintf(w, "  %-12s %.3f  %s\n", c.Family, c.KS, c.Spec())
	}
	if len(f.Skipped) > 0 {
		fmt.Fprintf(w, "\nleft out (interrupted): %v\n", f.Skipped)
	}
	return writeRanges(w, checks, true)
}

// agree says how many bootstrap replicates found the point's overflow
// (and its status): the overflow's interval, as it has no number.
func (f *Fit) agree() string {
	n := 0
	for _, r := range f.Replicates {
		if r.Overflow == f.Point.Overflow && r.RejectStatus == f.Point.RejectStatus && (r.QueueLimit > 0) == (f.Point.QueueLimit > 0) {
			n++
		}
	}
	return fmt.Sprintf("%d of %d replicates agree", n, len(f.Replicates))
}

// WriteRanges prints predicted cells with their ranges.
func WriteRanges(w io.Writer, rs []Range) error { return writeRanges(w, rs, false) }

// WriteChecked prints measured cells beside their predicted ranges.
func WriteChecked(w io.Writer, rs []Range) error { return writeRanges(w, rs, true) }

func writeRanges(w io.Writer, rs []Range, measured bool) error {
	if len(rs) == 0 {
		return nil
	}
	if measured {
		fmt.Fprintf(w, "\nmeasured vs the fitted model, wall time in model seconds (range: %d parameter draws, %.0f%% coverage, widened by the error budget):\n", Draws, 100*Coverage)
	} else {
		fmt.Fprintf(w, "\npredicted by the fitted model, wall time in model seconds (range: %d parameter draws, %.0f%% coverage, widened by the error budget):\n", Draws, 100*Coverage)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	if measured {
		fmt.Fprintln(tw, "cell\titems\tmeasured s\tpredicted s\trange s\tdiff\tin range\t")
	} else {
		fmt.Fprintln(tw, "strategy\tpool\titems\tpredicted s\trange s\tfailed\t")
	}
	for _, r := range rs {
		rng := fmt.Sprintf("%.4g–%.4g", r.Low, r.High)
		if measured {
			in := "yes"
			if r.Measured < r.Low || r.Measured > r.High {
				in = "NO"
			}
			fmt.Fprintf(tw, "%s\t%d\t%.4g\t%.4g\t%s\t%+.1f%%\t%s\t\n", r.Label, r.Items, r.Measured, r.Predicted, rng,
				100*(r.Measured-r.Predicted)/r.Predicted, in)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.4g\t%s\t%d\t\n", r.Strategy, r.Pool, r.Items, r.Predicted, rng, r.Failed)
	}
	return tw.Flush()
}
