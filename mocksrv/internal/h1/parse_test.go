package h1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// testHeaderLimit is the mock's header limit (MaxHeaderBytes + 4096).
const testHeaderLimit = 64<<10 + 4096

func TestParseSimple(t *testing.T) {
	for _, tt := range []struct {
		req          string
		ok           bool
		method, path string
		close        bool
	}{
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", true, "GET", "/", false},
		{"GET /a/b?c=d HTTP/1.1\r\nHost: 127.0.0.1:80\r\nUser-Agent: wrk\r\n\r\nGET", true, "GET", "/a/b", false},
		{"HEAD /_mock/stats HTTP/1.1\r\nhost: x\r\nConnection: close\r\n\r\n", true, "HEAD", "/_mock/stats", true},
		{"GET / HTTP/1.0\r\n\r\n", true, "GET", "/", true},
		{"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true, "GET", "/", false},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", true, "POST", "/", false},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", false, "", "", false},
		{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", false, "", "", false},
		{"GET / HTTP/1.1\r\n\r\n", false, "", "", false}, // no Host
		{"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", false, "", "", false},
		{"GET /%41 HTTP/1.1\r\nHost: x\r\n\r\n", false, "", "", false},
		{"GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", false, "", "", false},
		{"GET / HTTP/1.1\nHost: x\n\n", false, "", "", false},
		{"GET / HTTP/1.1\r\nHost: x\r\n", false, "", "", false}, // incomplete
		{"GET / HTTP/2.0\r\nHost: x\r\n\r\n", false, "", "", false},
		{"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", false, "", "", false},
		{"GET / HTTP/1.1\r\nHost: x\r\nPoolbench-Draw: 1\r\npoolbench-draw: 2\r\n\r\n", false, "", "", false}, // two draws
	} {
		r, ok := ParseSimple([]byte(tt.req), testHeaderLimit)
		if ok != tt.ok || ok && (string(r.Method) != tt.method || string(r.Path) != tt.path || r.Close != tt.close) {
			t.Errorf("%q: ok %v %q %q close %v; want ok %v %q %q close %v", tt.req, ok, r.Method, r.Path, r.Close, tt.ok, tt.method, tt.path, tt.close)
		}
	}
}

// TestParseSimpleDraw: the Poolbench-Draw header's value, trimmed.
func TestParseSimpleDraw(t *testing.T) {
	r, ok := ParseSimple([]byte("GET / HTTP/1.1\r\nHost: x\r\npoolbench-draw:  65537 \r\n\r\n"), testHeaderLimit)
	if !ok || string(r.Draw) != "65537" {
		t.Errorf("ok %v draw %q, want 65537", ok, r.Draw)
	}
	r, ok = ParseSimple([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), testHeaderLimit)
	if !ok || r.Draw != nil {
		t.Errorf("ok %v draw %q, want none", ok, r.Draw)
	}
}

// FuzzParseSimple: whatever ParseSimple accepts, net/http's parser accepts
// with the same method, path, connection handling and length.
func FuzzParseSimple(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /a?b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"HEAD /_mock/stats HTTP/1.1\r\nHost: [::1]:80\r\nConnection: close, te\r\nX: \t y \r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
		"GET /item HTTP/1.1\r\nHost: x\r\nPoolbench-Draw: 65537\r\nPoolbench-Draw:\r\n\r\n",
		// The probes from the issues (none may pass as simple).
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 45\r\n\r\nPOST /_mock/reset HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET / HTTP/2.0\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, ok := ParseSimple(b, testHeaderLimit)
		if !ok {
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(b[:r.Length])))
		if err != nil {
			t.Fatalf("ParseSimple accepted %q, net/http refuses it: %v", b[:r.Length], err)
		}
		if n, err := io.Copy(io.Discard, req.Body); n != 0 || err != nil {
			t.Fatalf("%q: a body of %d bytes (%v)", b, n, err)
		}
		if req.Method != string(r.Method) || req.URL.Path != string(r.Path) || req.Close != r.Close {
			t.Fatalf("%q: ParseSimple %q %q close %v; net/http %q %q close %v", b, r.Method, r.Path, r.Close, req.Method, req.URL.Path, req.Close)
		}
		if draw := req.Header.Values(upstream.DrawHeader); len(draw) > 1 || len(draw) == 1 && draw[0] != string(r.Draw) || len(draw) == 0 && len(r.Draw) > 0 {
			t.Fatalf("%q: ParseSimple's draw %q, net/http's %q", b, r.Draw, draw)
		}
	})
}
