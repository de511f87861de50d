package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(skipListing{m, os.Getenv("POOLBENCH_SKIPPED_TESTS")}, map[string]func(){
		"poolbench": func() { os.Exit(mainCode()) },
	})
}

// skipListing runs the tests, then writes the scripts that skipped,
// one "name: reason" a line, to file (when named: `make test` names one and
// lists them at its end, since go test shows nothing of a package that
// passed).
type skipListing struct {
	m    *testing.M
	file string
}

func (s skipListing) Run() int {
	code := s.m.Run()
	removeScriptBin()
	if s.file != "" {
		if err := os.WriteFile(s.file, []byte(scriptSkips.String()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "writing the skipped scripts:", err)
			return max(code, 1)
		}
	}
	return code
}

// scriptSkips are the scripts (testdata/script, testdata/servers) that
// skipped, and why.
var scriptSkips skipLog

// skipLog records skipped tests with their reasons.
type skipLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *skipLog) add(name, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, name+": "+reason)
}

// String is the skips, one a line, sorted.
func (l *skipLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := slices.Sorted(slices.Values(l.lines))
	var b strings.Builder
	for _, line := range lines {
		b.WriteString(line + "\n")
	}
	return b.String()
}

// skipRecorder is testscript's T over a *testing.T that records in log
// every script that skips, with its message.
type skipRecorder struct {
	*testing.T
	log *skipLog
}

func (t skipRecorder) Run(name string, f func(testscript.T)) {
	t.T.Run(name, func(tt *testing.T) { f(skipRecorder{tt, t.log}) })
}

func (t skipRecorder) Skip(args ...any) {
	t.log.add(t.Name(), fmt.Sprint(args...))
	t.T.Skip(args...)
}

func (t skipRecorder) Verbose() bool { return testing.Verbose() }

// runRecordingSkips is testscript.Run recording the scripts that skip in
// log.
func runRecordingSkips(t *testing.T, p testscript.Params, log *skipLog) {
	if deadline, ok := t.Deadline(); ok && p.Deadline.IsZero() {
		p.Deadline = deadline
	}
	testscript.RunT(skipRecorder{t, log}, p)
}

// TestScripts runs the CLI scripts in testdata/script/*.txtar, in
// parallel.
// Those that skip (vegeta not installed, say) are listed by `make test`.
func TestScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("-short (make test-short): the end-to-end scripts run in make test")
	}
	runRecordingSkips(t, scriptParams(t, "testdata/script"), &scriptSkips)
}

// TestServerScripts runs the scripts in testdata/servers/*.txtar, which
// start real servers no one here wrote (nginx, an aiohttp service,
// go-httpbin) and time them: after TestScripts, so that they share the
// CPUs only with each other.
// Those that skip (a server not installed) are listed by `make test`.
func TestServerScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("-short (make test-short): the real servers' scripts run in make test")
	}
	runRecordingSkips(t, scriptParams(t, "testdata/servers"), &scriptSkips)
}

// TestSkipRecorder: a script that skips is recorded with its message, one
// that runs is not.
func TestSkipRecorder(t *testing.T) {
	dir := t.TempDir()
	for name, script := range map[string]string{
		"absent.txtar":  "[!exec:no-such-server-here] skip 'needs no-such-server-here'\nexec false\n",
		"present.txtar": "exec poolbench version\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var log skipLog
	t.Run("scripts", func(t *testing.T) { runRecordingSkips(t, testscript.Params{Dir: dir}, &log) })
	if got, want := log.String(), "TestSkipRecorder/scripts/absent: needs no-such-server-here\n"; got != want {
		t.Errorf("recorded %q, want %q", got, want)
	}
}

// scriptParams are the scripts' environment. Besides poolbench (built
// without -race: scriptBinDir) they have $REPO (this checkout, for its
// scripts), the command freeport NAME (a free loopback port in $NAME), the
// command waitport PORT (wait until something listens on it), the
// conditions nginx-echo and aiohttp (a python3 that imports it, in
// $PYTHON).
func scriptParams(t *testing.T, dir string) testscript.Params {
	repo, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	python := pythonWithAiohttp()
	bin := scriptBinDir(t)
	return testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			if bin != "" {
				env.Setenv("PATH", bin+string(filepath.ListSeparator)+env.Getenv("PATH"))
			}
			env.Setenv("REPO", repo)
			env.Setenv("PYTHON", python)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"freeport": cmdFreeport,
			"waitport": cmdWaitport,
			"gencerts": cmdGencerts,
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "aiohttp":
				return python != "", nil
			case "nginx-echo":
				// nginx with Debian's echo module (libnginx-mod-http-echo).
				_, err := os.Stat(echoModule)
				return err == nil, nil
			}
			return false, nil
		},
	}
}

// cmdFreeport: freeport NAME sets $NAME to a free loopback port.
func cmdFreeport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport NAME")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := ln.Addr().(*net.TCPAddr).Port
	ts.Check(ln.Close())
	ts.Setenv(args[0], strconv.Itoa(port))
}

// cmdWaitport: waitport PORT waits (10 s at most) until something listens
// on 127.0.0.1:PORT.
func cmdWaitport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitport PORT")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+args[0], time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("nothing listens on 127.0.0.1:%s after 10 s: %v", args[0], err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// echoModule is where Debian's libnginx-mod-http-echo installs the module.
const echoModule = "/usr/lib/nginx/modules/ngx_http_echo_module.so"

// pythonWithAiohttp is a python3 that imports aiohttp (Debian's
// python3-aiohttp is for /usr/bin/python3, which a python3 first on PATH
// may not be), or "".
func pythonWithAiohttp() string {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import aiohttp").Run() == nil {
			return py
		}
	}
	return ""
}
