package strategy

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Rate is the open model: items start on a schedule, whatever is in
// flight, at a rate swept across the sweep's rates (one cell per rate,
// in model time), paced by one of vegeta's pacers (RateConfig). Its items
// have intended start times (Scheduled): drivers measure each item's
// latency from its intended start, as wrk2 does against coordinated
// omission, and record how late it started. A cell stops at its last
// intended start plus the grace (Scheduled.Deadline): items not finished
// then fail as "time-limit". It does not compete for the recommendation,
// which picks a pool; its cells record pool 0.
var Rate = Kind{
	Name:      "rate",
	Doc:       "items start on a schedule, one cell per rate (open model; scenario rates: and rate:)",
	TakesRate: true,
	Open:      true,
	// Arrivals do not wait for answers: which of them meet a full cap
	// (rejected, queued past a timeout) turns on timing.
	TimedCounts: true,
	Color:       color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
	cellPool:    func(int) int { return 0 },
	build: func(c Config) (Strategy, error) {
		if c.Rate.IsZero() {
			return nil, fmt.Errorf("strategy rate needs a rate (sweep rates:, like [1/s, 2/s])")
		}
		if field, err := c.Pacing.Check([]ArrivalRate{c.Rate}); err != nil {
			return nil, fmt.Errorf("rate.%s: %w", field, err)
		}
		return newRate(c.Rate, c.Pacing, c.Items), nil
	},
}

// Scheduled is a strategy whose items have intended start times: an open
// model. Drivers measure an item's latency from its intended start (the
// corrected figure) and from its actual start (the uncorrected one), and
// stop the cell at Deadline.
type Scheduled interface {
	// Intended is when the item Next last started ought to have started
	// (model time from the cell's start).
	Intended() time.Duration
	// Deadline is when the cell stops: its last item's intended start
	// plus the grace. Items not finished by then fail as "time-limit".
	Deadline() time.Duration
}

// The pacers, as vegeta's lib names them.
const (
	PacerConstant = "constant"
	PacerLinear   = "linear"
	PacerSine     = "sine"
)

// sineOffsets are vegeta's SinePacer offsets by their YAML names.
var sineOffsets = []struct {
	name string
	at   float64
}{
	{"mean_up", vegeta.MeanUp}, {"peak", vegeta.Peak}, {"mean_down", vegeta.MeanDown}, {"trough", vegeta.Trough},
}

// Bounds of a rate.
const (
	// MaxRateFreq bounds a rate's requests per period.
	MaxRateFreq = 1_000_000
	// MaxRatePerSecond bounds a rate, in requests per model second.
	MaxRatePerSecond = 1_000_000
	// MaxRatePer bounds a rate's period.
	MaxRatePer = 24 * time.Hour
)

// RateConfig is a scenario's rate: block: how the rate strategy paces its
// items at each of the sweep's rates.
type RateConfig struct {
	// Pacer is vegeta's pacer: constant (default: the rate throughout),
	// linear (from the rate, growing by Slope each second) or sine (the
	// rate as the mean of a sine wave of Amplitude and Period).
	Pacer string `yaml:"pacer,omitempty" json:"pacer,omitempty"`
	// Slope is linear's growth, in requests per second added every model
	// second (vegeta's LinearPacer.Slope); above 0.
	Slope float64 `yaml:"slope,omitempty" json:"slope,omitempty"`
	// Period is sine's period (model time).
	Period upstream.Duration `yaml:"period,omitempty" json:"period,omitempty"`
	// Amplitude is sine's amplitude, below every swept rate (vegeta's
	// SinePacer.Amp).
	Amplitude *ArrivalRate `yaml:"amplitude,omitempty" json:"amplitude,omitempty"`
	// StartAt is where on the wave sine starts: mean_up (default), peak,
	// mean_down or trough (vegeta's SinePacer offsets).
	StartAt string `yaml:"start_at,omitempty" json:"start_at,omitempty"`
	// MaxInFlight bounds the items in flight (0, the default: no bound,
	// the pure open model). With a bound, an item whose time has come
	// while MaxInFlight are in flight starts when one ends, late — as
	// wrk2's connections, vegeta's -max-workers and k6's maxVUs bound
	// theirs.
	MaxInFlight int `yaml:"max_in_flight,omitempty" json:"max_in_flight,omitempty"`
	// Grace is how long after its last intended start a cell may run
	// before the items still unfinished fail as "time-limit" (model time;
	// default the client's timeout, as k6's gracefulStop).
	Grace upstream.Duration `yaml:"grace,omitempty" json:"grace,omitempty"`
}

// WithDefaults fills unset fields: the constant pacer, sine from
// mean_up, a grace of timeout.
func (r RateConfig) WithDefaults(timeout time.Duration) RateConfig {
	if r.Pacer == "" {
		r.Pacer = PacerConstant
	}
	if r.Pacer == PacerSine && r.StartAt == "" {
		r.StartAt = sineOffsets[0].name
	}
	if r.Grace == 0 {
		r.Grace = upstream.Duration(timeout)
	}
	return r
}

