// Command poolbench measures what serial, pooled, worker and unbounded
// clients really cost against a slow, capped upstream, and compares runs.
//
//	poolbench run SCENARIO       run a sweep, write reports/<name>/
//	poolbench mock [flags]       serve the mock upstream on 127.0.0.1
//	poolbench merge DIR...       merge the shards of a run into one
//	poolbench k8s SCENARIO       write a Kubernetes Indexed Job of shards
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
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/poolbench/poolbench/internal/awake"
	"github.com/poolbench/poolbench/internal/memavail"
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
	// memAvailable is the memory the process may still use (bytes, 0
	// when unknown: the smallest of MemAvailable and its cgroups' limits
	// minus their usage) and fdLimit the soft limit on open files (0 when
	// unknown): what run checks a plan against.
	memAvailable, fdLimit uint64
	// memSource is what set memAvailable: "MemAvailable", or the cgroup
	// file of the limit the process runs under (memavail.Figure).
	memSource string
	// lookupEnv reads an environment variable, for a target's ${NAME}s
	// (os.LookupEnv; nil: none is set).
	lookupEnv func(string) (string, bool)
	// jobIndex is $JOB_COMPLETION_INDEX: the pod's index in a Kubernetes
	// Indexed Job, the shard that run -shards n does ("" when unset).
	jobIndex string
}

// processEnviron is the environ of this process.
func processEnviron() *environ {
	env := &environ{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		stepSummary: os.Getenv("GITHUB_STEP_SUMMARY"), raiseProcs: os.Getenv("GOMAXPROCS") == "", lookupEnv: os.LookupEnv}
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
	mem := memavail.Available(memavail.System)
	env.memAvailable, env.memSource = mem.Bytes, mem.Source
	env.jobIndex = os.Getenv("JOB_COMPLETION_INDEX")
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil {
		env.fdLimit = rl.Cur
	}
	return env
}

func commands() []command {
	return []command{
		{"run", "run a scenario's sweep and write reports/<name>/", cmdRun, false}, // timed by its scenario: cmdRun
		{"mock", "serve the mock upstream on 127.0.0.1", cmdMock, true},
		{"k8s", "write a Kubernetes Indexed Job that runs a scenario's shards", cmdK8s, false},
		{"merge", "merge the shards of a run (run -shard i/n) into one run", cmdMerge, false},
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
	exitOK       = 0
	exitFailed   = 1
	exitBadInput = 2
	// exitUndecided: compare could not judge the run (timing rows too few
	// to decide, or set by the harness): not a pass, not a regression.
	exitUndecided   = 3
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

// interrupted wraps err, work that stopped because ctx was canceled (exit
// 130). Its message says "interrupted" where err says ctx's "context
// canceled", which tells a user nothing; errors.Is still finds
// context.Canceled.
func interrupted(err error) error {
	return &exitError{code: exitInterrupted, err: &interruption{err}}
}

// interruption is the error of interrupted work.
type interruption struct{ err error }

func (i *interruption) Error() string {
	msg, ok := strings.CutSuffix(i.err.Error(), context.Canceled.Error())
	if !ok {
		return strings.ReplaceAll(msg, context.Canceled.Error(), "interrupted")
	}
	msg = strings.TrimSuffix(msg, ": ")
	switch {
	case msg == "":
		return "interrupted"
	case strings.HasSuffix(msg, "interrupted"):
		return msg
	}
	return msg + ": interrupted"
}

func (i *interruption) Unwrap() error { return i.err }

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
	ctx, stop := notifyContext()
	defer stop()
	// The first signal cancels ctx (notifyContext): work stops and what
	// was measured is written; a second one finds the default handling
	// back and ends the process at once.
	err := finish(ctx, os.Args[1:], run(ctx, processEnviron(), os.Args[1:]))
	var e *exitError
	if err != nil && !errors.Is(err, flag.ErrHelp) && !(errors.As(err, &e) && e.quiet) {
		fmt.Fprintln(os.Stderr, "poolbench:", err)
	}
	if code := exitCode(err); code != exitInterrupted {
		return code
	}
	return interruptedCode(ctx)
}

// finish maps an error that ctx's cancellation caused, and that no command
// turned into an interruption, to one (exit 130): "context canceled" never
// reaches a user.
func finish(ctx context.Context, args []string, err error) error {
	var e *exitError
	if err == nil || ctx.Err() == nil || !errors.Is(err, context.Canceled) ||
		errors.As(err, &e) && e.code == exitInterrupted {
		return err
	}
	if len(args) > 0 {
		err = fmt.Errorf("%s: %w", args[0], err)
	}
	return interrupted(err)
}

// minProcs is the fewest Ps (GOMAXPROCS) `mock`, `probe` and `run` of an
// `upstream:` scenario (its embedded mock) work with. Their goroutines
// mostly sleep until a timer or a socket wakes them; with only as many Ps
// as cores, a P held by a blocking syscall or by the GC's mark worker
// leaves woken requests waiting for the one P left (docs/notes/perf.md has
// the measurement). A `target:` scenario's run keeps one P per CPU: its
// closed loop against a fast service is CPU-bound, and idle Ps' spinning
// and wake-ups took its requests a second (docs/notes/perf.md).
const minProcs = 8

// raiseProcs raises GOMAXPROCS to minProcs unless the user set it.
func raiseProcs(env *environ) {
	if env.raiseProcs && runtime.GOMAXPROCS(0) < minProcs {
		runtime.GOMAXPROCS(minProcs)
	}
}

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
			return help(ctx, env, c)
		}
		return unknownCommand(env, "help: unknown command", args[1])
	}
	c, ok := lookup(args[0])
	if !ok {
		return unknownCommand(env, "unknown command", args[0])
	}
	if wantsHelp(args[1:]) {
		return help(ctx, env, c)
	}
	if c.timed {
		raiseProcs(env)
	}
	return c.run(ctx, env, args[1:])
}

