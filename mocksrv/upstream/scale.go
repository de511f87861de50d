package upstream

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Scale is a time scale: it maps model time, in which a scenario and the
// upstream are written, to the wall time a run takes. A modeled duration d
// is applied as d × Scale of wall time, and a measured wall duration w
// reads as w / Scale of model time. Scale 0.01 runs a service modeled in
// seconds 100 times faster ("1:100"); the zero value means 1 (real time).
//
// Every conversion between the two times goes through Wall and Model, so
// "0 means 1" and the rounding live here only.
type Scale float64

// The range a Scale may take. Below MinScale a modeled second lasts less
// than 100 µs, which no loopback round trip keeps up with; above MaxScale
// a run would be slower than real time by more than anyone waits for.
const (
	MinScale Scale = 1e-4
	MaxScale Scale = 1000
)

// RealTime is the scale of a run that sleeps modeled durations as they are.
const RealTime Scale = 1

// Factor is the scale as a number, 1 for the zero value.
func (s Scale) Factor() float64 {
	if s == 0 {
		return 1
	}
	return float64(s)
}

// Wall is how long modeled duration d lasts at this scale.
func (s Scale) Wall(d time.Duration) time.Duration { return toDur(float64(d) * s.Factor()) }

// Model is the model duration a measured wall duration w stands for.
func (s Scale) Model(w time.Duration) time.Duration { return toDur(float64(w) / s.Factor()) }

// ModelSeconds converts measured wall seconds to model seconds.
func (s Scale) ModelSeconds(wall float64) float64 { return wall / s.Factor() }

// WallSeconds converts model seconds to the wall seconds they last.
func (s Scale) WallSeconds(model float64) float64 { return model * s.Factor() }

// Validate reports a scale outside [MinScale, MaxScale]; the zero value
// (the default, 1) is valid.
func (s Scale) Validate() error {
	if s == 0 || (s >= MinScale && s <= MaxScale) {
		return nil
	}
	return fmt.Errorf("%s is out of range: want a factor from %g (1:%g) to %g, like 0.01 to run 100 times faster than modeled",
		strconv.FormatFloat(float64(s), 'g', -1, 64), float64(MinScale), 1/float64(MinScale), float64(MaxScale))
}

// String names the scale as reports print it: "1:100" for 0.01, "1:12.5"
// for 0.08, "real time" for 1, "2:1" for 2 (slower than modeled).
func (s Scale) String() string {
	f := s.Factor()
	switch {
	case f == 1:
		return "real time"
	case f < 1:
		return "1:" + shortNum(1/f)
	}
	return shortNum(f) + ":1"
}

// shortNum prints v with at most four significant digits and no exponent
// for the magnitudes a scale takes: 100, 12.5, 3.333.
func shortNum(v float64) string {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64)
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// ParseScale reads a time scale: a decimal number such as 0.01, 1e-2 or
// 1.0e-2, or a ratio "1:100". It must lie in [MinScale, MaxScale]; 0 is
// refused (leave the scale unset for the default, real time).
func ParseScale(text string) (Scale, error) {
	t := strings.TrimSpace(text)
	var v float64
	var err error
	if a, b, ok := strings.Cut(t, ":"); ok {
		var num, den float64
		num, err = strconv.ParseFloat(strings.TrimSpace(a), 64)
		if err == nil {
			den, err = strconv.ParseFloat(strings.TrimSpace(b), 64)
		}
		if err == nil && !(den > 0) {
			err = fmt.Errorf("zero denominator")
		}
		v = num / den
	} else {
		v, err = strconv.ParseFloat(t, 64)
	}
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("time scale %q is not a number: want a factor like 0.01 (or 1e-2, or 1:100)", text)
	}
	s := Scale(v)
	if v == 0 {
		return 0, fmt.Errorf("time scale 0 is out of range: leave it unset for real time, or want a factor from %g to %g", float64(MinScale), float64(MaxScale))
	}
	if err := s.Validate(); err != nil {
		return 0, fmt.Errorf("time scale %w", err)
	}
	return s, nil
}

// MarshalText writes the scale as a plain number.
func (s Scale) MarshalText() ([]byte, error) {
	return strconv.AppendFloat(nil, s.Factor(), 'g', -1, 64), nil
}

// UnmarshalText reads a scale with ParseScale.
func (s *Scale) UnmarshalText(b []byte) error {
	v, err := ParseScale(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