// Check returns the first field (its YAML key) of r — defaults applied —
// that is out of range or does not go with its pacer, and why, given the
// sweep's rates; the one home of the rate block's rules.
func (r RateConfig) Check(rates []ArrivalRate) (field string, err error) {
	only := func(pacer string) error {
		return fmt.Errorf("is for pacer %s, and this pacer is %s: remove it, or set pacer: %s", pacer, r.Pacer, pacer)
	}
	switch r.Pacer {
	case PacerConstant, PacerLinear, PacerSine:
	default:
		return "pacer", fmt.Errorf("%q is not accepted: want %s (the rate throughout), %s (from the rate, growing by slope each second) or %s (the rate as the mean of a sine wave of amplitude and period), vegeta's pacers", r.Pacer, PacerConstant, PacerLinear, PacerSine)
	}
	switch {
	case r.Pacer == PacerLinear && !(r.Slope > 0 && r.Slope <= MaxRatePerSecond):
		return "slope", fmt.Errorf("%g is out of range: pacer linear wants a growth above 0 and at most %d requests per second each second (a falling rate would stop the schedule)", r.Slope, MaxRatePerSecond)
	case r.Pacer != PacerLinear && r.Slope != 0:
		return "slope", only(PacerLinear)
	case r.Pacer == PacerSine && (r.Period <= 0 || r.Period.D() > MaxRatePer):
		return "period", fmt.Errorf("%s is out of range: pacer sine wants a period above 0 and at most %s", r.Period.D(), MaxRatePer)
	case r.Pacer != PacerSine && r.Period != 0:
		return "period", only(PacerSine)
	case r.Pacer == PacerSine && r.Amplitude == nil:
		return "amplitude", fmt.Errorf("missing: pacer sine wants an amplitude below every rate, like 1/s")
	case r.Pacer != PacerSine && r.Amplitude != nil:
		return "amplitude", only(PacerSine)
	case r.Pacer != PacerSine && r.StartAt != "":
		return "start_at", only(PacerSine)
	case r.MaxInFlight < 0 || r.MaxInFlight > MaxAdaptiveLimit:
		return "max_in_flight", fmt.Errorf("%d is out of range: want 0 (no bound) to %d items in flight", r.MaxInFlight, MaxAdaptiveLimit)
	case r.Grace <= 0 || r.Grace.D() > MaxRatePer:
		return "grace", fmt.Errorf("%s is out of range: want a duration above 0 and at most %s", r.Grace.D(), MaxRatePer)
	}
	if r.Pacer == PacerSine {
		if err := r.Amplitude.check(); err != nil {
			return "amplitude", err
		}
		if _, ok := r.offset(); !ok {
			return "start_at", fmt.Errorf("%q is not accepted: want mean_up, peak, mean_down or trough (where on the wave the schedule starts)", r.StartAt)
		}
		for _, rate := range rates {
			if r.Amplitude.PerSecond() >= rate.PerSecond() {
				return "amplitude", fmt.Errorf("%s is not below the rate %s: sine's amplitude must be below every rate (vegeta's SinePacer), or the rate would fall to 0", r.Amplitude, rate)
			}
		}
	}
	return "", nil
}

// offset is sine's StartAt in radians.
func (r RateConfig) offset() (float64, bool) {
	for _, o := range sineOffsets {
		if o.name == r.StartAt {
			return o.at, true
		}
	}
	return 0, false
}

// Pacer is vegeta's pacer for base rate rate (the constant rate, linear's
// start, sine's mean). r must have passed Check.
func (r RateConfig) pacer(rate ArrivalRate) vegeta.Pacer {
	base := vegeta.ConstantPacer(rate)
	switch r.Pacer {
	case PacerLinear:
		return vegeta.LinearPacer{StartAt: base, Slope: r.Slope}
	case PacerSine:
		at, _ := r.offset()
		return vegeta.SinePacer{Period: r.Period.D(), Mean: base, Amp: vegeta.ConstantPacer(*r.Amplitude), StartAt: at}
	}
	return base
}

// schedule walks a pacer's intended start times in model time: item k
// (from 0) ought to start at due after k calls of next, as vegeta's
// attacker would send it were it never late: it asks Pace with the
// elapsed time of the previous hit and the hits sent so far.
type schedule struct {
	p   vegeta.Pacer
	n   uint64        // items scheduled so far
	due time.Duration // intended start of item n
}

func newSchedule(p vegeta.Pacer) schedule {
	s := schedule{p: p}
	s.advance()
	return s
}

