package sweep

import (
	"context"
	"sync"
	"time"

	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// runStrategy starts items 0..n-1 as st says and returns once every
// started item has ended. do(i) runs item i to its end and returns its
// outcome, which st is told. Times st sees are model time at scale. With
// reuse, the goroutine whose item ended runs the next item itself
// (producer/consumer workers); otherwise every item has a goroutine of its
// own. When ctx is canceled no new item starts.
func runStrategy(ctx context.Context, st strategy.Strategy, reuse bool, scale upstream.Scale, n int, do func(int) strategy.Outcome) {
	d := &driver{ctx: ctx, st: st, reuse: reuse, scale: scale, n: n, do: do, start: time.Now()}
	defer context.AfterFunc(ctx, func() { // no wake-up outlives an interrupt
		d.mu.Lock()
		d.disarm()
		d.mu.Unlock()
	})()
	d.mu.Lock()
	first := d.pump()
	d.mu.Unlock()
	for _, i := range first {
		d.wg.Go(func() { d.run(i) })
	}
	d.wg.Wait()
}

// driver runs one strategy on goroutines; mu guards the strategy and the
// counts.
type driver struct {
	ctx   context.Context
	st    strategy.Strategy
	reuse bool
	scale upstream.Scale
	n     int
	do    func(int) strategy.Outcome
	start time.Time
	wg    sync.WaitGroup

	mu       sync.Mutex
	next     int // next item to start
	inFlight int
	timer    *time.Timer // the strategy's wake-up, when it asked for one
}

// now is the model time since the cell's start.
func (d *driver) now() time.Duration { return d.scale.Model(time.Since(d.start)) }

// pump asks the strategy for starts and returns the items to start, which
// it counts in flight; it arms a wake-up when the strategy asks for one.
// A strategy that starts nothing with nothing in flight and asks for no
// wake-up would end the cell early; the driver starts the item instead,
// so every item runs. Called with mu held.
func (d *driver) pump() []int {
	var out []int
	for d.next < d.n && d.ctx.Err() == nil {
		now := d.now()
		start, wake := d.st.Next(now, d.inFlight)
		if !start && wake > 0 {
			d.arm(wake)
			break
		}
		if !start && d.inFlight > 0 {
			break
		}
		out = append(out, d.next)
		d.next++
		d.inFlight++
	}
	return out
}

// arm schedules a pump after model time wake. Called with mu held.
func (d *driver) arm(wake time.Duration) {
	d.disarm()
	d.wg.Add(1)
	var t *time.Timer
	t = time.AfterFunc(d.scale.Wall(wake), func() {
		defer d.wg.Done()
		d.mu.Lock()
		if d.timer == t {
			d.timer = nil
		}
		items := d.pump()
		d.mu.Unlock()
		for _, i := range items {
			d.wg.Go(func() { d.run(i) })
		}
	})
	d.timer = t
}

// disarm stops a pending wake-up. Called with mu held.
func (d *driver) disarm() {
	if d.timer != nil && d.timer.Stop() {
		d.wg.Done()
	}
	d.timer = nil
}

// run runs item i, tells the strategy its outcome and starts what the
// strategy then allows: with reuse, on this goroutine.
func (d *driver) run(i int) {
	for {
		o := d.do(i)
		d.mu.Lock()
		d.inFlight--
		d.st.Ended(d.now(), o)
		items := d.pump()
		d.mu.Unlock()
		if len(items) == 0 {
			return
		}
		if d.reuse {
			i, items = items[0], items[1:]
		}
		for _, j := range items {
			d.wg.Go(func() { d.run(j) })
		}
		if !d.reuse {
			return
		}
	}
}
