// Package publish writes a set of files so that readers see all of them
// from one writer or none: each file is written to a temporary file beside
// its final place, and only when every one is written are they renamed
// into place. A failed write names the file that failed and leaves the
// files already there as they were.
package publish

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Set is a set of files to publish under one directory. Its zero value is
// not usable; create it with New.
type Set struct {
	dir     string
	staged  map[string]*os.File // final name (relative to dir) → temporary file, closed
	order   []string            // the staged names, in the order first staged
	remove  []string
	aborted bool
}

// New returns an empty set of files to publish under dir, creating dir.
func New(dir string) (*Set, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &Set{dir: dir, staged: map[string]*os.File{}}, nil
}

// Dir is the directory the set publishes into.
func (s *Set) Dir() string { return s.dir }

// Create starts file name (relative to the set's directory) for streaming:
// the caller writes to the returned file and calls Done when complete.
func (s *Set) Create(name string) (*File, error) {
	path := filepath.Join(s.dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return &File{set: s, name: name, path: path, f: f, w: f}, nil
}

// Write stages file name with data.
func (s *Set) Write(name string, data []byte) error {
	f, err := s.Create(name)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return err
	}
	return f.Done()
}

// Path is where file name's content can be read now: its staged
// temporary file once Done, else its final place.
func (s *Set) Path(name string) string {
	if f, ok := s.staged[name]; ok {
		return f.Name()
	}
	return filepath.Join(s.dir, name)
}

// Remove marks file name to be removed when the set is published (a file
// an earlier publication wrote that this one no longer has).
func (s *Set) Remove(name string) { s.remove = append(s.remove, name) }

// Commit renames every staged file into place, in the order they were
// first staged (stage a page that links the others last), then removes
// the files marked with Remove.
func (s *Set) Commit() error {
	if s.aborted {
		return errors.New("publish: the set was aborted")
	}
	names := s.order
	for i, n := range names {
		f := s.staged[n]
		if err := os.Rename(f.Name(), filepath.Join(s.dir, n)); err != nil {
			for _, m := range names[i:] {
				os.Remove(s.staged[m].Name())
			}
			return fmt.Errorf("publishing %s: %w", filepath.Join(s.dir, n), err)
		}
	}
	s.staged, s.order = map[string]*os.File{}, nil
	for _, n := range s.remove {
		if err := os.Remove(filepath.Join(s.dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Abort removes every staged file; nothing is published.
func (s *Set) Abort() {
	s.aborted = true
	for _, f := range s.staged {
		os.Remove(f.Name())
	}
	s.staged, s.order = map[string]*os.File{}, nil
}

// File is a file being written for a Set.
type File struct {
	set  *Set
	name string
	path string
	f    *os.File
	w    io.Writer // f, but for tests
	err  error
}

var _ io.Writer = (*File)(nil)

// Write writes to the temporary file; an error names the final file.
func (f *File) Write(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.w.Write(p)
	if err != nil {
		f.err = fmt.Errorf("writing %s: %w", f.path, err)
		return n, f.err
	}
	return n, nil
}

// Done closes the file and stages it for the set's Commit. After a failed
// Write it returns that error and stages nothing.
func (f *File) Done() error {
	err := f.err
	if err == nil {
		// CreateTemp makes the file 0600; outputs are meant to be shared.
		err = errors.Join(f.f.Sync(), f.f.Chmod(0o644))
	}
	if cerr := f.f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.f.Name())
		if f.err == nil {
			err = fmt.Errorf("writing %s: %w", f.path, err)
		}
		return err
	}
	if old, ok := f.set.staged[f.name]; ok {
		os.Remove(old.Name())
	} else {
		f.set.order = append(f.set.order, f.name)
	}
	f.set.staged[f.name] = f.f
	return nil
}

// Abort closes and removes the file without staging it.
func (f *File) Abort() {
	f.f.Close()
	os.Remove(f.f.Name())
}

// WriteFile writes one file atomically: a temporary file beside path,
// then a rename.
func WriteFile(path string, data []byte) error {
	s, err := New(filepath.Dir(path))
	if err != nil {
		return err
	}
	if err := s.Write(filepath.Base(path), data); err != nil {
		return err
	}
	return s.Commit()
}
