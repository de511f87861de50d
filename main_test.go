package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"poolbench": func() { os.Exit(mainCode()) },
	})
}

// TestScripts runs the CLI scripts in testdata/script/*.txtar, in
// parallel.
func TestScripts(t *testing.T) { testscript.Run(t, scriptParams(t, "testdata/script")) }

// TestServerScripts runs the scripts in testdata/servers/*.txtar, which
// start real servers no one here wrote (nginx, an aiohttp service,
// go-httpbin) and time them: after TestScripts, so that they share the
// CPUs only with each other.
func TestServerScripts(t *testing.T) { testscript.Run(t, scriptParams(t, "testdata/servers")) }

// scriptParams are the scripts' environment. Besides poolbench they have
// $REPO (this checkout, for its scripts), the command freeport NAME (a
// free loopback port in $NAME), the command waitport PORT (wait until
// something listens on it), the conditions nginx-echo and aiohttp (a
// python3 that imports it, in $PYTHON).
func scriptParams(t *testing.T, dir string) testscript.Params {
	repo, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	python := pythonWithAiohttp()
	return testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
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
