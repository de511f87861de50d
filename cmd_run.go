package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/poolbench/poolbench/bench"
	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/report"
)

// cmdRun runs a scenario's sweep and writes reports/<name>/.
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", "[flags] SCENARIO\n\nSCENARIO is a built-in name (see 'poolbench scenarios') or a YAML file.", stderr)
	out := fs.String("out", "", "write results.json and requests.jsonl to `DIR` (default reports/<name>)")
	repeats := fs.Int("repeats", 0, "run the whole sweep `N` times (overrides the scenario)")
	timescale := fs.Float64("timescale", 0, "multiply every modeled duration by `X`, 0 < X ≤ 1 (overrides the scenario)")
	strategies := fs.String("strategies", "", "comma-separated `list` of serial,pooled,workers,unbounded (overrides the scenario)")
	pools := fs.String("pools", "", "comma-separated pool `sizes`, like 1,2,4 (overrides the scenario)")
	parallel := fs.Int("parallel", 0, "run `N` cells at once, each against a mock of its own (overrides the scenario; upstream: scenarios only)")
	allowRemote := fs.Bool("allow-remote", false, "allow a target that is not a loopback address (only a service you own)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return badInputf("run takes one SCENARIO (a built-in name or a file), got %d arguments", fs.NArg())
	}
	sc, err := bench.Load(fs.Arg(0), builtinScenarios())
	if err != nil {
		return badInput(err)
	}
	if err := applyOverrides(sc, *repeats, *parallel, *timescale, *strategies, *pools); err != nil {
		return badInput(err)
	}
	if sc.Target != nil && !*allowRemote {
		if err := bench.CheckTarget(sc.Target); err != nil {
			return badInput(err)
		}
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("reports", sc.Name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	recPath := filepath.Join(dir, "requests.jsonl")
	rec, err := os.CreateTemp(dir, ".requests.jsonl.tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(rec.Name()) // a no-op once renamed

	plan := sc.Sweep.Plan()
	var done atomic.Int64
	prog := newProgress(stderr, sc, len(plan), &done)
	res, runErr := bench.Run(ctx, sc, bench.RunOptions{
		Records:     rec,
		AllowRemote: *allowRemote,
		ItemsDone:   &done,
		OnCell:      prog.cell,
	})
	prog.finish()
	cerr := rec.Close()
	if res == nil {
		if runErr == nil {
			runErr = cerr
		}
		return runErr
	}
	if cerr != nil {
		return fmt.Errorf("writing %s: %w", recPath, cerr)
	}
	if err := os.Chmod(rec.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(rec.Name(), recPath); err != nil {
		return err
	}
	// The model predicts every measured cell and recommends a pool; a model
	// failure costs the predictions, never the measurements.
	if err := model.Annotate(res); err != nil {
		fmt.Fprintf(stderr, "poolbench: model: %v (results written without predictions)\n", err)
	}
	if err := bench.WriteResults(filepath.Join(dir, "results.json"), res); err != nil {
		return err
	}
	if err := writeBenchFile(dir, res); err != nil {
		return err
	}
	// A report that cannot be rendered must not hide how the run itself
	// ended (an interrupted run still exits 130).
	if err := writeReport(stdout, dir, *out == "", res); err != nil {
		if runErr == nil {
			return err
		}
		fmt.Fprintf(stderr, "poolbench: %v\n", err)
	}
	switch {
	case runErr == nil:
		fmt.Fprintf(stderr, "wrote %s; open %s\n", dir, filepath.Join(dir, "index.html"))
		return nil
	case ctx.Err() != nil && errors.Is(runErr, ctx.Err()):
		fmt.Fprintf(stderr, "interrupted: wrote the %d cells measured to %s (\"complete\": false)\n", len(res.Cells), dir)
		return interrupted(fmt.Errorf("run %s interrupted: %w", sc.Name, runErr))
	default:
		fmt.Fprintf(stderr, "wrote what was measured to %s\n", dir)
		return runErr
	}
}

// applyOverrides applies the command line's sweep overrides and validates
// the scenario again.
func applyOverrides(sc *bench.Scenario, repeats, parallel int, timescale float64, strategies, pools string) error {
	if repeats != 0 {
		sc.Sweep.Repeats = repeats
	}
	if parallel != 0 {
		sc.Sweep.Parallel = parallel
	}
	if timescale != 0 {
		sc.Timescale = timescale
	}
	if strategies != "" {
		sc.Sweep.Strategies = nil
		for _, s := range strings.Split(strategies, ",") {
			sc.Sweep.Strategies = append(sc.Sweep.Strategies, bench.Strategy(strings.TrimSpace(s)))
		}
	}
	if pools != "" {
		sc.Sweep.PoolSizes = nil
		for _, s := range strings.Split(pools, ",") {
			p, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return fmt.Errorf("-pools: %q is not a whole number: want a list like 1,2,4,8", s)
			}
			sc.Sweep.PoolSizes = append(sc.Sweep.PoolSizes, p)
		}
	}
	if err := sc.Validate(); err != nil {
		return fmt.Errorf("after the command-line overrides: %w", err)
	}
	return nil
}

// progress reports the sweep on stderr: a bar over all items when stderr is
// a terminal, else one line per finished cell.
type progress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	stop  chan struct{}
	ended chan struct{}
	done  *atomic.Int64
	scale float64
}

func newProgress(w io.Writer, sc *bench.Scenario, cells int, done *atomic.Int64) *progress {
	p := &progress{w: w, done: done, scale: sc.Timescale}
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(w, "%s: %d cells of %d items, run at %s\n", sc.Name, cells, sc.Items, scaleLabel(sc.Timescale))
		return p
	}
	p.bar = progressbar.NewOptions64(int64(cells)*int64(sc.Items),
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(sc.Name),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("items"),
		progressbar.OptionShowIts(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	p.stop, p.ended = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.ended)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.bar.Set64(done.Load())
			}
		}
	}()
	return p
}

