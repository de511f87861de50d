//go:build linux

package cpuload

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
	if _, err := take(p); err == nil {
		t.Error("missing file: no error")
	}
	os.WriteFile(p, []byte("garbage\n"), 0o644)
	if _, err := take(p); err == nil {
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
