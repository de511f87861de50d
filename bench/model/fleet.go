package model

import (
	"fmt"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
)

// A fleet: Params.Clients independent clients share one upstream and its
// cap, as the machines of a batch job do. A cell's items are dealt round
// robin — item i to client i mod Clients, as poolbench's runner deals them
// (scenario clients: N) — and each client runs the cell's strategy with
// its own pool over its own items: a slot one client frees starts that
// client's next item, never another's. Everything else stays per item
// (its draws, its retries and their backoff jitter, keyed by the item's
// index in the whole cell), so a fleet differs from one client with the
// same requests in flight exactly where the clients' slots do: a client
// whose items are slow (retried, backing off) holds its own slots, and a
// client that has run out of items leaves its slots idle while others
// still queue.

// fleetClient is one client of a simulated fleet: its strategy, the
// items it has started and owns, those in flight, and its pending
// wake-up.
type fleetClient struct {
	st          strategy.Strategy
	next, items int32
	active      int    // items started and not yet finished
	wake        uint64 // seq of the strategy's pending wake-up (older ones are void)
}

// clientsOf is the number of clients p describes (Clients, 1 when unset).
func clientsOf(p *Params) int { return max(p.Clients, 1) }

// shareOf is how many of items client g of n gets when they are dealt
// round robin.
func shareOf(items, g, n int) int { return max(items-g+n-1, 0) / n }

// FleetConcurrency is the number of items a fleet of clients keeps in
// flight at once: the sum of each client's Concurrency over its share of
// the items (clients < 2: one client).
func FleetConcurrency(s scenario.Strategy, pool, items, clients int) (int, error) {
	clients = max(clients, 1)
	total := 0
	for g := range clients {
		n := shareOf(items, g, clients)
		if n == 0 {
			break
		}
		c, err := Concurrency(s, pool, n)
		if err != nil {
			return 0, err
		}
		total += c
	}
	if total == 0 {
		return Concurrency(s, pool, items)
	}
	return total, nil
}

// startFleet sets up the fleet's clients, each with its own strategy
// from newStrategy (given the client's item count).
func (m *sim) startFleet(newStrategy func(items int) (strategy.Strategy, error)) error {
	n := min(clientsOf(m.p), len(m.items)) // a client without items sends nothing
	m.fleet = make([]fleetClient, n)
	for g := range m.fleet {
		f := &m.fleet[g]
		f.items = int32(shareOf(len(m.items), g, n))
		st, err := newStrategy(int(f.items))
		if err != nil {
			return err
		}
		f.st = st
	}
	return nil
}

// clientOf is the client item i is dealt to.
func (m *sim) clientOf(i int32) int { return int(i) % len(m.fleet) }

// pump starts the items client g's strategy allows now, as the runner's
// driver does (bench/sweep/strategy.go): it asks after every start, arms a
// wake-up when asked for one (a newer one replaces it; it comes WaitExtra
// late, as the harness's timers do), and starts an item
// when the strategy would otherwise leave the client with nothing in
// flight and nothing to wake it.
func (m *sim) pump(g int) {
	f := &m.fleet[g]
	for f.next < f.items {
		start, wake := f.st.Next(time.Duration(m.now), f.active)
		if !start && wake > 0 {
			m.schedule(m.now+int64(wake+m.p.WaitExtra), ref{item: int32(g)}, evWake, laneHeap)
			f.wake = m.seq
			return
		}
		if !start && f.active > 0 {
			return
		}
		m.startItem(g)
	}
}

// startItem gives client g's next item a slot: its first attempt begins
// now.
func (m *sim) startItem(g int) {
	f := &m.fleet[g]
	f.active++
	i := int32(g) + f.next*int32(len(m.fleet))
	f.next++
	it := &m.items[i]
	it.start, it.due = m.now, m.now
	if sch, ok := f.st.(strategy.Scheduled); ok {
		it.due = int64(sch.Intended())
		m.sched.Start(time.Duration(it.due), time.Duration(it.start))
	}
	it.jitter.Seed(m.p.Seed, uint64(i))
	m.ready.push(ref{item: i})
}

// checkClients refuses a fleet size out of range (0 stands for one).
func checkClients(n int) error {
	if n < 0 || n > scenario.MaxClients {
		return fmt.Errorf("clients %d is out of range: want 1 to %d", n, scenario.MaxClients)
	}
	return nil
}
