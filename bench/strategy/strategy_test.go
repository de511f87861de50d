package strategy

import (
	"strings"
	"testing"
	"time"
)

// TestRegistry: names are unique and found, the prose lists them all, and
// each kind's rules are those the rest of poolbench relies on.
func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for i, k := range Kinds() {
		if seen[k.Name] {
			t.Errorf("%s registered twice", k.Name)
		}
		seen[k.Name] = true
		if got, ok := Lookup(k.Name); !ok || got.Name != k.Name || Rank(k.Name) != i {
			t.Errorf("Lookup/Rank(%s) = %v %v %d", k.Name, got.Name, ok, Rank(k.Name))
		}
		if !strings.Contains(List(), k.Name) || !strings.Contains(Help(), k.Doc) {
			t.Errorf("%s missing from List or Help", k.Name)
		}
		if _, err := k.New(Config{Pool: 4, Items: 10, Rate: ArrivalRate{Freq: 4, Per: time.Second}, Pacing: RateConfig{}.WithDefaults(time.Second)}); err != nil {
			t.Errorf("%s: %v", k.Name, err)
		}
	}
	if _, ok := Lookup("nope"); ok || Rank("nope") != len(Kinds()) {
		t.Error("unknown name found")
	}
	if List() != "serial, pooled, workers, unbounded, adaptive or rate" {
		t.Errorf("List() = %q", List())
	}
	for _, tt := range []struct {
		k               Kind
		pool, cellPool  int
		conc            int
		takes, competes bool
	}{
		{Serial, 8, 1, 1, false, true},
		{Pooled, 8, 8, 8, true, true},
		{Workers, 20, 20, 10, true, true}, // no more than the items
		{Unbounded, 8, 0, 10, false, false},
	} {
		conc, fixed, err := tt.k.Fixed(tt.pool, 10)
		if err != nil || !fixed || conc != tt.conc || tt.k.CellPool(tt.pool) != tt.cellPool || tt.k.TakesPool != tt.takes || tt.k.Competes != tt.competes {
			t.Errorf("%s: conc %d %v %v, cell pool %d, takes %v, competes %v", tt.k.Name, conc, fixed, err, tt.k.CellPool(tt.pool), tt.k.TakesPool, tt.k.Competes)
		}
	}
	if _, fixed, err := Adaptive.Fixed(8, 10); fixed || err != nil || Adaptive.TakesPool || Adaptive.Competes || Adaptive.CellPool(8) != 0 {
		t.Errorf("adaptive: fixed %v %v, takes %v, competes %v", fixed, err, Adaptive.TakesPool, Adaptive.Competes)
	}
	if _, err := Adaptive.New(Config{Adaptive: AdaptiveConfig{BackoffRatio: 0.2}}); err == nil {
		t.Error("adaptive with backoff ratio 0.2 built")
	}
	if _, _, err := Pooled.Fixed(0, 10); err == nil {
		t.Error("pooled with pool 0 accepted")
	}
}

// TestLimit starts while fewer than the limit are in flight.
func TestLimit(t *testing.T) {
	l := Limit(2)
	for inFlight, want := range []bool{true, true, false} {
		if got, wake := l.Next(0, inFlight); got != want || wake != 0 {
			t.Errorf("Next(%d) = %v %v", inFlight, got, wake)
		}
	}
}

// TestOverload names the outcomes that mean too much concurrency.
func TestOverload(t *testing.T) {
	for o, want := range map[string]bool{"503": true, "429": true, "reset": true, "timeout": true, "200": false, "500": false, "canceled": false, "connect": false} {
		if Overload(o) != want {
			t.Errorf("Overload(%q) = %v", o, !want)
		}
	}
}

// TestAIMD: growth by one per success until the first drop, then by one
// per limit's worth of successes; one decrease per round trip of drops;
// no growth when less than half the limit is in use.
func TestAIMD(t *testing.T) {
	m := &aimd{ratio: 0.9}
	ok, drop := Outcome{OK: true}, Outcome{Overload: true}
	l := 10.0
	if l = m.update(l, ok, 10); l != 11 {
		t.Fatalf("slow start: %g, want 11", l)
	}
	if l = m.update(l, ok, 2); l != 11 {
		t.Fatalf("idle client grew the limit to %g", l)
	}
	if l = m.update(l, drop, 11); l != 9 {
		t.Fatalf("drop: %g, want ⌊11·0.9⌋ = 9", l)
	}
	if l = m.update(l, drop, 11); l != 9 {
		t.Fatalf("second drop in the same round trip: %g, want 9", l)
	}
	if l = m.update(l, ok, 9); l < 9.1 || l > 9.12 {
		t.Fatalf("congestion avoidance: %g, want 9 + 1/9", l)
	}
}

// TestVegas: the limit grows by beta while no queue forms, holds between
// alpha and beta, and shrinks above beta; a window of max(10, limit)
// items at a time.
func TestVegas(t *testing.T) {
	v := &vegas{}
	feed := func(limit float64, rtt time.Duration) float64 {
		for range max(10, int(limit)) {
			limit = v.update(limit, Outcome{OK: true, Latency: rtt}, int(limit))
		}
		return limit
	}
	ms := time.Millisecond
	if l := feed(1, 100*ms); l != 7 {
		t.Errorf("no queue: %g, want 1 + 6", l)
	}
	if l := feed(7, 175*ms); l != 7 { // queue ⌈7·(1−100/175)⌉ = 3: between alpha and beta
		t.Errorf("queue of 3: %g, want 7", l)
	}
	if l := feed(20, 500*ms); l != 19 { // queue 16 > beta 6
		t.Errorf("long queue: %g, want 19", l)
	}
}
