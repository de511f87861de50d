package publish

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

// TestCommit: files appear together, readable by all, with nothing left
// behind; a file marked removed goes.
func TestCommit(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stale.png"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Create("big.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("line 1\n"))
	f.Write([]byte("line 2\n"))
	if err := f.Done(); err != nil {
		t.Fatal(err)
	}
	if err := s.Write("sub/a.txt", []byte("a")); err != nil {
		t.Fatal(err)
	}
	s.Remove("stale.png")
	if got := read(t, filepath.Join(dir, "big.jsonl")); !strings.Contains(got, "no such file") {
		t.Fatalf("published before Commit: %q", got)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "big.jsonl")); got != "line 1\nline 2\n" {
		t.Errorf("big.jsonl = %q", got)
	}
	if fi, err := os.Stat(filepath.Join(dir, "sub", "a.txt")); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("sub/a.txt: %v %v, want mode 0644", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "stale.png")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale.png not removed: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	left2, _ := filepath.Glob(filepath.Join(dir, "sub", ".*tmp*"))
	if len(left)+len(left2) != 0 {
		t.Errorf("temporary files left: %v %v", left, left2)
	}
}

// TestFailedWriteNamesTheFile: on a full disk the error names the file
// that failed, and nothing of the set replaces what was there.
func TestFailedWriteNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "results.json")
	if err := os.WriteFile(old, []byte("previous run"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write("results.json", []byte("new run")); err != nil {
		t.Fatal(err)
	}
	f, err := s.Create("requests.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	f.w = fullDisk{} // what a full disk does to the next write
	_, werr := f.Write([]byte("half a li"))
	if !errors.Is(werr, syscall.ENOSPC) || !strings.Contains(werr.Error(), "requests.jsonl") {
		t.Errorf("write error %v, want ENOSPC naming requests.jsonl", werr)
	}
	if err := f.Done(); err == nil || !strings.Contains(err.Error(), "requests.jsonl") {
		t.Errorf("Done after a failed write: %v", err)
	}
	s.Abort()
	if got := read(t, old); got != "previous run" {
		t.Errorf("results.json = %q, want the previous run's", got)
	}
	if got := read(t, filepath.Join(dir, "requests.jsonl")); !strings.Contains(got, "no such file") {
		t.Errorf("a truncated requests.jsonl was published: %q", got)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// fullDisk fails every write as a full disk does.
type fullDisk struct{}

func (fullDisk) Write([]byte) (int, error) {
	return 0, &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}
}
