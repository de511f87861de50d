package fit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// MaxRecords bounds the attempts Read keeps (16 bytes each).
const MaxRecords = 5_000_000

// attempts are one cell's attempts, as requests.jsonl recorded them: when
// each started (wall seconds after the cell's first record's start), its
// latency (wall seconds) and the HTTP status (0: no answer).
type attempts struct {
	base    time.Time
	start   []float64
	latency []float64
	code    []int
}

// readRecords reads requests.jsonl (vegeta Result lines) at path and
// returns the attempts of every cell, by cell label (the Attack field).
func readRecords(ctx context.Context, path string) (map[string]*attempts, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeRecords(ctx, f, path)
}

// decodeRecords reads vegeta Result JSON lines from r (named name in
// errors).
func decodeRecords(ctx context.Context, r io.Reader, name string) (map[string]*attempts, error) {
	dec := vegeta.NewJSONDecoder(bufio.NewReaderSize(r, 64<<10))
	out := map[string]*attempts{}
	n := 0
	for ; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var res vegeta.Result
		err := dec.Decode(&res)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: record %d: %w", name, n+1, err)
		}
		if n >= MaxRecords {
			return nil, fmt.Errorf("%s: more than %d records: fit a run of fewer attempts", name, MaxRecords)
		}
		a := out[res.Attack]
		if a == nil {
			a = &attempts{base: res.Timestamp}
			out[res.Attack] = a
		}
		a.start = append(a.start, res.Timestamp.Sub(a.base).Seconds())
		a.latency = append(a.latency, res.Latency.Seconds())
		a.code = append(a.code, int(res.Code))
	}
}
