package awake

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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
	// The nice value the spinner inherited: the Go runtime's own threads
	// keep it (a test run under `nice -n 19` hands them 19).
	inherited, err := unix.Getpriority(unix.PRIO_PROCESS, 0)
	if err != nil {
		t.Fatal(err)
	}
	inheritedNice := strconv.Itoa(20 - inherited) // the raw syscall returns 20 - nice
	// Wait for the spinning threads to show: threads under SCHED_IDLE (5)
	// that ran, each at nice 19.
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
			if len(f) <= 38 {
				continue
			}
			utime, nice, policy := f[11], f[16], f[38]
			switch {
			case policy == "5":
				// A thread sets its policy, then its nice value: between
				// the two it may show the policy's default, 0.
				if nice != "19" && nice != "0" {
					t.Errorf("thread %s under SCHED_IDLE has nice %s: want 19", task, nice)
				}
				if nice == "19" && utime != "0" {
					spinning++
				}
			case nice != inheritedNice && nice != "19":
				// Any other thread is the Go runtime's: it keeps what the
				// spinner inherited. Never a spinning loop under another
				// policy (a real-time one would take the machine).
				t.Errorf("thread %s (policy %s) has nice %s: want %s, inherited", task, policy, nice, inheritedNice)
			}
		}
		if spinning >= runtime.NumCPU() {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if spinning < runtime.NumCPU() {
		t.Errorf("%d threads spin under SCHED_IDLE at nice 19, want %d (one per CPU)", spinning, runtime.NumCPU())
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
