package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/mocksrv"
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
	// OnCell, when set, is called after each cell with its index, the number
	// of cells in the sweep, and the cell.
	OnCell func(i, total int, c *Cell)
}

// settleWait bounds how long Run waits, between cells, for the mock to
// finish requests a previous cell gave up on (stalled or timed out).
const settleWait = 2 * time.Second

// Run runs the scenario's sweep and returns its results. sc must have its
// defaults filled and be valid (as Load returns it). An `upstream:`
// scenario starts the mock on 127.0.0.1 for the run's length, resets its
// counters before each cell and stores them in Cell.Upstream after it.
//
// When ctx is canceled, Run stops: the cell running is marked
// Interrupted, its unfinished items are counted failed ("canceled"), and
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
	var srv *mocksrv.Server
	if sc.Upstream != nil {
		cfg := *sc.Upstream
		cfg.Timescale = sc.Timescale
		var err error
		if srv, err = mocksrv.New(cfg); err != nil {
			return nil, fmt.Errorf("starting the mock upstream: %w", err)
		}
		running, err := mocksrv.Listen("127.0.0.1:0", srv)
		if err != nil {
			srv.Close()
			return nil, fmt.Errorf("starting the mock upstream: %w", err)
		}
		defer func() {
			// Release anything stalled or queued first, then shut down.
			srv.Close()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			running.Shutdown(sctx)
		}()
		base.url = running.URL + "/item"
	} else {
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
		records = newRecordWriter(opts.Records, base.method, base.url, len(base.body))
	}
	plan := sc.Sweep.Plan()
	var runErr error
	for i, p := range plan {
		if ctx.Err() != nil {
			break
		}
		if srv != nil {
			settle(ctx, srv)
			srv.ResetStats()
		}
		c := *base
		c.tr = newTransport(p.Pool, sc.Items, sc.Client.KeepAliveOn())
		c.seed = sc.Seed ^ uint64(i+1)*0x9e3779b97f4a7c15
		if err := c.prepare(); err != nil {
			runErr = err
			break
		}
		cell, items := runCell(ctx, &c, sc, p, opts.ItemsDone)
		c.tr.CloseIdleConnections()
		if srv != nil {
			st := srv.Stats()
			cell.Upstream = &st.Counters
		}
		res.Cells = append(res.Cells, cell)
		if records != nil {
			if err := records.write(cell.Label(), items); err != nil {
				runErr = fmt.Errorf("writing request records: %w", err)
				break
			}
		}
		if opts.OnCell != nil {
			opts.OnCell(i, len(plan), &res.Cells[len(res.Cells)-1])
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

func anyInterrupted(cells []Cell) bool {
	return slices.ContainsFunc(cells, func(c Cell) bool { return c.Interrupted })
}

// settle waits (briefly, bounded) until the mock has nothing in flight or
// queued, so that a cell's counters hold its own requests only.
func settle(ctx context.Context, srv *mocksrv.Server) {
	deadline := time.Now().Add(settleWait)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		st := srv.Stats()
		if st.InFlight == 0 && st.Queued == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
