// Package k8s writes the Kubernetes manifests that run a scenario's
// shards on a cluster: an Indexed Job of n pods (completionMode: Indexed;
// each pod's $JOB_COMPLETION_INDEX is its shard, read by poolbench run
// -shards n), the scenario in a ConfigMap, the results on a shared volume
// (a ReadWriteMany PersistentVolumeClaim) where the shards also line
// their cells up (run -sync), and a second Job that merges them
// (poolbench merge), to apply once the first has completed.
//
// The manifests are built from k8s.io/api's own types, so they hold the
// fields the API server knows, and written with sigs.k8s.io/yaml.
package k8s

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// Options describe the Job to write.
type Options struct {
	// Scenario is the scenario's name and Source its file, as the pods
	// read it (from the ConfigMap).
	Scenario string
	Source   []byte
	// Image is the container image holding poolbench (its entrypoint).
	Image string
	// Shards is the number of pods, all running at once.
	Shards int
	// Namespace, when set, is written into every object.
	Namespace string
	// Storage is the results volume's size (default 1Gi) and StorageClass
	// its class (default: the cluster's default class, which must offer
	// ReadWriteMany).
	Storage, StorageClass string
	// RunArgs are added to each shard's poolbench run (like
	// -allow-remote).
	RunArgs []string
	// Files are the files the scenario reads (a targets file, its @body
	// files, a CA's or client's certificate), by the name the scenario
	// gives them: the ConfigMap holds them beside the scenario, where the
	// shards run (their working folder), so the same names find them.
	Files map[string][]byte
	// EnvSecret, when set, is a Secret whose keys become each shard's
	// environment: the values of the scenario's ${NAME}s.
	EnvSecret string
}

// maxConfigMap is the most data a ConfigMap holds (the API server's
// limit is 1 MiB, its object included).
const maxConfigMap = 1000 << 10

// fileKey is what a ConfigMap key may be.
var fileKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

// MaxShards bounds Options.Shards (an Indexed Job's completions are at
// most 100,000; a shared cap is rarely shared by more).
const MaxShards = 1000

// Paths inside the pods.
const (
	scenarioDir = "/etc/poolbench"
	resultsDir  = "/results"
	scenarioKey = "scenario.yaml"
)

// RunIDEnv is the environment variable each shard's pod gets the Job's
// uid in (from its batch.kubernetes.io/controller-uid label): the
// shards' -sync folder is new to every run of the Job.
const RunIDEnv = "POOLBENCH_RUN"

var dns1123 = regexp.MustCompile(`[^a-z0-9-]+`)

// Name is the base name of a scenario's objects: poolbench-NAME, in the
// lower-case letters, digits and '-' Kubernetes names take, short enough
// for the longest suffix.
func Name(scenario string) string {
	n := strings.Trim(dns1123.ReplaceAllString(strings.ToLower(scenario), "-"), "-")
	n = strings.TrimRight(("poolbench-" + n)[:min(len("poolbench-"+n), 50)], "-")
	return n
}

