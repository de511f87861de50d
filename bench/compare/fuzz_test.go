package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/poolbench/poolbench/bench/results"
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

// FuzzResults feeds arbitrary results.json pairs through the comparison and
// every writer: no panic, and the JSON written is valid JSON.
func FuzzResults(f *testing.F) {
	seed := func(s synth) []byte {
		b, _ := json.Marshal(s.build())
		return b
	}
	// Small seeds: the fuzzer mutates and minimizes them quickly.
	small := defaultSynth()
	small.pools, small.repeats = []int{4}, 2
	slow := small
	slow.factor = 1.1
	f.Add(seed(small), seed(slow))
	f.Add([]byte(`{"schema":1,"scenario":{"name":"x"},"cells":[{"strategy":"pooled","pool":2,"model_wall_seconds":0}]}`),
		[]byte(`{"schema":1,"scenario":{"name":"x"},"cells":[{"strategy":"pooled","pool":2,"model_wall_seconds":1e308,"throughput":-1}]}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var ra, rb results.Results
		if json.Unmarshal(a, &ra) != nil || json.Unmarshal(b, &rb) != nil {
			return
		}
		rep, err := Results(&ra, &rb, DefaultOptions)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := errors.Join(WriteText(&out, rep), WriteMarkdown(&out, rep)); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if err := WriteJSON(&out, rep); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(out.Bytes()) {
			t.Fatalf("invalid JSON:\n%s", out.Bytes())
		}
	})
}
