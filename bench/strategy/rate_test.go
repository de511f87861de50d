package strategy

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]ArrivalRate{
		"4/s":     {Freq: 4, Per: time.Second},
		"100/1s":  {Freq: 100, Per: time.Second},
		"1/2s":    {Freq: 1, Per: 2 * time.Second},
		"5/100ms": {Freq: 5, Per: 100 * time.Millisecond},
		"30/m":    {Freq: 30, Per: time.Minute},
	} {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
		back, err := ParseRate(got.String())
		if err != nil || back != got {
			t.Errorf("%q does not read back: %q → %v, %v", in, got.String(), back, err)
		}
	}
	if r, _ := ParseRate("1/2s"); r.PerSecond() != 0.5 {
		t.Errorf("1/2s is %g per second", r.PerSecond())
	}
	for _, bad := range []string{"", "4", "4/", "/s", "0.5/s", "-1/s", "+4/s", "0/s", "4/x", "4/-1s", "2000000/s", "1/48h", "4/s/s"} {
		if r, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) = %v, want an error", bad, r)
		} else if bad != "0/s" && bad != "2000000/s" && bad != "1/48h" && !strings.Contains(err.Error(), "like 4/s") {
			t.Errorf("ParseRate(%q): %v does not say what is accepted", bad, err)
		}
	}
}

// drive runs st as a perfect driver would: it jumps to each wake-up and
// starts what Next allows, items finishing instantly; it returns every
// item's intended start.
func drive(t *testing.T, st Strategy, items int) []time.Duration {
	t.Helper()
	var now time.Duration
	var out []time.Duration
	for len(out) < items {
		start, wake := st.Next(now, 0)
		if start {
			out = append(out, st.(Scheduled).Intended())
			continue
		}
		if wake <= 0 {
			t.Fatalf("item %d: no start and no wake-up at %v", len(out), now)
		}
		now += wake
	}
	return out
}

