//go:build linux

package loop

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"
)

// TestInputCapped: a client that pipelines requests and never reads the
// answers makes the loop stop reading, not buffer: what a connection
// holds stays within the header limit and a read, whatever it sends.
func TestInputCapped(t *testing.T) {
	maxIn, maxOut := 0, 0
	f := &fakeService{body: bytes.Repeat([]byte("x"), 1000)}
	f.seen = func(c *conn) { // on the loop's thread
		maxIn, maxOut = max(maxIn, c.in.Cap()), max(maxOut, cap(c.out))
	}
	lp, addr := startLoop(t, f, nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reqs := []byte(strings.Repeat("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1000))
	sent := 0
	c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	for sent < 64<<20 {
		n, err := c.Write(reqs)
		sent += n
		if err != nil {
			break
		}
	}
	c.Close()
	lp.Shutdown(t.Context())
	limit := 2*(testConfig.MaxHeaderBytes+4096+1) + readChunk
	if maxIn > limit || maxOut > 4096 {
		t.Errorf("sent %d MB: a connection held %d bytes of input (at most %d) and %d of output (one answer)", sent>>20, maxIn, limit, maxOut)
	}
	if sent >= 64<<20 {
		t.Errorf("the loop read all of %d MB without answering", sent>>20)
	}
}
