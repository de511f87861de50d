package mocksrv

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// TestHTTPEngineServesH2C: the h2c engine (net/http) answers HTTP/2 clients
// with prior knowledge (h2c), the cap holding over the streams of one
// connection.
func TestHTTPEngineServesH2C(t *testing.T) {
	s, err := New(upstream.Config{Latency: "30ms", Cap: 2})
	if err != nil {
		t.Fatal(err)
	}
	r, err := ListenEngine("127.0.0.1:0", s, EngineH2C)
	if err != nil {
		t.Fatal(err)
	}
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	var conns int
	var mu sync.Mutex
	tr := &http.Transport{Protocols: &p, MaxConnsPerHost: 1}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		conns++
		mu.Unlock()
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	defer func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()
	var wg sync.WaitGroup
	protos := make([]string, 6)
	for i := range protos {
		wg.Go(func() {
			resp, err := (&http.Client{Transport: tr}).Get(r.URL + "/item")
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status %d", resp.StatusCode)
			}
			protos[i] = resp.Proto
		})
	}
	wg.Wait()
	for i, p := range protos {
		if p != "HTTP/2.0" {
			t.Errorf("request %d answered over %q, want HTTP/2.0", i, p)
		}
	}
	st := s.Stats()
	if st.Requests != 6 || st.PeakInFlight != 2 || conns != 1 {
		t.Errorf("requests %d, peak in flight %d (cap 2), connections %d: want 6, 2, 1", st.Requests, st.PeakInFlight, conns)
	}
}
