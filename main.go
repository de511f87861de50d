// Command poolbench measures what serial, pooled, worker and unbounded
// clients really cost against a slow, capped upstream, and compares runs.
//
//	poolbench run SCENARIO       run a sweep, write reports/<name>/
//	poolbench mock [flags]       serve the mock upstream on 127.0.0.1
//	poolbench report DIR         re-render tables, charts and HTML
//	poolbench compare BASE NEW   compare two runs; exit 1 on a regression
//	poolbench predict SCENARIO   predict a sweep without sending a request
//	poolbench probe URL          measure a service briefly, then fit it
//	poolbench fit RESULTS        infer a service from a run; write fitted.yaml
//	poolbench scenarios          list the built-in scenarios
//	poolbench version            print the version
//
// Exit codes: 0 ok, 1 the work failed (the run failed, a threshold was
// crossed, compare found a regression), 2 bad input, 130 interrupted.
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
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/poolbench/poolbench/internal/awake"
)

// command is one subcommand: its name, a one-line summary, and the function
// that parses its own flags from args and does the work.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *environ, args []string) error
	// timed marks commands whose results depend on prompt wake-ups (they
	// run with at least minProcs Ps, see raiseProcs).
	timed bool
}

// environ is what a command may touch of the process: its streams and
// what was read of the environment at start. Commands read nothing else
// of the environment, so tests give them one.
type environ struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// stdoutWidth is the terminal's width when stdout is a terminal, else
	// 0 (no wrapping).
	stdoutWidth int
	// stepSummary is $GITHUB_STEP_SUMMARY (compare appends its verdict).
	stepSummary string
	// stderrTerminal says whether stderr is a terminal (progress bars).
	stderrTerminal bool
	// raiseProcs: GOMAXPROCS was not set by the user, so timed commands
	// may raise it to minProcs.
	raiseProcs bool
	// executable and environment are this program's path and environment,
	// for the spinner it starts as a child (run -keep-awake); an empty
	// executable starts none.
	executable  string
	environment []string
	// memAvailable is the memory the kernel says is available (bytes, 0
	// when unknown) and fdLimit the soft limit on open files (0 when
	// unknown): what run checks a plan against.
	memAvailable, fdLimit uint64
}

// processEnviron is the environ of this process.
func processEnviron() *environ {
	env := &environ{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		stepSummary: os.Getenv("GITHUB_STEP_SUMMARY"), raiseProcs: os.Getenv("GOMAXPROCS") == ""}
	if term.IsTerminal(int(os.Stdout.Fd())) {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			env.stdoutWidth = w
		}
	}
	env.stderrTerminal = term.IsTerminal(int(os.Stderr.Fd()))
	if exe, err := os.Executable(); err == nil {
		env.executable = exe
	}
	env.environment = os.Environ()
	env.memAvailable = memAvailable()
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil {
		env.fdLimit = rl.Cur
	}
	return env
}

func commands() []command {
	return []command{
		{"run", "run a scenario's sweep and write reports/<name>/", cmdRun, true},
		{"mock", "serve the mock upstream on 127.0.0.1", cmdMock, true},
		{"report", "re-render tables, charts and the HTML page from results.json", cmdReport, false},
		{"compare", "compare two runs with statistics; exit 1 on a regression", cmdCompare, false},
		{"predict", "predict a scenario's sweep without sending a request", cmdPredict, false},
		{"probe", "measure a service with a short bounded sweep, then fit it", cmdProbe, true},
		{"fit", "infer a service from a run against it; write fitted.yaml", cmdFit, false},
		{"scenarios", "list the built-in scenarios", cmdScenarios, false},
		{"version", "print poolbench's version and VCS revision", cmdVersion, false},
	}
}

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1
	exitBadInput    = 2
	exitInterrupted = 130
)

// exitError carries the exit code an error maps to. A quiet one was said
// already, on stdout: it is not printed again.
type exitError struct {
	code  int
	err   error
	quiet bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// badInput wraps err as bad input (exit 2).
func badInput(err error) error { return &exitError{code: exitBadInput, err: err} }

// badInputf formats a bad-input error (exit 2).
func badInputf(format string, a ...any) error { return badInput(fmt.Errorf(format, a...)) }

// interrupted wraps err as an interrupted run (exit 130).
func interrupted(err error) error { return &exitError{code: exitInterrupted, err: err} }

// failed wraps err as work that failed (exit 1).
func failed(err error) error { return &exitError{code: exitFailed, err: err} }

// exitCode maps err to the process exit code.
func exitCode(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
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
	// The first signal cancels ctx: work stops and what was measured is
	// written. A second one finds the default handling back and ends the
	// process at once, whatever it is blocked in.
	go func() {
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, processEnviron(), os.Args[1:])
	var e *exitError
	if err != nil && !errors.Is(err, flag.ErrHelp) && !(errors.As(err, &e) && e.quiet) {
		fmt.Fprintln(os.Stderr, "poolbench:", err)
	}
	return exitCode(err)
}

// minProcs is the fewest Ps (GOMAXPROCS) `run` and `mock` work with. Their
// goroutines mostly sleep until a timer or a socket wakes them; with only as
// many Ps as cores, a P held by a blocking syscall or by the GC's mark
// worker leaves woken requests waiting for the one P left
// (docs/notes/perf.md has the measurement).
const minProcs = 8

// run dispatches args to a subcommand.
func run(ctx context.Context, env *environ, args []string) error {
	if len(args) == 0 {
		usage(env.stdout)
		return badInputf("no command given")
	}
	switch args[0] {
	case awake.Command: // the spinner of run -keep-awake, a child of run
		return awake.Spin(env.stdin)
	case "-h", "-help", "--help":
		usage(env.stdout)
		return nil
	case "-version", "--version":
		return cmdVersion(ctx, env, nil)
	case "help":
		if len(args) == 1 {
			usage(env.stdout)
			return nil
		}
		if c, ok := lookup(args[1]); ok {
			return c.run(ctx, &environ{stdout: env.stdout, stderr: env.stdout}, []string{"-h"})
		}
		usage(env.stderr)
		return badInputf("help: unknown command %q", args[1])
	}
	c, ok := lookup(args[0])
	if !ok {
		usage(env.stderr)
		return badInputf("unknown command %q", args[0])
	}
	if c.timed && env.raiseProcs && runtime.GOMAXPROCS(0) < minProcs {
		runtime.GOMAXPROCS(minProcs)
	}
	return c.run(ctx, env, args[1:])
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: poolbench COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'poolbench help COMMAND' (or 'poolbench COMMAND -h') for a command's flags.")
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

// parseArgs parses args into fs, flags before, between or after the
// positional arguments (as `poolbench run seed-816s -pools 2` is typed),
// and returns the positional arguments. "--" ends the flags; "-" alone is
// a positional argument (standard input). A parse failure is bad input.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, badInput(err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if i := len(args) - len(rest) - 1; i >= 0 && args[i] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// memAvailable reads MemAvailable from /proc/meminfo (Linux), in bytes; 0
// where it cannot.
func memAvailable() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
