package memavail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const gib = 1 << 30

// write lays out files (path relative to dir: content) under dir.
func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAvailable(t *testing.T) {
	const host = "MemTotal:       32000000 kB\nMemFree:         1000000 kB\nMemAvailable:   20971520 kB\n" // 20 GiB
	tests := []struct {
		name   string
		files  map[string]string
		bytes  uint64
		source string // relative to the fixture's folder
	}{
		{name: "v2 container", files: map[string]string{
			"proc/meminfo": host, "proc/self/cgroup": "0::/\n",
			"cg/memory.max": "209715200\n", "cg/memory.current": "10485760\n",
		}, bytes: 190 << 20, source: "cg/memory.max"},
		{name: "v2 limit on an ancestor", files: map[string]string{
			"proc/meminfo": host, "proc/self/cgroup": "0::/a/b\n",
			"cg/a/b/memory.max": "max\n", "cg/a/b/memory.current": "1000\n",
			"cg/a/memory.max": "314572800\n", "cg/a/memory.current": "104857600\n",
			"cg/memory.max": "max\n",
		}, bytes: 200 << 20, source: "cg/a/memory.max"},
		{name: "v2 without a limit", files: map[string]string{
			"proc/meminfo": host, "proc/self/cgroup": "0::/x\n",
			"cg/x/memory.max": "max\n", "cg/x/memory.current": "1000\n",
		}, bytes: 20 * gib, source: "MemAvailable"},
		{name: "a limit above the host's MemAvailable", files: map[string]string{
			"proc/meminfo": host, "proc/self/cgroup": "0::/\n",
			"cg/memory.max": "68719476736\n", "cg/memory.current": "0\n",
		}, bytes: 20 * gib, source: "MemAvailable"},
		{name: "v1, limit on the parent, unlimited child", files: map[string]string{
			"proc/meminfo": host, "proc/self/cgroup": "9:name=systemd:/\n4:memory:/process_api/x\n0::/\n",
			"cg/memory/process_api/x/memory.limit_in_bytes": "9223372036854771712\n", "cg/memory/process_api/x/memory.usage_in_bytes": "4096\n",
			"cg/memory/process_api/memory.limit_in_bytes": "524288000\n", "cg/memory/process_api/memory.usage_in_bytes": "471859200\n",
			"cg/memory/memory.limit_in_bytes": "9223372036854771712\n", "cg/memory/memory.usage_in_bytes": "1\n",
		}, bytes: 50 << 20, source: "cg/memory/process_api/memory.limit_in_bytes"},
		{name: "v1, controllers together, a host path not below root (cgroup namespace)", files: map[string]string{
			"proc/meminfo": host, "proc/self/cgroup": "3:cpu,memory:/docker/abc\n",
			"cg/memory/memory.limit_in_bytes": "209715200\n", "cg/memory/memory.usage_in_bytes": "104857600\n",
		}, bytes: 100 << 20, source: "cg/memory/memory.limit_in_bytes"},
		{name: "usage over the limit", files: map[string]string{
			"proc/meminfo": host, "proc/self/cgroup": "0::/\n",
			"cg/memory.max": "1000\n", "cg/memory.current": "2000\n",
		}, bytes: 0, source: "cg/memory.max"},
		{name: "an unreadable limit is skipped", files: map[string]string{
			"proc/meminfo": host, "proc/self/cgroup": "0::/\n",
			"cg/memory.max": "lots\n", "cg/memory.current": "2000\n",
		}, bytes: 20 * gib, source: "MemAvailable"},
		{name: "no cgroup file", files: map[string]string{"proc/meminfo": host}, bytes: 20 * gib, source: "MemAvailable"},
		{name: "nothing readable", files: map[string]string{"proc/meminfo": "MemTotal: 1 kB\n"}, bytes: 0, source: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, tt.files)
			got := Available(Paths{Meminfo: filepath.Join(dir, "proc/meminfo"), Cgroups: filepath.Join(dir, "proc/self/cgroup"),
				CgroupRoot: filepath.Join(dir, "cg")})
			want := tt.source
			if strings.Contains(want, "/") {
				want = filepath.Join(dir, filepath.FromSlash(want))
			}
			if got.Bytes != tt.bytes || got.Source != want {
				t.Errorf("Available = %d from %q, want %d from %q", got.Bytes, got.Source, tt.bytes, want)
			}
		})
	}
}

// TestSystem reads this machine's figures: no more than MemAvailable, and
// no more than the room left under the memory limit of the cgroup this
// process is in, when it has one.
func TestSystem(t *testing.T) {
	host, err := meminfo(System.Meminfo)
	if err != nil {
		t.Skipf("no MemAvailable on this system (%v): nothing to check", err)
	}
	got := Available(System)
	if got.Bytes == 0 || got.Bytes > host {
		t.Fatalf("Available = %d from %s; MemAvailable is %d", got.Bytes, got.Source, host)
	}
	cgs, err := os.ReadFile(System.Cgroups)
	if err != nil {
		t.Skipf("no %s: %v", System.Cgroups, err)
	}
	dirs := memoryCgroups(cgs, System.CgroupRoot)
	if len(dirs) == 0 {
		t.Skipf("no memory cgroup of this process under %s", System.CgroupRoot)
	}
	limited := false
	for _, d := range dirs {
		if room, src, ok := cgroupRoom(d); ok {
			limited = true
			// Usage moves between the two reads: a few MiB of slack.
			if got.Bytes > room+64<<20 {
				t.Errorf("Available = %d, above the %d left under %s", got.Bytes, room, src)
			}
		}
	}
	if !limited {
		t.Skipf("checked MemAvailable only: none of this process's memory cgroups (%v) sets a limit", dirs)
	}
	t.Logf("Available = %d MiB from %s", got.Bytes>>20, got.Source)
}

func FuzzMemoryCgroups(f *testing.F) {
	f.Add("0::/\n")
	f.Add("4:memory:/a/b\n0::/x/../y\n")
	f.Add("3:cpu,memory:../../etc\n")
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range memoryCgroups([]byte(s), root) {
			if rel, err := filepath.Rel(root, d); err != nil || strings.HasPrefix(rel, "..") {
				t.Fatalf("%q outside %s", d, root)
			}
		}
	})
}
