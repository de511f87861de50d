package awake

import (
	"fmt"
	"io"
	"runtime"

	"golang.org/x/sys/unix"
)

// Supported says whether this system has a spinner (Linux: threads have
// priorities of their own).
const Supported = true

// lowestNice is the lowest scheduling priority (nice 19).
const lowestNice = 19

// Spin is the spinner process's body: it keeps one thread per CPU
// spinning under SCHED_IDLE at nice 19 until in reaches end of file or
// fails, then returns. Run it in a process of its own (Start).
//
// Each thread sets its own policy, whatever it inherited: a harness run
// under a real-time policy (chrt -f) would otherwise hand it to the
// spinner, whose loops would then take every CPU from the rest of the
// machine.
func Spin(in io.Reader) error {
	n := runtime.NumCPU()
	// One P more than spinners, for the goroutine that reads in.
	runtime.GOMAXPROCS(n + 1)
	errs := make(chan error, n)
	for range n {
		go func() {
			runtime.LockOSThread()
			// On Linux a policy and a priority are a thread's own:
			// this one only.
			if err := unix.SchedSetAttr(0, &unix.SchedAttr{Policy: unix.SCHED_IDLE}, 0); err != nil {
				errs <- fmt.Errorf("setting the spinner's policy to SCHED_IDLE: %w", err)
				return
			}
			if err := unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), lowestNice); err != nil {
				errs <- fmt.Errorf("lowering the spinner's priority: %w", err)
				return
			}
			//lint:ignore SA5002 spinning is the point: the CPU must not idle
			for {
			}
		}()
	}
	read := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, in)
		read <- err
	}()
	select {
	case err := <-errs:
		// Never spin at a normal priority: that would take the CPUs from
		// the harness.
		return err
	case err := <-read:
		return err
	}
}
