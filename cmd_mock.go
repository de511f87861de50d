package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// defaultMockLatency is the latency of `poolbench mock` when neither a flag
// nor a config file sets one.
const defaultMockLatency = "50ms"

// mockShutdownTimeout bounds the wait for requests in service at shutdown.
const mockShutdownTimeout = 10 * time.Second

// cmdMock serves the mock upstream until ctx is cancelled (SIGINT/SIGTERM),
// then shuts down gracefully and prints the final stats as JSON.
func cmdMock(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet("mock", "[flags]", env.stderr)
	addr := fs.String("addr", mocksrv.DefaultAddr, "`host:port` to listen on (port 0 picks a free one); binding beyond loopback is your choice")
	engine := fs.String("engine", string(mocksrv.DefaultEngine()), "what serves connections: "+engineList()+"; loop (Linux) is an epoll loop using a quarter of net/http's CPU per request")
	configFile := fs.String("config", "", "read the upstream config from `FILE` (YAML, or JSON if it ends in .json); flags given explicitly override it")
	var fc upstream.Config
	fs.StringVar(&fc.Latency, "latency", defaultMockLatency, "service time `spec`: "+upstream.LatencyForms)
	fs.Uint64Var(&fc.Seed, "seed", 0, "seed of every random choice (latency samples, faults)")
	fs.IntVar(&fc.Cap, "cap", 0, "most requests in flight at once (0 = no cap)")
	fs.Func("overflow", "what happens past the cap: queue, reject or reset (default queue)", func(s string) error {
		fc.Overflow = upstream.Overflow(s)
		return nil
	})
	fs.IntVar(&fc.QueueLimit, "queue-limit", 0, "most requests waiting in the queue (0 = unbounded); the excess is rejected")
	fs.IntVar(&fc.RejectStatus, "reject-status", 0, "status of a rejected request: 503 or 429 (default 503)")
	fs.Func("retry-after", "Retry-After of a rejection, model time (default 1s)", func(s string) error {
		return fc.RetryAfter.UnmarshalText([]byte(s))
	})
	fs.IntVar(&fc.MaxConns, "max-conns", 0, "most TCP connections (0 = no cap); prefer --cap")
	fs.Float64Var(&fc.Contention, "contention", 0, "service time × (1 + contention × (in_flight − 1))")
	fs.Float64Var(&fc.ErrorRate, "error-rate", 0, "fraction of requests answered with --error-status")
	fs.IntVar(&fc.ErrorStatus, "error-status", 0, "status of an injected error (default 500)")
	fs.Float64Var(&fc.ResetRate, "reset-rate", 0, "fraction of requests whose connection is reset after the latency")
	fs.Float64Var(&fc.StallRate, "stall-rate", 0, "fraction of requests never answered")
	fs.TextVar(&fc.Timescale, "timescale", upstream.Scale(0), "multiply every duration by this `factor`, like 0.01 or 1:100 (default 1, real time)")
	fs.IntVar(&fc.BodyBytes, "body-bytes", 0, "bytes of padding added to each answer")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fs.Usage()
		return badInputf("mock takes no arguments, got %q", pos)
	}

	var cfg upstream.Config
	if *configFile != "" {
		if cfg, err = whileBlocked(ctx, "the config file "+*configFile, func() (upstream.Config, error) { return loadMockConfig(*configFile) }); err != nil {
			return badInputUnlessExit(err)
		}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	mergeMockFlags(&cfg, fc, given)
	if cfg.Latency == "" {
		cfg.Latency = defaultMockLatency
	}
	srv, err := mocksrv.New(cfg)
	if err != nil {
		return badInput(err)
	}
	if !slices.Contains(mocksrv.Engines(), mocksrv.Engine(*engine)) {
		return badInputf("--engine %q: want %s", *engine, engineList())
	}
	if host, _, err := net.SplitHostPort(*addr); err != nil {
		return badInputf("--addr %q: %v (want host:port, like 127.0.0.1:8080)", *addr, err)
	} else if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		fmt.Fprintf(env.stderr, "poolbench mock: warning: listening on %s, beyond loopback\n", *addr)
	}
	running, err := mocksrv.ListenEngine(*addr, srv, mocksrv.Engine(*engine))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "mock upstream listening on %s\n", running.URL)
	c := srv.Config()
	fmt.Fprintf(env.stderr, "latency %s (mean %v), cap %d, overflow %s, timescale %g, engine %s; stats: GET %s/_mock/stats; stop with Ctrl-C\n",
		srv.Latency(), srv.Latency().Mean(), c.Cap, c.Overflow, c.Timescale.Factor(), running.Engine, running.URL)

	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), mockShutdownTimeout)
	defer cancel()
	shutdownErr := running.Shutdown(sctx)
	b, err := json.MarshalIndent(srv.Stats(), "", "  ")
	if err != nil {
		return fmt.Errorf("mock stats: %w", err)
	}
	if _, err := fmt.Fprintf(env.stdout, "%s\n", b); err != nil {
		return fmt.Errorf("mock stats: %w", err)
	}
	return shutdownErr
}