func build(t *testing.T, rate string, c RateConfig, items int) Strategy {
	t.Helper()
	r, err := ParseRate(rate)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Rate.New(Config{Items: items, Rate: r, Pacing: c.WithDefaults(30 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRateConstant: at 100/s item k starts at (k+1)·10 ms (vegeta's
// ConstantPacer sends its first hit one interval in), so the start rate
// over the schedule is exactly the rate; the deadline is the last start
// plus the grace.
func TestRateConstant(t *testing.T) {
	st := build(t, "100/s", RateConfig{Grace: upstream.Duration(2 * time.Second)}, 1000)
	due := drive(t, st, 1000)
	for k, d := range due {
		if want := time.Duration(k+1) * 10 * time.Millisecond; d != want {
			t.Fatalf("item %d due at %v, want %v", k, d, want)
		}
	}
	if got := float64(len(due)-1) / (due[len(due)-1] - due[0]).Seconds(); math.Abs(got-100) > 1e-9 {
		t.Errorf("start rate %g, want 100", got)
	}
	if d := st.(Scheduled).Deadline(); d != 10*time.Second+2*time.Second {
		t.Errorf("deadline %v, want 12s", d)
	}
}

// TestRateLinearSine: linear from 10/s growing by 10/s each second starts
// 10·t + 5·t² items by t; sine around 20/s starts 20·P items over a whole
// period P, more in its first half from mean_up than from mean_down.
func TestRateLinearSine(t *testing.T) {
	due := drive(t, build(t, "10/s", RateConfig{Pacer: PacerLinear, Slope: 10}, 200), 200)
	for _, at := range []float64{1, 2, 4} {
		n := countBefore(due, at)
		if want := 10*at + 5*at*at; math.Abs(float64(n)-want) > 1 {
			t.Errorf("linear: %d items by %gs, want %g", n, at, want)
		}
	}
	amp := ArrivalRate{Freq: 10, Per: time.Second}
	sine := RateConfig{Pacer: PacerSine, Period: upstream.Duration(10 * time.Second), Amplitude: &amp}
	up := drive(t, build(t, "20/s", sine, 400), 400)
	sine.StartAt = "mean_down"
	down := drive(t, build(t, "20/s", sine, 400), 400)
	if n := countBefore(up, 10); math.Abs(float64(n)-200) > 1 {
		t.Errorf("sine: %d items in a period of 10s, want 200", n)
	}
	// mean_up: 20·5 + (10·10/2π)·2 ≈ 131.8 in the first half; mean_down ≈ 68.2.
	if a, b := countBefore(up, 5), countBefore(down, 5); math.Abs(float64(a)-131.8) > 1 || math.Abs(float64(b)-68.2) > 1 {
		t.Errorf("sine: first half %d (mean_up) and %d (mean_down), want about 132 and 68", a, b)
	}
}

func countBefore(due []time.Duration, sec float64) int {
	n := 0
	for _, d := range due {
		if d.Seconds() <= sec+1e-9 {
			n++
		}
	}
	return n
}

// TestRateBound: with max_in_flight 2 nothing starts while 2 are in
// flight, even when an item's time has come; without a bound it starts.
func TestRateBound(t *testing.T) {
	st := build(t, "10/s", RateConfig{MaxInFlight: 2}, 10)
	if start, wake := st.Next(time.Second, 2); start || wake != 0 {
		t.Errorf("bound 2 with 2 in flight: start %v, wake %v", start, wake)
	}
	if start, _ := st.Next(time.Second, 1); !start || st.(Scheduled).Intended() != 100*time.Millisecond {
		t.Errorf("bound 2 with 1 in flight: start %v, intended %v", start, st.(Scheduled).Intended())
	}
	free := build(t, "10/s", RateConfig{}, 10)
	if start, _ := free.Next(time.Second, 1000); !start {
		t.Error("no bound: an item whose time has come did not start with 1000 in flight")
	}
	if start, wake := free.Next(150*time.Millisecond, 0); start || wake != 50*time.Millisecond {
		t.Errorf("before its time: start %v, wake %v; want a wake-up in 50ms", start, wake)
	}
}

func TestRateConfigCheck(t *testing.T) {
	r4 := []ArrivalRate{{Freq: 4, Per: time.Second}}
	amp := func(s string) *ArrivalRate { a, _ := ParseRate(s); return &a }
	for _, tt := range []struct {
		c     RateConfig
		field string
		msg   string
	}{
		{RateConfig{}, "", ""},
		{RateConfig{Pacer: "poisson"}, "pacer", "constant"},
		{RateConfig{Pacer: PacerLinear}, "slope", "above 0"},
		{RateConfig{Pacer: PacerLinear, Slope: -1}, "slope", "falling"},
		{RateConfig{Slope: 1}, "slope", "pacer linear"},
		{RateConfig{Pacer: PacerSine, Amplitude: amp("1/s")}, "period", "above 0"},
		{RateConfig{Pacer: PacerSine, Period: upstream.Duration(time.Second)}, "amplitude", "missing"},
		{RateConfig{Pacer: PacerSine, Period: upstream.Duration(time.Second), Amplitude: amp("4/s")}, "amplitude", "not below the rate 4/s"},
		{RateConfig{Pacer: PacerSine, Period: upstream.Duration(time.Second), Amplitude: amp("1/s"), StartAt: "top"}, "start_at", "mean_up, peak"},
		{RateConfig{Pacer: PacerSine, Period: upstream.Duration(time.Second), Amplitude: amp("1/s"), StartAt: "peak"}, "", ""},
		{RateConfig{StartAt: "peak"}, "start_at", "pacer sine"},
		{RateConfig{MaxInFlight: -1}, "max_in_flight", "0 (no bound)"},
	} {
		field, err := tt.c.WithDefaults(time.Second).Check(r4)
		if field != tt.field || (err == nil) != (tt.msg == "") || err != nil && !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%+v: %q %v; want %q with %q", tt.c, field, err, tt.field, tt.msg)
		}
	}
	if _, err := Rate.New(Config{Items: 10}); err == nil {
		t.Error("rate without a rate built")
	}
}
