package strategy

import (
	"fmt"
	"image/color"
	"math"
	"time"
)

// Adaptive keeps in flight a concurrency limit that changes with what the
// upstream answers: AIMD (default) or Vegas, as AdaptiveConfig says. Its
// cells record pool 0 (no pool is chosen) and their limit over time
// (Trace). It does not compete for the recommendation, which picks a
// pool; the headline compares it with the best fixed pool instead.
var Adaptive = Kind{
	Name:      "adaptive",
	Doc:       "a concurrency limit that adapts to the answers (AIMD or Vegas; scenario adaptive:)",
	PoolLabel: "auto",
	Versus:    "without knowing the cap",
	// Its limit, and so how many items the cap rejects, follows when
	// answers arrive.
	TimedCounts: true,
	Color:       color.RGBA{R: 0x2c, G: 0xa0, B: 0x8c, A: 0xff},
	cellPool:    func(int) int { return 0 },
	build: func(c Config) (Strategy, error) {
		a := c.Adaptive.WithDefaults()
		if field, err := a.Check(); err != nil {
			return nil, fmt.Errorf("adaptive.%s: %w", field, err)
		}
		s := &adaptive{limit: float64(a.Initial), min: float64(a.Min), max: float64(a.Max)}
		switch a.Algorithm {
		case AIMD:
			s.update = (&aimd{ratio: a.BackoffRatio}).update
		case Vegas:
			s.update = (&vegas{}).update
		}
		return s, nil
	},
}

// The adaptive algorithms.
const (
	AIMD  = "aimd"
	Vegas = "vegas"
)

// Adaptive's defaults and bounds.
const (
	// MaxAdaptiveLimit bounds adaptive's max.
	MaxAdaptiveLimit = 10_000_000
	// DefaultBackoffRatio is AIMD's multiplicative decrease, as
	// concurrency-limits' AIMDLimit and Vector's decrease_ratio default.
	DefaultBackoffRatio = 0.9
)

// AdaptiveConfig is a scenario's adaptive: block.
type AdaptiveConfig struct {
	// Algorithm is aimd (default) or vegas.
	Algorithm string `yaml:"algorithm,omitempty" json:"algorithm,omitempty"`
	// Initial is the limit the cell starts at (default 1).
	Initial int `yaml:"initial,omitempty" json:"initial,omitempty"`
	// Min and Max bound the limit (default 1 and 1000).
	Min int `yaml:"min,omitempty" json:"min,omitempty"`
	Max int `yaml:"max,omitempty" json:"max,omitempty"`
	// BackoffRatio is AIMD's multiplicative decrease, in [0.5, 1) as
	// AIMDLimit accepts it (default 0.9).
	BackoffRatio float64 `yaml:"backoff_ratio,omitempty" json:"backoff_ratio,omitempty"`
}

// WithDefaults fills unset fields: aimd, initial 1, min 1, max 1000,
// backoff ratio 0.9.
func (a AdaptiveConfig) WithDefaults() AdaptiveConfig {
	if a.Algorithm == "" {
		a.Algorithm = AIMD
	}
	if a.Min == 0 {
		a.Min = 1
	}
	if a.Initial == 0 {
		a.Initial = a.Min
	}
	if a.Max == 0 {
		a.Max = max(1000, a.Initial)
	}
	if a.BackoffRatio == 0 {
		a.BackoffRatio = DefaultBackoffRatio
	}
	return a
}

// Check returns the first field (its YAML key) of a — defaults applied —
// that is out of range, and why; the one home of adaptive's rules.
func (a AdaptiveConfig) Check() (field string, err error) {
	switch {
	case a.Algorithm != AIMD && a.Algorithm != Vegas:
		return "algorithm", fmt.Errorf("%q is not accepted: want %s (additive increase, multiplicative decrease on a reject, reset or timeout) or %s (delay-based: grows while round trips stay near the fastest seen)", a.Algorithm, AIMD, Vegas)
	case a.Min < 1 || a.Min > MaxAdaptiveLimit:
		return "min", fmt.Errorf("%d is out of range: want 1 to %d", a.Min, MaxAdaptiveLimit)
	case a.Max < a.Min || a.Max > MaxAdaptiveLimit:
		return "max", fmt.Errorf("%d is out of range: want min (%d) to %d", a.Max, a.Min, MaxAdaptiveLimit)
	case a.Initial < a.Min || a.Initial > a.Max:
		return "initial", fmt.Errorf("%d is out of range: want min (%d) to max (%d)", a.Initial, a.Min, a.Max)
	case !(a.BackoffRatio >= 0.5 && a.BackoffRatio < 1):
		return "backoff_ratio", fmt.Errorf("%g is out of range: want at least 0.5 and below 1 (0.9: a reject takes 10%% off the limit)", a.BackoffRatio)
	}
	return "", nil
}

// adaptive is a limit moved by update at every item's end, bounded by
// [min, max]; it starts items while fewer than the limit (rounded down)
// are in flight.
type adaptive struct {
	limit, min, max float64
	inFlight        int
	update          func(limit float64, o Outcome, inFlight int) float64
	trace           tracer
}

func (a *adaptive) Next(now time.Duration, inFlight int) (bool, time.Duration) {
	a.trace.observe(now, int(a.limit))
	a.inFlight = inFlight
	if inFlight < int(a.limit) {
		a.inFlight++
		return true, 0
	}
	return false, 0
}

