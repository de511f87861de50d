package awake

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMain lets this test binary be its own spinner, as poolbench is.
func TestMain(m *testing.M) {
	if len(os.Args) == 2 && os.Args[1] == Command {
		if err := Spin(os.Stdin); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSpinner: the spinner keeps one thread per CPU busy at nice 19 under
// SCHED_IDLE, and
// leaves when stopped.
func TestSpinner(t *testing.T) {
	if !Supported {
		t.Skip("the spinner needs Linux")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(exe, "awake.test", os.Environ())
	if err != nil {
		t.Fatal(err)
	}
	pid := s.cmd.Process.Pid
	// Wait for the spinning threads to show: threads at nice 19 that ran.
	var spinning int
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		spinning = 0
		tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/stat")
		for _, task := range tasks {
			b, err := os.ReadFile(task)
			if err != nil {
				continue
			}
			// Fields after the command's closing parenthesis: state is the
			// first, utime the 12th, nice the 17th, policy the 39th.
			f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
			if len(f) > 38 && f[16] == "19" && f[11] != "0" {
				spinning++
				// SCHED_IDLE (5), whatever policy the spinner inherited: a
				// real-time one would let it take the machine.
				if f[38] != "5" {
					t.Errorf("spinning thread %s has scheduling policy %s: want SCHED_IDLE (5)", task, f[38])
				}
			}
			if len(f) > 16 && f[16] != "19" && f[16] != "0" {
				t.Errorf("thread %s has nice %s: want 19 or, for the Go runtime's idle threads, 0", task, f[16])
			}
		}
		if spinning >= runtime.NumCPU() {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if spinning < runtime.NumCPU() {
		t.Errorf("%d threads spin at nice 19, want %d (one per CPU)", spinning, runtime.NumCPU())
	}
	start := time.Now()
	if err := s.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	if d := time.Since(start); d > stopWait {
		t.Errorf("the spinner took %v to stop", d)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid) + "/task"); err == nil {
		t.Errorf("the spinner (pid %d) is still there", pid)
	}
}
