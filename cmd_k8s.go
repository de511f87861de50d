package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/poolbench/poolbench/bench/k8s"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/internal/publish"
)

const k8sUsage = `[flags] SCENARIO -shards n -image IMAGE

Writes DIR/shards.yaml (the scenario in a ConfigMap, a ReadWriteMany
volume claim for the results, and an Indexed Job of n pods, each running
shard $JOB_COMPLETION_INDEX of every cell: poolbench run -shards n, its
cells lined up with the other shards' on the volume) and DIR/merge.yaml
(a Job running poolbench merge on the volume once the shards are done).
DIR is -out, or k8s/<name>. SCENARIO must call a target: every shard
calls the same service. The files it names (a targets file, its @body
files, a CA's certificate) go into the ConfigMap beside it, by name; the
${NAME}s it reads come from the Secret -env-secret names. The README has
the kubectl walk-through.`

// varList is "${A}, ${B}".
func varList(names []string) string {
	refs := make([]string, len(names))
	for i, n := range names {
		refs[i] = "${" + n + "}"
	}
	return strings.Join(refs, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// cmdK8s writes the Kubernetes manifests that run a scenario's shards.
func cmdK8s(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet("k8s", k8sUsage, env.stderr)
	var o k8s.Options
	out := fs.String("out", "", "write shards.yaml and merge.yaml to `DIR` (default k8s/<name>)")
	fs.IntVar(&o.Shards, "shards", 0, "run the scenario as `n` pods at once, each doing 1/n of every cell's items with the cell's pool")
	fs.StringVar(&o.Image, "image", "", "the container `image` holding poolbench (build it from the Dockerfile)")
	fs.StringVar(&o.Namespace, "namespace", "", "the `namespace` of every object (default: kubectl's)")
	fs.StringVar(&o.Storage, "storage", "1Gi", "the results volume's `size`")
	fs.StringVar(&o.EnvSecret, "env-secret", "", "a Kubernetes `Secret` whose keys become each shard's environment: the values of the scenario's ${NAME}s (they never enter the manifests)")
	fs.StringVar(&o.StorageClass, "storage-class", "", "the results volume's storage `class`; it must offer ReadWriteMany (default: the cluster's default class)")
	allowRemote := fs.Bool("allow-remote", false, "the shards may call a target that is not a loopback address (only a service you own): passed to every shard")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return badInputf("k8s takes one SCENARIO (a built-in name, a file or -), got %d arguments", len(pos))
	}
	src, sc, err := k8sScenarioSource(env, pos[0])
	if err != nil {
		return badInput(err)
	}
	if sc.Target == nil {
		return badInputf("k8s: scenario %s has an upstream: block: the shards must share a target: (one service every shard calls), where each pod's own mock would have a cap of its own", sc.Name)
	}
	files, names, err := k8sFiles(ctx, pos[0], sc, *allowRemote)
	switch {
	case errors.Is(err, scenario.ErrRemote):
		return badInputf("k8s: the pods call the target from the cluster: pass -allow-remote to say it is a service you own (%w)", err)
	case err != nil:
		return badInput(err)
	case len(names) > 0 && o.EnvSecret == "":
		return badInputf("k8s: the scenario reads %s from the environment: name a Kubernetes Secret holding %s with -env-secret NAME (kubectl create secret generic NAME --from-literal=%s=...); its keys become each shard's environment",
			varList(names), plural(len(names), "it", "them"), names[0])
	}
	if *allowRemote {
		o.RunArgs = append(o.RunArgs, "-allow-remote")
	} else {
		fmt.Fprintf(env.stderr, "poolbench: warning: the target is a loopback address: in a pod it is the pod itself\n")
	}
	o.Scenario, o.Source, o.Files = sc.Name, src, files
	shards, merge, err := k8s.Manifests(o)
	if err != nil {
		return badInputf("k8s: %w", err)
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("k8s", sc.Name)
	}
	set, err := publish.New(dir)
	if err != nil {
		return err
	}
	defer set.Abort()
	if err := set.Write("shards.yaml", shards); err != nil {
		return err
	}
	if err := set.Write("merge.yaml", merge); err != nil {
		return err
	}
	if err := set.Commit(); err != nil {
		return err
	}
	name := k8s.Name(sc.Name)
	fmt.Fprintf(env.stdout, "wrote %s and %s\n", filepath.Join(dir, "shards.yaml"), filepath.Join(dir, "merge.yaml"))
	fmt.Fprintf(env.stdout, "  kubectl apply -f %s\n", filepath.Join(dir, "shards.yaml"))
	fmt.Fprintf(env.stdout, "  kubectl wait --for=condition=complete --timeout=24h job/%s\n", name)
	fmt.Fprintf(env.stdout, "  kubectl apply -f %s\n", filepath.Join(dir, "merge.yaml"))
	fmt.Fprintf(env.stdout, "  kubectl wait --for=condition=complete --timeout=10m job/%s-merge && kubectl logs job/%s-merge\n", name, name)
	return nil
}

// k8sScenarioSource reads SCENARIO's file as the pods are to read it (- is
// standard input, else a file, else a built-in name) and parses it.
func k8sScenarioSource(env *environ, arg string) ([]byte, *scenario.Scenario, error) {
	var src []byte
	name := arg
	switch {
	case arg == "-":
		b, err := io.ReadAll(io.LimitReader(env.stdin, scenario.MaxFileBytes+1))
		if err != nil {
			return nil, nil, fmt.Errorf("reading the scenario from standard input: %w", err)
		}
		src, name = b, "<stdin>"
	default:
		b, err := os.ReadFile(arg)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
			b, err = fs.ReadFile(builtinScenarios(), arg+".yaml")
			if err != nil {
				_, lerr := scenario.Load(arg, builtinScenarios()) // its error names the built-ins
				return nil, nil, lerr
			}
		}
		if err != nil {
			return nil, nil, err
		}
		src = b
	}
	if len(src) > scenario.MaxFileBytes {
		return nil, nil, fmt.Errorf("%s: a scenario larger than %d bytes", name, scenario.MaxFileBytes)
	}
	sc, err := scenario.Parse(name, src)
	return src, sc, err
}
