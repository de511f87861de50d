package model

import (
	"reflect"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// TestFleetOfOneIsOneClient: Clients 0 and 1 simulate the same cell.
func TestFleetOfOneIsOneClient(t *testing.T) {
	p := params(300, 0, upstream.Config{Cap: 4, Overflow: upstream.OverflowReject, Seed: 3})
	p.Latency, p.Retry = mustLatency(t, "lognormal(median=50ms,sigma=0.5)"), retryAll{delay: 20 * time.Millisecond}
	a, err := Simulate(t.Context(), p, scenario.Pooled, 3)
	if err != nil {
		t.Fatal(err)
	}
	p.Clients = 1
	b, err := Simulate(t.Context(), p, scenario.Pooled, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("clients 0 and 1 differ:\n%+v\n%+v", a, b)
	}
}

// TestFleetSharesTheCap: N clients with pool P each keep N·P in flight
// against the one cap. With a fixed latency and a queue, where every
// request waits its turn whoever sent it, the fleet takes what one client
// with pool N·P takes (the closed formula), and the upstream sees at most
// min(N·P, cap) at once.
func TestFleetSharesTheCap(t *testing.T) {
	for _, tc := range []struct{ clients, pool, cap, items int }{
		{8, 4, 16, 800}, {8, 1, 16, 800}, {8, 2, 16, 800}, {3, 2, 4, 90}, {4, 5, 0, 200},
	} {
		p := params(tc.items, 100*time.Millisecond, upstream.Config{Cap: tc.cap, Contention: 0.01})
		p.Clients = tc.clients
		c, err := Simulate(t.Context(), p, scenario.Pooled, tc.pool)
		if err != nil {
			t.Fatal(err)
		}
		want := ExactWall(tc.items, tc.clients*tc.pool, tc.cap, 100*time.Millisecond, 0.01)
		if got := time.Duration(c.ModelWallSeconds * 1e9); absDur(got-want) > time.Microsecond {
			t.Errorf("%d clients × pool %d, cap %d: wall %v, want %v (one client with pool %d)", tc.clients, tc.pool, tc.cap, got, want, tc.clients*tc.pool)
		}
		peak := int64(lanes(tc.clients*tc.pool, tc.cap))
		if c.Upstream.PeakInFlight != peak {
			t.Errorf("%d clients × pool %d, cap %d: peak in flight %d, want %d", tc.clients, tc.pool, tc.cap, c.Upstream.PeakInFlight, peak)
		}
		if _, ok := Exact(p, scenario.Pooled, tc.pool); ok {
			t.Errorf("Exact claims a fleet of %d clients", tc.clients)
		}
	}
}

// TestFleetSlotsArePerClient: a slot one client frees starts that
// client's next item, never another's. N serial clients against an
// upstream without a cap each send their own items one after another, so
// the fleet's wall time is the longest of the clients' sums of service
// times (items dealt round robin: client g has items g, g+N, …), and an
// item's latency is its own service time; one client with pool N instead
// hands a freed slot to whichever item is next, and ends sooner.
func TestFleetSlotsArePerClient(t *testing.T) {
	const items, clients = 60, 4
	up := upstream.Config{Seed: 9}
	p := params(items, 0, up)
	p.Latency = mustLatency(t, "10ms:50,200ms:50")
	p.Clients = clients
	fleet, err := Simulate(t.Context(), p, scenario.Serial, 0)
	if err != nil {
		t.Fatal(err)
	}
	d := upstream.NewDrawer(p.Upstream, p.Latency)
	sums := make([]time.Duration, clients)
	for i := range items {
		sums[i%clients] += d.Draw(upstream.DrawKey(i, 1)).Sample
	}
	want := time.Duration(0)
	for _, s := range sums {
		want = max(want, s)
	}
	if got := time.Duration(fleet.ModelWallSeconds * 1e9); absDur(got-want) > time.Microsecond {
		t.Errorf("4 serial clients: wall %v, want the longest client's sum of service times %v (sums %v)", got, want, sums)
	}
	if fleet.Latency.Max > 0.2+1e-9 {
		t.Errorf("4 serial clients: an item waited (max latency %.3f s, no service time is above 0.2 s)", fleet.Latency.Max)
	}
	p.Clients = 1
	one, err := Simulate(t.Context(), p, scenario.Pooled, clients)
	if err != nil {
		t.Fatal(err)
	}
	if !(one.ModelWallSeconds < fleet.ModelWallSeconds) {
		t.Errorf("one client with pool %d took %.3f s, the fleet %.3f s: a shared pool should end sooner", clients, one.ModelWallSeconds, fleet.ModelWallSeconds)
	}
	if one.Upstream.PeakInFlight != clients || fleet.Upstream.PeakInFlight != clients {
		t.Errorf("peak in flight: one client %d, fleet %d; want %d both", one.Upstream.PeakInFlight, fleet.Upstream.PeakInFlight, clients)
	}
}

// TestFleetRetriesPerItem: under reject, every item of a fleet keeps its
// own draws and retries (keyed by its index in the cell), so attempts
// and outcomes add up, and FleetConcurrency counts every client's slots.
func TestFleetRetriesPerItem(t *testing.T) {
	p := params(101, 0, upstream.Config{Cap: 6, Overflow: upstream.OverflowReject, ErrorRate: 0.1, Seed: 5})
	p.Latency, p.Retry, p.Clients = mustLatency(t, "uniform(80ms,120ms)"), retryAll{delay: 50 * time.Millisecond}, 5
	c, err := Simulate(t.Context(), p, scenario.Pooled, 3)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, v := range c.Outcomes {
		sum += v
	}
	if sum != c.Attempts || c.Succeeded+c.Failed != 101 || c.Upstream.Rejected == 0 {
		t.Errorf("outcomes %v sum to %d of %d attempts; %d + %d items of 101; %d rejected (want some)", c.Outcomes, sum, c.Attempts, c.Succeeded, c.Failed, c.Upstream.Rejected)
	}
	for _, tc := range []struct {
		s                    scenario.Strategy
		pool, items, n, want int
	}{
		{scenario.Pooled, 3, 101, 5, 15}, {scenario.Pooled, 30, 101, 5, 101}, {scenario.Serial, 0, 101, 5, 5},
		{scenario.Serial, 0, 3, 5, 3}, {scenario.Unbounded, 0, 101, 5, 101}, {scenario.Workers, 4, 10, 1, 4},
	} {
		if got, err := FleetConcurrency(tc.s, tc.pool, tc.items, tc.n); err != nil || got != tc.want {
			t.Errorf("FleetConcurrency(%s, %d, %d items, %d clients) = %d, %v; want %d", tc.s, tc.pool, tc.items, tc.n, got, err, tc.want)
		}
	}
}

func absDur(d time.Duration) time.Duration { return max(d, -d) }
