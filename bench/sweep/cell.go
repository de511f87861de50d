package sweep

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// cellRun is one cell being run: its client and what it has counted so
// far. Items run concurrently; everything here is safe for that. Its
// memory does not grow with the items: latencies go to a histogram,
// attempts to the records spill (or nowhere).
type cellRun struct {
	c     *client
	plan  scenario.CellPlan
	items int
	seed  uint64 // backoff jitter of item i: PCG(seed, i)

	// fleet, when set, are the independent clients (c the first) that
	// share the cell's items round-robin, each with the cell's strategy
	// and pool (scenario clients: N). shard is the share of the cell's
	// items this process does (the zero value: all of them); items is
	// that share's count, and item indexes are the whole cell's.
	fleet []*client
	shard results.Shard

	lat   *results.Latencies
	sched *results.ScheduleRecorder // a rate cell's starts; nil otherwise
	begin time.Time                 // the cell's start
	// parent is the run's context when the cell has a deadline of its own
	// (a rate cell): items the deadline, not the run, cut short fail as
	// "time-limit".
	parent  context.Context
	records *spill // nil: no requests.jsonl
	feed    *feed  // the items' own requests (a targets file); nil: the target's

	clock     startClock   // numbers and times the attempts as they start
	started   atomic.Int64 // items started
	succeeded atomic.Int64
	kinds     [nKinds]atomic.Int64
	codes     [1000]atomic.Int64 // HTTP answers by status

	mu       sync.Mutex
	failures map[string]int

	// For the harness's self-measurement: the attempts' summed latency,
	// and the waits between attempts and how late they woke, summed.
	attemptTime      atomic.Int64
	waits, waitsLate atomic.Int64

	itemDone func()
	pace     func(context.Context) error // Options.Pace
}

// item runs item index to its end: attempts, with retries after the
// policy's wait, until one succeeds, one is not retried, the attempts run
// out or ctx is done (the item then fails as canceled, or time-limit at a
// rate cell's deadline, also while it waits to retry). It returns the
// item's outcome for the strategy. due is when the item ought to have
// started (a rate cell's schedule; zero otherwise): its latency is taken
// from there, as wrk2 takes it.
//
// Under pooled, item is the bottom of a goroutine that lives for one item:
// its rare paths (a schedule, a targets file's error, the wait before a
// retry) are functions of their own, so the exchange's deepest point fits
// the stack a new goroutine starts with and the runtime copies no stack
// per item (docs/notes/perf.md).
func (r *cellRun) item(ctx context.Context, c *client, index int, due time.Time) (o strategy.Outcome) {
	r.started.Add(1)
	first := time.Now()
	if r.sched != nil && !due.IsZero() {
		defer r.scheduled(due, &first)()
	}
	var a attempt
	if r.feed != nil {
		var ok bool
		if a.req, ok = r.feedRequest(index, first); !ok {
			return o
		}
	}
	var rnd *rand.Rand
	for n := 1; ; n++ {
		if r.pace != nil && r.pace(ctx) != nil {
			r.end(first, scenario.OutcomeCanceled, n-1)
			return o
		}
		var draw uint64
		if c.t.mock {
			draw = upstream.DrawKey(index, n)
		}
		retryAfter := c.send(ctx, &r.clock, &a, draw)
		r.count(&a)
		o.Latency = c.scale.Model(a.latency)
		if a.ok() {
			r.end(first, "", n)
			o.OK = true
			return o
		}
		outcome := a.outcome()
		o.Overload = o.Overload || strategy.Overload(outcome)
		if a.kind == kindCanceled || n >= c.retry.MaxAttempts || !c.retry.Retries(outcome) {
			if a.kind == kindCanceled {
				outcome = r.canceled()
			}
			r.end(first, outcome, n)
			return o
		}
		if !r.backoff(ctx, c, index, n, &rnd, retryAfter) {
			r.end(first, r.canceled(), n)
			return o
		}
	}
}

// scheduled tells the schedule that an item due then started at *first,
// moves *first back to due when the item started late (its latency counts
// from its intended start), and returns what tells the schedule the item
// ended.
func (r *cellRun) scheduled(due time.Time, first *time.Time) (ended func()) {
	actual := *first
	r.sched.Start(due.Sub(r.begin), actual.Sub(r.begin))
	if due.Before(actual) {
		*first = due
	}
	return func() { r.sched.End(time.Since(actual)) }
}

// feedRequest is item index's own request from the targets file; when it
// cannot be read, the item fails (an attempt booked with the error) and ok
// is false.
func (r *cellRun) feedRequest(index int, first time.Time) (req *request, ok bool) {
	req, err := r.feed.get(index)
	if err == nil {
		return req, true
	}
	a := attempt{err: err, kind: kindError, upstream: -1}
	a.seq, a.start = r.clock.stamp()
	r.count(&a)
	r.end(first, a.outcome(), 1)
	return nil, false
}

// backoff waits the retry policy's delay before attempt n+1 of item
// index (its jitter drawn from *rnd, made on first use) and counts the
// wait; false when ctx ended it.
func (r *cellRun) backoff(ctx context.Context, c *client, index, n int, rnd **rand.Rand, retryAfter time.Duration) bool {
	if c.retry.Backoff == scenario.BackoffExponential && *rnd == nil {
		*rnd = rand.New(rand.NewPCG(r.seed, uint64(index)))
	}
	wait := c.scale.Wall(c.retry.Delay(n, *rnd, retryAfter))
	if wait <= 0 {
		return true
	}
	late, ok := c.wait(ctx, wait)
	if !ok {
		return false
	}
	r.waits.Add(1)
	r.waitsLate.Add(int64(late))
	return true
}

