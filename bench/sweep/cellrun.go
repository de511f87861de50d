package sweep

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// sweeper is what the cells of one sweep share.
type sweeper struct {
	sc      *scenario.Scenario
	opts    Options
	waker   *waker       // the cells' waits between attempts
	cal     *Calibration // measured when needed: timescale auto, a target
	planner *planner     // the model's view: an upstream: scenario only
	// callbacks keeps the calls of opts.OnCell and opts.OnRerun apart.
	callbacks sync.Mutex
	// longest is the longest wall time of any planned cell, in seconds
	// (timescale auto): what a re-run may take without lengthening the
	// sweep.
	longest float64
}

// job is one planned cell and the scale it is to run at.
type job struct {
	i     int // index in the plan
	plan  scenario.CellPlan
	scale upstream.Scale
	pc    *plannedCell // the model's cell (upstream: scenarios)
	note  string       // how the scale was chosen (auto)
}

// newSweeper calibrates when it must and plans every cell's scale.
func newSweeper(ctx context.Context, sc *scenario.Scenario, opts Options) (*sweeper, []job, error) {
	sw := &sweeper{sc: sc, opts: opts}
	plan := sc.Sweep.Plan()
	concurrent := min(max(sc.Sweep.Parallel, 1), len(plan))
	if sc.Timescale.Auto || sc.Target != nil {
		cal := opts.Calibration
		if cal == nil {
			c, err := Calibrate(ctx, concurrent, ViaOf(sc))
			if err != nil {
				return nil, nil, fmt.Errorf("calibrating the harness: %w", err)
			}
			cal = &c
		}
		sw.cal = cal
	}
	if sc.Upstream != nil {
		p, err := model.ParamsFor(sc)
		if err != nil {
			return nil, nil, err
		}
		cal := Calibration{}
		if sw.cal != nil {
			cal = *sw.cal
		}
		sw.planner = &planner{params: p, cal: cal, concurrent: concurrent}
	}
	jobs := make([]job, len(plan))
	for i, p := range plan {
		j := job{i: i, plan: p, scale: upstream.Scale(sc.Timescale.Fixed.Factor())}
		if sw.planner != nil {
			pc, err := sw.planner.cell(ctx, p)
			if err != nil {
				return nil, nil, fmt.Errorf("planning %s: %w", p.Strategy, err)
			}
			j.pc = &pc
		}
		switch {
		case sc.Target != nil:
			j.scale = upstream.RealTime
		case sc.Timescale.Auto:
			target := sc.ErrorBudget * autoMargin
			s, e, err := sw.planner.choose(ctx, *j.pc, target, func(s upstream.Scale) model.Overhead { return sw.planner.overheadAt(*j.pc, s) })
			if err != nil {
				return nil, nil, err
			}
			j.scale = s
			j.note = fmt.Sprintf("auto chose %s: predicted harness error %.2f%%", s, 100*e)
		}
		jobs[i] = j
	}
	if sc.Timescale.Auto && sw.planner != nil {
		if err := sw.planner.pace(ctx, jobs, sc.Sweep.Parallel); err != nil {
			return nil, nil, err
		}
		for _, j := range jobs {
			sw.longest = max(sw.longest, j.scale.WallSeconds(j.pc.base.ModelWallSeconds))
		}
	}
	sw.waker = newWaker()
	return sw, jobs, nil
}

// calibration is what results.json records of the calibration.
func (sw *sweeper) calibration() *results.Calibration {
	if sw.cal == nil {
		return nil
	}
	idle := make([]float64, len(sw.cal.IdleSamples))
	for i, d := range sw.cal.IdleSamples {
		idle[i] = d.Seconds()
	}
	return &results.Calibration{
		IdleRoundTrips: idle,
		Client:         sw.cal.Via.String(),
		RoundTrip:      sw.cal.RoundTrip.Seconds(),
		BusyRoundTrip:  sw.cal.BusyRoundTrip.Seconds(),
		CPU:            sw.cal.CPU.Seconds(),
		UpstreamLate:   sw.cal.UpstreamLate.Seconds(),
		WaitLate:       sw.cal.WaitLate.Seconds(),
	}
}

