package sweep

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"golang.org/x/net/http/httpguts"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
)

// Requests is what a run against a target sends: the target's one
// request, or a targets file's requests, item i sending request i (i
// modulo their number when the file holds fewer than items). The file is
// read by vegeta's own targeters, streamed: never held whole in memory.
// OpenRequests reads and checks every request a cell will send before a
// cell runs; each cell then streams the file again (feed).
type Requests struct {
	fixed        *request // the target's URL; nil with a targets file
	file, format string
	body         []byte      // a targets file's default body, as written
	header       http.Header // its default headers, as written
	n            int         // requests a cell takes from the file
	more         bool        // the file holds more than items
	items        int
	secrets      *secrets
	tls          *tls.Config
	h2, keyed    bool         // HTTP/2; keyed: the target needs the net/http client (https, h2 or a file)
	warn         func(string) // says a certificate problem (Options.Warn)
}

// request is one request as sent: method, URL, headers and body with
// their ${NAME}s expanded; raw is its URL as written, which is what
// requests.jsonl records.
type request struct {
	method, url, raw string
	header           http.Header
	body             []byte
}

// OpenRequests reads sc's target and the requests it sends: the TLS
// files, every ${NAME} (lookup says what they hold; one not set is an
// error naming it), and the targets file's first items requests, through
// vegeta's targeter for its format (a bad one is an error naming
// file:line). Unless allowRemote, every request's host must be loopback
// (scenario.CheckURL). It returns nil for a scenario without a target.
// Its errors are the scenario's: bad input.
func OpenRequests(ctx context.Context, sc *scenario.Scenario, lookup LookupEnv, allowRemote bool) (*Requests, error) {
	t := sc.Target
	if t == nil {
		return nil, nil
	}
	r := &Requests{file: t.Targets, format: t.Format, body: []byte(t.Body), items: sc.Items,
		secrets: newSecrets(lookup), h2: t.HTTP == 2}
	r.keyed = r.h2 || t.TLS != nil || t.Targets != "" || strings.HasPrefix(t.URL, "https:")
	var err error
	if r.tls, err = tlsConfig(t.TLS); err != nil {
		return nil, err
	}
	if len(t.Headers) > 0 {
		r.header = make(http.Header, len(t.Headers))
		for k, v := range t.Headers {
			r.header.Set(k, v)
		}
	}
	checked := map[string]error{}
	check := func(where string, req *request) error {
		if allowRemote {
			return nil
		}
		u, _ := url.Parse(req.url)
		err, ok := checked[u.Hostname()]
		if !ok {
			err = scenario.CheckURL(ctx, req.url)
			checked[u.Hostname()] = err
		}
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		return nil
	}
	if t.URL != "" {
		if r.fixed, err = r.expand("target", &vegeta.Target{Method: t.Method, URL: t.URL, Body: r.body, Header: r.header}); err != nil {
			return nil, err
		}
		return r, check("target.url", r.fixed)
	}
	f, err := os.Open(t.Targets)
	if err != nil {
		return nil, fmt.Errorf("target.targets: %w", err)
	}
	defer f.Close()
	fd := &feed{r: r, f: f}
	fd.rewind()
	for r.n < r.items {
		req, err := fd.decode()
		if errors.Is(err, vegeta.ErrNoTargets) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := check(fmt.Sprintf("%s:%d", r.file, fd.at), req); err != nil {
			return nil, err
		}
		r.n++
	}
	if r.n == 0 {
		return nil, fmt.Errorf("%s: no requests in vegeta's %s format (like %s)", r.file, r.format, formatExample[r.format])
	}
	if r.n == r.items {
		_, err := fd.decode()
		r.more = err == nil
	}
	return r, nil
}

var formatExample = map[string]string{
	scenario.FormatHTTP: "'GET http://127.0.0.1:8080/items/1'",
	scenario.FormatJSON: `'{"method": "GET", "url": "http://127.0.0.1:8080/items/1"}'`,
}

// Note says, once per run, how the file's requests meet the items: ""
// when each item has a request of its own.
func (r *Requests) Note() string {
	switch {
	case r == nil || r.fixed != nil:
		return ""
	case r.n < r.items:
		return fmt.Sprintf("%s holds %d requests for %d items: item i sends request i mod %d, so each is sent about %d times a cell", r.file, r.n, r.items, r.n, (r.items+r.n-1)/r.n)
	case r.more:
		return fmt.Sprintf("%s holds more than %d requests: each cell sends the first %d (items)", r.file, r.items, r.items)
	}
	return ""
}

