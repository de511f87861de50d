package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/poolbench/poolbench/internal/raceflag"
)

// The end-to-end scripts run poolbench as users run it: built without
// -race. Under -race the scripts' poolbench is otherwise this test binary,
// race-instrumented, which spends 5–10× the CPU per request: it tripled
// the package's time (361 s against 108 s) and made the timing scripts'
// harness the heaviest process on the machine. The race detector still
// runs over every package's own tests, this one's in-process tests
// included.
var scriptBin struct {
	once sync.Once
	dir  string // holds poolbench; "" while unbuilt or when not under -race
	err  error
}

// scriptBinDir is a folder holding a poolbench built from this checkout
// without -race, built once per test binary, or "" when the test binary
// is not race-built (its own in-process poolbench is then the same as a
// user's).
func scriptBinDir(t *testing.T) string {
	if !raceflag.Enabled {
		return ""
	}
	scriptBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "poolbench-scripts-")
		if err != nil {
			scriptBin.err = err
			return
		}
		cmd := exec.Command("go", "build", "-buildvcs=false", "-o", filepath.Join(dir, "poolbench"), ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			scriptBin.err = fmt.Errorf("go build: %w\n%s", err, out)
			return
		}
		scriptBin.dir = dir
	})
	if scriptBin.err != nil {
		t.Fatalf("building poolbench without -race for the scripts: %v", scriptBin.err)
	}
	return scriptBin.dir
}

// removeScriptBin removes the scripts' poolbench, once the tests ended (a
// test binary killed by its -timeout leaves it in the temporary folder, as
// testscript leaves its work folders).
func removeScriptBin() {
	if scriptBin.dir != "" {
		os.RemoveAll(scriptBin.dir)
	}
}

// TestScriptBinWithoutRace: under -race, the scripts' poolbench is built
// without it (its build settings say so) and runs.
func TestScriptBinWithoutRace(t *testing.T) {
	if !raceflag.Enabled {
		t.Skip("not under -race: the scripts run this test binary")
	}
	bin := filepath.Join(scriptBinDir(t), "poolbench")
	out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "-race=true") || !strings.Contains(string(out), "\tpath\tgithub.com/poolbench/poolbench\n") {
		t.Errorf("the scripts' poolbench:\n%s", out)
	}
	if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil {
		t.Errorf("poolbench version: %v\n%s", err, out)
	}
}