// order is the order cells start in: with an upstream, longest predicted
// wall time first, so that the slowest cells do not start last; else the
// plan's.
func (sw *sweeper) order(jobs []job) []job {
	out := slices.Clone(jobs)
	if sw.planner == nil || sw.sc.Sweep.Parallel <= 1 {
		return out
	}
	wall := func(j job) float64 { return j.scale.WallSeconds(j.pc.base.ModelWallSeconds) }
	slices.SortStableFunc(out, func(a, b job) int { return cmp.Compare(wall(b), wall(a)) })
	return out
}

// runCell runs a job, judges it and, under timescale auto, runs it once
// more at a slower scale if it came out bound.
func (sw *sweeper) runCell(ctx context.Context, j job, withRecords bool) (results.Cell, *cellRecords, error) {
	cell, rec, err := sw.runAt(ctx, j, withRecords)
	if err != nil || !sw.sc.Timescale.Auto || !cell.Bound() || cell.Interrupted || ctx.Err() != nil {
		return cell, rec, err
	}
	h := cell.Harness
	measured := func(s upstream.Scale) model.Overhead { return overheadOf(h, s) }
	s, _, err := sw.planner.choose(ctx, *j.pc, sw.sc.ErrorBudget*autoMargin, measured)
	if err != nil {
		return cell, rec, err
	}
	capped := ""
	if c := rerunCap(j.pc.base.ModelWallSeconds, cell.WallSeconds, sw.longest); s > c {
		capped = fmt.Sprintf("; capped at %s, as long as the sweep's longest cell or twice its first try (%s asked)", c, s)
		s = c
	}
	if s <= j.scale {
		return cell, rec, nil
	}
	if rec != nil {
		rec.spill.close()
	}
	if sw.opts.ItemsDone != nil {
		sw.opts.ItemsDone.Add(-int64(cell.Items))
	}
	first := fmt.Sprintf("%s measured a harness error of %.1f%%%s", j.scale, 100*h.Error, capped)
	if sw.opts.OnRerun != nil {
		sw.callbacks.Lock()
		sw.opts.OnRerun(cell.Label(), j.scale, s, first)
		sw.callbacks.Unlock()
	}
	j.scale = s
	j.note = fmt.Sprintf("auto ran the cell again at %s: %s", s, first)
	return sw.runAt(ctx, j, withRecords)
}

// rerunCap is the slowest scale a re-run may take: one at which the cell
// (of modelWall model seconds) lasts as long as the sweep's longest cell
// (longest wall seconds; a re-run that short lengthens nothing) or twice
// its first try (firstWall), whichever is more. On a busy machine the
// overhead a first try measures can ask for real time, or slower; a re-run
// that long would be the sweep's whole cost, and the cell is flagged
// instead if the capped re-run is still over budget.
func rerunCap(modelWall, firstWall, longest float64) upstream.Scale {
	if modelWall <= 0 {
		return upstream.RealTime
	}
	return upstream.Scale(max(longest, 2*firstWall) / modelWall)
}

