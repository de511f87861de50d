package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/poolbench/poolbench/bench/scenario"
)

// cmdScenarios lists the built-in scenarios with their descriptions.
func cmdScenarios(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet("scenarios", "", env.stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fs.Usage()
		return badInputf("scenarios takes no arguments, got %q", pos)
	}
	builtin := builtinScenarios()
	names, err := scenario.BuiltinNames(builtin)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	for _, name := range names {
		sc, err := scenario.Load(name, builtin)
		if err != nil {
			return fmt.Errorf("built-in scenario %s: %w", name, err)
		}
		desc := strings.Join(strings.Fields(sc.Description), " ")
		fmt.Fprintf(tw, "%s\t%s\n", name, desc)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "\nRun one with 'poolbench run NAME'; copy scenarios/NAME.yaml to write your own.")
	return nil
}
