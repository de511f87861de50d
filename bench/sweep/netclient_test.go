package sweep

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// recorder is a handler that counts the requests it saw by method and
// URI, keeps their Authorization headers and protocol, sleeps d, and
// tracks the peak in flight.
type recorder struct {
	d              time.Duration
	mu             sync.Mutex
	seen           map[string]int // "METHOD /uri" → requests
	auth, protos   map[string]int
	inFlight, peak atomic.Int64
}

func newRecorder(d time.Duration) *recorder {
	return &recorder{d: d, seen: map[string]int{}, auth: map[string]int{}, protos: map[string]int{}}
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cur := rc.inFlight.Add(1)
	defer rc.inFlight.Add(-1)
	for p := rc.peak.Load(); cur > p && !rc.peak.CompareAndSwap(p, cur); p = rc.peak.Load() {
	}
	rc.mu.Lock()
	rc.seen[r.Method+" "+r.URL.RequestURI()]++
	rc.auth[r.Header.Get("Authorization")]++
	rc.protos[r.Proto]++
	rc.mu.Unlock()
	time.Sleep(rc.d)
	w.Write([]byte("ok"))
}

// runScenario runs src (with %s replaced by args) and returns the results,
// requests.jsonl and the warnings said.
func runScenario(t *testing.T, vars map[string]string, src string, args ...any) (*results.Results, []byte, []string) {
	t.Helper()
	sc := mustParse(t, fmt.Sprintf(src, args...))
	var rec bytes.Buffer
	var mu sync.Mutex
	var warnings []string
	res, err := Run(context.Background(), sc, Options{Records: &rec, LookupEnv: env(vars), Calibration: &Calibration{},
		Warn: func(s string) { mu.Lock(); warnings = append(warnings, s); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	return res, rec.Bytes(), warnings
}

// TestRunTargetsFile: each item sends its own request, the server sees
// the secret, and requests.jsonl records each attempt's method and URL
// as written, never the secret; neither does results.json.
func TestRunTargetsFile(t *testing.T) {
	rc := newRecorder(time.Millisecond)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	const secret = "s3cr3t-planted-value"
	var b strings.Builder
	for i := range 20 {
		method := []string{"GET", "PUT"}[i%2]
		fmt.Fprintf(&b, "%s %s/items/%d?sig=${SIG}\nAuthorization: Bearer ${SIG}\n\n", method, srv.URL, i)
	}
	file := writeFile(t, "urls.txt", b.String())
	res, rec, _ := runScenario(t, map[string]string{"SIG": secret}, `name: t
items: 20
target: {targets: %q}
client: {retry: {max_attempts: 1}}
sweep: {strategies: [serial, pooled], pool_sizes: [4]}
`, file)
	for _, c := range res.Cells {
		if c.Succeeded != 20 {
			t.Errorf("%s: %d of 20 succeeded", c.Label(), c.Succeeded)
		}
	}
	for i := range 20 {
		key := fmt.Sprintf("%s /items/%d?sig=%s", []string{"GET", "PUT"}[i%2], i, secret)
		if rc.seen[key] != 2 {
			t.Errorf("%s: sent %d times, want once per cell (2)", key, rc.seen[key])
		}
	}
	if rc.auth["Bearer "+secret] != 40 {
		t.Errorf("Authorization headers seen: %v", rc.auth)
	}
	rs := decodeRecords(t, bytes.NewReader(rec))
	if len(rs) != 40 {
		t.Fatalf("%d records, want 40", len(rs))
	}
	perURL := map[string]int{}
	for _, r := range rs {
		perURL[r.Method+" "+r.URL]++
	}
	for i := range 20 {
		if k := fmt.Sprintf("%s %s/items/%d?sig=${SIG}", []string{"GET", "PUT"}[i%2], srv.URL, i); perURL[k] != 2 {
			t.Errorf("records of %s: %d, want 2 (as written, unexpanded)", k, perURL[k])
		}
	}
	js, err := results.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(rec, []byte(secret)) || bytes.Contains(js, []byte(secret)) {
		t.Error("the secret reached requests.jsonl or results.json")
	}
}

// TestSpillRedacts: an attempt's error naming a secret is recorded
// with the variable's name in its place.
func TestSpillRedacts(t *testing.T) {
	s := newSecrets(env(map[string]string{"K": "topsecret"}))
	if _, err := s.expand("x", "${K}"); err != nil {
		t.Fatal(err)
	}
	spl, err := newSpill()
	if err != nil {
		t.Fatal(err)
	}
	defer spl.close()
	spl.redact = s.redacted
	spl.add(&attempt{err: fmt.Errorf(`Get "http://h/?k=topsecret": EOF`), kind: kindReset, req: &request{method: "GET", raw: "http://h/?k=${K}"}})
	var out bytes.Buffer
	if err := spl.writeTo(vegeta.NewJSONEncoder(&out), "c", "", "", 0); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "topsecret") || !strings.Contains(out.String(), `k=${K}\": EOF`) {
		t.Errorf("record: %s", out.String())
	}
}

// writeCA writes srv's certificate (httptest's, its own issuer) as a
// CA file.
func writeCA(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunTLS: with the CA, every attempt succeeds, over HTTP/1.1 or h2
// by ALPN; without it, or under a name the certificate lacks, every
// attempt fails, counted, and the certificate problem is said once.
func TestRunTLS(t *testing.T) {
	rc := newRecorder(0)
	srv := httptest.NewUnstartedServer(rc)
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes refused on purpose
	srv.StartTLS()
	defer srv.Close()
	ca := writeCA(t, srv)
	tests := []struct {
		name, tls string
		http      int
		proto     string // the protocol the server saw
		warn      []string
	}{
		{"ca", fmt.Sprintf("tls: {ca: %q},", ca), 1, "HTTP/1.1", nil},
		{"ca, h2", fmt.Sprintf("tls: {ca: %q},", ca), 2, "HTTP/2.0", nil},
		{"insecure", "tls: {insecure_skip_verify: true},", 1, "HTTP/1.1", nil},
		{"no tls block", "", 1, "", []string{"certificate signed by unknown authority", "target.tls.ca"}},
		{"wrong name", fmt.Sprintf("tls: {ca: %q, server_name: wrong.test},", ca), 2, "", []string{"wrong.test", "target.tls.server_name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc.mu.Lock()
			clear(rc.protos)
			rc.mu.Unlock()
			res, _, warnings := runScenario(t, nil, `name: t
items: 6
target: {url: %q, %s http: %d}
client: {retry: {max_attempts: 1}}
sweep: {strategies: [pooled], pool_sizes: [3]}
`, srv.URL, tt.tls, tt.http)
			c := res.Cells[0]
			if tt.proto != "" {
				if c.Succeeded != 6 || rc.protos[tt.proto] != 6 {
					t.Errorf("%d of 6 succeeded, protocols seen %v, want %s", c.Succeeded, rc.protos, tt.proto)
				}
				return
			}
			if c.Failed != 6 || c.Outcomes[scenario.OutcomeError] != 6 {
				t.Errorf("failed %d, outcomes %v: want every attempt failed as error", c.Failed, c.Outcomes)
			}
			if len(warnings) != 1 {
				t.Fatalf("warnings %q, want the certificate problem once", warnings)
			}
			for _, w := range tt.warn {
				if !strings.Contains(warnings[0], w) {
					t.Errorf("warning %q does not say %q", warnings[0], w)
				}
			}
		})
	}
}

// TestRunHTTP2Connections: over h2c the pool's requests in flight share
// one connection; over HTTP/1.1 each takes its own.
func TestRunHTTP2Connections(t *testing.T) {
	rc := newRecorder(20 * time.Millisecond)
	srv := httptest.NewUnstartedServer(rc)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	defer srv.Close()
	for _, tt := range []struct {
		http, conns int
		proto       string
	}{{2, 1, "HTTP/2.0"}, {1, 8, "HTTP/1.1"}} {
		rc.mu.Lock()
		clear(rc.protos)
		rc.mu.Unlock()
		rc.peak.Store(0)
		res, _, _ := runScenario(t, nil, `name: t
items: 32
target: {url: %q, http: %d}
client: {retry: {max_attempts: 1}}
sweep: {strategies: [pooled], pool_sizes: [8]}
`, srv.URL+"/x", tt.http)
		c := res.Cells[0]
		if c.Succeeded != 32 || c.Connections != tt.conns || rc.protos[tt.proto] != 32 || rc.peak.Load() != 8 {
			t.Errorf("http %d: %d succeeded over %d connections (want %d), protocols %v, peak %d in flight (want 8)",
				tt.http, c.Succeeded, c.Connections, tt.conns, rc.protos, rc.peak.Load())
		}
	}
}

// TestRunHTTP2StreamLimit: a pool above the server's limit on concurrent
// streams keeps every one of its requests at the server, over ⌈pool /
// limit⌉ connections or more, never more than the pool's (the cell takes
// what the pool takes: no request waits in the client); a pool within the
// limit keeps one connection. With net/http's StrictMaxConcurrentRequests
// the first case stalls: a few requests succeed, the rest time out
// (golang/go#70809). The limit is 100, the least the client assumes before
// the server's settings arrive: below it, a burst sent on a new connection
// before then is refused in part and sent again, after up to a second.
func TestRunHTTP2StreamLimit(t *testing.T) {
	// 300 ms a request: time enough to start the pool's requests on a busy
	// machine under -race (at load 24, 86 of 150 were started within 20 ms).
	const limit, d = 100, 300 * time.Millisecond
	rc := newRecorder(d)
	srv := httptest.NewUnstartedServer(rc)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Config.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: limit}
	srv.Start()
	defer srv.Close()
	for _, pool := range []int{150, limit, 10} {
		items := 2 * pool
		rc.peak.Store(0)
		res, _, _ := runScenario(t, nil, `name: t
items: %d
target: {url: %q, http: 2}
client: {retry: {max_attempts: 1}, timeout: 5s}
sweep: {strategies: [pooled], pool_sizes: [%d]}
`, items, srv.URL+"/x", pool)
		c := res.Cells[0]
		least, most := (pool+limit-1)/limit, pool
		if pool <= limit {
			most = 1
		}
		if c.Succeeded != items || c.Connections < least || c.Connections > most || rc.peak.Load() != int64(pool) {
			t.Errorf("pool %d against a limit of %d streams: %d of %d succeeded over %d connections (want %d to %d), the server's peak %d in flight (want the pool's)",
				pool, limit, c.Succeeded, items, c.Connections, least, most, rc.peak.Load())
		}
	}
}

// TestRunMockH2CStreams: the mock over h2c sets no limit of its own on
// concurrent streams (net/http's server would set 250): 300 requests in
// flight all reach it, as they would over HTTP/1.1 and in the model, over
// at most three connections (the client takes 100 streams per connection
// until the server's settings arrive). A second a request: at load 24,
// under -race, 299 of 300 were started within 300 ms.
func TestRunMockH2CStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("300 requests in flight")
	}
	sc := mustParse(t, `name: t
items: 300
upstream: {latency: 1s, http: 2}
sweep: {strategies: [unbounded]}
`)
	res, err := Run(t.Context(), sc, Options{Calibration: &Calibration{}})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Cells[0]
	if c.Succeeded != 300 || c.Connections < 1 || c.Connections > 3 || c.Upstream == nil || c.Upstream.PeakInFlight != 300 {
		t.Errorf("%d succeeded over %d connections, the mock's counters %+v: want 300 succeeded over 1 to 3 connections, 300 in flight at once", c.Succeeded, c.Connections, c.Upstream)
	}
}