// cell is bench.RunOptions.OnCell.
func (p *progress) cell(i, total int, c *bench.Cell) {
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("%s done (%d/%d)", c.Label(), i+1, total))
		return
	}
	mark := ""
	if c.Interrupted {
		mark = " (interrupted)"
	}
	fmt.Fprintf(p.w, "[%d/%d] %-22s %4d ok %4d failed %5d attempts %9.1f model s (%.2f s)%s\n",
		i+1, total, c.Label(), c.Succeeded, c.Failed, c.Attempts, c.ModelWallSeconds, c.WallSeconds, mark)
}

func (p *progress) finish() {
	if p.bar == nil {
		return
	}
	close(p.stop)
	<-p.ended
	p.bar.Finish()
}

// scaleLabel renders a time scale as "1:100".
func scaleLabel(t float64) string {
	if t == 1 {
		return "real time"
	}
	return "1:" + strconv.FormatFloat(1/t, 'f', -1, 64)
}

// writeReport prints the table and the failures, and writes the report's
// files into dir (and the reports index beside it when dir is the default).
func writeReport(stdout io.Writer, dir string, index bool, res *bench.Results) error {
	if err := report.WriteTable(stdout, res); err != nil {
		return err
	}
	printFailures(stdout, res)
	if err := report.WriteAll(dir, res); err != nil {
		return fmt.Errorf("rendering the report in %s: %w", dir, err)
	}
	if index {
		if err := report.WriteIndex(filepath.Dir(dir)); err != nil {
			return fmt.Errorf("writing the reports index: %w", err)
		}
	}
	return nil
}

// printFailures lists each cell's failed items by their last error class,
// under the table.
func printFailures(w io.Writer, r *bench.Results) {
	for _, c := range r.Cells {
		if len(c.Failures) == 0 {
			continue
		}
		classes := make([]string, 0, len(c.Failures))
		for k := range c.Failures {
			classes = append(classes, k)
		}
		slices.Sort(classes)
		parts := make([]string, len(classes))
		for i, k := range classes {
			parts[i] = fmt.Sprintf("%d × %s", c.Failures[k], k)
		}
		fmt.Fprintf(w, "failed in %s: %s\n", c.Label(), strings.Join(parts, ", "))
	}
}
