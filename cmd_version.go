package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/poolbench/poolbench/bench/results"
)

// cmdVersion prints the module version, the VCS revision and the Go
// version: "poolbench v1.2.0 (revision 0a1b2c3d4e5f, 2026-11-29T10:00:00Z) go1.26.8 linux/amd64".
func cmdVersion(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet("version", "", env.stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fs.Usage()
		return badInputf("version takes no arguments, got %q", pos)
	}
	v := results.Version()
	rev := ""
	if v.Revision != "" {
		rev = " (revision " + v.Revision
		if v.Modified {
			rev += ", modified"
		}
		if v.Time != "" {
			rev += ", " + v.Time
		}
		rev += ")"
	}
	_, err = fmt.Fprintf(env.stdout, "poolbench %s%s %s %s/%s\n", v.Module, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
