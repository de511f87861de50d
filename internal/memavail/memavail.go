// Package memavail says how much memory this process may still use: the
// smallest of the kernel's MemAvailable and, for each cgroup the process is
// in and each of its ancestors, the cgroup's memory limit minus its usage
// (cgroup v2: memory.max minus memory.current; v1: memory.limit_in_bytes
// minus memory.usage_in_bytes). A container's --memory is such a limit:
// the host's MemAvailable alone would miss it. Usage counts the page cache
// the kernel could reclaim, so the figure errs on the small side.
//
// It reads files only, at paths a caller may point elsewhere (Paths): it
// reads no environment.
package memavail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// Paths are where the figures are read.
type Paths struct {
	Meminfo    string // /proc/meminfo
	Cgroups    string // /proc/self/cgroup
	CgroupRoot string // /sys/fs/cgroup
}

// System is the running system's paths.
var System = Paths{Meminfo: "/proc/meminfo", Cgroups: "/proc/self/cgroup", CgroupRoot: "/sys/fs/cgroup"}

// Figure is the memory available, in bytes, and what set it.
type Figure struct {
	Bytes uint64
	// Source is "MemAvailable" or the cgroup file whose limit set Bytes,
	// e.g. "/sys/fs/cgroup/memory.max".
	Source string
}

// Available returns the memory this process may still use: the smallest
// figure found, or Bytes 0 when none could be read. A cgroup without a
// limit ("max", or v1's near-2^63 "unlimited") sets none; a file that
// cannot be read or parsed is skipped.
func Available(p Paths) Figure {
	var best Figure
	consider := func(b uint64, src string) {
		if best.Source == "" || b < best.Bytes {
			best = Figure{Bytes: b, Source: src}
		}
	}
	if b, err := meminfo(p.Meminfo); err == nil {
		consider(b, "MemAvailable")
	}
	cgs, err := os.ReadFile(p.Cgroups)
	if err != nil {
		return best
	}
	for _, dir := range memoryCgroups(cgs, p.CgroupRoot) {
		if b, src, ok := cgroupRoom(dir); ok {
			consider(b, src)
		}
	}
	return best
}

// meminfo reads MemAvailable from a /proc/meminfo, in bytes.
func meminfo(file string) (uint64, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: MemAvailable: %w", file, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("%s: no MemAvailable line", file)
}

// memoryCgroups lists the folders of the memory cgroups a /proc/self/cgroup
// names, each followed by its ancestors up to root: v2's unified
// hierarchy ("0::/path", under root) and v1's memory controller
// ("N:memory:/path", under root/memory). A path seen from outside a cgroup
// namespace may not exist below root; the folders that do are returned.
func memoryCgroups(cgroups []byte, root string) []string {
	var dirs []string
	sc := bufio.NewScanner(bytes.NewReader(cgroups))
	for sc.Scan() {
		id, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		controllers, p, ok := strings.Cut(rest, ":")
		if !ok || !strings.HasPrefix(p, "/") {
			continue
		}
		var base string
		switch {
		case id == "0" && controllers == "":
			base = root
		case hasMemory(controllers):
			base = filepath.Join(root, "memory")
		default:
			continue
		}
		for p = path.Clean(p); ; p = path.Dir(p) {
			dir := filepath.Join(base, filepath.FromSlash(p))
			if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
				dirs = append(dirs, dir)
			}
			if p == "/" {
				break
			}
		}
	}
	return dirs
}

func hasMemory(controllers string) bool {
	for c := range strings.SplitSeq(controllers, ",") {
		if c == "memory" {
			return true
		}
	}
	return false
}

// v1Unlimited: v1 writes "no limit" as the largest page-aligned int64.
const v1Unlimited = 1 << 62

// errNoLimit is a cgroup without a memory limit.
var errNoLimit = errors.New("no limit")

// cgroupRoom is a cgroup folder's limit minus its usage (0 when usage is
// over the limit), and the limit's file; ok false when the folder sets no
// limit or its files cannot be read.
func cgroupRoom(dir string) (room uint64, src string, ok bool) {
	for _, f := range [][2]string{{"memory.max", "memory.current"}, {"memory.limit_in_bytes", "memory.usage_in_bytes"}} {
		limit, err := readBytes(filepath.Join(dir, f[0]))
		if err != nil {
			continue
		}
		used, err := readBytes(filepath.Join(dir, f[1]))
		if err != nil {
			continue
		}
		return limit - min(used, limit), filepath.Join(dir, f[0]), true
	}
	return 0, "", false
}

// readBytes reads a cgroup file holding a byte count; "max" and v1's
// unlimited are errNoLimit.
func readBytes(file string) (uint64, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return 0, errNoLimit
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", file, err)
	}
	if n >= v1Unlimited {
		return 0, errNoLimit
	}
	return n, nil
}