// canceled is why an item whose context ended failed: the run was
// canceled, or a rate cell's deadline came.
func (r *cellRun) canceled() string {
	if r.parent != nil && r.parent.Err() == nil {
		return scenario.OutcomeTimeLimit
	}
	return scenario.OutcomeCanceled
}

// count books one attempt.
func (r *cellRun) count(a *attempt) {
	r.attemptTime.Add(int64(a.latency))
	if a.kind == kindHTTP {
		r.codes[min(int(a.code), len(r.codes)-1)].Add(1)
	} else {
		r.kinds[a.kind].Add(1)
	}
	if r.records != nil {
		r.records.add(a)
	}
}

// end books an item that ended after n attempts: succeeded when outcome
// is "", else failed with its last outcome.
func (r *cellRun) end(first time.Time, outcome string, n int) {
	r.lat.Record(time.Since(first))
	if outcome == "" {
		r.succeeded.Add(1)
	} else {
		r.mu.Lock()
		r.failures[results.FailureClass(outcome, n)]++
		r.mu.Unlock()
	}
	if r.itemDone != nil {
		r.itemDone()
	}
}

// run sends every item with the cell's strategy and returns the cell,
// its wall time measured at scale. Items that never started (ctx done
// first) fail as canceled.
func (r *cellRun) run(ctx context.Context) results.Cell {
	clients := r.fleet
	if len(clients) == 0 {
		clients = []*client{r.c}
	}
	kind := r.plan.Strategy.Kind()
	strategies := make([]strategy.Strategy, len(clients))
	var deadline time.Duration // a rate cell's, model time (the latest client's)
	for g := range clients {
		items := results.Shard{Index: g, Count: len(clients)}.Of(r.items)
		st, err := r.plan.New(items)
		if err != nil {
			st = strategy.Limit(1) // unreachable: plans are validated; never leave items unrun
		}
		strategies[g] = st
		if sch, ok := st.(strategy.Scheduled); ok {
			deadline = max(deadline, sch.Deadline())
		}
	}
	start := time.Now()
	r.begin = start
	if deadline > 0 {
		var cancel context.CancelFunc
		r.parent = ctx
		ctx, cancel = context.WithDeadline(ctx, start.Add(r.c.scale.Wall(deadline)))
		defer cancel()
		r.sched = results.NewScheduleRecorder(r.c.scale.Wall(deadline))
	}
	defer context.AfterFunc(ctx, func() { // an interrupt, or the deadline, cuts the attempts in flight short
		for _, c := range clients {
			c.abort()
		}
	})()
	if len(clients) == 1 {
		runStrategy(ctx, strategies[0], kind.Reuse, clock{start, r.c.scale, r.c.wait}, r.items, func(k int, due time.Time) strategy.Outcome { return r.item(ctx, r.c, r.shard.Item(k), due) })
	} else {
		var wg sync.WaitGroup
		for g, c := range clients {
			group := results.Shard{Index: g, Count: len(clients)}
			wg.Go(func() {
				runStrategy(ctx, strategies[g], kind.Reuse, clock{start, c.scale, c.wait}, group.Of(r.items), func(k int, due time.Time) strategy.Outcome {
					return r.item(ctx, c, r.shard.Item(group.Item(k)), due)
				})
			})
		}
		wg.Wait()
	}
	wall := time.Since(start)
	end := time.Now()

	c := results.Cell{
		Strategy:  r.plan.Strategy,
		Pool:      r.plan.Pool,
		Repeat:    r.plan.Repeat,
		Items:     r.items,
		Succeeded: int(r.succeeded.Load()),
		Attempts:  int(r.clock.started()),
		Outcomes:  map[string]int{},
		Failures:  map[string]int{},
	}
	c.Failed = c.Items - c.Succeeded
	for _, cl := range clients { // a fleet's connections are every client's
		c.Reconnects += int(cl.reconnects.Load())
		cl.mu.Lock()
		c.Connections += cl.dialed
		cl.mu.Unlock()
	}
	for k, v := range r.failures {
		c.Failures[k] = v
	}
	if never := c.Items - int(r.started.Load()); never > 0 {
		c.Failures[r.canceled()] += never
	}
	for code := range r.codes {
		if v := r.codes[code].Load(); v > 0 {
			c.Outcomes[strconv.Itoa(code)] = int(v)
		}
	}
	for k := kindHTTP + 1; k < nKinds; k++ {
		if v := r.kinds[k].Load(); v > 0 {
			c.Outcomes[kindOutcome[k]] = int(v)
		}
	}
	if len(c.Failures) == 0 {
		c.Failures = nil
	}
	if len(c.Outcomes) == 0 {
		c.Outcomes = nil
	}
	c.SetWall(wall.Seconds(), r.c.scale)
	if t, ok := strategies[0].(strategy.Traced); ok {
		c.Limit = t.Trace(r.c.scale.Model(wall))
	}
	c.Latency = r.lat.Percentiles(r.c.scale)
	if r.sched != nil {
		rate := r.plan.Rate
		c.Rate, c.Schedule = &rate, r.sched.Summary(r.c.scale)
	}
	c.Started, c.Ended = start.UTC(), end.UTC()
	if h, err := r.lat.Encode(); err == nil {
		c.Histogram = h
	}
	c.Interrupted = c.Failures[scenario.OutcomeCanceled] > 0
	return c
}

// newCellRun prepares plan's cell with client c at scale.
func newCellRun(c *client, plan scenario.CellPlan, items int, seed uint64, records *spill, itemDone func()) *cellRun {
	return &cellRun{c: c, plan: plan, items: items, seed: seed, lat: results.NewLatencies(),
		records: records, failures: map[string]int{}, itemDone: itemDone}
}
