//go:build linux

// Command rttprobe measures where a round trip's time goes when the
// upstream is idle between requests, as in seed-816s (each request sleeps
// 8.16 ms wall in the mock). It prints three figures, medians over -n round
// trips after -warm:
//
//   - floor: a blocking TCP loopback round trip between two OS threads with
//     no Go netpoller or goroutine involved, the server sleeping -idle in
//     ppoll(2) (1 ns timer slack) before answering: what the kernel and the
//     machine cost, split into client write → server read, the sleep's
//     lateness, and server write → client read;
//   - the same with -idle 0 (hot);
//   - the embedded mock (mocksrv, 816 ms × timescale 0.01, cap 2) behind
//     net/http, called through http.Transport (as bench does) and through a
//     synchronous client on one goroutine (req.Write + http.ReadResponse),
//     split into client → handler entry, handler, handler return → client
//     has the body.
//
// Usage: go run ./internal/rttprobe [-n 300] [-idle 8.16ms] [-timescale 0.01]
// Run it under flock /work/measure.lock: it measures timing.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poolbench/poolbench/mocksrv"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

func main() {
	n := flag.Int("n", 300, "round trips per figure")
	idle := flag.Duration("idle", 8160*time.Microsecond, "floor: server think time (wall)")
	scale := flag.Float64("timescale", 0.01, "mock: timescale applied to its 816ms latency")
	flag.Parse()
	if *n < 10 || *n > 100000 || *idle < 0 || *idle > time.Second || *scale <= 0 || *scale > 1 {
		fmt.Fprintln(os.Stderr, "rttprobe: -n must be in [10, 100000] and -idle in [0, 1s], -timescale in (0, 1]")
		os.Exit(2)
	}
	for _, uds := range []bool{false, true} {
		for _, d := range []time.Duration{0, *idle} {
			if err := floor(*n, d, uds); err != nil {
				log.Fatal(err)
			}
		}
	}
	for _, raw := range []bool{false, true} {
		if err := viaMock(*n, raw, *scale); err != nil {
			log.Fatal(err)
		}
	}
}

func med(x []float64) float64 { sort.Float64s(x); return x[len(x)/2] }

func us(d time.Duration) float64 { return float64(d) / 1e3 }

// floor runs n blocking round trips between two locked OS threads over
// TCP loopback, or over a Unix socket pair if uds.
func floor(n int, idle time.Duration, uds bool) error {
	cl, sv, err := tcpPair()
	if uds {
		var fds [2]int
		fds, err = unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		cl, sv = fds[0], fds[1]
	}
	if err != nil {
		return err
	}
	defer unix.Close(cl)
	const reqLen, respLen = 73, 320 // what bench sends and the mock answers
	var tRead, tWoke, tWrite time.Time
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
		b := make([]byte, 512)
		resp := make([]byte, respLen)
		for {
			got := 0
			for got < reqLen {
				k, err := unix.Read(sv, b)
				if k <= 0 || err != nil {
					unix.Close(sv)
					return
				}
				got += k
			}
			tRead = time.Now()
			if idle > 0 {
				ts := unix.NsecToTimespec(int64(idle))
				unix.Ppoll(nil, &ts, nil)
			}
			tWoke = time.Now()
			tWrite = tWoke
			unix.Write(sv, resp)
		}
	}()
	runtime.LockOSThread()
	req, b := make([]byte, reqLen), make([]byte, 512)
	var total, up, late, down []float64
	for i := range n + 5 {
		t0 := time.Now()
		if _, err := unix.Write(cl, req); err != nil {
			return err
		}
		for got := 0; got < respLen; {
			k, err := unix.Read(cl, b)
			if k <= 0 || err != nil {
				return fmt.Errorf("floor read: %v", err)
			}
			got += k
		}
		t3 := time.Now()
		if i < 5 {
			continue
		}
		total = append(total, us(t3.Sub(t0)-idle))
		up = append(up, us(tRead.Sub(t0)))
		late = append(late, us(tWoke.Sub(tRead)-idle))
		down = append(down, us(t3.Sub(tWrite)))
	}
	runtime.UnlockOSThread()
	unix.Shutdown(cl, unix.SHUT_WR)
	<-done
	kind := "TCP loopback"
	if uds {
		kind = "Unix socketpair"
	}
	fmt.Printf("floor %s idle=%v: round trip − idle %.0f µs = client write→server read %.0f + sleep lateness %.0f + server write→client read %.0f (medians µs)\n",
		kind, idle, med(total), med(up), med(late), med(down))
	return nil
}