// help prints c's usage and flags on stdout, as `poolbench help CMD` and
// `poolbench CMD -h` do.
func help(ctx context.Context, env *environ, c command) error {
	return c.run(ctx, &environ{stdout: env.stdout, stderr: env.stdout}, []string{"-h"})
}

// wantsHelp says whether args ask for help: -h, -help or --help among the
// flags (before a "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "--h", "-help", "--help":
			return true
		}
	}
	return false
}

// unknownCommand is the error for a command poolbench does not have: with
// the likely one it meant, or after the list of commands when none is
// close.
func unknownCommand(env *environ, what, name string) error {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	if s := suggest(name, names); s != "" {
		return badInputf("%s %q; did you mean %q? ('poolbench help' lists the commands)", what, name, s)
	}
	usage(env.stderr)
	return badInputf("%s %q", what, name)
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
// of exiting, and whose Usage prints the command's usage and flags to
// stderr (stdout for `help CMD` and `CMD -h`, see help).
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
// a positional argument (standard input). -h prints fs's usage and returns
// flag.ErrHelp. A parse failure is bad input, said once in the error (the
// flag package prints nothing), with the flag meant when one is close.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	defer func() { fs.SetOutput(out); fs.Usage = usage }()
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(out)
				usage()
				return nil, err
			}
			return nil, badInput(flagError(fs, err))
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

// flagError is fs's parse error err, naming the command, the flag meant
// when an undefined one is close to it, and where the flags are listed.
func flagError(fs *flag.FlagSet, err error) error {
	hint := fmt.Sprintf("'poolbench help %s' lists its flags", fs.Name())
	// The flag package's words for a flag it does not have.
	if typed, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if s := suggest(strings.TrimPrefix(typed, "-"), names); s != "" {
			return fmt.Errorf("%s: %w; did you mean -%s? (%s)", fs.Name(), err, s, hint)
		}
	}
	return fmt.Errorf("%s: %w (%s)", fs.Name(), err, hint)
}