// Ended updates the limit with the algorithm. inFlight is the count with
// the ended item still in it, as concurrency-limits passes the in-flight
// count its sample was taken under.
func (a *adaptive) Ended(now time.Duration, o Outcome) {
	l := a.update(a.limit, o, a.inFlight)
	a.limit = math.Max(a.min, math.Min(a.max, l))
	a.inFlight--
	a.trace.observe(now, int(a.limit))
}

// Trace is the limit over the cell so far, ending at end.
func (a *adaptive) Trace(end time.Duration) *Trace { return a.trace.result(end) }

// aimd is concurrency-limits' AIMDLimit (github.com/Netflix/concurrency-limits,
// concurrency-limits-core/.../limit/AIMDLimit.java, _update) paced as
// Vector's adaptive request concurrency paces it (vector.dev, "Adaptive
// Request Concurrency": one increase and at most one decrease per round
// trip, decrease_ratio 0.9, with 429, 503 and timeouts as back-pressure):
//
//   - a drop (a reject, reset or timeout: Outcome.Overload) makes the
//     limit max(1, min(limit−1, ⌊limit·backoffRatio⌋)), AIMDLimit's
//     decrease; the drops of the next limit items (one round trip's worth,
//     sent before the decrease was felt) do not decrease it again;
//   - a success with at least half the limit in use (inflight·2 ≥ limit,
//     AIMDLimit's guard against an idle client inflating it) adds one, as
//     AIMDLimit does, until the first drop (slow start: the limit doubles
//     every round trip); after it 1/limit, one per round trip (congestion
//     avoidance, as TCP Reno and Vector's ARC).
//
// Sample by sample, as AIMDLimit alone, a client at a rejecting cap would
// climb back above it every two successes, and one item in three would
// be rejected.
type aimd struct {
	ratio   float64
	dropped bool // a drop has been seen: congestion avoidance
	deaf    int  // ends left in which a drop does not decrease again
}

func (m *aimd) update(limit float64, o Outcome, inFlight int) float64 {
	if m.deaf > 0 {
		m.deaf--
	}
	cur := int(limit)
	switch {
	case o.Overload:
		if m.deaf > 0 {
			return limit
		}
		m.dropped = true
		next := max(1, min(cur-1, int(float64(cur)*m.ratio)))
		m.deaf = cur
		return float64(next)
	case inFlight*2 < cur:
		return limit
	case !m.dropped:
		return limit + 1
	}
	return limit + 1/limit
}

// vegas is concurrency-limits' VegasLimit (limit/VegasLimit.java,
// _update and updateEstimatedLimit), after TCP Vegas (Brakmo and Peterson,
// 1995): with rttNoLoad the fastest round trip seen, the queue the limit
// builds is ⌈limit·(1 − rttNoLoad/rtt)⌉; on a drop the limit falls by
// log10root(limit); when less than half of it is in use it stays; else a
// queue of at most threshold = log10root(limit) adds beta, one below
// alpha adds log10root(limit), one above beta takes log10root(limit) off,
// and in between it stays. alpha = 3·log10root, beta = 6·log10root, as
// VegasLimit's defaults, where log10root(n) = max(1, ⌊log10 n⌋) for n up
// to 999 and ⌊log10 n⌋ above (Log10RootFunction.create(0)). Its
// smoothing is VegasLimit's default, 1 (none).
//
// Samples are taken a window at a time, as concurrency-limits'
// WindowedLimit with an average sample window (ImmutableAverageSampleWindow)
// feeds its limit, and as TCP Vegas adjusts once per round trip: a window
// is max(10, limit) items; it passes on their mean round trip, the most
// in flight, and a drop if any item had one. Sample by sample, an
// upstream that serves a batch at a time answers some items at once and
// others after a full wait, and the limit would lurch between the two.
//
// VegasLimit also re-probes rttNoLoad every 30·limit samples (times a
// random 0.5–1), setting it to the round trip of that moment. Against an
// upstream whose latency does not change — a benchmark's — and a client
// that keeps its limit in flight, that probe takes a loaded round trip
// for the unloaded one and lets the limit ratchet up by beta each time;
// poolbench leaves it out, so rttNoLoad is the fastest round trip of the
// cell, as TCP Vegas's BaseRTT.
type vegas struct {
	rttNoLoad time.Duration
	// the window being filled
	n       int
	sum     time.Duration
	most    int
	dropped bool
}

func log10root(n int) float64 {
	if n < 1 {
		return 1
	}
	v := math.Floor(math.Log10(float64(n)))
	if n < 1000 {
		return math.Max(1, v)
	}
	return v
}

func (v *vegas) update(limit float64, o Outcome, inFlight int) float64 {
	if o.Latency > 0 && (v.rttNoLoad == 0 || o.Latency < v.rttNoLoad) {
		v.rttNoLoad = o.Latency
	}
	v.n++
	v.sum += o.Latency
	v.most = max(v.most, inFlight)
	v.dropped = v.dropped || o.Overload
	if v.n < max(10, int(limit)) {
		return limit
	}
	rtt, most, dropped := v.sum/time.Duration(v.n), v.most, v.dropped
	v.n, v.sum, v.most, v.dropped = 0, 0, 0, false
	if rtt <= 0 {
		return limit
	}
	inFlight = most
	o.Overload = dropped
	step := log10root(int(limit))
	queue := math.Ceil(limit * (1 - float64(v.rttNoLoad)/float64(rtt)))
	switch {
	case o.Overload:
		return limit - step
	case float64(inFlight*2) < limit:
		return limit
	case queue <= step: // threshold: no queue, grow fast
		return limit + 6*step
	case queue < 3*step: // below alpha
		return limit + step
	case queue > 6*step: // above beta
		return limit - step
	}
	return limit
}