// Manifests returns the shards' manifest (ConfigMap, PersistentVolumeClaim,
// Indexed Job) and the merge's (a Job), each a YAML stream of documents.
func Manifests(o Options) (shards, merge []byte, err error) {
	if err := o.validate(); err != nil {
		return nil, nil, err
	}
	name := Name(o.Scenario)
	out := resultsDir + "/" + o.Scenario
	storage := o.Storage
	if storage == "" {
		storage = "1Gi"
	}
	size, err := resource.ParseQuantity(storage)
	if err != nil {
		return nil, nil, fmt.Errorf("storage %q: %w", storage, err)
	}
	meta := func(n string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: n, Namespace: o.Namespace, Labels: map[string]string{"app.kubernetes.io/name": "poolbench", "poolbench/scenario": name}}
	}
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: meta(name + "-scenario"),
		Data:       map[string]string{scenarioKey: string(o.Source)},
	}
	total := len(o.Source)
	for k, b := range o.Files {
		switch {
		case k == scenarioKey || !fileKey.MatchString(k) || k == "." || k == "..":
			return nil, nil, fmt.Errorf("file %q: the pods find the scenario's files beside it by their names alone: want a name of letters, digits, '-', '_' and '.', in the scenario's folder, not %s", k, scenarioKey)
		}
		total += len(b)
	}
	if total > maxConfigMap {
		return nil, nil, fmt.Errorf("the scenario and its files come to %d KiB, over the %d KiB a ConfigMap holds: put large files on a volume of your own", total>>10, maxConfigMap>>10)
	}
	for k, b := range o.Files {
		if utf8.Valid(b) {
			cm.Data[k] = string(b)
			continue
		}
		if cm.BinaryData == nil {
			cm.BinaryData = map[string][]byte{}
		}
		cm.BinaryData[k] = b
	}
	pvc := &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: meta(name + "-results"),
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}},
		},
	}
	if o.StorageClass != "" {
		pvc.Spec.StorageClassName = &o.StorageClass
	}
	n := int32(o.Shards)
	args := append([]string{"run", scenarioDir + "/" + scenarioKey,
		"-shards", strconv.Itoa(o.Shards),
		"-out", out,
		"-sync", out + "/.sync/$(" + RunIDEnv + ")",
	}, o.RunArgs...)
	shardPod := pod(o.Image, name, args, true)
	shardPod.Containers[0].WorkingDir = scenarioDir // @body files, by name
	shardPod.Containers[0].Env = []corev1.EnvVar{{Name: RunIDEnv, ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['batch.kubernetes.io/controller-uid']"}}}}
	if o.EnvSecret != "" {
		shardPod.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: o.EnvSecret}}}}
	}
	indexed := batchv1.IndexedCompletion
	zero := int32(0)
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: meta(name),
		Spec: batchv1.JobSpec{
			CompletionMode: &indexed,
			Completions:    &n,
			// Every shard at once: they wait for each other at each cell.
			Parallelism: &n,
			// A shard run again would repeat cells the others have left:
			// a failed pod fails the Job, and the run is started anew.
			BackoffLimit: &zero,
			Template:     corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: meta("").Labels}, Spec: shardPod},
		},
	}
	mergeJob := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: meta(name + "-merge"),
		Spec: batchv1.JobSpec{
			BackoffLimit: &zero,
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: meta("").Labels},
				Spec: pod(o.Image, name, []string{"merge", out}, false)},
		},
	}
	if shards, err = stream(cm, pvc, job); err != nil {
		return nil, nil, err
	}
	if merge, err = stream(mergeJob); err != nil {
		return nil, nil, err
	}
	return shards, merge, nil
}

// pod is the pod spec of a shard (withScenario) or of the merge: the
// results volume at /results, the scenario's ConfigMap at /etc/poolbench,
// group-writable for the image's non-root user.
func pod(image, name string, args []string, withScenario bool) corev1.PodSpec {
	group := int64(65532) // distroless's nonroot, the Dockerfile's user
	nonRoot := true
	spec := corev1.PodSpec{
		RestartPolicy:   corev1.RestartPolicyNever,
		SecurityContext: &corev1.PodSecurityContext{FSGroup: &group, RunAsNonRoot: &nonRoot},
		Containers: []corev1.Container{{
			Name:         "poolbench",
			Image:        image,
			Args:         args,
			VolumeMounts: []corev1.VolumeMount{{Name: "results", MountPath: resultsDir}},
		}},
		Volumes: []corev1.Volume{{Name: "results", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: name + "-results"}}}},
	}
	if withScenario {
		spec.Containers[0].VolumeMounts = append(spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "scenario", MountPath: scenarioDir, ReadOnly: true})
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "scenario", VolumeSource: corev1.VolumeSource{
			ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: name + "-scenario"}}}})
	}
	return spec
}

// stream writes objects as one YAML stream, "---" between documents.
func stream(objs ...any) ([]byte, error) {
	var b bytes.Buffer
	for i, o := range objs {
		y, err := yaml.Marshal(o)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}

func (o Options) validate() error {
	switch {
	case o.Scenario == "":
		return errors.New("no scenario name")
	case len(o.Source) == 0:
		return errors.New("no scenario file")
	case o.Image == "":
		return errors.New("no image: name the container image holding poolbench (see the Dockerfile), like -image ghcr.io/you/poolbench:v1")
	case strings.ContainsAny(o.Image, " \t\n"):
		return fmt.Errorf("image %q: an image reference has no spaces", o.Image)
	case o.Shards < 1 || o.Shards > MaxShards:
		return fmt.Errorf("%d shards: want 1 to %d", o.Shards, MaxShards)
	case o.EnvSecret != "" && len(validation.IsDNS1123Subdomain(o.EnvSecret)) > 0:
		return fmt.Errorf("secret %q: a Secret's name is lower-case letters, digits, '-' and '.'", o.EnvSecret)
	}
	return nil
}
