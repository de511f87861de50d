//go:build linux

package loop

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// fakeService admits every request at once for a fixed service time and
// answers with a fixed body. Arrive runs on the loop's thread: seen, if
// set, looks at the connection there.
type fakeService struct {
	service  time.Duration
	body     []byte
	done     chan struct{}
	canceled atomic.Int64
	seen     func(c *conn)
}

func (f *fakeService) Arrive(now time.Time, w Waiter, _ []byte) Arrival {
	if f.seen != nil {
		f.seen(w.(*conn))
	}
	return Arrival{ID: 1, Admission: Admitted, InFlight: 1}
}

func (f *fakeService) ServiceTime(upstream.Draw, int64) time.Duration      { return f.service }
func (f *fakeService) Finish(upstream.Fault, time.Duration, time.Duration) {}
func (f *fakeService) CancelService()                                      { f.canceled.Add(1) }
func (f *fakeService) Done() <-chan struct{}                               { return f.done }
func (f *fakeService) Rejection() (int, []byte, []byte)                    { return 503, nil, nil }
func (f *fakeService) Control([]byte, []byte) (bool, int, []byte, []byte) {
	return false, 0, nil, nil
}
func (f *fakeService) AppendAnswer(b []byte, _ Arrival, _ int64, _, _ time.Duration) (int, []byte, int) {
	b = append(b, "Content-Type: text/plain\r\n"...)
	split := len(b)
	return 200, append(b, f.body...), split
}

// testConfig are the mock's limits with short timeouts.
var testConfig = Config{ReadHeaderTimeout: time.Second, BodyReadTimeout: time.Second, IdleTimeout: time.Second,
	MaxHeaderBytes: 64 << 10, MaxRequestBody: 1 << 20}

// startLoop serves f with injected faults (nil: none) until cleanup, which
// checks that Shutdown returns nil unless the test took it over.
func startLoop(t *testing.T, f *fakeService, inject faults) (*Loop, string) {
	t.Helper()
	if f.done == nil {
		f.done = make(chan struct{})
	}
	lp, tcp, err := listen("127.0.0.1:0", f, testConfig, inject)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		lp.Shutdown(ctx)
	})
	return lp, tcp.String()
}

// get sends one GET on a new connection and returns the status (0 and the
// error when there is no answer).
func get(addr string) (int, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}
