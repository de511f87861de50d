// Command poolbench measures what serial, pooled, worker and unbounded
// clients really cost against a slow, capped upstream, and compares runs.
//
//	poolbench run SCENARIO       run a sweep, write reports/<name>/
//	poolbench mock [flags]       serve the mock upstream on 127.0.0.1
//	poolbench report DIR         re-render tables, charts and HTML
//	poolbench compare BASE NEW   compare two runs; exit 1 on a regression
//	poolbench predict SCENARIO   predict a sweep without sending a request
//	poolbench scenarios          list the built-in scenarios
//
// Exit codes: 0 ok, 1 the work failed (or compare found a regression),
// 2 bad input, 130 interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
)

// command is one subcommand: its name, a one-line summary, and the function
// that parses its own flags from args and does the work.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	// timed marks commands whose results depend on prompt wake-ups (they
	// run with at least minProcs Ps, see raiseProcs).
	timed bool
}

var commands = []command{
	{"run", "run a scenario's sweep and write reports/<name>/", cmdRun, true},
	{"mock", "serve the mock upstream on 127.0.0.1", cmdMock, true},
	{"report", "re-render tables, charts and the HTML page from results.json", cmdReport, false},
	{"compare", "compare two runs with statistics; exit 1 on a regression", cmdCompare, false},
	{"predict", "predict a scenario's sweep without sending a request", cmdPredict, false},
	{"scenarios", "list the built-in scenarios", cmdScenarios, false},
}

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1
	exitBadInput    = 2
	exitInterrupted = 130
)

// exitError carries the exit code an error maps to.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// badInput wraps err as bad input (exit 2).
func badInput(err error) error { return &exitError{exitBadInput, err} }

// badInputf formats a bad-input error (exit 2).
func badInputf(format string, a ...any) error { return badInput(fmt.Errorf(format, a...)) }

// interrupted wraps err as an interrupted run (exit 130).
func interrupted(err error) error { return &exitError{exitInterrupted, err} }

// exitCode maps err to the process exit code.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return exitFailed
}

func main() { os.Exit(mainCode()) }

// mainCode runs poolbench with the process's arguments and returns its exit
// code; tests call it through testscript.
func mainCode() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "poolbench:", err)
	}
	return exitCode(err)
}

// minProcs is the fewest Ps (GOMAXPROCS) `run` and `mock` work with. Their
// goroutines mostly sleep until a timer or a socket wakes them; with only as
// many Ps as cores (2 here), a P held by a blocking syscall or by the GC's
// dedicated mark worker leaves every woken request waiting for the one P
// left. Measured on seed-816s at 1:16.7 with 8 cells in parallel: serial
// 994 model s and pooled(2) 573 with GOMAXPROCS=2, 827 and 429 with 8
// (ideal 816 and 424). Extra Ps cost nothing when idle; the OS still runs
// at most one thread per core.
const minProcs = 8

// raiseProcs sets GOMAXPROCS to at least minProcs, unless the user chose a
// value with the GOMAXPROCS environment variable.
func raiseProcs() {
	if os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) < minProcs {
		runtime.GOMAXPROCS(minProcs)
	}
}

// run dispatches args to a subcommand.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return badInputf("no command given")
		}
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			if c.timed {
				raiseProcs()
			}
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	usage(stderr)
	return badInputf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: poolbench COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'poolbench COMMAND -h' for a command's flags.")
}

// newFlagSet returns a flag set for a subcommand that reports errors instead
// of exiting and prints its usage to stderr.
func newFlagSet(name, usageLine string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: poolbench %s %s\n\nflags:\n", name, usageLine)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs, mapping a parse failure to bad input.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return badInput(err)
	}
	return nil
}
