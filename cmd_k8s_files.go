package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/sweep"
)

// k8sFiles reads what the shards of sc will need besides the scenario
// file (at arg): the files it names (a targets file, its @body files, a
// CA's or client's certificate), which go into the ConfigMap beside the
// scenario by the names it gives them, and the ${NAME}s it reads from the
// environment. It checks the target as a run would (every request the
// shards send, its hosts loopback unless allowRemote, its files), so that
// what a pod would refuse is refused here.
func k8sFiles(ctx context.Context, arg string, sc *scenario.Scenario, allowRemote bool) (map[string][]byte, []string, error) {
	t := sc.Target
	dir := "."
	if arg != "-" {
		if _, err := os.Stat(arg); err == nil {
			dir = filepath.Dir(arg)
		}
	}
	// Where each file is read from, and how an error names that folder.
	type folder struct{ path, named string }
	scenarioFolder := folder{dir, "the scenario's folder"}
	workFolder := folder{".", "the folder poolbench runs in (vegeta reads @body files from there)"}
	files := map[string][]byte{}
	add := func(field, name string, from folder) error {
		if name == "" {
			return nil
		}
		if filepath.Base(name) != name || name == "." || name == ".." {
			return fmt.Errorf("k8s: %s %q: the pods find the scenario's files beside it, by name: put it in %s and name it without a folder", field, name, from.named)
		}
		b, err := os.ReadFile(filepath.Join(from.path, name))
		if err != nil {
			return fmt.Errorf("k8s: %s: %w", field, err)
		}
		files[name] = b
		return nil
	}
	run := *sc
	rt := *t
	run.Target = &rt
	if err := add("target.targets", t.Targets, scenarioFolder); err != nil {
		return nil, nil, err
	}
	if t.TLS != nil {
		if t.TLS.Key != "" {
			return nil, nil, fmt.Errorf("k8s: target.tls.key: a private key does not go in a ConfigMap: shard with a service that needs no client certificate, or mount the key from a Secret of your own into the Job's pods")
		}
		tls := *t.TLS
		rt.TLS = &tls
		if err := add("target.tls.ca", t.TLS.CA, scenarioFolder); err != nil {
			return nil, nil, err
		}
		if err := add("target.tls.cert", t.TLS.Cert, scenarioFolder); err != nil {
			return nil, nil, err
		}
		tls.CA, tls.Cert = joinIf(dir, tls.CA), joinIf(dir, tls.Cert)
	}
	if t.Targets != "" {
		rt.Targets = filepath.Join(dir, t.Targets)
		bodies, err := bodyFiles(rt.Targets, t.Format)
		if err != nil {
			return nil, nil, err
		}
		for _, b := range bodies {
			if err := add(rt.Targets+": @"+b, b, workFolder); err != nil {
				return nil, nil, err
			}
		}
	}
	var names []string
	lookup := func(name string) (string, bool) {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
		return "poolbench-k8s-check", true
	}
	if _, err := sweep.OpenRequests(ctx, &run, lookup, allowRemote); err != nil {
		return nil, nil, err
	}
	slices.Sort(names)
	return files, names, nil
}

func joinIf(dir, name string) string {
	if name == "" || filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, name)
}

// bodyFiles lists the @body files of a targets file in vegeta's http
// format (a line starting with @ names a request's body file), in order,
// each once.
func bodyFiles(path, format string) ([]string, error) {
	if format == scenario.FormatJSON {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("target.targets: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, "@") && !slices.Contains(out, line[1:]) {
			out = append(out, line[1:])
		}
	}
	return out, sc.Err()
}