// advance moves due to the intended start of the next item. A pacer that
// asks to stop (vegeta's overflow guard, unreachable within MaxItems at a
// valid rate) leaves due where it is.
func (s *schedule) advance() {
	wait, stop := s.p.Pace(s.due, s.n)
	if !stop {
		s.due += max(wait, 0)
	}
	s.n++
}

// rate starts items at their intended times, at most bound in flight
// (0: no bound).
type rate struct {
	s        schedule
	bound    int
	intended time.Duration
	deadline time.Duration
}

func newRate(r ArrivalRate, c RateConfig, items int) *rate {
	p := c.pacer(r)
	st := &rate{s: newSchedule(p), bound: c.MaxInFlight}
	last := newSchedule(p)
	for range max(items, 1) - 1 {
		last.advance()
	}
	st.deadline = last.due + c.Grace.D()
	return st
}

// Next starts the next item once its intended time has come and, with a
// bound, fewer than the bound are in flight; before its time it asks to
// be woken then.
func (r *rate) Next(now time.Duration, inFlight int) (bool, time.Duration) {
	if r.bound > 0 && inFlight >= r.bound {
		return false, 0
	}
	if now < r.s.due {
		return false, r.s.due - now
	}
	r.intended = r.s.due
	r.s.advance()
	return true, 0
}

// Ended does nothing: the schedule does not react to answers.
func (*rate) Ended(time.Duration, Outcome) {}

func (r *rate) Intended() time.Duration { return r.intended }
func (r *rate) Deadline() time.Duration { return r.deadline }

// ArrivalRate is a rate in requests per period of model time, as
// vegeta's -rate writes it ("4/s", "100/1s", "1/2s"): vegeta's
// ConstantPacer (Freq per Per).
type ArrivalRate vegeta.ConstantPacer

// ParseRate reads a rate: a whole number of requests, a slash and a period
// ("4/s", "100/1s", "1/2s", "5/100ms"; a bare unit is one of it), within
// the bounds above.
func ParseRate(s string) (ArrivalRate, error) {
	bad := func(why string) (ArrivalRate, error) {
		return ArrivalRate{}, fmt.Errorf("invalid rate %q: %s: want requests per time as vegeta's -rate writes it, like 4/s, 100/s, 1/2s or 5/100ms", s, why)
	}
	n, per, ok := strings.Cut(s, "/")
	freq, err := strconv.Atoi(n)
	if !ok || err != nil || n == "" || n[0] < '0' || n[0] > '9' {
		return bad("not a whole number, a slash and a period")
	}
	if per != "" && (per[0] < '0' || per[0] > '9') {
		per = "1" + per
	}
	d, err := time.ParseDuration(per)
	if err != nil {
		return bad("the period does not parse")
	}
	r := ArrivalRate{Freq: freq, Per: d}
	if err := r.check(); err != nil {
		return ArrivalRate{}, err
	}
	return r, nil
}

// check refuses a rate out of bounds.
func (r ArrivalRate) check() error {
	switch {
	case r.Freq < 1 || r.Freq > MaxRateFreq:
		return fmt.Errorf("rate %s: %d requests is out of range: want 1 to %d per period (write 0.5/s as 1/2s)", r, r.Freq, MaxRateFreq)
	case r.Per <= 0 || r.Per > MaxRatePer:
		return fmt.Errorf("rate %s: the period %s is out of range: want above 0 and at most %s", r, r.Per, MaxRatePer)
	case r.PerSecond() > MaxRatePerSecond:
		return fmt.Errorf("rate %s is out of range: want at most %d requests per second", r, MaxRatePerSecond)
	}
	return nil
}

// IsZero reports whether r is unset.
func (r ArrivalRate) IsZero() bool { return r == ArrivalRate{} }

// PerSecond is r in requests per (model) second.
func (r ArrivalRate) PerSecond() float64 {
	if r.Per <= 0 {
		return 0
	}
	return float64(r.Freq) / r.Per.Seconds()
}

// String writes r as ParseRate reads it: "4/s", "1/2s", "5/100ms".
func (r ArrivalRate) String() string {
	switch r.Per {
	case time.Second:
		return fmt.Sprintf("%d/s", r.Freq)
	case time.Minute:
		return fmt.Sprintf("%d/m", r.Freq)
	case time.Hour:
		return fmt.Sprintf("%d/h", r.Freq)
	}
	return fmt.Sprintf("%d/%s", r.Freq, r.Per)
}

// MarshalText writes r as String does.
func (r ArrivalRate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads r as ParseRate does.
func (r *ArrivalRate) UnmarshalText(b []byte) error {
	v, err := ParseRate(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Capacity is the most items per second an upstream serving cap at once,
// each for service seconds, can answer: c/L. Below it an open model's
// queue stays bounded; above it the queue grows (or the excess is
// rejected) for as long as the schedule lasts.
func Capacity(cap int, service time.Duration) float64 {
	if cap <= 0 || service <= 0 {
		return math.Inf(1)
	}
	return float64(cap) / service.Seconds()
}