// runAt runs job j at its scale: with a client of its own, and in an
// `upstream:` scenario against a mock of its own; then measures and judges
// the harness.
func (sw *sweeper) runAt(ctx context.Context, j job, withRecords bool) (cell results.Cell, rec *cellRecords, err error) {
	sc := sw.sc
	t := target{method: http.MethodGet}
	var mock *mocksrv.Server
	if sc.Upstream != nil {
		var stop func() error
		t.mock = true
		mock, t.url, stop, err = startUpstream(*sc.Upstream, j.scale)
		if err != nil {
			return cell, nil, err
		}
		if sc.Upstream.HTTP == 2 {
			t.net = mockRequests(t.url, true)
		}
		defer func() {
			if serr := stop(); serr != nil && err == nil {
				err = fmt.Errorf("stopping the mock upstream of %s: %w", cell.Label(), serr)
			}
		}()
	} else {
		t = sw.opts.Requests.target()
	}
	items := sc.Items
	var shard results.Shard
	if sw.opts.Shard != nil {
		shard = *sw.opts.Shard
		items = shard.Of(sc.Items)
	}
	fleet := make([]*client, sc.ClientCount())
	for g := range fleet {
		share := results.Shard{Index: g, Count: len(fleet)}.Of(items)
		// As many connections as the strategy keeps requests in flight;
		// one that adapts may have every item in flight.
		conns, fixed, err := j.plan.Strategy.Kind().Fixed(j.plan.Pool, share)
		if err != nil {
			return cell, nil, err
		}
		if !fixed {
			conns = share
		}
		c, err := newClient(t, sc.Client, j.scale, conns, sw.opts.AllowRemote)
		if err != nil {
			return cell, nil, err
		}
		defer c.closeIdle()
		c.waker = sw.waker
		fleet[g] = c
	}
	c := fleet[0]
	var spl *spill
	if withRecords {
		if spl, err = newSpill(); err != nil {
			return cell, nil, err
		}
		spl.redact = sw.opts.Requests.redact()
		rec = &cellRecords{spill: spl, url: cmp.Or(sw.opts.Requests.rawURL(), t.url), method: t.method, bytesOut: uint64(len(t.body))}
	}
	fd, err := sw.opts.Requests.newFeed(shard)
	if err != nil {
		return cell, rec, err
	}
	if fd != nil {
		defer fd.close()
	}
	var itemDone func()
	if sw.opts.ItemsDone != nil {
		itemDone = func() { sw.opts.ItemsDone.Add(1) }
	}
	// Every cell draws the same jitter, as bench/model does (common random
	// numbers: cells differ by their strategy and pool, not their luck).
	run := newCellRun(c, j.plan, items, sc.Seed, spl, itemDone)
	run.feed, run.shard, run.pace = fd, shard, sw.opts.Pace
	if len(fleet) > 1 {
		run.fleet = fleet
	}
	watch := watchHarness()
	cell = run.run(ctx)
	var st *mocksrv.Stats
	if mock != nil {
		s := mock.Stats()
		st = &s
		cell.Upstream = &s.Counters
	}
	h := watch.measure(&cell, run, st)
	h.Note = j.note
	r := ruling{budget: sc.ErrorBudget, scale: j.scale, external: sc.Target != nil, fdLimit: cell.Outcomes[scenario.OutcomeFDLimit],
		failedAll: failedEvery(cell.Outcomes), open: j.plan.Strategy.Kind().Open, why: ", as " + cell.TurnsOn()}
	switch {
	case cell.Interrupted:
		// Cut short: its wall time is not the cell's, nor is the error.
	case sw.planner != nil:
		// What was measured stands even when the estimate cannot be had.
		e, err := sw.planner.estimate(context.WithoutCancel(ctx), *j.pc, overheadOf(h, j.scale))
		h.Error, h.Sensitivity, r.unestimated = e.Error, e.Sensitivity, err
		if err == nil && worst(e) > sc.ErrorBudget && !smooth(e) {
			// Its answer turns on a few milliseconds: which of the
			// model's outcomes did it meet?
			iv, err := sw.planner.interval(context.WithoutCancel(ctx), *j.pc, sc.ErrorBudget, j.scale)
			if err != nil {
				return cell, rec, fmt.Errorf("predicting the range of %s: %w", cell.Label(), err)
			}
			r.interval, r.wall = iv, cell.ModelWallSeconds
		}
	case sw.cal != nil:
		// No model: the estimate is linear in the overhead.
		h.Error = externalError(&cell, h, *sw.cal)
		h.Sensitivity = 2 * h.Error
	}
	judge(h, r)
	cell.Harness = h
	return cell, rec, nil
}
