package upstream

import (
	"strings"
	"testing"
	"time"
)

// TestParseScale: one number grammar (1e-2 and 1.0e-2 alike, or 1:100),
// a range, and 0 refused rather than read as the default.
func TestParseScale(t *testing.T) {
	good := map[string]Scale{"0.01": 0.01, "1e-2": 0.01, "1.0e-2": 0.01, " 1:100 ": 0.01, "1:12.5": 0.08, "1": 1, "2": 2, "0.0001": 1e-4, "1000": 1000}
	for text, want := range good {
		got, err := ParseScale(text)
		if err != nil || got != want {
			t.Errorf("ParseScale(%q) = %v, %v; want %v", text, got, err, want)
		}
	}
	bad := map[string]string{
		"":       "not a number",
		"fast":   "not a number",
		"NaN":    "not a number",
		"inf":    "not a number",
		"1:0":    "not a number",
		"0":      "leave it unset",
		"-0.5":   "out of range",
		"1e-9":   "out of range",
		"1.0e-9": "out of range",
		"5000":   "out of range",
	}
	for text, want := range bad {
		if _, err := ParseScale(text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseScale(%q): error %v, want one saying %q", text, err, want)
		}
	}
}

func TestScaleConversions(t *testing.T) {
	var zero Scale
	if zero.Factor() != 1 || zero.Wall(time.Second) != time.Second || zero.String() != "real time" {
		t.Errorf("the zero scale is not real time: %v %v %q", zero.Factor(), zero.Wall(time.Second), zero)
	}
	s := Scale(0.08)
	if got := s.Wall(816 * time.Millisecond); got != 65280*time.Microsecond {
		t.Errorf("Wall(816ms) at 0.08 = %v", got)
	}
	if got := s.Model(65280 * time.Microsecond); got != 816*time.Millisecond {
		t.Errorf("Model(65.28ms) at 0.08 = %v", got)
	}
	if got := s.ModelSeconds(2); got != 25 {
		t.Errorf("ModelSeconds(2) at 0.08 = %v", got)
	}
	for s, want := range map[Scale]string{0.01: "1:100", 0.08: "1:12.5", 1.0 / 3: "1:3", 0.02: "1:50", 2: "2:1", 1: "real time"} {
		if got := s.String(); got != want {
			t.Errorf("Scale(%v).String() = %q, want %q", float64(s), got, want)
		}
	}
	b, _ := Scale(0.08).MarshalText()
	var back Scale
	if err := back.UnmarshalText(b); err != nil || back != 0.08 {
		t.Errorf("round trip of 0.08 through text: %v, %v", back, err)
	}
}

func FuzzParseScale(f *testing.F) {
	for _, s := range []string{"0.01", "1:100", "1e-9", "0", "-1", "1:0", "NaN", "1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := ParseScale(text)
		if err != nil {
			return
		}
		if s.Validate() != nil || s == 0 {
			t.Fatalf("ParseScale(%q) accepted %v", text, s)
		}
		b, _ := s.MarshalText()
		back, err := ParseScale(string(b))
		if err != nil || back != s {
			t.Fatalf("%v does not round-trip through %q: %v %v", s, b, back, err)
		}
	})
}
