package report

import (
	"bufio"
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

// decodeRequests decodes vegeta Result JSON lines from r.
func decodeRequests(r io.Reader, name string, want map[string]bool) (map[string][]attempt, error) {
	dec := vegeta.NewJSONDecoder(r)
	out := map[string][]attempt{}
	for n := 1; ; n++ {
		var res vegeta.Result
		err := dec.Decode(&res)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: record %d: not a vegeta result: %w", name, n, err)
		}
		if want[res.Attack] {
			out[res.Attack] = append(out[res.Attack], attempt{res.Timestamp, res.Latency, res.Code})
		}
	}
	for _, a := range out {
		slices.SortStableFunc(a, func(x, y attempt) int { return x.start.Compare(y.start) })
	}
	return out, nil
}
