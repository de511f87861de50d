// Package mocksrv is poolbench's mock upstream: a slow third-party service
// with a cap on requests in service, modeled exactly and observably
// (package upstream describes the model; Config is upstream.Config).
//
//	srv, err := mocksrv.New(upstream.Config{Latency: "816ms", Cap: 2, Contention: 0.0392, Timescale: 0.01})
//	ts := httptest.NewServer(srv)             // net/http serves it, or
//	running, err := mocksrv.Listen("", srv)   // the loop engine, on Linux
//
// # The model
//
// Every request except the two control endpoints is a modeled call:
//
//  1. Admission. With Cap > 0 at most Cap requests are in service at once
//     (requests, not TCP connections). A request beyond the cap is, by
//     Overflow: queued first in first out (past QueueLimit waiting it is
//     rejected instead); rejected at once with RejectStatus, Retry-After
//     (whole wall seconds, rounded up, of RetryAfter × Timescale) and
//     X-Mock-Retry-After (the exact model duration, e.g. "1s"); or reset
//     (the client sees a TCP reset).
//  2. Service. A request draws its latency sample and fault from
//     PCG(Seed, k) (upstream.Drawer): k is the key its client sent in the
//     Poolbench-Draw header (poolbench's client sends its item and attempt,
//     upstream.DrawKey, so that the draws match bench/model's whatever the
//     order of arrival), else its arrival number from 1. Stretched
//     by contention at admission (upstream.Config.ServiceTime) and scaled by
//     Timescale. The answer leaves when that time has passed since
//     admission, measured from an absolute deadline.
//  3. Answer. By the fault drawn: 200, an injected error (ErrorStatus), a
//     reset, or a stall (no answer until the client gives up or the server
//     closes; the slot is freed when the service time has passed). The body
//     is a small JSON object (see AppendAnswer) and the headers
//     X-Mock-Latency and X-Mock-Queue-Wait carry the applied service time
//     and queue wait in wall milliseconds ("10.123ms").
//
// A client that goes away while its request is queued or in service frees
// its place at once; the request counts as canceled.
//
// Control endpoints: GET /_mock/stats returns Stats as JSON; POST
// /_mock/reset zeroes the counters and summaries (see ResetStats).
//
// # Guarantees
//
// The counters (upstream.Counters) and the queue are guarded by one mutex:
// every snapshot balances exactly. Stats report what was applied, measured
// on the wall clock, not what was intended; their percentiles come from
// HdrHistograms with three significant digits, and count, mean and max are
// exact. A Server is safe for concurrent use and may be served by both
// engines at once: they share its cap, queue and counters.
//
// # Engines
//
// As an http.Handler the Server runs behind net/http, one goroutine per
// request, waiting on Go timers armed early by the lateness they showed
// (EngineHTTP; package internal/precise, which the client's waits share). Listen on Linux serves it from an epoll loop on one locked
// thread that keeps deadlines with a timerfd (EngineLoop, package
// mocksrv/internal/loop): no goroutine, timer or allocation per request,
// so it keeps up with load generators on the same machine. docs/notes/mock.md
// has the measurements behind both.
//
// Both engines (as Listen and ListenEngine serve them) read requests with
// the rules and limits of net/http's server: header names must be tokens
// and values free of control bytes, only HTTP/1.x is served (505
// otherwise), a header block must arrive within ReadHeaderTimeout and
// MaxHeaderBytes, a body within BodyReadTimeout (408) and MaxRequestBody
// (413), and a request with both Transfer-Encoding and Content-Length is
// answered and its connection closed. A client that goes away gets its
// answer or nothing (never an empty one). The loop engine holds at most a
// header block of input per connection and stops reading while an answer
// waits to be written.
package mocksrv
