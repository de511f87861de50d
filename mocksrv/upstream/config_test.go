package upstream

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestValidate: every bad field is reported, each as a *FieldError naming
// it.
func TestValidate(t *testing.T) {
	ok := Config{Latency: "10ms"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("minimal config: %v", err)
	}
	full := Config{Latency: "10ms:90,500ms:10", Seed: 1, Cap: 2, Overflow: OverflowQueue, QueueLimit: 5,
		RejectStatus: 429, RetryAfter: Duration(time.Second), MaxConns: 10, Contention: 0.04,
		ErrorRate: 0.1, ErrorStatus: 502, ResetRate: 0.1, StallRate: 0.1, Timescale: 0.01, BodyBytes: 100, HTTP: 2}
	if err := full.Validate(); err != nil {
		t.Fatalf("full config: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   []string
	}{
		{"no latency", func(c *Config) { c.Latency = "" }, []string{"latency", "accepted forms"}},
		{"bad latency", func(c *Config) { c.Latency = "gamma(1)" }, []string{"latency", "gamma"}},
		{"negative cap", func(c *Config) { c.Cap = -1 }, []string{"cap: invalid value -1"}},
		{"unknown overflow", func(c *Config) { c.Overflow = "drop" }, []string{`overflow: invalid value "drop"`, "queue, reject or reset"}},
		{"negative queue", func(c *Config) { c.QueueLimit = -3 }, []string{"queue_limit: invalid value -3"}},
		{"queue limit with reject", func(c *Config) { c.Overflow = OverflowReject; c.QueueLimit = 3 }, []string{"queue_limit", "only meaningful"}},
		{"reject status", func(c *Config) { c.RejectStatus = 500 }, []string{"reject_status: invalid value 500", "503 or 429"}},
		{"retry after", func(c *Config) { c.RetryAfter = Duration(-time.Second) }, []string{"retry_after: invalid value -1s"}},
		{"max conns", func(c *Config) { c.MaxConns = -1 }, []string{"max_conns"}},
		{"http", func(c *Config) { c.HTTP = 3 }, []string{"http: invalid value 3", "h2c"}},
		{"contention", func(c *Config) { c.Contention = -0.1 }, []string{"contention: invalid value -0.1"}},
		{"error rate", func(c *Config) { c.ErrorRate = 1.5 }, []string{"error_rate: invalid value 1.5", "[0, 1]"}},
		{"reset rate", func(c *Config) { c.ResetRate = -0.5 }, []string{"reset_rate"}},
		{"stall rate", func(c *Config) { c.StallRate = 2 }, []string{"stall_rate"}},
		{"rates sum", func(c *Config) { c.ErrorRate, c.ResetRate, c.StallRate = 0.5, 0.4, 0.3 }, []string{"add up to at most 1"}},
		{"error status", func(c *Config) { c.ErrorStatus = 200 }, []string{"error_status: invalid value 200"}},
		{"timescale", func(c *Config) { c.Timescale = -1 }, []string{"timescale: -1 is out of range"}},
		{"body bytes", func(c *Config) { c.BodyBytes = -1 }, []string{"body_bytes"}},
		{"two fields", func(c *Config) { c.Cap = -1; c.ErrorRate = 3 }, []string{"cap:", "error_rate:"}},
	}
	for _, tt := range tests {
		c := ok
		tt.mutate(&c)
		err := c.Validate()
		if err == nil {
			t.Errorf("%s: Validate succeeded", tt.name)
			continue
		}
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%s: %v is not a *FieldError", tt.name, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", tt.name, err, w)
			}
		}
	}
}

func TestWithDefaults(t *testing.T) {
	c := Config{Latency: "1ms"}.WithDefaults()
	if c.Overflow != OverflowQueue || c.RejectStatus != 503 || c.ErrorStatus != 500 || c.Timescale != 0 || c.RetryAfter.D() != time.Second {
		t.Fatalf("WithDefaults = %+v", c)
	}
	set := Config{Latency: "1ms", Overflow: OverflowReset, RejectStatus: 429, ErrorStatus: 502, Timescale: 0.5, RetryAfter: Duration(time.Minute)}
	if got := set.WithDefaults(); got != set {
		t.Fatalf("WithDefaults changed set fields: %+v", got)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}

// TestServiceTime: contention stretches the sample by the others in
// service at admission, rounded to the nanosecond.
func TestServiceTime(t *testing.T) {
	c := Config{Contention: 0.0392}
	for _, tt := range []struct {
		n    int64
		want time.Duration
	}{{0, 816 * time.Millisecond}, {1, 816 * time.Millisecond}, {2, 847987200}, {3, 879974400}} {
		if got := c.ServiceTime(816*time.Millisecond, tt.n); got != tt.want {
			t.Errorf("ServiceTime(816ms, %d) = %v, want %v", tt.n, got, tt.want)
		}
	}
	if got := (Config{Contention: 100}).ServiceTime(MaxSample, 1000); got != MaxSample {
		t.Errorf("ServiceTime does not clamp: %v", got)
	}
}

// TestDrawer: the same seed and id draw the same, whatever the order; the
// fault rates are honoured.
func TestDrawer(t *testing.T) {
	c := Config{Latency: "exponential(mean=10ms)", Seed: 7, ErrorRate: 0.2, ResetRate: 0.1, StallRate: 0.1}
	lat, err := ParseLatency(c.Latency)
	if err != nil {
		t.Fatal(err)
	}
	a, b := NewDrawer(c, lat), NewDrawer(c, lat)
	const n = 20000
	first := make([]Draw, n+1)
	for id := uint64(1); id <= n; id++ {
		first[id] = a.Draw(id)
	}
	var faults [4]int
	for id := uint64(n); id >= 1; id-- {
		d := b.Draw(id)
		if d != first[id] {
			t.Fatalf("request %d: %+v then %+v", id, first[id], d)
		}
		faults[d.Fault]++
	}
	for f, want := range []float64{0.6, 0.2, 0.1, 0.1} {
		if got := float64(faults[f]) / n; got < want-0.015 || got > want+0.015 {
			t.Errorf("fault %d: share %.3f, want %.2f", f, got, want)
		}
	}
	if a.Draw(1) == a.Draw(2) {
		t.Error("requests 1 and 2 draw the same")
	}
}

func TestCountersBalanced(t *testing.T) {
	c := Counters{Requests: 10, Admitted: 8, Completed: 5, Rejected: 2, InFlight: 2, Queued: 1, PeakInFlight: 2}
	if err := c.Balanced(); err != nil {
		t.Fatal(err)
	}
	c.Completed--
	if err := c.Balanced(); err == nil || !strings.Contains(err.Error(), "do not balance") {
		t.Fatalf("unbalanced counters: %v", err)
	}
}