// expand turns a decoded vegeta target into the request sent, its
// ${NAME}s expanded; where names it in errors.
func (r *Requests) expand(where string, t *vegeta.Target) (*request, error) {
	s := r.secrets
	if !httpguts.ValidHeaderFieldName(t.Method) {
		return nil, fmt.Errorf("%s: method %q is not an HTTP method token", where, t.Method)
	}
	u, err := s.expand(where, t.URL)
	if err != nil {
		return nil, err
	}
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return nil, fmt.Errorf("%s: URL %q is not accepted: want an absolute http:// or https:// URL", where, t.URL)
	}
	req := &request{method: t.Method, url: u, raw: t.URL, header: make(http.Header, len(t.Header))}
	for k, vs := range t.Header {
		out := make([]string, len(vs))
		for i, v := range vs {
			if out[i], err = s.expand(where+": header "+k, v); err != nil {
				return nil, err
			}
		}
		req.header[k] = out
	}
	if req.body, err = s.expandBytes(where+": body", t.Body); err != nil {
		return nil, err
	}
	return req, nil
}

// feed streams a targets file's requests to a cell's items: item i gets
// request i mod n. Items ask in about the order they start; a request
// decoded before its item asks waits in ahead, so memory holds the
// requests of the items in flight, not the file. A shard asks only for
// its own items: the others' requests are read past, never kept.
type feed struct {
	r     *Requests
	f     *os.File
	shard results.Shard // the items asked for: shard.Index, +Count, …

	mu      sync.Mutex
	lines   *lineReader
	next    vegeta.Targeter
	decoded int // requests decoded so far, across cycles
	at      int // the line the last request decoded starts on
	ahead   map[int]*request
}

// newFeed opens the file for a cell of shard (nil without one).
func (r *Requests) newFeed(shard results.Shard) (*feed, error) {
	if r == nil || r.file == "" {
		return nil, nil
	}
	f, err := os.Open(r.file)
	if err != nil {
		return nil, fmt.Errorf("target.targets: %w", err)
	}
	fd := &feed{r: r, f: f, shard: shard, ahead: map[int]*request{}}
	fd.rewind()
	return fd, nil
}

// rewind starts the file over with a new targeter of its format.
func (fd *feed) rewind() {
	if _, err := fd.f.Seek(0, io.SeekStart); err != nil {
		fd.next = func(*vegeta.Target) error { return err }
		return
	}
	fd.lines = newLineReader(fd.f)
	r := fd.r
	if r.format == scenario.FormatJSON {
		fd.next = vegeta.NewJSONTargeter(fd.lines, r.body, r.header)
	} else {
		fd.next = vegeta.NewHTTPTargeter(fd.lines, r.body, r.header)
	}
}

// decode reads the next request; vegeta.ErrNoTargets at the file's end.
func (fd *feed) decode() (*request, error) {
	var t vegeta.Target
	err := fd.next(&t)
	if errors.Is(err, vegeta.ErrNoTargets) {
		if _, perr := fd.lines.br.Peek(1); perr != io.EOF {
			line := fd.lines.line
			if !fd.lines.mid {
				line++
			}
			return nil, fmt.Errorf("%s:%d: a line longer than vegeta's 64 KiB limit, or unreadable", fd.r.file, line)
		}
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%s:%d: %w (want vegeta's %s format, like %s)", fd.r.file, fd.lines.line, err, fd.r.format, formatExample[fd.r.format])
	}
	fd.at = fd.lines.line
	if fd.r.format == scenario.FormatHTTP {
		fd.at = fd.lines.requestLine()
	}
	return fd.r.expand(fmt.Sprintf("%s:%d", fd.r.file, fd.at), &t)
}

// get returns item i's request.
func (fd *feed) get(i int) (*request, error) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if req, ok := fd.ahead[i]; ok {
		delete(fd.ahead, i)
		return req, nil
	}
	for fd.decoded <= i {
		if fd.decoded%fd.r.n == 0 && fd.decoded > 0 {
			fd.rewind()
		}
		req, err := fd.decode()
		if err != nil {
			return nil, fmt.Errorf("reading request %d of the targets file again: %w", fd.decoded%fd.r.n, err)
		}
		k := fd.decoded
		fd.decoded++
		if k == i {
			return req, nil
		}
		if fd.shard.Count <= 1 || k%fd.shard.Count == fd.shard.Index {
			fd.ahead[k] = req
		}
	}
	return nil, fmt.Errorf("item %d asked for its request twice", i)
}

func (fd *feed) close() { fd.f.Close() }

// target is the client's target: the request of a plain URL, expanded,
// or the net/http path for the items' own.
func (r *Requests) target() target {
	t := target{net: r}
	if f := r.fixed; f != nil {
		t.url, t.method, t.body, t.header = f.url, f.method, string(f.body), f.header
	}
	return t
}

// rawURL is the target's URL as written ("" with a targets file).
func (r *Requests) rawURL() string {
	if r == nil || r.fixed == nil {
		return ""
	}
	return r.fixed.raw
}

// redact is the redaction of the run's secrets (nil: none).
func (r *Requests) redact() func(string) string {
	if r == nil {
		return nil
	}
	return r.secrets.redacted
}
