package model

import (
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
)

// capSweep is scenarios/cap-sweep.yaml as this test was written: retries
// that a cap of 16 rejects all wait the same Retry-After, and come back
// together.
const capSweep = `
name: cap-sweep
items: 400
seed: 16
upstream: {latency: "uniform(180ms,220ms)", cap: 16, overflow: reject, reject_status: 503, retry_after: 1s, error_rate: 0.02, error_status: 500, seed: 16}
client:
  timeout: 10s
  retry: {max_attempts: 4, backoff: exponential, base: 100ms, max: 2s, retry_after: true}
sweep: {strategies: [pooled], pool_sizes: [1, 256]}
`

// TestHarnessError: a serial chain adds up the overhead, and twice as much
// at most under twice the overhead; the pool of 256, whose retries come
// back together, barely moves with 2 ms per attempt and takes a whole
// Retry-After wave longer with 3 ms: Sensitivity is what shows it.
func TestHarnessError(t *testing.T) {
	sc, err := scenario.Parse("cap-sweep.yaml", []byte(capSweep))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParamsFor(sc)
	if err != nil {
		t.Fatal(err)
	}
	o := Overhead{RoundTrip: 2 * time.Millisecond}
	serial, err := HarnessError(t.Context(), p, scenario.Pooled, 1, o)
	if err != nil {
		t.Fatal(err)
	}
	// 406 attempts of about 200 ms plus backoff: 2 ms each is about 1%.
	if serial.Error < 0.007 || serial.Error > 0.013 || serial.Sensitivity < 1.8*serial.Error || serial.Sensitivity > 2.2*serial.Error {
		t.Errorf("pooled(1): %+v, want an error of about 1%% and twice that at most", serial)
	}
	big, err := HarnessError(t.Context(), p, scenario.Pooled, 256, o)
	if err != nil {
		t.Fatal(err)
	}
	if big.Error > 0.01 || big.Sensitivity < 0.2 {
		t.Errorf("pooled(256): %+v, want under 1%% and a jump of over 20%% doubled (a Retry-After wave)", big)
	}
}

// TestReturnSpreadPastTimeout: answers whose way back, spread, ends past
// the client's timeout time out; the simulation does not stall (it did:
// the deadline of an attempt in service was watched only when the fixed
// half of the way back reached it).
func TestReturnSpreadPastTimeout(t *testing.T) {
	sc, err := scenario.Parse("cap-sweep.yaml", []byte(capSweep))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParamsFor(sc)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range []time.Duration{0, 3 * time.Second, 6855 * time.Millisecond} {
		q := p
		q.RoundTrip, q.ReturnSpread, q.SpreadSeed = rt, 13*time.Second, 1
		c, err := Simulate(t.Context(), q, scenario.Pooled, 512)
		if err != nil {
			t.Fatalf("round trip %v, spread 13s: %v", rt, err)
		}
		if c.Succeeded+c.Failed != 400 || c.Outcomes["timeout"] == 0 {
			t.Errorf("round trip %v: %d succeeded, %d failed, outcomes %v; want all 400 ended, some timed out", rt, c.Succeeded, c.Failed, c.Outcomes)
		}
	}
}
