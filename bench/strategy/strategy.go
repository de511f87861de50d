// Package strategy is the one home of poolbench's client strategies: when
// an item (one logical request) may start. The runner (bench/sweep, with
// goroutines on the wall clock) and the simulator (bench/model, with
// events on a virtual clock) both drive a Strategy the same way, so a
// strategy is written once and both execute it.
//
// The shape follows vegeta's two-method Pacer (github.com/tsenart/vegeta
// lib/pacer.go: Pace and Rate): Next says whether one more item starts now
// or when to ask again, and Ended hands the strategy each item's outcome
// so that it can react (an adaptive limit grows and shrinks with them).
//
// Every strategy is one file here holding its Kind, plus one line in
// Kinds; the rest of poolbench (plan, recommendation, tables, charts,
// help) asks the Kind rather than switching on the name.
package strategy

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"
	"time"
)

// Outcome is how an item ended, handed back to the strategy that started
// it.
type Outcome struct {
	// OK is true when the item succeeded.
	OK bool
	// Overload is true when one of the item's attempts was rejected
	// (429 or the upstream's reject status), reset or timed out: the
	// upstream's signs of too much concurrency.
	Overload bool
	// Latency is the item's last attempt's round trip, in model time.
	Latency time.Duration
}

// Strategy decides when items start. Drivers call it from one goroutine
// at a time; times are model time from the cell's start.
type Strategy interface {
	// Next reports whether one more item starts now, with inFlight items
	// in flight. When it does not, wake > 0 asks to be asked again at
	// now+wake even if no item ends first (0: ask when an item ends).
	// Drivers ask again after every start, so it sees every item.
	Next(now time.Duration, inFlight int) (start bool, wake time.Duration)
	// Ended tells the strategy an item ended at now with outcome o.
	Ended(now time.Duration, o Outcome)
}

// Config is what a cell's strategy is built from.
type Config struct {
	// Pool is the cell's pool size (for the kinds that take one).
	Pool int
	// Items is the number of items the cell runs.
	Items int
	// Adaptive configures adaptive (defaults filled in by New).
	Adaptive AdaptiveConfig
	// Rate is the cell's rate (for the kinds that take one), and Pacing
	// how rate paces it (defaults applied: RateConfig.WithDefaults).
	Rate   ArrivalRate
	Pacing RateConfig
}

// Kind describes a strategy: its name and the rules the rest of poolbench
// asks about it.
type Kind struct {
	// Name is the strategy's name in scenarios, flags and results.
	Name string
	// Doc says in a phrase what the strategy does, for help text.
	Doc string
	// TakesPool is true when the strategy runs once per pool size of the
	// sweep; otherwise it runs once per repeat.
	TakesPool bool
	// TakesRate is true when the strategy runs once per rate of the sweep
	// (sweep rates:); a kind takes a pool or a rate, not both.
	TakesRate bool
	// Open is true when a schedule, not the answers, sets when items
	// start (an open model): the cell's wall time is the schedule's, and
	// what the harness can distort is the items' latency.
	Open bool
	// Competes is true when its cells may be recommended.
	Competes bool
	// Reuse is a runner detail: each runner goroutine runs items one after
	// another (producer/consumer workers) instead of one goroutine per
	// item. The simulator ignores it: the two differ only in goroutines.
	Reuse bool
	// PoolLabel is what tables print for its cells' pool, when not the
	// number: "∞" for unbounded, "auto" for adaptive.
	PoolLabel string
	// Versus, when set, is how the headline says the strategy's goodput
	// compares with the best fixed pool's: "without knowing the cap"
	// ("adaptive reaches 97% of the best fixed pool's goodput without
	// knowing the cap"). Empty: no such sentence.
	Versus string
	// TimedCounts is true when the strategy's cells' counts (failed
	// items, attempts, peak in flight) turn on timing, because it reacts
	// to answers as they come: compare then tests them over repeats as it
	// does times, rather than exactly.
	TimedCounts bool
	// Color is the strategy's colour in every chart.
	Color color.RGBA
	// cellPool is the pool a cell records for a pool size.
	cellPool func(pool int) int
	// fixed is the constant number of items kept in flight, or ok false
	// when the strategy adapts.
	fixed func(pool, items int) (conc int, err error)
	// build makes the strategy for one cell.
	build func(Config) (Strategy, error)
}

