package main

import (
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/internal/cpuload"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// progress reports the sweep on stderr: a bar over all items when stderr is
// a terminal, else one line per finished cell.
type progress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	stop  chan struct{}
	ended chan struct{}
}

func newProgress(env *environ, sc *scenario.Scenario, cells int, done *atomic.Int64) *progress {
	if !env.stderrTerminal {
		fmt.Fprintf(env.stderr, "%s: %d cells of %d items, run at %s\n", sc.Name, cells, sc.Items, sc.Timescale)
		return &progress{w: env.stderr}
	}
	return newBar(env, sc.Name, int64(cells)*int64(sc.Items), done)
}

// newProbeProgress reports a probe on stderr: when stderr is a terminal,
// a bar counting the items ended (a probe's total is known only when it
// stops: -1, a spinner), with the lines printed above it; else the lines.
// Its Write prints a line.
func newProbeProgress(env *environ, name string, done *atomic.Int64) *progress {
	if !env.stderrTerminal {
		return &progress{w: env.stderr}
	}
	return newBar(env, name, -1, done)
}

// Write prints p above the bar (as is without one).
func (p *progress) Write(b []byte) (int, error) {
	if p.bar != nil {
		p.bar.Clear()
	}
	return p.w.Write(b)
}

// newBar draws a bar of total items (-1: unknown) on stderr, set from
// done every 200 ms until finish.
func newBar(env *environ, name string, total int64, done *atomic.Int64) *progress {
	p := &progress{w: env.stderr}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(env.stderr),
		progressbar.OptionSetDescription(name),
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

// cell is sweep.Options.OnCell.
func (p *progress) cell(i, total int, c *results.Cell) {
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("%s done (%d/%d)", c.Label(), i+1, total))
		return
	}
	mark := ""
	if c.Interrupted {
		mark = " (interrupted)"
	}
	fmt.Fprintf(p.w, "[%d/%d] %-22s %4d ok %4d failed %5d attempts %9.1f model s (%.2f s at %s)%s\n",
		i+1, total, c.Label(), c.Succeeded, c.Failed, c.Attempts, c.ModelWallSeconds, c.WallSeconds, c.Timescale, mark)
}

// line prints a line of its own above the bar (or as is without one).
func (p *progress) line(format string, a ...any) {
	if p.bar != nil {
		p.bar.Clear()
	}
	fmt.Fprintf(p.w, format+"\n", a...)
}

// load is sweep.Options.OnLoad: how busy the machine was while the sweep
// calibrated, said before the first cell.
func (p *progress) load(l cpuload.Load) {
	cpus := runtime.NumCPU()
	state := "quiet"
	if l.Busy() {
		state = "busy: its timings carry that load (run it at raised priority, as make bench and scripts/gate.sh do with nice -n -10)"
		if nice, ok := cpuload.Nice(); ok && nice < 0 {
			state = fmt.Sprintf("busy: its timings carry that load (poolbench already runs at raised priority, nice %d)", nice)
		}
	}
	p.line("machine: other processes used %.1f of %d CPUs while poolbench calibrated (%.1f stolen by the host): %s", l.OtherCPUs, cpus, l.StealCPUs, state)
}

// rerun is sweep.Options.OnRerun: timescale auto runs a cell again.
func (p *progress) rerun(label string, from, to upstream.Scale, why string) {
	p.line("re-running %s at %s, slower than %s: %s, above half the error budget", label, to, from, why)
}

func (p *progress) finish() {
	if p.bar == nil {
		return
	}
	close(p.stop)
	<-p.ended
	p.bar.Finish()
}
