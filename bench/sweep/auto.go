package sweep

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// autoMargin is the share of the error budget timescale auto plans to
// use: the rest is room for what the plan cannot know (the machine's load
// during the cell, an estimate that reads a little low).
const autoMargin = 0.5

// maxLoad caps the CPU load the plan assumes: near saturation a round
// trip's wait grows without bound and the cell is better run slower.
const maxLoad = 0.8

// scaleLadder lists the scales timescale auto chooses from, fastest first:
// 1:1000 to 1:1 in steps of about a quarter (the E24-like series 1, 1.25,
// 1.6, 2, 2.5, 3.2, 4, 5, 6.4, 8 per decade), then 2:1 and 4:1, slower
// than real time, for a cell whose answer the harness's overhead in real
// time would still move (a burst of hundreds of rejections takes the
// harness milliseconds); those only for a cell that then lasts at most
// maxSlowWall.
func scaleLadder() []upstream.Scale {
	steps := []float64{10, 8, 6.4, 5, 4, 3.2, 2.5, 2, 1.6, 1.25}
	var out []upstream.Scale
	for _, decade := range []float64{100, 10, 1} {
		for _, f := range steps {
			out = append(out, upstream.Scale(1/(f*decade)))
		}
	}
	return append(out, upstream.RealTime, 2, 4)
}

// maxSlowWall is the longest a cell may last at a scale slower than real
// time.
const maxSlowWall = 30 * time.Second

// planner predicts a cell's harness error at a time scale before it runs,
// from the machine's calibration and the model's cell.
type planner struct {
	params     model.Params
	cal        Calibration
	concurrent int // cells that run at once
}

// plannedCell is the model's view of a cell, simulated once.
type plannedCell struct {
	plan     scenario.CellPlan
	base     results.Cell // the model's cell, without overhead
	attempts float64
}

// paramsOf is the model's parameters for plan's cell (its rate).
func (pl *planner) paramsOf(plan scenario.CellPlan) model.Params {
	p := pl.params
	p.Rate = plan.Rate
	return p
}

func (pl *planner) cell(ctx context.Context, plan scenario.CellPlan) (plannedCell, error) {
	base, err := model.Simulate(ctx, pl.paramsOf(plan), plan.Strategy, plan.Pool)
	if err != nil {
		return plannedCell{}, err
	}
	return plannedCell{plan: plan, base: base, attempts: float64(base.Attempts)}, nil
}

// overheadAt is the overhead the harness is expected to add, in model
// time, to cell pc run at scale s: the calibrated round trip stretched by
// the CPU load the cells running at once put on the machine (a queue in
// front of a server of utilisation u waits 1/(1−u) as long), the mock's
// lateness, the waits' lateness.
func (pl *planner) overheadAt(pc plannedCell, s upstream.Scale) model.Overhead {
	wall := s.WallSeconds(pc.base.ModelWallSeconds)
	u := 0.0
	if wall > 0 {
		rate := pc.attempts / wall // requests per wall second
		u = rate * pl.cal.CPU.Seconds() * float64(pl.concurrent) / float64(runtime.NumCPU())
	}
	u = math.Min(u, maxLoad)
	toModel := func(d time.Duration) time.Duration { return s.Model(d) }
	return model.Overhead{
		RoundTrip: toModel(time.Duration(float64(pl.cal.RoundTrip) / (1 - u))),
		Service:   toModel(pl.cal.UpstreamLate),
		Wait:      toModel(pl.cal.WaitLate),
	}
}

// estimate is what overhead o does to cell pc under the model
// (model.HarnessError, from the wall time the plan simulated already).
func (pl *planner) estimate(ctx context.Context, pc plannedCell, o model.Overhead) (model.HarnessEstimate, error) {
	return model.HarnessErrorFrom(ctx, pl.paramsOf(pc.plan), pc.base, pc.plan.Strategy, pc.plan.Pool, o)
}