// tcpPair returns both ends of a connected blocking TCP loopback
// connection with Nagle off.
func tcpPair() (cl, sv int, err error) {
	ln, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, err
	}
	defer unix.Close(ln)
	if err := unix.Bind(ln, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return -1, -1, err
	}
	if err := unix.Listen(ln, 1); err != nil {
		return -1, -1, err
	}
	sa, err := unix.Getsockname(ln)
	if err != nil {
		return -1, -1, err
	}
	if cl, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0); err != nil {
		return -1, -1, err
	}
	if err := unix.Connect(cl, sa); err != nil {
		unix.Close(cl)
		return -1, -1, err
	}
	if sv, _, err = unix.Accept4(ln, unix.SOCK_CLOEXEC); err != nil {
		unix.Close(cl)
		return -1, -1, err
	}
	for _, fd := range []int{cl, sv} {
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	return cl, sv, nil
}

// stamp records when the handler starts its answer.
type stamp struct {
	http.ResponseWriter
	at time.Time
}

func (s *stamp) WriteHeader(code int) {
	if s.at.IsZero() {
		s.at = time.Now()
	}
	s.ResponseWriter.WriteHeader(code)
}

// viaMock runs n serial requests to the embedded mock through net/http.
func viaMock(n int, raw bool, scale float64) error {
	srv, err := mocksrv.New(upstream.Config{Latency: "816ms", Timescale: upstream.Scale(scale), Cap: 2, Contention: 0.0392})
	if err != nil {
		return err
	}
	defer srv.Close()
	var tEntry, tAnswer, tReturn time.Time
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tEntry = time.Now()
		sw := &stamp{ResponseWriter: w}
		srv.ServeHTTP(sw, r)
		tAnswer, tReturn = sw.at, time.Now()
	}))
	defer hs.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 2, DisableCompression: true}
	defer tr.CloseIdleConnections()
	var bw *bufio.Writer
	var br *bufio.Reader
	if raw {
		c, err := net.Dial("tcp", hs.Listener.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		bw, br = bufio.NewWriter(c), bufio.NewReader(c)
	}
	var total, up, handler, down []float64
	for i := range n + 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, hs.URL+"/", nil)
		t0 := time.Now()
		var resp *http.Response
		if raw {
			if err = req.Write(bw); err == nil {
				if err = bw.Flush(); err == nil {
					resp, err = http.ReadResponse(br, req)
				}
			}
		} else {
			resp, err = tr.RoundTrip(req)
		}
		if err != nil {
			cancel()
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		t3 := time.Now()
		cancel()
		if i < 5 {
			continue
		}
		total = append(total, us(t3.Sub(t0)))
		up = append(up, us(tEntry.Sub(t0)))
		handler = append(handler, us(tAnswer.Sub(tEntry)))
		down = append(down, us(t3.Sub(tReturn)))
	}
	how := "http.Transport"
	if raw {
		how = "one-goroutine client"
	}
	ideal := us(time.Duration(816 * float64(time.Millisecond) * scale))
	fmt.Printf("mock 816ms×%g via %s: round trip %.0f µs (%+.0f over ideal, %+.2f%%) = client→handler %.0f + handler to answer %.0f (ideal %.0f) + … + handler return→client has body %.0f (medians µs)\n",
		scale, how, med(total), med(total)-ideal, 100*(med(total)-ideal)/ideal, med(up), med(handler), ideal, med(down))
	return nil
}
