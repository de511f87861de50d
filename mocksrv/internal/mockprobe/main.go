// Command mockprobe loads a running mock upstream the way its issues
// describe and reports what the mock's process paid for it (Linux: it
// reads /proc/PID). scripts/probe-mock.sh starts the mock and runs it.
//
//	mockprobe -addr 127.0.0.1:PORT -pid PID pipeline [-clients 300] [-for 20s]
//	mockprobe -addr 127.0.0.1:PORT -pid PID chunked [-segment 250] [-gap 1ms] [-other=false]
//
// pipeline: clients that pipeline GET requests as fast as the socket takes
// them and never read an answer; prints the process's resident memory
// before, at its peak and at the end.
//
// chunked: one client sends a 1 MiB body in 1-byte chunks, in segments of
// -segment bytes -gap apart, while another sends GET requests one at a
// time; prints the CPU time the process used meanwhile, the chunked
// request's status and the other client's latency percentiles.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "", "the mock's host:port")
	pid := flag.Int("pid", 0, "the mock's process id")
	flag.Parse()
	if *addr == "" || *pid == 0 || flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: mockprobe -addr HOST:PORT -pid PID pipeline|chunked [flags]")
		os.Exit(2)
	}
	var err error
	switch cmd, args := flag.Arg(0), flag.Args()[1:]; cmd {
	case "pipeline":
		fs := flag.NewFlagSet(cmd, flag.ExitOnError)
		clients := fs.Int("clients", 300, "connections")
		d := fs.Duration("for", 20*time.Second, "how long")
		fs.Parse(args)
		err = pipeline(*addr, *pid, *clients, *d)
	case "chunked":
		fs := flag.NewFlagSet(cmd, flag.ExitOnError)
		seg := fs.Int("segment", 250, "bytes per segment")
		gap := fs.Duration("gap", time.Millisecond, "time between segments")
		other := fs.Bool("other", true, "another client sends GET requests meanwhile")
		fs.Parse(args)
		err = chunked(*addr, *pid, *seg, *gap, *other)
	default:
		err = fmt.Errorf("unknown probe %q", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mockprobe:", err)
		os.Exit(1)
	}
}

func pipeline(addr string, pid, clients int, d time.Duration) error {
	before, err := rss(pid)
	if err != nil {
		return err
	}
	req := []byte(strings.Repeat("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 64))
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	var sent sync.Map
	for i := range clients {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		wg.Go(func() {
			c.SetWriteDeadline(end)
			n := 0
			for {
				k, err := c.Write(req)
				n += k
				if err != nil {
					break
				}
			}
			sent.Store(i, n)
		})
	}
	peak := before
	for time.Now().Before(end) {
		time.Sleep(200 * time.Millisecond)
		r, err := rss(pid)
		if err != nil {
			return err
		}
		peak = max(peak, r)
	}
	wg.Wait()
	after, _ := rss(pid)
	total := 0
	sent.Range(func(_, v any) bool { total += v.(int); return true })
	fmt.Printf("pipeline: %d clients for %v sent %.1f MB; RSS before %.1f MB, peak %.1f MB (+%.1f MB, %.2f MiB a client), end %.1f MB\n",
		clients, d, float64(total)/1e6, mb(before), mb(peak), mb(peak-before), float64(peak-before)/float64(clients)/(1<<20), mb(after))
	return nil
}

func chunked(addr string, pid, seg int, gap time.Duration, other bool) error {
	var body bytes.Buffer
	body.WriteString("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
	for range 1 << 20 {
		body.WriteString("1\r\nx\r\n")
	}
	body.WriteString("0\r\n\r\n")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := make(chan struct{})
	lats := make(chan []time.Duration, 1)
	if other {
		go func() { lats <- getLoop(addr, stop) }()
	} else {
		lats <- nil
	}
	cpu0, err := cpu(pid)
	if err != nil {
		return err
	}
	t0 := time.Now()
	status := make(chan string, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			status <- "no answer: " + err.Error()
			return
		}
		resp.Body.Close()
		status <- resp.Status
	}()
	b := body.Bytes()
	var st string
send:
	for len(b) > 0 {
		n := min(seg, len(b))
		if _, err := c.Write(b[:n]); err != nil {
			break
		}
		b = b[n:]
		select {
		case st = <-status:
			break send
		case <-time.After(gap):
		}
	}
	if st == "" {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		st = <-status
	}
	elapsed := time.Since(t0)
	cpu1, _ := cpu(pid)
	close(stop)
	l := <-lats
	slices.Sort(l)
	q := func(p float64) time.Duration {
		if len(l) == 0 {
			return 0
		}
		return l[int(p*float64(len(l)-1))]
	}
	fmt.Printf("chunked: sent %d of %d bytes in %v; answer %q; mock CPU %.2f s; other client: %d GETs, p50 %v, p90 %v, p99 %v\n",
		body.Len()-len(b), body.Len(), elapsed.Round(time.Millisecond), st, cpu1-cpu0, len(l),
		q(.5).Round(10*time.Microsecond), q(.9).Round(10*time.Microsecond), q(.99).Round(10*time.Microsecond))
	return nil
}

// getLoop sends GET / one at a time until stop and returns the latencies.
func getLoop(addr string, stop <-chan struct{}) []time.Duration {
	var l []time.Duration
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		select {
		case <-stop:
			return l
		default:
		}
		t := time.Now()
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return l
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return l
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		l = append(l, time.Since(t))
	}
}

// rss is the process's resident set size in bytes.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d", pid)
}

// cpu is the process's user and system CPU time in seconds.
func cpu(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100, nil // USER_HZ is 100 on Linux
}

func mb(b int64) float64 { return float64(b) / 1e6 }
