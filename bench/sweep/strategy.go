package sweep

import (
	"context"
	"sync"
	"time"

	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// clock is how a driver keeps time: the cell's start, its time scale, and
// how it sleeps until a wake-up the strategy asked for (the sweep's waker
// through client.wait, or sleep).
type clock struct {
	start time.Time
	scale upstream.Scale
	sleep func(ctx context.Context, d time.Duration) (late time.Duration, ok bool)
}

// runStrategy starts items 0..n-1 as st says and returns once every
// started item has ended. do(i, due) runs item i to its end and returns
// its outcome, which st is told; due is when the item ought to have
// started, for a scheduled strategy (strategy.Scheduled), else the zero
// time. Times st sees are model time from clk.start. With reuse, the
// goroutine whose item ended runs the next item itself (producer/consumer
// workers); otherwise every item has a goroutine of its own. When ctx is
// canceled no new item starts, and no wake-up outlives it.
func runStrategy(ctx context.Context, st strategy.Strategy, reuse bool, clk clock, n int, do func(i int, due time.Time) strategy.Outcome) {
	d := &driver{ctx: ctx, st: st, reuse: reuse, clk: clk, n: n, do: do}
	d.sched, _ = st.(strategy.Scheduled)
	d.mu.Lock()
	d.pump(false)
	d.mu.Unlock()
	d.wg.Wait()
}

// driver runs one strategy on goroutines; mu guards the strategy and the
// counts.
type driver struct {
	ctx   context.Context
	st    strategy.Strategy
	reuse bool
	clk   clock
	n     int
	do    func(int, time.Time) strategy.Outcome
	sched strategy.Scheduled // st, when it schedules its items
	wg    sync.WaitGroup

	mu       sync.Mutex
	next     int // next item to start
	inFlight int
	pending  bool          // a wake-up is armed
	wakeAt   time.Duration // for then (model time)
}

// started is an item the driver started, with its intended start (the
// zero time for a closed-loop strategy).
type started struct {
	i   int
	due time.Time
}

// now is the model time since the cell's start.
func (d *driver) now() time.Duration { return d.clk.scale.Model(time.Since(d.clk.start)) }

// pump asks the strategy for starts and counts them in flight; it arms a
// wake-up when the strategy asks for one. With take, the first item to
// start is returned (ok) for the caller to run on its own goroutine; every
// other starts on a goroutine of its own here, so no list of items is
// made (the usual start, one item after one ended, allocates nothing but
// its goroutine). A strategy that starts nothing with nothing in flight
// and asks for no wake-up would end the cell early; the driver starts the
// item instead, so every item runs. Called with mu held.
func (d *driver) pump(take bool) (first started, ok bool) {
	for d.next < d.n && d.ctx.Err() == nil {
		now := d.now()
		start, wake := d.st.Next(now, d.inFlight)
		if !start && wake > 0 {
			d.arm(now + wake)
			break
		}
		if !start && d.inFlight > 0 {
			break
		}
		it := started{i: d.next}
		if d.sched != nil {
			it.due = d.clk.start.Add(d.clk.scale.Wall(d.sched.Intended()))
		}
		d.next++
		d.inFlight++
		if take && !ok {
			first, ok = it, true
		} else {
			d.goRun(it)
		}
	}
	return first, ok
}

// arm has the strategy asked again at model time at, unless a wake-up
// armed already comes no later (it asks again then, and the strategy
// names its next time). The sleeper ends with ctx. Called with mu held.
func (d *driver) arm(at time.Duration) {
	if d.pending && d.wakeAt <= at {
		return
	}
	d.pending, d.wakeAt = true, at
	wall := time.Until(d.clk.start.Add(d.clk.scale.Wall(at)))
	d.wg.Go(func() {
		_, ok := d.clk.sleep(d.ctx, max(wall, 0))
		d.mu.Lock()
		if d.wakeAt == at {
			d.pending = false
		}
		if ok {
			d.pump(false)
		}
		d.mu.Unlock()
	})
}

// goRun runs item it on a goroutine of its own.
func (d *driver) goRun(it started) {
	d.wg.Add(1)
	go d.runDone(it)
}

// runDone is run, then tells the driver's WaitGroup.
func (d *driver) runDone(it started) {
	defer d.wg.Done()
	d.run(it)
}

// run runs item it, tells the strategy its outcome and starts what the
// strategy then allows: with reuse, the first of them on this goroutine.
func (d *driver) run(it started) {
	for {
		o := d.do(it.i, it.due)
		d.mu.Lock()
		d.inFlight--
		d.st.Ended(d.now(), o)
		next, ok := d.pump(d.reuse)
		d.mu.Unlock()
		if !ok {
			return
		}
		it = next
	}
}