// engineList names the mock engines this platform has, like "loop or http".
func engineList() string {
	names := make([]string, 0, 2)
	for _, e := range mocksrv.Engines() {
		names = append(names, string(e))
	}
	return strings.Join(names, " or ")
}

// mergeMockFlags copies the explicitly given flags from fc into cfg.
func mergeMockFlags(cfg *upstream.Config, fc upstream.Config, given map[string]bool) {
	set := map[string]func(){
		"latency":       func() { cfg.Latency = fc.Latency },
		"seed":          func() { cfg.Seed = fc.Seed },
		"cap":           func() { cfg.Cap = fc.Cap },
		"overflow":      func() { cfg.Overflow = fc.Overflow },
		"queue-limit":   func() { cfg.QueueLimit = fc.QueueLimit },
		"reject-status": func() { cfg.RejectStatus = fc.RejectStatus },
		"retry-after":   func() { cfg.RetryAfter = fc.RetryAfter },
		"max-conns":     func() { cfg.MaxConns = fc.MaxConns },
		"contention":    func() { cfg.Contention = fc.Contention },
		"error-rate":    func() { cfg.ErrorRate = fc.ErrorRate },
		"error-status":  func() { cfg.ErrorStatus = fc.ErrorStatus },
		"reset-rate":    func() { cfg.ResetRate = fc.ResetRate },
		"stall-rate":    func() { cfg.StallRate = fc.StallRate },
		"timescale":     func() { cfg.Timescale = fc.Timescale },
		"body-bytes":    func() { cfg.BodyBytes = fc.BodyBytes },
	}
	for name, f := range set {
		if given[name] {
			f()
		}
	}
}

// loadMockConfig reads a mock config file, YAML or JSON (which YAML reads
// too), through the one strict decoder scenario files use: an unknown
// field, a wrong type or a value that does not parse is an error naming
// file:line:column and what is accepted.
func loadMockConfig(path string) (upstream.Config, error) {
	data, err := readConfigFile(path)
	if err != nil {
		return upstream.Config{}, fmt.Errorf("--config: %w", err)
	}
	return parseMockConfig(path, data)
}

// parseMockConfig decodes a mock config file's contents; path names the
// file in errors.
func parseMockConfig(path string, data []byte) (upstream.Config, error) {
	var cfg upstream.Config
	if err := scenario.DecodeYAML(path, data, &cfg); err != nil {
		return upstream.Config{}, err
	}
	return cfg, nil
}

// readConfigFile reads a configuration file of at most
// scenario.MaxFileBytes.
func readConfigFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, scenario.MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > scenario.MaxFileBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, scenario.MaxFileBytes)
	}
	return data, nil
}
