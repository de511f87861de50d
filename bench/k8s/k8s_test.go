package k8s

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// docs splits a YAML stream into its documents.
func docs(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for d := range strings.SplitSeq("\n"+string(b), "\n---\n") {
		out = append(out, []byte(d))
	}
	return out
}

// strict decodes one document into v, refusing any field v's type lacks.
func strict(t *testing.T, doc []byte, v any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(doc, v); err != nil {
		t.Fatalf("%v in\n%s", err, doc)
	}
}

// TestManifests decodes the manifests strictly into k8s.io/api's types
// and checks what the shards and the merge rely on.
func TestManifests(t *testing.T) {
	src := []byte("name: fleet.api\nitems: 1000\ntarget: {url: http://api.internal:8080/item}\nsweep: {strategies: [pooled], pool_sizes: [2, 4]}\n")
	for _, n := range []int{1, 4, 64} {
		shards, merge, err := Manifests(Options{Scenario: "fleet.api", Source: src, Image: "ghcr.io/example/poolbench:v1", Shards: n,
			Namespace: "bench", StorageClass: "nfs", RunArgs: []string{"-allow-remote"},
			Files: map[string][]byte{"urls.txt": []byte("GET http://api.internal:8080/a\n"), "blob.bin": {0xff, 0xfe}}, EnvSecret: "api-token"})
		if err != nil {
			t.Fatal(err)
		}
		d := docs(t, shards)
		if len(d) != 3 {
			t.Fatalf("%d documents in the shards' manifest, want 3 (ConfigMap, PersistentVolumeClaim, Job)", len(d))
		}
		var cm corev1.ConfigMap
		var pvc corev1.PersistentVolumeClaim
		var job, mjob batchv1.Job
		strict(t, d[0], &cm)
		strict(t, d[1], &pvc)
		strict(t, d[2], &job)
		md := docs(t, merge)
		if len(md) != 1 {
			t.Fatalf("%d documents in the merge's manifest, want 1", len(md))
		}
		strict(t, md[0], &mjob)

		for _, o := range []struct{ kind, want, got, name, ns string }{
			{"ConfigMap", "v1", cm.APIVersion, cm.Name, cm.Namespace},
			{"PersistentVolumeClaim", "v1", pvc.APIVersion, pvc.Name, pvc.Namespace},
			{"Job", "batch/v1", job.APIVersion, job.Name, job.Namespace},
			{"Job", "batch/v1", mjob.APIVersion, mjob.Name, mjob.Namespace},
		} {
			if o.got != o.want || o.ns != "bench" {
				t.Errorf("%s %s: apiVersion %q namespace %q", o.kind, o.name, o.got, o.ns)
			}
			if errs := validation.IsDNS1123Label(o.name); len(errs) > 0 {
				t.Errorf("%s name %q: %v", o.kind, o.name, errs)
			}
		}
		if cm.Data[scenarioKey] != string(src) {
			t.Errorf("the ConfigMap holds %q, want the scenario file", cm.Data[scenarioKey])
		}
		if cm.Data["urls.txt"] != "GET http://api.internal:8080/a\n" || string(cm.BinaryData["blob.bin"]) != "\xff\xfe" {
			t.Errorf("the ConfigMap's files: data %q, binary data %q", cm.Data, cm.BinaryData)
		}
		if !slices.Equal(pvc.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}) || pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName != "nfs" {
			t.Errorf("volume claim: access %v, class %v; want ReadWriteMany, nfs", pvc.Spec.AccessModes, pvc.Spec.StorageClassName)
		}

		s := job.Spec
		if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
			t.Errorf("completionMode %v, want Indexed", s.CompletionMode)
		}
		if s.Completions == nil || int(*s.Completions) != n || s.Parallelism == nil || int(*s.Parallelism) != n {
			t.Errorf("completions %v parallelism %v, want %d and %d: every shard at once", s.Completions, s.Parallelism, n, n)
		}
		c := s.Template.Spec.Containers
		if len(c) != 1 || c[0].Image != "ghcr.io/example/poolbench:v1" {
			t.Fatalf("containers %+v", c)
		}
		args := strings.Join(c[0].Args, " ")
		want := "run /etc/poolbench/scenario.yaml -shards " + strconv.Itoa(n) + " -out /results/fleet.api -sync /results/fleet.api/.sync/$(POOLBENCH_RUN) -allow-remote"
		if args != want {
			t.Errorf("shard args %q, want %q", args, want)
		}
		// $(POOLBENCH_RUN) expands only from a variable the container
		// defines: the Job's uid, from the pod's label.
		if len(c[0].Env) != 1 || c[0].Env[0].Name != RunIDEnv || c[0].Env[0].ValueFrom == nil || c[0].Env[0].ValueFrom.FieldRef == nil ||
			c[0].Env[0].ValueFrom.FieldRef.FieldPath != "metadata.labels['batch.kubernetes.io/controller-uid']" {
			t.Errorf("env %+v", c[0].Env)
		}
		if c[0].WorkingDir != scenarioDir || len(c[0].EnvFrom) != 1 || c[0].EnvFrom[0].SecretRef == nil || c[0].EnvFrom[0].SecretRef.Name != "api-token" {
			t.Errorf("working dir %q (want %s, where @body files are found), envFrom %+v (want the Secret api-token)", c[0].WorkingDir, scenarioDir, c[0].EnvFrom)
		}
		if s.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("restartPolicy %q", s.Template.Spec.RestartPolicy)
		}
		mounted(t, s.Template.Spec, "/results", func(v corev1.Volume) bool {
			return v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == pvc.Name
		})
		mounted(t, s.Template.Spec, "/etc/poolbench", func(v corev1.Volume) bool {
			return v.ConfigMap != nil && v.ConfigMap.Name == cm.Name
		})

		ms := mjob.Spec
		if ms.CompletionMode != nil && *ms.CompletionMode == batchv1.IndexedCompletion {
			t.Error("the merge is an Indexed Job")
		}
		mc := ms.Template.Spec.Containers
		if len(mc) != 1 || strings.Join(mc[0].Args, " ") != "merge /results/fleet.api" || mc[0].Image != c[0].Image {
			t.Errorf("merge container %+v", mc)
		}
		mounted(t, ms.Template.Spec, "/results", func(v corev1.Volume) bool {
			return v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == pvc.Name
		})
	}
}

