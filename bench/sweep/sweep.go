package sweep

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/internal/cpuload"
	"github.com/poolbench/poolbench/mocksrv"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Options are the knobs of Run that are not part of the scenario.
type Options struct {
	// Records receives every attempt as a vegeta Result JSON line (the
	// requests.jsonl format `vegeta report` and `vegeta plot` read): each
	// cell's, together, once the cell has ended, in the order they ended
	// (Seq is their start order). Timestamps and latencies are wall clock,
	// at the time scale the cell ran at. nil writes none.
	Records io.Writer
	// AllowRemote lets a target be a non-loopback address.
	AllowRemote bool
	// LookupEnv expands the ${NAME}s of a target (nil: none is set).
	LookupEnv LookupEnv
	// Requests, when set, are the target's requests as OpenRequests read
	// them (with the same AllowRemote and LookupEnv); Run reads them
	// itself otherwise.
	Requests *Requests
	// ItemsDone, when set, is incremented as each item ends (for progress
	// bars); it counts across cells.
	ItemsDone *atomic.Int64
	// Calibration, when set, is used instead of measuring one (tests).
	Calibration *Calibration
	// KeepAwake, when set, starts something that keeps this machine's
	// CPUs from idling (internal/awake) and returns what stops it and the
	// id of the process doing it, whose CPU time the machine's load
	// (Machine.Load) counts as poolbench's, not as other work. Run calls
	// it, when the scenario asks (keep_awake), before calibrating an
	// `upstream:` scenario whose cells may run faster than real time
	// (where a wake-up from idle is a visible share of a scaled service
	// time), and stops it when the sweep ends. An error is a warning: the
	// run goes on without, and says so (Machine.KeptAwake).
	KeepAwake func() (stop func() error, pid int, err error)
	// Shard, when set, makes the run one of Shard.Count processes sharing
	// every cell of a `target:` scenario: it does items Index,
	// Index+Count… with the cell's pool, and the results say so
	// (Results.Shard); poolbench merge adds the shards up.
	Shard *results.Shard
	// BeforeCell, when set, is called before each cell starts, with its
	// index in the plan (shards line their cells up with it, see
	// bench/shardsync); an error stops the run as a cell's does.
	BeforeCell func(ctx context.Context, i int) error
	// Pace, when set, is waited on before every attempt of every cell (a
	// rate limit, such as golang.org/x/time/rate's Limiter.Wait); an
	// error ends the item as canceled, and its cell as interrupted.
	Pace func(context.Context) error
	// Warn receives warnings (nil: none are shown).
	Warn func(string)
	// OnCell, when set, is called as each cell ends with the number of cells
	// ended before it, the number of cells in the sweep, and the cell. Calls
	// never overlap, also when cells run in parallel.
	OnCell func(i, total int, c *results.Cell)
	// OnLoad, when set, is called once the sweep has calibrated, before its
	// first cell, with how busy the machine was with other work meanwhile
	// (Machine.Load.Start).
	OnLoad func(cpuload.Load)
	// OnRerun, when set, is called as timescale auto starts a cell again at
	// a slower scale, with the cell's label, the scales and why. Calls
	// never overlap with each other or with OnCell.
	OnRerun func(label string, from, to upstream.Scale, why string)
}