// interval is the model's range for cell pc run at scale, as Annotate
// gives it (model.Range with model.RunSpread: modes cut at twice budget,
// the calibrated CPU per request as the harness's cost).
func (pl *planner) interval(ctx context.Context, pc plannedCell, budget float64, scale upstream.Scale) (*results.Interval, error) {
	return model.Range(ctx, pl.paramsOf(pc.plan), pc.plan.Strategy, pc.plan.Pool, pc.base, model.RunSpread(budget, pl.cal.CPU, scale))
}

// errorAt is the predicted harness error of pc under overhead o, as the
// rule reads it (worst).
func (pl *planner) errorAt(ctx context.Context, pc plannedCell, o model.Overhead) (float64, error) {
	e, err := pl.estimate(ctx, pc, o)
	return worst(e), err
}

// choose returns the fastest scale of the ladder at which pc's predicted
// harness error stays within target, and that error; when none does, real
// time (the cell will be flagged: a slower scale that does not bring it
// within budget only costs time). overhead gives the overhead expected at
// a scale.
func (pl *planner) choose(ctx context.Context, pc plannedCell, target float64, overhead func(upstream.Scale) model.Overhead) (upstream.Scale, float64, error) {
	ladder := scaleLadder()
	ladder = slices.DeleteFunc(ladder, func(s upstream.Scale) bool {
		return s > upstream.RealTime && seconds(s.WallSeconds(pc.base.ModelWallSeconds)) > maxSlowWall
	})
	// The error falls as the scale slows: search for the first scale
	// within target.
	lo, hi := 0, len(ladder)-1
	best, bestErr := ladder[hi], math.Inf(1)
	for lo <= hi {
		mid := (lo + hi) / 2
		e, err := pl.errorAt(ctx, pc, overhead(ladder[mid]))
		if err != nil {
			return 0, 0, err
		}
		if e <= target {
			best, bestErr = ladder[mid], e
			hi = mid - 1
		} else {
			lo = mid + 1
		}
	}
	if math.IsInf(bestErr, 1) {
		e, err := pl.errorAt(ctx, pc, overhead(upstream.RealTime))
		return upstream.RealTime, e, err
	}
	return best, bestErr, nil
}

// pace slows the cells of a sweep whose longest cell sets its wall time:
// a cell that would end long before it gains nothing by running fast, and
// its requests would cost the cells beside it CPU and wake-ups. With
// parallel slots for the cells, the sweep takes at least T, the longest
// cell's wall time or the cells' total over the slots, whichever is
// longer; every cell is slowed to the slowest ladder scale at which it
// still ends within T (with fewer slots than cells, within its share of
// the room the slots leave: all cells stretched alike). A slower
// scale only lowers a cell's harness error, so the plan stays within its
// target.
func (pl *planner) pace(ctx context.Context, jobs []job, parallel int) error {
	if len(jobs) == 0 {
		return nil
	}
	wall := func(j job, s upstream.Scale) float64 { return s.WallSeconds(j.pc.base.ModelWallSeconds) }
	var longest, total float64
	for _, j := range jobs {
		w := wall(j, j.scale)
		longest, total = max(longest, w), total+w
	}
	slots := float64(min(max(parallel, 1), len(jobs)))
	T := max(longest, total/slots)
	if total <= 0 {
		return nil
	}
	room := slots * T / total // ≥ 1: how much the cells may stretch together
	ladder := scaleLadder()
	for i := range jobs {
		j := &jobs[i]
		limit := T
		if int(slots) < len(jobs) {
			limit = min(T, room*wall(*j, j.scale))
		}
		slowest := j.scale
		for _, s := range ladder {
			if s > j.scale && s <= upstream.RealTime && wall(*j, s) <= limit {
				slowest = s
			}
		}
		if slowest == j.scale {
			continue
		}
		e, err := pl.errorAt(ctx, *j.pc, pl.overheadAt(*j.pc, slowest))
		if err != nil {
			return err
		}
		j.note = fmt.Sprintf("auto chose %s, slower than the %s the error budget allows, as the sweep's longest cell sets its pace: predicted harness error %.2f%%", slowest, j.scale, 100*e)
		j.scale = slowest
	}
	return nil
}