// mounted checks that the pod mounts at path a volume ok accepts.
func mounted(t *testing.T, spec corev1.PodSpec, path string, ok func(corev1.Volume) bool) {
	t.Helper()
	for _, m := range spec.Containers[0].VolumeMounts {
		if m.MountPath != path {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name == m.Name && ok(v) {
				return
			}
		}
	}
	t.Errorf("nothing right mounted at %s: mounts %+v, volumes %+v", path, spec.Containers[0].VolumeMounts, spec.Volumes)
}

func TestManifestsRefuse(t *testing.T) {
	ok := Options{Scenario: "a", Source: []byte("name: a"), Image: "img", Shards: 2}
	for _, tc := range []struct {
		name   string
		change func(*Options)
		want   string
	}{
		{"no image", func(o *Options) { o.Image = "" }, "no image"},
		{"no shards", func(o *Options) { o.Shards = 0 }, "0 shards"},
		{"too many shards", func(o *Options) { o.Shards = MaxShards + 1 }, "want 1 to"},
		{"bad storage", func(o *Options) { o.Storage = "lots" }, `storage "lots"`},
		{"no source", func(o *Options) { o.Source = nil }, "no scenario file"},
		{"file in a folder", func(o *Options) { o.Files = map[string][]byte{"sub/urls.txt": nil} }, "by their names alone"},
		{"file named as the scenario", func(o *Options) { o.Files = map[string][]byte{scenarioKey: nil} }, "by their names alone"},
		{"files too large", func(o *Options) { o.Files = map[string][]byte{"big.txt": make([]byte, maxConfigMap)} }, "over the 1000 KiB a ConfigMap holds"},
		{"bad secret", func(o *Options) { o.EnvSecret = "Not_A_Name" }, `secret "Not_A_Name"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.change(&o)
			if _, _, err := Manifests(o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"seed-816s", "poolbench-seed-816s"},
		{"fleet.api_v2", "poolbench-fleet-api-v2"},
		{strings.Repeat("a", 64), "poolbench-" + strings.Repeat("a", 40)},
	} {
		if got := Name(tc.in); got != tc.want || len(validation.IsDNS1123Label(got+"-scenario")) > 0 {
			t.Errorf("Name(%q) = %q, want %q, a DNS label with its longest suffix", tc.in, got, tc.want)
		}
	}
}
