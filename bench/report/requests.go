package report

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// wanted names the cells the charts read from requests.jsonl.
type wanted struct {
	// cdf holds the labels of the cells whose latency CDF is drawn.
	cdf map[string]bool
	// inflight is the label of the one cell whose requests in flight are
	// drawn; attempts is its attempts as results.json counts them, which
	// only sizes its spans up front.
	inflight string
	attempts int
	// known holds the labels of every cell of results.json.
	known map[string]bool
}

// has says whether the charts read label's attempts.
func (w wanted) has(label string) bool { return w.cdf[label] || label == w.inflight }

// requestData is what the charts keep of requests.jsonl: the attempt
// latencies of each CDF cell in a histogram of fixed size (latencyHist,
// about 270 KB), and the start and end of every attempt of the in-flight
// cell, 16 bytes per attempt. Nothing else of the file stays in memory,
// however many cells and attempts it holds.
type requestData struct {
	want    wanted
	latency map[string]*latencyHist
	spans   spans
	// records counts the file's records; unknown those of cells
	// results.json does not have, the first of which is firstUnknown.
	records, unknown int
	firstUnknown     string
}

// see counts a record of the cell label.
func (d *requestData) see(label string) {
	d.records++
	if d.want.known != nil && !d.want.known[label] {
		if d.unknown == 0 {
			d.firstUnknown = label
		}
		d.unknown++
	}
}

// newRequestData returns an empty requestData for the cells of w.
func newRequestData(w wanted) *requestData {
	d := &requestData{want: w, latency: map[string]*latencyHist{}}
	if w.attempts > 0 {
		d.spans.starts = make([]int64, 0, w.attempts)
		d.spans.ends = make([]int64, 0, w.attempts)
	}
	return d
}

// add records one attempt of the cell label: its latency for the CDF,
// its span for the in-flight chart, as wanted.
func (d *requestData) add(label string, start time.Time, latency time.Duration) {
	if d.want.cdf[label] {
		h := d.latency[label]
		if h == nil {
			h = newLatencyHist()
			d.latency[label] = h
		}
		h.record(latency)
	}
	if label == d.want.inflight {
		d.spans.add(start, latency)
	}
}

// done sorts what add recorded, for the charts.
func (d *requestData) done() { d.spans.sort() }

// latencyOf is the latency histogram of the cell label: nil when d is nil
// or the cell has no attempt in the file.
func (d *requestData) latencyOf(label string) *latencyHist {
	if d == nil {
		return nil
	}
	return d.latency[label]
}

// inflightOf is the spans of the cell label: empty unless it is the
// in-flight cell and has attempts in the file.
func (d *requestData) inflightOf(label string) spans {
	if d == nil || label != d.want.inflight {
		return spans{}
	}
	return d.spans
}

// Latency histogram bounds: microseconds up to upstream.MaxSample, three
// significant digits, as bench/results records item latencies.
const (
	histUnit   = time.Microsecond
	histMax    = int64(upstream.MaxSample / histUnit)
	histDigits = 3
)

// latencyHist records a cell's attempt latencies in an HdrHistogram (see
// the constants above; about 270 KB whatever the count), with the exact
// extremes beside it: a latency read back is within 0.1% plus a
// microsecond of the one recorded, and the smallest and largest are
// exact.
type latencyHist struct {
	h        *hdrhistogram.Histogram
	min, max time.Duration
}

func newLatencyHist() *latencyHist {
	return &latencyHist{h: hdrhistogram.New(1, histMax, histDigits)}
}

// record adds one attempt's latency. A latency of zero or less is left
// out: the CDF's log axis has no place for it.
func (l *latencyHist) record(d time.Duration) {
	if d <= 0 {
		return
	}
	if l.h.TotalCount() == 0 {
		l.min, l.max = d, d
	}
	l.min, l.max = min(l.min, d), max(l.max, d)
	l.h.RecordValue(min(max(int64(d/histUnit), 1), histMax)) // cannot fail: in range
}

// count is the number of latencies recorded (0 for a nil l).
func (l *latencyHist) count() int64 {
	if l == nil {
		return 0
	}
	return l.h.TotalCount()
}

// spans holds attempts as instants in Unix nanoseconds: starts and ends
// (start plus latency), each sorted on its own by sort.
type spans struct {
	starts, ends []int64
}

func (s *spans) add(start time.Time, latency time.Duration) {
	t := start.UnixNano()
	s.starts = append(s.starts, t)
	s.ends = append(s.ends, t+int64(latency))
}

func (s *spans) sort() {
	slices.Sort(s.starts)
	slices.Sort(s.ends)
}

// minRecordBytes is less than any line vegeta's encoder writes: the
// in-flight cell's spans are sized up front for no more attempts than the
// file can hold at this size.
const minRecordBytes = 100

// readRequests reads the attempts of the wanted cells from a requests.jsonl
// file of vegeta Results, streaming: see requestData for what it keeps. A
// missing file is not an error: it returns nil. Anything but a regular file
// (a FIFO, a device, a folder) is refused without blocking. It returns
// ctx's error, promptly, once ctx is done.
func readRequests(ctx context.Context, path string, w wanted) (*requestData, error) {
	f, fi, err := results.OpenRegular(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	w.attempts = int(min(int64(w.attempts), fi.Size()/minRecordBytes))
	return decodeRequests(ctx, f, path, w)
}

// maxLine bounds one line of requests.jsonl.
const maxLine = 16 << 20

// decodeRequests decodes vegeta Result JSON lines from r, keeping the
// wanted cells. Lines of other cells are only looked at for their "attack"
// field (vegeta's encoder writes it first); the wanted ones, and any line
// whose attack cannot be read that way, go through vegeta's decoder. It
// looks at ctx before every line.
func decodeRequests(ctx context.Context, r io.Reader, name string, w wanted) (*requestData, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), maxLine)
	out := newRequestData(w)
	// One decoder for every line: feed holds the line it reads next.
	var feed lineFeed
	dec := vegeta.NewJSONDecoder(&feed)
	done := ctx.Done()
	for n := 1; sc.Scan(); n++ {
		select {
		case <-done:
			return nil, ctx.Err()
		default:
		}
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if label, ok := attackOf(line); ok && !w.has(label) {
			out.see(label)
			continue
		}
		// vegeta's decoder reads up to a newline, which Scan strips.
		feed.set(line)
		var res vegeta.Result
		if err := dec.Decode(&res); err != nil {
			return nil, fmt.Errorf("%s: record %d: not a vegeta result: %w", name, n, err)
		}
		out.see(res.Attack)
		if w.has(res.Attack) {
			out.add(res.Attack, res.Timestamp, res.Latency)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out.done()
	return out, nil
}

// lineFeed is an io.Reader of one line at a time, newline added, under a
// decoder that reads up to a newline: the decoder empties it before it
// asks for more, so set can refill it.
type lineFeed struct {
	buf  []byte
	rest []byte
}

// set makes line, and a newline, what the feed reads next.
func (f *lineFeed) set(line []byte) {
	f.buf = append(append(f.buf[:0], line...), '\n')
	f.rest = f.buf
}

func (f *lineFeed) Read(p []byte) (int, error) {
	if len(f.rest) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.rest)
	f.rest = f.rest[n:]
	return n, nil
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
