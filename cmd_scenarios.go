package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/poolbench/poolbench/bench/scenario"
)

// cmdScenarios lists the built-in scenarios with their descriptions, or
// prints one's YAML file as it is embedded, to copy.
func cmdScenarios(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet("scenarios", "[NAME]\n\nLists the built-in scenarios; with NAME, prints that scenario's YAML\n(to copy and edit: poolbench scenarios NAME > my.yaml).", env.stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		fs.Usage()
		return badInputf("scenarios takes at most one name, got %q", pos)
	}
	builtin := builtinScenarios()
	names, err := scenario.BuiltinNames(builtin)
	if err != nil {
		return err
	}
	if len(pos) == 1 {
		return printScenario(env.stdout, builtin, names, pos[0])
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
	fmt.Fprintln(env.stdout, "\nRun one with 'poolbench run NAME'; 'poolbench scenarios NAME > my.yaml' copies one to write your own.")
	return nil
}

// printScenario writes the built-in scenario name's YAML file to w, byte
// for byte; a name not built in is bad input, with the one meant when it
// is close.
func printScenario(w io.Writer, builtin fs.FS, names []string, name string) error {
	if !slices.Contains(names, name) {
		if s := suggest(name, names); s != "" {
			return badInputf("scenarios: no built-in scenario %q; did you mean %q?", name, s)
		}
		return badInputf("scenarios: no built-in scenario %q (built in: %s)", name, strings.Join(names, ", "))
	}
	b, err := fs.ReadFile(builtin, name+".yaml")
	if err != nil {
		return fmt.Errorf("built-in scenario %s: %w", name, err)
	}
	_, err = w.Write(b)
	return err
}
