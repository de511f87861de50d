package compare

import (
	"math"
	"testing"
)

func TestParseThreshold(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"5%", 0.05, true}, {"0.05", 0.05, true}, {" 10% ", 0.10, true}, {"0", 0, true}, {"0%", 0, true}, {"2.5%", 0.025, true},
		{"5", 0, false}, {"-1%", 0, false}, {"abc", 0, false}, {"", 0, false}, {"%", 0, false}, {"NaN%", 0, false}, {"1e9%", 0, false},
	} {
		got, err := ParseThreshold(tt.in)
		if (err == nil) != tt.ok || (tt.ok && math.Abs(got-tt.want) > 1e-12) {
			t.Errorf("ParseThreshold(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseThreshold(f *testing.F) {
	for _, s := range []string{"5%", "0.05", "5", "-0", "1e-3%", "Inf%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseThreshold(s)
		if err != nil {
			return
		}
		if math.IsNaN(v) || v < 0 || v >= 10 {
			t.Fatalf("ParseThreshold(%q) = %v accepted", s, v)
		}
		if err := (Options{Threshold: v, Alpha: 0.05}).Validate(); err != nil {
			t.Fatalf("accepted threshold %v fails Validate: %v", v, err)
		}
	})
}
