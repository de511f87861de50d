package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/mocksrv"
)

// TestCmdMockServes starts `poolbench mock` from a config file with a flag
// overriding it, sends requests, cancels (as SIGINT does) and reads the
// final stats.
func TestCmdMockServes(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "up.yaml")
	if err := os.WriteFile(cfgPath, []byte("latency: 1s\ncap: 1\ntimescale: 0.002\nerror_rate: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := cmdMock(ctx, &environ{stdout: outW, stderr: io.Discard}, []string{"--config", cfgPath, "--error-rate", "0", "--body-bytes", "10"})
		outW.Close()
		done <- err
	}()
	out := bufio.NewReader(outR)
	line, err := out.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "mock upstream listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q", line)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for range 3 {
		resp, err := c.Get(url + "/x")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 { // the flag's error_rate 0 overrides the file's 1
			t.Errorf("status %d, want 200", resp.StatusCode)
		}
		if d, err := time.ParseDuration(resp.Header.Get("X-Mock-Latency")); err != nil || d < 1900*time.Microsecond {
			t.Errorf("X-Mock-Latency %q, want about 2ms (1s at 0.002)", resp.Header.Get("X-Mock-Latency"))
		}
	}
	tr.CloseIdleConnections()
	cancel()
	rest, err := io.ReadAll(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("cmdMock: %v", err)
	}
	var st mocksrv.Stats
	if err := json.Unmarshal(rest, &st); err != nil {
		t.Fatalf("final stats %q: %v", rest, err)
	}
	if st.Requests != 3 || st.Completed != 3 || st.ErrorsInjected != 0 || st.Timescale != 0.002 || st.PeakInFlight != 1 {
		t.Errorf("final stats %s", rest)
	}
}

func FuzzParseMockConfig(f *testing.F) {
	f.Add("up.yaml", "latency: 10ms\ncap: 2\noverflow: reject\nretry_after: 2s\n")
	f.Add("up.yaml", "latency: [\n")
	f.Add("up.json", `{"latency":"10ms","cap":2,"contention":0.04}`)
	f.Add("up.json", `{"latency":`)
	f.Fuzz(func(t *testing.T, name, data string) {
		cfg, err := parseMockConfig(name, []byte(data))
		if err != nil {
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("error does not name the file %q: %v", name, err)
			}
			return
		}
		if cfg.Validate() == nil {
			if _, err := mocksrv.New(cfg); err != nil {
				t.Fatalf("valid config %+v refused by New: %v", cfg, err)
			}
		}
	})
}
