package scenario

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

func TestRetries(t *testing.T) {
	all := Retry{}.WithDefaults()
	only5xx := Retry{On: []string{RetryOn5xx}}
	for _, tt := range []struct {
		r       Retry
		outcome string
		want    bool
	}{
		{all, "200", false},
		{all, "404", false},
		{all, "500", true},
		{all, "503", true},
		{all, "429", true},
		{all, OutcomeReset, true},
		{all, OutcomeConnect, true},
		{all, OutcomeTimeout, true},
		{all, OutcomeCanceled, false},
		{all, OutcomeError, false},
		{only5xx, "503", true},
		{only5xx, "429", false},
		{only5xx, OutcomeTimeout, false},
		{Retry{}, "502", true}, // nil On means every class
	} {
		if got := tt.r.Retries(tt.outcome); got != tt.want {
			t.Errorf("Retry{On: %v}.Retries(%q) = %v, want %v", tt.r.On, tt.outcome, got, tt.want)
		}
	}
}

func TestDelay(t *testing.T) {
	ms := func(n int) upstream.Duration { return upstream.Duration(time.Duration(n) * time.Millisecond) }
	rnd := rand.New(rand.NewPCG(1, 2))
	if d := (Retry{Backoff: BackoffNone}).Delay(3, nil, 0); d != 0 {
		t.Errorf("none: %v", d)
	}
	if d := (Retry{Backoff: BackoffConstant, Base: ms(50)}).Delay(3, nil, 0); d != 50*time.Millisecond {
		t.Errorf("constant: %v", d)
	}
	exp := Retry{Backoff: BackoffExponential, Base: ms(100), Max: ms(1000)}
	// Full jitter: uniform in [0, min(max, base·2^(attempt−1))).
	for attempt, ceiling := range map[int]time.Duration{1: 100, 2: 200, 3: 400, 4: 800, 5: 1000, 30: 1000} {
		ceiling *= time.Millisecond
		var lo, hi time.Duration = time.Hour, 0
		sum := time.Duration(0)
		const n = 2000
		for range n {
			d := exp.Delay(attempt, rnd, 0)
			lo, hi = min(lo, d), max(hi, d)
			sum += d
		}
		if lo < 0 || hi >= ceiling {
			t.Errorf("attempt %d: delays in [%v, %v], want within [0, %v)", attempt, lo, hi, ceiling)
		}
		if mean := sum / n; mean < ceiling*4/10 || mean > ceiling*6/10 {
			t.Errorf("attempt %d: mean delay %v, want about %v", attempt, mean, ceiling/2)
		}
	}
	// Retry-After is honoured when asked, even past Max, and ignored otherwise.
	ra := exp
	ra.RetryAfter = true
	if d := ra.Delay(1, rnd, 3*time.Second); d != 3*time.Second {
		t.Errorf("retry_after: %v, want 3s", d)
	}
	if d := exp.Delay(1, rnd, 3*time.Second); d >= 100*time.Millisecond {
		t.Errorf("retry_after ignored: %v, want < 100ms", d)
	}
	// Same seed, same delays: the model package can replay them.
	a, b := rand.New(rand.NewPCG(7, 7)), rand.New(rand.NewPCG(7, 7))
	for i := 1; i < 10; i++ {
		if exp.Delay(i, a, 0) != exp.Delay(i, b, 0) {
			t.Fatal("Delay is not deterministic for a given source")
		}
	}
}
