package fit

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Family names one of the mock's latency families (upstream.ParseLatency).
type Family string

// The families the fit chooses from.
const (
	Fixed       Family = "fixed"
	Normal      Family = "normal"
	LogNormal   Family = "lognormal"
	Exponential Family = "exponential"
	Uniform     Family = "uniform"
	Pareto      Family = "pareto"
)

// Families lists the candidates, in the order ties are broken.
func Families() []Family {
	return []Family{Fixed, Normal, LogNormal, Exponential, Uniform, Pareto}
}

// Dist is a fitted service-time distribution, in seconds: A and B are the
// family's parameters in the order of its spec (fixed: the value; normal:
// mean, stddev; lognormal: median, sigma; exponential: mean; uniform: min,
// max; pareto: min, alpha).
type Dist struct {
	Family Family
	A, B   float64
}

// fitFamily fits f to samples (seconds, sorted) by maximum likelihood; ok
// is false when f cannot describe them (a zero spread, alpha ≤ 1).
func fitFamily(f Family, xs []float64) (Dist, bool) {
	if len(xs) == 0 {
		return Dist{}, false
	}
	mean, sd := stat.MeanStdDev(xs, nil)
	switch f {
	case Fixed:
		return Dist{Fixed, stat.Quantile(0.5, stat.Empirical, xs, nil), 0}, true
	case Normal:
		return Dist{Normal, mean, sd}, sd > 0
	case LogNormal:
		if xs[0] <= 0 {
			return Dist{}, false
		}
		logs := make([]float64, len(xs))
		for i, x := range xs {
			logs[i] = math.Log(x)
		}
		mu, sigma := stat.MeanStdDev(logs, nil)
		return Dist{LogNormal, math.Exp(mu), sigma}, sigma > 0 && sigma <= 10
	case Exponential:
		return Dist{Exponential, mean, 0}, mean > 0
	case Uniform:
		return Dist{Uniform, xs[0], xs[len(xs)-1]}, xs[len(xs)-1] > xs[0]
	case Pareto:
		if xs[0] <= 0 {
			return Dist{}, false
		}
		var s float64
		for _, x := range xs {
			s += math.Log(x / xs[0])
		}
		alpha := float64(len(xs)) / s
		return Dist{Pareto, xs[0], alpha}, s > 0 && alpha > 1 && alpha <= 1e6
	}
	return Dist{}, false
}

// CDF is the distribution function at x seconds.
func (d Dist) CDF(x float64) float64 {
	switch d.Family {
	case Fixed:
		if x < d.A {
			return 0
		}
		return 1
	case Normal:
		return distuv.Normal{Mu: d.A, Sigma: d.B}.CDF(x)
	case LogNormal:
		return distuv.LogNormal{Mu: math.Log(d.A), Sigma: d.B}.CDF(x)
	case Exponential:
		return distuv.Exponential{Rate: 1 / d.A}.CDF(x)
	case Uniform:
		return distuv.Uniform{Min: d.A, Max: d.B}.CDF(x)
	case Pareto:
		return distuv.Pareto{Xm: d.A, Alpha: d.B}.CDF(x)
	}
	return math.NaN()
}

// Median is the distribution's median, in seconds.
func (d Dist) Median() float64 {
	switch d.Family {
	case Exponential:
		return d.A * math.Ln2
	case Uniform:
		return (d.A + d.B) / 2
	case Pareto:
		return d.A * math.Pow(2, 1/d.B)
	}
	return d.A // fixed, normal, lognormal
}

// Spec is the distribution as an upstream latency spec, like
// "lognormal(median=81.6ms,sigma=0.05)".
func (d Dist) Spec() string {
	switch d.Family {
	case Normal:
		return "normal(mean=" + dur(d.A) + ",stddev=" + dur(d.B) + ")"
	case LogNormal:
		return "lognormal(median=" + dur(d.A) + ",sigma=" + num(d.B) + ")"
	case Exponential:
		return "exponential(mean=" + dur(d.A) + ")"
	case Uniform:
		return "uniform(" + dur(d.A) + "," + dur(d.B) + ")"
	case Pareto:
		return "pareto(min=" + dur(d.A) + ",alpha=" + num(d.B) + ")"
	}
	return dur(d.A)
}

// ParamNames names A and B for the printout ("" for an unused B).
func (d Dist) ParamNames() (string, string) {
	switch d.Family {
	case Normal:
		return "mean", "stddev"
	case LogNormal:
		return "median", "sigma"
	case Exponential:
		return "mean", ""
	case Uniform:
		return "min", "max"
	case Pareto:
		return "min", "alpha"
	}
	return "value", ""
}

// BIsDuration says whether B is a time (else a shape).
func (d Dist) BIsDuration() bool { return d.Family == Normal || d.Family == Uniform }

// ks is the Kolmogorov–Smirnov distance between the sorted samples xs and
// d: the largest gap between their distribution functions.
func ks(xs []float64, d Dist) float64 {
	n := float64(len(xs))
	var worst float64
	for i, x := range xs {
		f := d.CDF(x)
		worst = max(worst, math.Abs(float64(i+1)/n-f), math.Abs(f-float64(i)/n))
	}
	return worst
}

// Candidate is one family fitted, with its Kolmogorov–Smirnov distance.
type Candidate struct {
	Dist
	KS float64
}

// fitService fits every family to samples (seconds; sorted in place) and
// returns the candidates, best (smallest distance) first.
func fitService(xs []float64) []Candidate {
	slices.Sort(xs)
	var out []Candidate
	for _, f := range Families() {
		if d, ok := fitFamily(f, xs); ok {
			out = append(out, Candidate{d, ks(xs, d)})
		}
	}
	slices.SortStableFunc(out, func(a, b Candidate) int { return cmp.Compare(a.KS, b.KS) })
	return out
}

// dur prints seconds as a Go duration rounded to the microsecond.
func dur(s float64) string {
	return time.Duration(math.Round(s*1e6) * float64(time.Microsecond)).String()
}

// num prints a shape parameter with four significant digits.
func num(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }
