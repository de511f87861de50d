package upstream

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Latency is a distribution of service times, in model time (before the
// time scale is applied).
type Latency interface {
	// Sample draws one service time using r. It is never negative.
	Sample(r *rand.Rand) time.Duration
	// Mean is the distribution's expected value.
	Mean() time.Duration
	// String is the canonical spec: ParseLatency(l.String()) describes the
	// same distribution.
	String() string
}

// LatencyForms lists the spec forms ParseLatency accepts; error messages
// quote it.
const LatencyForms = `a duration like 816ms, uniform(10ms,20ms), normal(mean=100ms,stddev=10ms), ` +
	`lognormal(median=100ms,sigma=0.5), exponential(mean=100ms), pareto(min=10ms,alpha=2.5), ` +
	`or a weighted mix like 10ms:90,500ms:10`

// MaxSample bounds every sample so heavy tails cannot overflow a Duration.
const MaxSample = 1000 * time.Hour

// ParseLatency parses a latency spec:
//
//	816ms                               fixed
//	uniform(10ms,20ms)                  uniform on [min, max]
//	normal(mean=100ms,stddev=10ms)      normal, truncated at 0 (resampled)
//	lognormal(median=100ms,sigma=0.5)   median·e^(sigma·Z)
//	exponential(mean=100ms)             exponential
//	pareto(min=10ms,alpha=2.5)          Pareto (alpha > 1, so the mean is finite)
//	10ms:90,500ms:10                    weighted mix of any of the above
//
// Parameters may be named (in any order) or positional (in the order shown).
// Every sample is capped at 1000h. Errors name the spec and the accepted forms.
func ParseLatency(spec string) (Latency, error) {
	l, err := parseLatency(strings.TrimSpace(spec), true)
	if err != nil {
		return nil, fmt.Errorf("latency %q: %w; accepted forms: %s", spec, err, LatencyForms)
	}
	return l, nil
}

func parseLatency(s string, allowMix bool) (Latency, error) {
	if s == "" {
		return nil, errors.New("empty spec")
	}
	if parts := splitTop(s, ','); allowMix && (len(parts) > 1 || topIndex(s, ':') >= 0) {
		return parseMix(parts)
	}
	open := strings.IndexByte(s, '(')
	if open < 0 {
		d, err := parseDur(s)
		if err != nil {
			return nil, err
		}
		return Fixed(d), nil
	}
	if !strings.HasSuffix(s, ")") {
		return nil, fmt.Errorf("missing closing parenthesis in %q", s)
	}
	name := strings.ToLower(strings.TrimSpace(s[:open]))
	args := s[open+1 : len(s)-1]
	switch name {
	case "uniform":
		p, err := params(name, args, "min", "max")
		if err != nil {
			return nil, err
		}
		lo, hi, err := durs(p["min"], p["max"])
		if err != nil {
			return nil, err
		}
		if lo > hi {
			return nil, fmt.Errorf("uniform: min %v is above max %v", lo, hi)
		}
		return uniform{lo, hi}, nil
	case "normal":
		p, err := params(name, args, "mean", "stddev")
		if err != nil {
			return nil, err
		}
		m, sd, err := durs(p["mean"], p["stddev"])
		if err != nil {
			return nil, err
		}
		return normal{m, sd}, nil
	case "lognormal":
		p, err := params(name, args, "median", "sigma")
		if err != nil {
			return nil, err
		}
		m, err := parseDur(p["median"])
		if err != nil {
			return nil, err
		}
		sigma, err := parseNum("sigma", p["sigma"], 0, 10)
		if err != nil {
			return nil, err
		}
		return lognormal{m, sigma}, nil
	case "exponential":
		p, err := params(name, args, "mean")
		if err != nil {
			return nil, err
		}
		m, err := parseDur(p["mean"])
		if err != nil {
			return nil, err
		}
		return exponential{m}, nil
	case "pareto":
		p, err := params(name, args, "min", "alpha")
		if err != nil {
			return nil, err
		}
		m, err := parseDur(p["min"])
		if err != nil {
			return nil, err
		}
		alpha, err := parseNum("alpha", p["alpha"], 1, 1e6)
		if err != nil {
			return nil, err
		}
		if alpha <= 1 {
			return nil, fmt.Errorf("pareto: alpha %v must be above 1 (at or below 1 the mean is infinite)", alpha)
		}
		return pareto{m, alpha}, nil
	default:
		return nil, fmt.Errorf("unknown distribution %q", name)
	}
}

// splitTop splits s at sep outside parentheses.
func splitTop(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case sep:
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// topIndex returns the last index of c in s outside parentheses, or -1.
func topIndex(s string, c byte) int {
	depth, at := 0, -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case c:
			if depth == 0 {
				at = i
			}
		}
	}
	return at
}

// params maps named or positional arguments onto names, requiring each once.
func params(dist, args string, names ...string) (map[string]string, error) {
	parts := splitTop(args, ',')
	if len(parts) != len(names) {
		return nil, fmt.Errorf("%s takes %d parameters (%s), got %d", dist, len(names), strings.Join(names, ", "), len(parts))
	}
	p := make(map[string]string, len(names))
	for i, part := range parts {
		key, val, named := strings.Cut(part, "=")
		if !named {
			key, val = names[i], part
		}
		key = strings.ToLower(strings.TrimSpace(key))
		known := false
		for _, n := range names {
			known = known || n == key
		}
		if !known {
			return nil, fmt.Errorf("%s has no parameter %q (want %s)", dist, key, strings.Join(names, ", "))
		}
		if _, dup := p[key]; dup {
			return nil, fmt.Errorf("%s: parameter %q given twice", dist, key)
		}
		p[key] = strings.TrimSpace(val)
	}
	return p, nil
}

