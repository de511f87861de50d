// Package awake keeps this machine's CPUs from going idle while a run
// measures, so that the run's wake-ups are cheap.
//
// A thread that sleeps on an idle CPU is woken by an interrupt to a CPU
// that may have been halted, and on a virtual machine descheduled by the
// host; that wake-up is most of what an attempt costs a cell beyond the
// upstream's own time (docs/notes/harness.md has the measurement). A
// child process that keeps one thread per CPU spinning at the lowest
// priority keeps every CPU running: the harness's threads preempt it the
// moment they wake, and the spinning costs nothing any other thread wants.
//
// The spinner is a separate process, so that its CPU time is not the
// harness's (the run measures its own with getrusage) and its threads are
// not the Go scheduler's: it is the calling program run again with
// Command as its only argument, where the program calls Spin.
package awake

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"time"
)

// Command is the argument the spinner process is started with; the
// program's main hands such a process to Spin.
const Command = "__keep-awake"

// stopWait is how long Stop waits for the spinner to leave before it
// kills it.
const stopWait = 2 * time.Second

// Spinner is a running spinner process.
type Spinner struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan error
}

// Start runs exe (the program itself) as a spinner: with argv[0] name and
// the single argument Command, in environment env. The spinner lives
// until Stop, or until this process ends (its standard input, a pipe from
// this process, then reads end of file).
func Start(exe, name string, env []string) (*Spinner, error) {
	if !Supported {
		return nil, errors.ErrUnsupported
	}
	cmd := exec.Command(exe, Command)
	cmd.Args[0] = name
	// The spinner's loops must not be preempted by the Go runtime: a
	// preempted spinning thread parks, and its CPU may idle meanwhile.
	cmd.Env = append(env[:len(env):len(env)], "GODEBUG=asyncpreemptoff=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the spinner %s: %w", exe, err)
	}
	s := &Spinner{cmd: cmd, stdin: stdin, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	return s, nil
}

// Pid is the spinner process's id (its CPU time is the caller's, not
// other work's: see internal/cpuload).
func (s *Spinner) Pid() int { return s.cmd.Process.Pid }

// Stop ends the spinner and waits for it to leave (killing it if it has
// not within two seconds).
func (s *Spinner) Stop() error {
	s.stdin.Close()
	select {
	case err := <-s.done:
		return err
	case <-time.After(stopWait):
		s.cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("the spinner did not stop within %v: killed", stopWait)
	}
}
