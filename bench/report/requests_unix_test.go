//go:build unix

package report

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A FIFO named requests.jsonl, with no writer, is refused at once: the
// report neither blocks on it nor writes a page.
func TestRequestsFIFO(t *testing.T) {
	f := seedFixture()
	dir := f.writeDir(t, false)
	path := filepath.Join(dir, "requests.jsonl")
	if err := unix.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 2)
	go func() {
		_, err := readRequests(context.Background(), path, wantedCells(mustSummarize(t, f)))
		done <- err
		done <- WriteAll(context.Background(), dir, f.results)
	}()
	for _, what := range []string{"readRequests", "WriteAll"} {
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("%s: err = %v, want not a regular file", what, err)
			}
			if what == "WriteAll" && !errors.Is(err, ErrRequests) {
				t.Errorf("WriteAll: err = %v, want ErrRequests", err)
			}
		case <-time.After(time.Minute): // a guard against a hang, not a timing
			t.Fatalf("%s blocked on a FIFO", what)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); !errors.Is(err, os.ErrNotExist) {
		t.Error("index.html written despite the FIFO")
	}
}

func mustSummarize(t *testing.T, f fixture) *Summary {
	t.Helper()
	s, err := Summarize(f.results)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
