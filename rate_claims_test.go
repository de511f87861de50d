package main

import "testing"

// TestRateCapacityScenario: rate-capacity's claims, by the model. The
// service answers at most 8 / 200 ms = 40 requests a second: at 20/s every
// item finds a free slot and takes its 150–250 ms; at 40/s nothing is
// turned away and a small queue comes and goes (p99 under half a second);
// at 80/s the queue fills to its limit of 40 and, past it, the excess is
// turned away (about (80 − 40) × 5 s − 40 = 160 of 400); pooled(8) answers
// at the capacity.
func TestRateCapacityScenario(t *testing.T) {
	cells := builtinCells(t, "rate-capacity", false, nil)
	if len(cells) != 4 {
		t.Fatalf("%d cells, want rate at 20/s, 40/s, 80/s and pooled(8)", len(cells))
	}
	below, at, above, pooled := cells[0], cells[1], cells[2], cells[3]
	if below.Rate.String() != "20/s" || at.Rate.String() != "40/s" || above.Rate.String() != "80/s" {
		t.Fatalf("rates %v %v %v", below.Rate, at.Rate, above.Rate)
	}
	if u := below.Upstream; u.Rejected != 0 || u.PeakQueued != 0 || below.Latency.Max > 0.25 || below.Latency.P50 < 0.19 || below.Latency.P50 > 0.21 {
		t.Errorf("20/s: %d rejected, %d queued at most, p50 %.3g s, max %.3g s: want none, none, about 0.2 s and at most 0.25 s", u.Rejected, u.PeakQueued, below.Latency.P50, below.Latency.Max)
	}
	if u := at.Upstream; u.Rejected != 0 || u.PeakQueued == 0 || at.Latency.P99 > 0.5 {
		t.Errorf("40/s: %d rejected, %d queued at most, p99 %.3g s: want none, some, under 0.5 s", u.Rejected, u.PeakQueued, at.Latency.P99)
	}
	if u := above.Upstream; u.PeakQueued != 40 || u.Rejected < 140 || u.Rejected > 180 || above.Goodput < 38 || above.Goodput > 40 {
		t.Errorf("80/s: %d queued at most, %d rejected, goodput %.3g/s: want 40, about 160, about 40/s", u.PeakQueued, u.Rejected, above.Goodput)
	}
	if pooled.Goodput < 38 || pooled.Goodput > 40 || pooled.Failed != 0 {
		t.Errorf("pooled(8): goodput %.3g/s, %d failed: want about 40/s, none", pooled.Goodput, pooled.Failed)
	}
}
