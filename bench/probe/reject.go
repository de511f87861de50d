package probe

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/poolbench/poolbench/bench/fit"
	"github.com/poolbench/poolbench/bench/scenario"
)

// Rejected reports whether a cell of res was answered 429 or 503, and
// the largest pool that was.
func Rejected(o *Outcome) (pool int, ok bool) {
	if o == nil || o.Results == nil {
		return 0, false
	}
	for _, c := range o.Results.Cells {
		if c.Outcomes["429"]+c.Outcomes["503"] > 0 {
			pool, ok = max(pool, c.Pool), true
		}
	}
	return pool, ok
}

// LookAtRejection sends n requests at once to t, no more than a cell
// that was rejected sent, and returns the status and the Retry-After
// header of the first rejection (429 or 503) among the answers; nil when
// none was rejected. Unless allowRemote, it connects to loopback
// addresses only.
func LookAtRejection(ctx context.Context, t scenario.Target, n int, timeout time.Duration, allowRemote bool) (*fit.RejectLook, error) {
	d := &net.Dialer{Timeout: timeout}
	if !allowRemote {
		d.Control = loopbackOnly
	}
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{DialContext: d.DialContext, MaxConnsPerHost: n, MaxIdleConnsPerHost: n}}
	defer client.CloseIdleConnections()
	var (
		mu    sync.Mutex
		look  *fit.RejectLook
		first error
		wg    sync.WaitGroup
	)
	for range n {
		wg.Go(func() {
			req, err := http.NewRequestWithContext(ctx, cmp.Or(t.Method, http.MethodGet), t.URL, strings.NewReader(t.Body))
			if err == nil {
				for k, v := range t.Headers {
					req.Header.Set(k, v)
				}
				var resp *http.Response
				if resp, err = client.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
					resp.Body.Close()
					if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
						mu.Lock()
						if look == nil {
							look = &fit.RejectLook{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After")}
						}
						mu.Unlock()
					}
				}
			}
			if err != nil {
				mu.Lock()
				first = errors.Join(first, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if look == nil && first != nil {
		return nil, fmt.Errorf("looking at a rejection: %w", first)
	}
	return look, nil
}

// loopbackOnly refuses a connection to an address that is not loopback.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: %s", scenario.ErrRemote, host)
	}
	return nil
}
