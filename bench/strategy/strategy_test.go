package strategy

import (
	"strings"
	"testing"
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
		if _, err := k.New(Config{Pool: 4, Items: 10}); err != nil {
			t.Errorf("%s: %v", k.Name, err)
		}
	}
	if _, ok := Lookup("nope"); ok || Rank("nope") != len(Kinds()) {
		t.Error("unknown name found")
	}
	if List() != "serial, pooled, workers or unbounded" {
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
