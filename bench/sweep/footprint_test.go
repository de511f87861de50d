package sweep

import "testing"

// TestFootprint: the largest cells that run at once set the peak.
func TestFootprint(t *testing.T) {
	sc := mustParse(t, `
name: f
items: 1000
upstream: {latency: 1s}
sweep: {strategies: [serial, pooled, unbounded], pool_sizes: [10, 100], parallel: 2}
`)
	f := FootprintOf(sc)
	// unbounded (1000) and pooled(100) at once.
	if f.InFlight != 1100 || f.FDs != 2200 || f.Bytes != footprintBase+1100*footprintInFlight {
		t.Errorf("footprint %+v, want 1100 in flight, 2200 fds", f)
	}
}