// Kinds lists every strategy, in report order.
func Kinds() []Kind { return []Kind{Serial, Pooled, Workers, Unbounded, Adaptive, Rate} }

// Lookup returns the strategy named name; ok is false when there is none.
func Lookup(name string) (Kind, bool) {
	for _, k := range Kinds() {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// Rank is the strategy's place in report order (unknown names last).
func Rank(name string) int {
	for i, k := range Kinds() {
		if k.Name == name {
			return i
		}
	}
	return len(Kinds())
}

// Names lists every strategy's name, in report order.
func Names() []string {
	var out []string
	for _, k := range Kinds() {
		out = append(out, k.Name)
	}
	return out
}

// List names every strategy as prose, "serial, pooled, workers or
// unbounded", for messages that say what is accepted.
func List() string {
	n := Names()
	return strings.Join(n[:len(n)-1], ", ") + " or " + n[len(n)-1]
}

// Help is one line per strategy, "name: what it does", for help text.
func Help() string {
	var b strings.Builder
	for _, k := range Kinds() {
		fmt.Fprintf(&b, "  %-10s %s\n", k.Name, k.Doc)
	}
	return b.String()
}

// CellPool is the pool a cell of this kind records for pool size pool
// (1 for serial, 0 — unbounded — for unbounded).
func (k Kind) CellPool(pool int) int {
	if k.cellPool == nil {
		return pool
	}
	return k.cellPool(pool)
}

// PoolText is what tables print in the pool column of a cell of this kind
// with pool pool and rate rate: its PoolLabel ("∞", "auto"), the rate
// ("4/s") for a kind that takes one, else the pool.
func (k Kind) PoolText(pool int, rate ArrivalRate) string {
	switch {
	case k.PoolLabel != "":
		return k.PoolLabel
	case k.TakesRate:
		return rate.String()
	case pool == 0:
		return "∞" // a strategy unknown to this build
	}
	return strconv.Itoa(pool)
}

// Fixed is the constant number of items the strategy keeps in flight
// with pool size pool and items items; ok is false when it adapts.
func (k Kind) Fixed(pool, items int) (conc int, ok bool, err error) {
	if k.fixed == nil {
		return 0, false, nil
	}
	conc, err = k.fixed(pool, items)
	return conc, err == nil, err
}

// New builds the strategy for one cell.
func (k Kind) New(c Config) (Strategy, error) {
	if k.build == nil {
		return nil, fmt.Errorf("unknown strategy %q (want %s)", k.Name, List())
	}
	return k.build(c)
}

// Limit keeps a constant number of items in flight: the closed loop of
// serial, pooled, workers and unbounded.
type Limit int

// Next starts an item while fewer than the limit are in flight.
func (l Limit) Next(_ time.Duration, inFlight int) (bool, time.Duration) {
	return inFlight < int(l), 0
}

// Ended does nothing: a fixed limit does not react.
func (Limit) Ended(time.Duration, Outcome) {}

// fixedKind fills in a kind that keeps conc(pool, items) in flight.
func fixedKind(k Kind, conc func(pool, items int) (int, error)) Kind {
	k.fixed = conc
	k.build = func(c Config) (Strategy, error) {
		n, err := conc(c.Pool, c.Items)
		if err != nil {
			return nil, err
		}
		return Limit(n), nil
	}
	return k
}

// poolConc is pooled's and workers' concurrency: the pool, at most one
// per item.
func poolConc(name string) func(pool, items int) (int, error) {
	return func(pool, items int) (int, error) {
		if pool < 1 {
			return 0, fmt.Errorf("strategy %s needs a pool size of at least 1, got %d", name, pool)
		}
		return min(pool, max(items, 1)), nil
	}
}

// Overload reports whether an attempt's outcome ("200", "503", "429",
// "reset", "timeout"...) is a sign of too much concurrency: a 429 or 503
// answer, a reset or a timeout. Both drivers classify with it.
func Overload(outcome string) bool {
	switch outcome {
	case "429", "503", "reset", "timeout":
		return true
	}
	return false
}