// Run runs the scenario's sweep and returns its results. sc must have its
// defaults filled and be valid (as scenario.Load returns it). In an
// `upstream:` scenario every cell gets a mock of its own on 127.0.0.1,
// started for the cell and closed after it, so its counters
// (Cell.Upstream) are that cell's alone and every cell sees the same
// seeded draws. Up to sc.Sweep.Parallel cells run at once; an external
// target is only ever called by one cell at a time.
//
// Every cell measures the harness itself (Cell.Harness) and is judged by
// the rule of package doc: a cell whose estimated harness error is above
// the scenario's error budget is flagged bound. With timescale auto, each
// cell runs at the fastest scale the plan expects to stay within half the
// budget, and a cell that still comes out bound is run once more at the
// slower scale its measured overhead asks for.
//
// When ctx is canceled, Run stops: the cells running are marked
// Interrupted, their unfinished items fail as "canceled", and Run returns
// the results measured so far (Complete false) with ctx's error. A cell's
// error (its mock failed, its records could not be written) stops the
// cells beside it the same way, and Run returns that error.
func Run(ctx context.Context, sc *scenario.Scenario, opts Options) (*results.Results, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	if sc.Target != nil && !opts.AllowRemote {
		if err := scenario.CheckTarget(ctx, sc.Target); err != nil {
			return nil, err
		}
	}
	if opts.Requests == nil && sc.Target != nil {
		r, err := OpenRequests(ctx, sc, opts.LookupEnv, opts.AllowRemote)
		if err != nil {
			return nil, err
		}
		opts.Requests = r
	}
	if opts.Requests != nil {
		opts.Requests.warn = opts.Warn
		if note := opts.Requests.Note(); note != "" && opts.Warn != nil {
			opts.Warn(note)
		}
	}
	if opts.Shard != nil {
		if err := opts.Shard.Validate(); err != nil {
			return nil, err
		}
		if sc.Target == nil {
			return nil, errors.New("a shard runs against a target: one service every shard calls (an upstream: scenario would give each shard a mock of its own, and their caps would not be shared)")
		}
	}
	res := &results.Results{
		Shard:    opts.Shard,
		Schema:   results.SchemaVersion,
		Scenario: *sc,
		Machine:  results.CurrentMachine(),
		Started:  time.Now().UTC(),
		Cells:    []results.Cell{},
	}
	var own []int // the spinner's CPU is poolbench's, not other work
	if stop, pid := keepAwake(sc, opts); stop != nil {
		res.Machine.KeptAwake = true
		own = append(own, pid)
		defer stop() // after the last load sample (deferred below)
	}
	load0, loadErr := cpuload.Take(own...)
	sw, jobs, err := newSweeper(ctx, sc, opts)
	if err != nil {
		return nil, err
	}
	defer sw.waker.close()
	res.Calibration = sw.calibration()
	if loadErr == nil {
		if s, err := cpuload.Take(own...); err == nil {
			res.Machine.Load = &results.MachineLoad{Start: s.Since(load0)}
			if opts.OnLoad != nil {
				opts.OnLoad(res.Machine.Load.Start)
			}
			defer func() {
				if s, err := cpuload.Take(own...); err == nil {
					res.Machine.Load.Run = s.Since(load0)
				}
			}()
		}
	}
	var enc vegeta.Encoder
	var bw *bufio.Writer
	if opts.Records != nil {
		bw = bufio.NewWriterSize(opts.Records, 64<<10)
		enc = newRecordEncoder(bw)
	}

	cells := make([]*results.Cell, len(jobs)) // by plan index; nil: not run
	runCtx, stopCells := context.WithCancel(ctx)
	defer stopCells()
	var (
		mu       sync.Mutex // guards cells, finished, runErr and the records
		finished int
		runErr   error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		runErr = cmp.Or(runErr, err)
		stopCells()
	}
	slots := make(chan struct{}, max(sc.Sweep.Parallel, 1))
	for _, job := range sw.order(jobs) {
		select {
		case slots <- struct{}{}:
		case <-runCtx.Done():
		}
		if runCtx.Err() != nil { // canceled, or a cell failed (it cancels runCtx)
			break
		}
		if opts.BeforeCell != nil {
			if err := opts.BeforeCell(runCtx, job.i); err != nil {
				<-slots
				mu.Lock()
				fail(err)
				mu.Unlock()
				break
			}
		}
		wg.Go(func() {
			defer func() { <-slots }()
			cell, rec, err := sw.runCell(runCtx, job, enc != nil)
			if rec != nil {
				defer rec.spill.close()
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fail(err)
				return
			}
			cells[job.i] = &cell
			if rec != nil && runErr == nil {
				err := rec.spill.writeTo(enc, cell.Label(), rec.url, rec.method, rec.bytesOut)
				if err == nil {
					err = bw.Flush()
				}
				if err != nil {
					fail(fmt.Errorf("writing request records: %w", err))
				}
			}
			finished++
			if opts.OnCell != nil {
				sw.callbacks.Lock()
				opts.OnCell(finished-1, len(jobs), &cell)
				sw.callbacks.Unlock()
			}
		})
	}
	wg.Wait()
	for _, c := range cells {
		if c != nil {
			res.Cells = append(res.Cells, *c)
		}
	}
	res.Finished = time.Now().UTC()
	res.Complete = runErr == nil && len(res.Cells) == len(jobs) &&
		!slices.ContainsFunc(res.Cells, func(c results.Cell) bool { return c.Interrupted })
	if runErr != nil {
		return res, runErr
	}
	if !res.Complete {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		return res, errors.New("sweep stopped early")
	}
	return res, nil
}

// keepAwake starts opts.KeepAwake when the scenario asks for it and its
// cells may run faster than real time against the embedded mock, and
// returns what stops it and the id of its process (nil when nothing was
// started).
func keepAwake(sc *scenario.Scenario, opts Options) (func(), int) {
	scaled := sc.Timescale.Auto || sc.Timescale.Fixed.Factor() < 1
	if !sc.KeepAwake || opts.KeepAwake == nil || sc.Upstream == nil || !scaled {
		return nil, 0
	}
	stop, pid, err := opts.KeepAwake()
	if err != nil {
		if opts.Warn != nil {
			opts.Warn(fmt.Sprintf("could not keep the CPUs awake (%v): wake-ups from idle will cost the cells more", err))
		}
		return nil, 0
	}
	return func() {
		if err := stop(); err != nil && opts.Warn != nil {
			opts.Warn(err.Error())
		}
	}, pid
}

// cellRecords is where a cell's attempts wait to be written.
type cellRecords struct {
	spill       *spill
	url, method string
	bytesOut    uint64
}

// startUpstream starts a mock of cfg at scale on 127.0.0.1 and returns it,
// the URL to call and the function that shuts it down (releasing anything
// stalled or queued). With cfg.HTTP 2 it serves h2c too (EngineH2C).
func startUpstream(cfg upstream.Config, scale upstream.Scale) (*mocksrv.Server, string, func() error, error) {
	cfg.Timescale = scale
	srv, err := mocksrv.New(cfg)
	if err != nil {
		return nil, "", nil, fmt.Errorf("starting the mock upstream: %w", err)
	}
	engine := mocksrv.DefaultEngine()
	if cfg.HTTP == 2 {
		engine = mocksrv.EngineH2C
	}
	running, err := mocksrv.ListenEngine("127.0.0.1:0", srv, engine)
	if err != nil {
		srv.Close()
		return nil, "", nil, fmt.Errorf("starting the mock upstream: %w", err)
	}
	stop := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return running.Shutdown(sctx)
	}
	return srv, running.URL + "/item", stop, nil
}
