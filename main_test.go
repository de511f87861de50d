package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"poolbench": func() { os.Exit(mainCode()) },
	})
}

// TestScripts runs the CLI scripts in testdata/script/*.txtar. Besides
// poolbench they have $REPO (this checkout, for its scripts) and the
// command freeport NAME (a free loopback port in $NAME).
func TestScripts(t *testing.T) {
	repo, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("REPO", repo)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"freeport": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: freeport NAME")
				}
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				ts.Check(err)
				port := ln.Addr().(*net.TCPAddr).Port
				ts.Check(ln.Close())
				ts.Setenv(args[0], strconv.Itoa(port))
			},
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "nginx-echo":
				// nginx with Debian's echo module (libnginx-mod-http-echo).
				_, err := os.Stat(echoModule)
				return err == nil, nil
			}
			return false, nil
		},
	})
}

// echoModule is where Debian's libnginx-mod-http-echo installs the module.
const echoModule = "/usr/lib/nginx/modules/ngx_http_echo_module.so"
