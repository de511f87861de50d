package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/poolbench/poolbench/bench"
)

// cmdScenarios lists the built-in scenarios with their descriptions.
func cmdScenarios(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("scenarios", "", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return badInputf("scenarios takes no arguments, got %q", fs.Args())
	}
	builtin := builtinScenarios()
	names, err := bench.BuiltinNames(builtin)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, name := range names {
		sc, err := bench.Load(name, builtin)
		if err != nil {
			return fmt.Errorf("built-in scenario %s: %w", name, err)
		}
		desc := strings.Join(strings.Fields(sc.Description), " ")
		fmt.Fprintf(tw, "%s\t%s\n", name, desc)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nRun one with 'poolbench run NAME'; copy scenarios/NAME.yaml to write your own.")
	return nil
}
