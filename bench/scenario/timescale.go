package scenario

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Timescale is a scenario's time scale: a fixed upstream.Scale, or Auto,
// which lets the sweep pick each cell's scale (the fastest at which the
// harness stays within its error budget). The zero value is a fixed scale
// of 1, real time.
//
// In YAML and JSON it is a number (0.08, 1e-2, "1:100") or "auto".
type Timescale struct {
	Auto  bool
	Fixed upstream.Scale
}

// Auto is the automatic time scale.
var Auto = Timescale{Auto: true}

// Fixed returns a fixed time scale.
func Fixed(s upstream.Scale) Timescale { return Timescale{Fixed: s} }

// String is "auto" or the fixed scale's label, "1:100".
func (t Timescale) String() string {
	if t.Auto {
		return "auto"
	}
	return t.Fixed.String()
}

// ParseTimescale reads "auto" or a scale (upstream.ParseScale).
func ParseTimescale(text string) (Timescale, error) {
	if strings.EqualFold(strings.TrimSpace(text), "auto") {
		return Auto, nil
	}
	s, err := upstream.ParseScale(text)
	if err != nil {
		return Timescale{}, fmt.Errorf("%w, or auto", err)
	}
	return Fixed(s), nil
}

// MarshalText writes "auto" or the scale as a number.
func (t Timescale) MarshalText() ([]byte, error) {
	if t.Auto {
		return []byte("auto"), nil
	}
	return t.Fixed.MarshalText()
}

// UnmarshalText reads a time scale with ParseTimescale.
func (t *Timescale) UnmarshalText(b []byte) error {
	v, err := ParseTimescale(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// MarshalJSON writes a fixed scale as a JSON number (as results.json has
// always had it) and auto as the string "auto".
func (t Timescale) MarshalJSON() ([]byte, error) {
	if t.Auto {
		return []byte(`"auto"`), nil
	}
	return t.Fixed.MarshalText()
}

// UnmarshalJSON reads a number or a string.
func (t *Timescale) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		return t.UnmarshalText([]byte(s))
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("time scale %s: want a number or \"auto\"", b)
	}
	if f == 0 { // written by a poolbench that omitted it: real time
		*t = Timescale{}
		return nil
	}
	return t.UnmarshalText(b)
}

// IsZero reports the default, real time.
func (t Timescale) IsZero() bool { return !t.Auto && t.Fixed == 0 }