func parseDur(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("malformed duration %q (want a number with a unit, like 816ms or 1.5s)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("negative duration %q", s)
	}
	if d > MaxSample {
		return 0, fmt.Errorf("duration %q is above the %v limit", s, MaxSample)
	}
	return d, nil
}

func durs(a, b string) (time.Duration, time.Duration, error) {
	x, err := parseDur(a)
	if err != nil {
		return 0, 0, err
	}
	y, err := parseDur(b)
	return x, y, err
}

func parseNum(name, s string, lo, hi float64) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) {
		return 0, fmt.Errorf("%s %q is not a number", name, s)
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%s %v is outside [%v, %v]", name, v, lo, hi)
	}
	return v, nil
}

func parseMix(parts []string) (Latency, error) {
	m := mix{}
	for _, part := range parts {
		i := topIndex(part, ':')
		if i < 0 {
			return nil, fmt.Errorf("mix component %q has no weight (want spec:weight, like 10ms:90)", part)
		}
		l, err := parseLatency(strings.TrimSpace(part[:i]), false)
		if err != nil {
			return nil, fmt.Errorf("mix component %q: %w", part, err)
		}
		w, err := strconv.ParseFloat(strings.TrimSpace(part[i+1:]), 64)
		if err != nil || math.IsNaN(w) || math.IsInf(w, 0) || w <= 0 {
			return nil, fmt.Errorf("mix component %q: weight %q must be a positive number", part, part[i+1:])
		}
		m.parts = append(m.parts, l)
		m.weights = append(m.weights, w)
		m.total += w
	}
	if math.IsInf(m.total, 0) {
		return nil, errors.New("mix weights overflow")
	}
	return m, nil
}

// Fixed is a constant latency.
type Fixed time.Duration

// Sample returns the constant.
func (f Fixed) Sample(*rand.Rand) time.Duration { return time.Duration(f) }

// Mean returns the constant.
func (f Fixed) Mean() time.Duration { return time.Duration(f) }

// String returns the duration, like "816ms".
func (f Fixed) String() string { return time.Duration(f).String() }

type uniform struct{ lo, hi time.Duration }

func (u uniform) Sample(r *rand.Rand) time.Duration {
	return u.lo + toDur(r.Float64()*float64(u.hi-u.lo))
}
func (u uniform) Mean() time.Duration { return u.lo + (u.hi-u.lo)/2 }
func (u uniform) String() string      { return "uniform(" + u.lo.String() + "," + u.hi.String() + ")" }

type normal struct{ mean, sd time.Duration }

// Sample resamples until non-negative; with mean ≥ 0 at least half the draws
// are accepted, and the loop is bounded anyway.
func (n normal) Sample(r *rand.Rand) time.Duration {
	for range 64 {
		if x := float64(n.mean) + float64(n.sd)*r.NormFloat64(); x >= 0 {
			return toDur(x)
		}
	}
	return n.mean
}

// Mean of the normal truncated at 0: μ + σ·φ(α)/(1−Φ(α)), α = −μ/σ.
func (n normal) Mean() time.Duration {
	if n.sd == 0 {
		return n.mean
	}
	mu, sd := float64(n.mean), float64(n.sd)
	a := -mu / sd
	phi := math.Exp(-a*a/2) / math.Sqrt(2*math.Pi)
	tail := 0.5 * math.Erfc(a/math.Sqrt2)
	return toDur(mu + sd*phi/tail)
}
func (n normal) String() string {
	return "normal(mean=" + n.mean.String() + ",stddev=" + n.sd.String() + ")"
}

type lognormal struct {
	median time.Duration
	sigma  float64
}

func (l lognormal) Sample(r *rand.Rand) time.Duration {
	return toDur(float64(l.median) * math.Exp(l.sigma*r.NormFloat64()))
}
func (l lognormal) Mean() time.Duration {
	return toDur(float64(l.median) * math.Exp(l.sigma*l.sigma/2))
}
func (l lognormal) String() string {
	return "lognormal(median=" + l.median.String() + ",sigma=" + strconv.FormatFloat(l.sigma, 'g', -1, 64) + ")"
}

type exponential struct{ mean time.Duration }

func (e exponential) Sample(r *rand.Rand) time.Duration {
	return toDur(float64(e.mean) * r.ExpFloat64())
}
func (e exponential) Mean() time.Duration { return e.mean }
func (e exponential) String() string      { return "exponential(mean=" + e.mean.String() + ")" }

type pareto struct {
	min   time.Duration
	alpha float64
}

func (p pareto) Sample(r *rand.Rand) time.Duration {
	u := 1 - r.Float64() // (0, 1]
	return toDur(float64(p.min) * math.Pow(u, -1/p.alpha))
}
func (p pareto) Mean() time.Duration { return toDur(p.alpha * float64(p.min) / (p.alpha - 1)) }
func (p pareto) String() string {
	return "pareto(min=" + p.min.String() + ",alpha=" + strconv.FormatFloat(p.alpha, 'g', -1, 64) + ")"
}

type mix struct {
	parts   []Latency
	weights []float64
	total   float64
}

func (m mix) Sample(r *rand.Rand) time.Duration {
	x := r.Float64() * m.total
	for i, w := range m.weights {
		if x < w {
			return m.parts[i].Sample(r)
		}
		x -= w
	}
	return m.parts[len(m.parts)-1].Sample(r)
}

func (m mix) Mean() time.Duration {
	var s float64
	for i, p := range m.parts {
		s += m.weights[i] / m.total * float64(p.Mean())
	}
	return toDur(s)
}

func (m mix) String() string {
	var b strings.Builder
	for i, p := range m.parts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.String())
		b.WriteByte(':')
		b.WriteString(strconv.FormatFloat(m.weights[i], 'g', -1, 64))
	}
	return b.String()
}
