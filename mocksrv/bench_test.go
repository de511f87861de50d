package mocksrv

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// BenchmarkServeHTTP measures the handler's own cost per request (no
// network, zero latency): admission, draws, summaries and the JSON answer.
func BenchmarkServeHTTP(b *testing.B) {
	for _, tt := range []struct {
		name string
		cfg  upstream.Config
	}{
		{"nocap", upstream.Config{Latency: "0s"}},
		{"cap=4", upstream.Config{Latency: "0s", Cap: 4}},
		{"mix+faults", upstream.Config{Latency: "0s:9,0s:1", Cap: 64, ErrorRate: 0.1}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			s, err := New(tt.cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				w := &discardWriter{h: http.Header{}}
				for pb.Next() {
					clear(w.h)
					s.ServeHTTP(w, req)
				}
			})
		})
	}
}

// discardWriter is a minimal http.ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}
