package upstream

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestParseLatencyForms(t *testing.T) {
	tests := []struct {
		spec      string
		canonical string
		mean      time.Duration
	}{
		{"816ms", "816ms", 816 * time.Millisecond},
		{" 0s ", "0s", 0},
		{"uniform(10ms,20ms)", "uniform(10ms,20ms)", 15 * time.Millisecond},
		{"uniform(max=20ms, min=10ms)", "uniform(10ms,20ms)", 15 * time.Millisecond},
		{"normal(mean=100ms,stddev=10ms)", "normal(mean=100ms,stddev=10ms)", 100 * time.Millisecond},
		{"NORMAL(100ms,0s)", "normal(mean=100ms,stddev=0s)", 100 * time.Millisecond},
		{"lognormal(median=100ms,sigma=0.5)", "lognormal(median=100ms,sigma=0.5)", 113314845},
		{"exponential(mean=100ms)", "exponential(mean=100ms)", 100 * time.Millisecond},
		{"pareto(min=10ms,alpha=2.5)", "pareto(min=10ms,alpha=2.5)", 16666666},
		{"10ms:90,500ms:10", "10ms:90,500ms:10", 59 * time.Millisecond},
		{"uniform(0s,2ms):1,normal(mean=1ms,stddev=0s):3", "uniform(0s,2ms):1,normal(mean=1ms,stddev=0s):3", time.Millisecond},
	}
	for _, tt := range tests {
		l, err := ParseLatency(tt.spec)
		if err != nil {
			t.Fatalf("ParseLatency(%q): %v", tt.spec, err)
		}
		if got := l.String(); got != tt.canonical {
			t.Errorf("ParseLatency(%q).String() = %q, want %q", tt.spec, got, tt.canonical)
		}
		if d := l.Mean() - tt.mean; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("ParseLatency(%q).Mean() = %v, want %v", tt.spec, l.Mean(), tt.mean)
		}
	}
}

func TestParseLatencyErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"", "empty spec"},
		{"fast", `malformed duration "fast"`},
		{"-5ms", "negative duration"},
		{"gamma(1,2)", `unknown distribution "gamma"`},
		{"uniform(20ms,10ms)", "min 20ms is above max 10ms"},
		{"uniform(10ms)", "uniform takes 2 parameters"},
		{"normal(mean=1ms,mean=2ms)", "given twice"},
		{"normal(mu=1ms,stddev=2ms)", `no parameter "mu"`},
		{"lognormal(median=1ms,sigma=x)", `sigma "x" is not a number`},
		{"pareto(min=1ms,alpha=1)", "must be above 1"},
		{"uniform(1ms,2ms", "missing closing parenthesis"},
		{"10ms:90,500ms", `"500ms" has no weight`},
		{"10ms:0", "weight"},
		{"10ms:90,1ms:1:2", "mix component"},
	}
	for _, tt := range tests {
		_, err := ParseLatency(tt.spec)
		if err == nil {
			t.Errorf("ParseLatency(%q) succeeded, want an error containing %q", tt.spec, tt.want)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.want) || !strings.Contains(msg, "accepted forms") || !strings.Contains(msg, `latency "`) {
			t.Errorf("ParseLatency(%q) error = %q, want it to contain %q, the spec and the accepted forms", tt.spec, msg, tt.want)
		}
	}
}

// TestLatencyMoments checks the sample mean (and for some, the standard
// deviation or median) of many seeded draws against the distribution.
func TestLatencyMoments(t *testing.T) {
	const n = 200000
	tests := []struct {
		spec   string
		sd     float64 // expected standard deviation in ns; 0 = not checked
		median float64 // expected median in ns; 0 = not checked
		tol    float64 // relative tolerance on the mean
	}{
		{"816ms", 0, 0, 1e-12},
		{"uniform(10ms,20ms)", 10e6 / math.Sqrt(12), 15e6, 0.01},
		{"normal(mean=100ms,stddev=10ms)", 10e6, 100e6, 0.01},
		{"normal(mean=1ms,stddev=2ms)", 0, 0, 0.02}, // heavily truncated
		{"lognormal(median=100ms,sigma=0.5)", 0, 100e6, 0.02},
		{"exponential(mean=100ms)", 100e6, 100e6 * math.Ln2, 0.02},
		{"pareto(min=10ms,alpha=2.5)", 0, 10e6 * math.Pow(2, 1/2.5), 0.03},
		{"10ms:90,500ms:10", 0, 0, 0.02},
	}
	for _, tt := range tests {
		l, err := ParseLatency(tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		xs := make([]float64, n)
		var sum float64
		for i := range xs {
			d := l.Sample(r)
			if d < 0 {
				t.Fatalf("%s: negative sample %v", tt.spec, d)
			}
			xs[i] = float64(d)
			sum += xs[i]
		}
		mean := sum / n
		want := float64(l.Mean())
		if math.Abs(mean-want) > tt.tol*want {
			t.Errorf("%s: sample mean %.4g, want %.4g ± %.1f%%", tt.spec, mean, want, 100*tt.tol)
		}
		if tt.sd > 0 {
			var ss float64
			for _, x := range xs {
				ss += (x - mean) * (x - mean)
			}
			sd := math.Sqrt(ss / (n - 1))
			if math.Abs(sd-tt.sd) > 0.03*tt.sd {
				t.Errorf("%s: sample stddev %.4g, want %.4g ± 3%%", tt.spec, sd, tt.sd)
			}
		}
		if tt.median > 0 {
			below := 0
			for _, x := range xs {
				if x <= tt.median {
					below++
				}
			}
			if frac := float64(below) / n; frac < 0.49 || frac > 0.51 {
				t.Errorf("%s: %.3f of samples at or below the median %.4g, want 0.5", tt.spec, frac, tt.median)
			}
		}
	}
}

// TestLatencySeeded checks that the same seed gives the same samples.
func TestLatencySeeded(t *testing.T) {
	l, err := ParseLatency("exponential(mean=10ms)")
	if err != nil {
		t.Fatal(err)
	}
	a, b := rand.New(rand.NewPCG(7, 9)), rand.New(rand.NewPCG(7, 9))
	for range 100 {
		if x, y := l.Sample(a), l.Sample(b); x != y {
			t.Fatalf("same seed, different samples %v and %v", x, y)
		}
	}
}

func FuzzParseLatency(f *testing.F) {
	for _, s := range []string{"816ms", "uniform(10ms,20ms)", "normal(mean=100ms,stddev=10ms)",
		"lognormal(median=100ms,sigma=0.5)", "exponential(mean=100ms)", "pareto(min=10ms,alpha=2.5)",
		"10ms:90,500ms:10", "uniform(1ms,2ms):1,normal(1ms,1ms):2", "((", "a:b:c", "pareto(1h,1.0000001)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		l, err := ParseLatency(spec)
		if err != nil {
			if !strings.Contains(err.Error(), "accepted forms") {
				t.Fatalf("error without the accepted forms: %v", err)
			}
			return
		}
		canon := l.String()
		l2, err := ParseLatency(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, spec, err)
		}
		if l2.String() != canon {
			t.Fatalf("canonical form not stable: %q -> %q", canon, l2.String())
		}
		if m := l.Mean(); m < 0 || m > MaxSample {
			t.Fatalf("%q: mean %v out of range", spec, m)
		}
		r := rand.New(rand.NewPCG(1, 1))
		for range 10 {
			if d := l.Sample(r); d < 0 || d > MaxSample {
				t.Fatalf("%q: sample %v out of range", spec, d)
			}
		}
	})
}
