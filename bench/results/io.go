package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/internal/publish"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// MaxFileBytes bounds the results.json Read accepts. A sweep of 100
// repeats of 1,000 cells writes about 50 MB.
const MaxFileBytes = 256 << 20

// ErrSchema is wrapped by Read when a file has another schema.
var ErrSchema = errors.New("unsupported results schema")

// ErrInvalid is wrapped by Read when a file is not a results.json this
// poolbench could have written: malformed, too large, not a regular file,
// or with figures that contradict each other.
var ErrInvalid = errors.New("not a valid poolbench results file")

// Read reads a results.json file, or the results.json inside a directory.
// It refuses anything but a regular file of at most MaxFileBytes (a FIFO
// or a device would block it or run it out of memory), and results that
// fail Validate. Figures that results written by an older poolbench lack
// and that follow from the others (a cell's goodput and time scale) are
// filled in.
func Read(path string) (*Results, error) {
	path = Path(path)
	b, err := readRegular(path, MaxFileBytes)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Schema *int `json:"schema"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrInvalid, err)
	}
	if probe.Schema == nil {
		return nil, fmt.Errorf("%s: %w (no \"schema\" field)", path, ErrInvalid)
	}
	if *probe.Schema != SchemaVersion {
		return nil, fmt.Errorf("%s: %w %d (this poolbench reads schema %d)", path, ErrSchema, *probe.Schema, SchemaVersion)
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrInvalid, err)
	}
	r.fill()
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrInvalid, err)
	}
	return &r, nil
}

// Path is the results.json a path names: the path itself, or the
// results.json inside it when it is a folder.
func Path(path string) string {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return filepath.Join(path, "results.json")
	}
	return path
}

// ErrNotRegular is wrapped by OpenRegular's refusals.
var ErrNotRegular = errors.New("not a regular file")

// OpenRegular opens path for reading, refusing anything but a regular
// file (a FIFO, a device, a folder: "not a regular file (a named pipe)",
// wrapping ErrNotRegular) without blocking on it, and returns it with its
// FileInfo. The readers of a run's files all open them through it.
func OpenRegular(path string) (*os.File, fs.FileInfo, error) {
	// Non-blocking, so that opening a FIFO does not wait for a writer.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, fileKind(fi.Mode()))
	}
	return f, fi, nil
}

// fileKind names the type of a file that is not a regular one.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m.IsDir():
		return "a folder"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return m.Type().String()
}

// readRegular reads path, refusing anything but a regular file of at most
// limit bytes.
func readRegular(path string, limit int64) ([]byte, error) {
	f, fi, err := OpenRegular(path)
	if errors.Is(err, ErrNotRegular) {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s: %w: %d bytes, more than the %d accepted", path, ErrInvalid, fi.Size(), limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", path, ErrInvalid, limit)
	}
	return b, nil
}

// fill derives what an older results.json lacks from what it has.
func (r *Results) fill() {
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Timescale == 0 {
			c.Timescale = upstream.Scale(r.Scenario.Timescale.Fixed.Factor())
		}
		if c.Goodput == 0 && c.Succeeded > 0 && c.ModelWallSeconds > 0 {
			c.Goodput = float64(c.Succeeded) / c.ModelWallSeconds
		}
	}
}

// Validate reports results whose figures contradict each other: a cell
// with negative counts, items that do not add up, attempts below the items
// that started, times that are negative or not numbers. It does not
// require a cell: an interrupted run may have measured none.
func (r *Results) Validate() error {
	if r.Scenario.Name == "" {
		return errors.New("the scenario has no name")
	}
	if r.Cells == nil {
		return errors.New(`"cells" is missing or null`)
	}
	for i := range r.Cells {
		if err := r.Cells[i].validate(); err != nil {
			return fmt.Errorf("cell %d (%s): %w", i, r.Cells[i].Label(), err)
		}
	}
	return nil
}

func (c *Cell) validate() error {
	switch {
	case c.Strategy == "":
		return errors.New("no strategy")
	case c.Strategy.Rank() == len(scenario.Strategies()):
		return fmt.Errorf("strategy %q is not one this poolbench knows (%s)", c.Strategy, scenario.StrategyList())
	case c.Items < 0 || c.Succeeded < 0 || c.Failed < 0 || c.Attempts < 0 || c.Pool < 0 || c.Repeat < 0:
		return errors.New("a negative count")
	case c.Succeeded+c.Failed != c.Items:
		return fmt.Errorf("succeeded %d + failed %d is not items %d", c.Succeeded, c.Failed, c.Items)
	case c.Attempts < c.Succeeded:
		return fmt.Errorf("attempts %d below the %d items that succeeded", c.Attempts, c.Succeeded)
	}
	for _, v := range []float64{c.WallSeconds, c.ModelWallSeconds, c.Throughput, c.Goodput, c.Latency.P50, c.Latency.P99, c.Latency.Max} {
		if !(v >= 0) || v > 1e15 {
			return fmt.Errorf("a time or rate out of range: %v", v)
		}
	}
	for k, n := range c.Failures {
		if n < 0 {
			return fmt.Errorf("failures[%q] is negative", k)
		}
	}
	if c.Upstream != nil {
		if err := c.Upstream.Balanced(); err != nil {
			return fmt.Errorf("upstream: %w", err)
		}
	}
	return nil
}

// Write writes r as indented JSON to path, atomically.
func Write(path string, r *Results) error {
	b, err := Marshal(r)
	if err != nil {
		return err
	}
	return publish.WriteFile(path, b)
}

// Marshal is results.json's bytes: indented JSON and a newline.
func Marshal(r *Results) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
