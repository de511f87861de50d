package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/mocksrv"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// RunOptions are the knobs of Run that are not part of the scenario.
type RunOptions struct {
	// Records receives every attempt as a vegeta Result JSON line (the
	// requests.jsonl format `vegeta report` and `vegeta plot` read). Each
	// cell's records are written, in start order, once the cell ends, so
	// the hot path shares no lock. nil writes none.
	Records io.Writer
	// AllowRemote lets a target be a non-loopback address.
	AllowRemote bool
	// ItemsDone, when set, is incremented as each item ends (for progress
	// bars); it counts across cells.
	ItemsDone *atomic.Int64
	// OnCell, when set, is called as each cell ends with the number of cells
	// ended before it, the number of cells in the sweep, and the cell. Calls
	// never overlap, also when cells run in parallel.
	OnCell func(i, total int, c *Cell)
}

// Run runs the scenario's sweep and returns its results. sc must have its
// defaults filled and be valid (as Load returns it). In an `upstream:`
// scenario every cell gets a mock of its own on 127.0.0.1, started for the
// cell and closed after it, so its counters (Cell.Upstream) are that cell's
// alone and every cell sees the same seeded draws. Up to
// sc.Sweep.Parallel cells run at once; an external target is only ever
// called by one cell at a time.
//
// When ctx is canceled, Run stops: the cells running are marked
// Interrupted, their unfinished items are counted failed ("canceled"), and
// Run returns the results measured so far (Complete false) with ctx's
// error.
func Run(ctx context.Context, sc *Scenario, opts RunOptions) (*Results, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	res := &Results{
		Schema:   SchemaVersion,
		Scenario: *sc,
		Machine:  CurrentMachine(),
		Started:  time.Now().UTC(),
		Cells:    []Cell{},
	}
	base := &client{
		timeout: time.Duration(float64(sc.Client.Timeout.D()) * sc.Timescale),
		scale:   sc.Timescale,
		retry:   sc.Client.Retry,
		seed:    sc.Seed,
		method:  http.MethodGet,
	}
	if sc.Target != nil {
		if !opts.AllowRemote {
			if err := CheckTarget(sc.Target); err != nil {
				return nil, err
			}
		}
		base.url = sc.Target.URL
		base.method = sc.Target.Method
		base.body = sc.Target.Body
		if len(sc.Target.Headers) > 0 {
			base.header = make(http.Header, len(sc.Target.Headers))
			for k, v := range sc.Target.Headers {
				base.header.Set(k, v)
			}
		}
	}
	var records *recordWriter
	if opts.Records != nil {
		records = newRecordWriter(opts.Records, base.method, len(base.body))
	}

	plan := sc.Sweep.Plan()
	cells := make([]*Cell, len(plan)) // by plan index; nil: not run
	// A cell's error stops the cells running beside it too.
	runCtx, stopCells := context.WithCancel(ctx)
	defer stopCells()
	var (
		mu       sync.Mutex // guards cells, finished, runErr, recErr and records
		finished int
		runErr   error
		recErr   error // a write to Records failed: no more records
		wg       sync.WaitGroup
	)
	slots := make(chan struct{}, max(sc.Sweep.Parallel, 1))
	for i, p := range plan {
		select {
		case slots <- struct{}{}:
		case <-runCtx.Done():
		}
		if runCtx.Err() != nil { // canceled, or a cell failed (it cancels runCtx)
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			cell, url, items, err := runPlanned(runCtx, base, sc, i, p, opts.ItemsDone)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				runErr = cmp.Or(runErr, err)
				stopCells()
				return
			}
			cells[i] = &cell
			if records != nil && recErr == nil {
				if err := records.write(cell.Label(), url, items); err != nil {
					recErr = fmt.Errorf("writing request records: %w", err)
					runErr = cmp.Or(runErr, recErr)
					stopCells()
				}
			}
			finished++
			if opts.OnCell != nil {
				opts.OnCell(finished-1, len(plan), &cell)
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
	res.Complete = runErr == nil && len(res.Cells) == len(plan) && !anyInterrupted(res.Cells)
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

// runPlanned runs plan cell i: with a transport of its own, and in an
// `upstream:` scenario against a mock of its own. It returns the cell, the
// URL it called and its items.
func runPlanned(ctx context.Context, base *client, sc *Scenario, i int, p CellPlan, itemsDone *atomic.Int64) (Cell, string, []item, error) {
	c := *base
	c.seed = sc.Seed ^ uint64(i+1)*0x9e3779b97f4a7c15
	var srv *mocksrv.Server
	if sc.Upstream != nil {
		var (
			stop func()
			err  error
		)
		srv, c.url, stop, err = startUpstream(sc)
		if err != nil {
			return Cell{}, "", nil, err
		}
		defer stop()
	}
	if err := c.prepare(); err != nil {
		return Cell{}, "", nil, err
	}
	c.tr = newTransport(p.Pool, sc.Items, sc.Client.KeepAliveOn())
	defer c.tr.CloseIdleConnections()
	cell, items := runCell(ctx, &c, sc, p, itemsDone)
	if srv != nil {
		st := srv.Stats()
		cell.Upstream = &st.Counters
	}
	return cell, c.url, items, nil
}

// startUpstream starts the scenario's mock on 127.0.0.1 and returns it, the
// URL to call and the function that releases anything stalled or queued
// and shuts it down.
func startUpstream(sc *Scenario) (*mocksrv.Server, string, func(), error) {
	cfg := *sc.Upstream
	cfg.Timescale = upstream.Scale(sc.Timescale)
	srv, err := mocksrv.New(cfg)
	if err != nil {
		return nil, "", nil, fmt.Errorf("starting the mock upstream: %w", err)
	}
	running, err := mocksrv.Listen("127.0.0.1:0", srv)
	if err != nil {
		srv.Close()
		return nil, "", nil, fmt.Errorf("starting the mock upstream: %w", err)
	}
	stop := func() {
		srv.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		running.Shutdown(sctx)
	}
	return srv, running.URL + "/item", stop, nil
}

func anyInterrupted(cells []Cell) bool {
	return slices.ContainsFunc(cells, func(c Cell) bool { return c.Interrupted })
}
