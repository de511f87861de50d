//go:build linux

package cpuload

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	busy, steal, err := parseStat([]byte("cpu  100 5 50 1000 7 3 2 40 0 0\ncpu0 50 2 25 500 3 1 1 20 0 0\nintr 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := 160 * 10 * time.Millisecond; busy != want { // 100+5+50+3+2 ticks
		t.Errorf("busy %v, want %v", busy, want)
	}
	if steal != 400*time.Millisecond {
		t.Errorf("steal %v, want 400ms", steal)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5 6 7 8\n", "cpu 1 2 3\n", "cpu 1 2 x 4 5 6 7 8\n", "cpu 1 2 -3 4 5 6 7 8\n"} {
		if _, _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q): no error", bad)
		}
	}
}

func TestTakeUnreadable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "stat")
	if _, err := take(p, "/proc", nil); err == nil {
		t.Error("missing file: no error")
	}
	os.WriteFile(p, []byte("garbage\n"), 0o644)
	if _, err := take(p, "/proc", nil); err == nil {
		t.Error("no cpu line: no error")
	}
}

// TestLoadSeesOtherWork: a busy loop in another process counts as other
// work (at least half a CPU of it while this process waits); the load of a
// sample since itself is zero.
func TestLoadSeesOtherWork(t *testing.T) {
	s0, err := Take()
	if err != nil {
		t.Skip(err)
	}
	// timeout ends the spinning shell after 0.5 s (exit status 124).
	spin := exec.Command("timeout", "0.5", "sh", "-c", "while :; do :; done")
	if err := spin.Run(); err != nil && spin.ProcessState == nil {
		t.Skip("no timeout or sh to spin a CPU: ", err)
	}
	s1, err := Take()
	if err != nil {
		t.Fatal(err)
	}
	l := s1.Since(s0)
	if l.OtherCPUs < 0.5 || l.StealCPUs < 0 || l.OtherCPUs > float64(runtime.NumCPU())+0.1 {
		t.Errorf("a shell spinning a CPU for 0.5 s: load %+v, want at least 0.5 other CPUs", l)
	}
	if !l.Busy() {
		t.Errorf("load %+v not busy", l)
	}
	if z := s1.Since(s1); z != (Load{}) {
		t.Errorf("a sample since itself: %+v", z)
	}
}

func TestParseProcessStat(t *testing.T) {
	// comm with a space and a parenthesis; utime 250, stime 50 ticks.
	line := "4242 (po ol) bench) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 39 19 3 0 12345 0 0\n"
	cpu, err := parseProcessStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 * time.Second; cpu != want {
		t.Errorf("CPU %v, want %v", cpu, want)
	}
	for _, bad := range []string{"", "4242 (x S 1 2 3", "4242 (x) S 1 2 3 4 5 6 7 8 9 10\n", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 -1 0\n"} {
		if _, err := parseProcessStat([]byte(bad)); err == nil {
			t.Errorf("parseProcessStat(%q): no error", bad)
		}
	}
}

// TestOwnChildIsNotOtherWork: the CPU a child named as the process's own
// spends (a spinner, as run -keep-awake starts) is counted as this
// process's, not as other work: two samples naming it differ from two that
// do not by the child's CPU time between them, as the kernel accounts it
// when the child ends. A child that is not running is an error.
func TestOwnChildIsNotOtherWork(t *testing.T) {
	if _, err := Take(); err != nil {
		t.Skip(err)
	}
	spin := exec.Command("sh", "-c", "while :; do :; done")
	if err := spin.Start(); err != nil {
		t.Skip("no sh to spin a CPU: ", err)
	}
	pid := spin.Process.Pid
	defer spin.Process.Kill()
	own0, err := Take(pid)
	if err != nil {
		t.Fatal(err)
	}
	alone0, _ := Take()
	// Until the child has spent 200 ms of CPU (10 s at most: a busy machine).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		s, err := Take(pid)
		if err != nil {
			t.Fatal(err)
		}
		if s.self-own0.self >= 200*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the spinning child had %v of CPU after 10 s", s.self-own0.self)
		}
	}
	own1, err := Take(pid)
	if err != nil {
		t.Fatal(err)
	}
	alone1, _ := Take()
	spin.Process.Kill()
	spin.Wait()
	total := spin.ProcessState.UserTime() + spin.ProcessState.SystemTime()
	child := (own1.self - own0.self) - (alone1.self - alone0.self)
	// The samples see the child's CPU in 10 ms ticks; it spent a little
	// before own0 and after own1.
	if child < 150*time.Millisecond || child > total+20*time.Millisecond {
		t.Errorf("the child's CPU between the samples %v, want at least 150 ms and at most its total %v", child, total)
	}
	if _, err := Take(pid); err == nil {
		t.Error("a child that has ended: no error")
	}
}

// TestNice reads the nice value this test runs at, as nice(1) set it.
func TestNice(t *testing.T) {
	nice, ok := Nice()
	if !ok {
		t.Skip("no nice value on this system")
	}
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	// nice is the 19th field, the 17th after the command's ')'.
	after := string(b[strings.LastIndexByte(string(b), ')')+1:])
	want, err := strconv.Atoi(strings.Fields(after)[16])
	if err != nil {
		t.Fatal(err)
	}
	if nice != want {
		t.Errorf("Nice() = %d, /proc/self/stat says %d", nice, want)
	}
}
