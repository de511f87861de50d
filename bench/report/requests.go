package report

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// attempt is one line of requests.jsonl, reduced to what the charts use.
type attempt struct {
	start   time.Time
	latency time.Duration
	code    uint16
}

// readRequests reads the attempts of the wanted cells (by label, the
// Attack field) from a requests.jsonl file of vegeta Results. A missing
// file is not an error: it returns nil.
func readRequests(path string, want map[string]bool) (map[string][]attempt, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeRequests(bufio.NewReaderSize(f, 1<<16), path, want)
}

// decodeRequests decodes vegeta Result JSON lines from r, keeping the
// wanted cells. Lines of other cells are only looked at for their "attack"
// field (vegeta's encoder writes it first); the wanted ones, and any line
// whose attack cannot be read that way, go through vegeta's decoder.
func decodeRequests(r io.Reader, name string, want map[string]bool) (map[string][]attempt, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 16<<20)
	out := map[string][]attempt{}
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if label, ok := attackOf(line); ok && !want[label] {
			continue
		}
		var res vegeta.Result
		// vegeta's decoder reads up to a newline, which Scan strips.
		rec := append(slices.Clip(line), '\n')
		if err := vegeta.NewJSONDecoder(bytes.NewReader(rec)).Decode(&res); err != nil {
			return nil, fmt.Errorf("%s: record %d: not a vegeta result: %w", name, n, err)
		}
		if want[res.Attack] {
			out[res.Attack] = append(out[res.Attack], attempt{res.Timestamp, res.Latency, res.Code})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, a := range out {
		slices.SortStableFunc(a, func(x, y attempt) int { return x.start.Compare(y.start) })
	}
	return out, nil
}

// attackPrefix starts every line vegeta's JSON encoder writes.
var attackPrefix = []byte(`{"attack":"`)

// attackOf reads the attack label of a line that starts as vegeta writes
// it and has no escapes in the label.
func attackOf(line []byte) (string, bool) {
	rest, ok := bytes.CutPrefix(line, attackPrefix)
	if !ok {
		return "", false
	}
	i := bytes.IndexByte(rest, '"')
	if i < 0 || bytes.IndexByte(rest[:i], '\\') >= 0 {
		return "", false
	}
	return string(rest[:i]), true
}
