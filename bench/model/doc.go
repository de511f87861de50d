// Package model predicts what a poolbench scenario should measure, without
// sending a request: every cell's wall time, throughput, item latency
// percentiles, attempts, failures, outcomes and the mock's counters, in
// model seconds.
//
// # Exact formula
//
// For a fixed latency L, overflow queue (with room for every waiting
// request), no injected faults and no attempt reaching the client timeout,
// the wall time is known in closed form (ExactWall). With k = min(pool, cap)
// requests in service (unbounded: min(items, cap); no cap: the pool), the
// mock's contention stretches a request admitted with j others in flight to
// L × (1 + c × j). The first k requests are admitted with 0..k−1 others in
// flight; every later one the instant a lane frees, with the other k − 1
// busy, so it takes S = L × (1 + c × (k − 1)). Items go to lanes round
// robin and the last one ends last:
//
//	wall = L × (1 + c × ((n − 1) mod k)) + ⌊(n − 1) / k⌋ × S
//
// The seed: 1,000 items of 816 ms, cap 2, c = 0.0392 give 816 s serial and
// 500 × 848 ms = 424 s for any pool of 2 or more (a pool above the cap only
// makes the mock's queue longer).
//
// # Simulation
//
// Everything else is a discrete-event simulation on a virtual clock
// (Simulate): the mock's cap, its queue (FIFO, QueueLimit), reject and
// reset overflow, contention counted at admission with the request itself,
// injected errors, resets and stalls (a stalled request frees its slot after
// its latency and is answered only by the client's timeout), the client's
// per-attempt timeout (a request given up in the queue or in service frees
// its place at once and counts as canceled), retries through scenario.Retry
// itself (Retries and Delay, Retry-After honoured from rejections), and
// keep-alive off as a connection cost per attempt (Params.ConnectCost,
// default 0) and a network round trip (Params.RoundTrip, default 0). Request number id draws its latency sample and fault from
// PCG(upstream seed, id) in the mock's order, and backoff jitter comes from
// the scenario's seed: the same scenario and seed give the same cells, bit
// for bit. Every cell of a sweep uses the same seeds (common random
// numbers), so differences between pools are not sampling noise.
//
// Strategies are modeled by how many items they keep in flight: serial 1,
// pooled and workers the pool size (an item holds its slot through its
// retries and backoff, as the seed's semaphore does), unbounded every item.
// Items start in order; a freed slot starts the next item at the same
// instant.
//
// The simulation needs no goroutine per item: events a constant delay
// ahead (arrivals, answers, retries after exactly Retry-After) in FIFO
// lanes, answers spread by a range run's jitter in a calendar queue, the
// rest in a 4-ary heap of value events; FIFO rings for the mock's queue
// and for client deadlines (deadlines are created in time order); 56
// bytes of state per item in one slice. 1,000,000 items at pool 10,000
// take 0.1–0.5 s of CPU (BenchmarkSimulate1M; docs/notes/perf.md).
//
// # Ranges
//
// A prediction is a range, not one number (Range, Spread): a simulated
// cell is run again with every answer returning up to Spread.Jitter late
// (the run-to-run timing of a harness), and optionally other seeds or
// parameter draws; the k-th smallest to the k-th largest of n runs is a
// distribution-free prediction interval of coverage (n + 1 − 2k) /
// (n + 1), 90% by default (fewer runs, with the lower coverage they
// give, for a cell over Spread.Budget's simulated attempts). Runs that split into groups more than twice the
// error budget apart are the cell's modes, each with its odds. A cell the
// closed formula covers gets a bound instead, without simulating.
// results.Interval.Explain places a measurement against a range.
//
// # Use
//
//	preds, err := model.Predict(ctx, sc, model.Options{Items: 1_000_000, Pools: []int{10_000}})
//	err = model.Annotate(results)           // predicted_wall_seconds, its range, efficiency, recommended
//	checks, err := model.Verify(results, 0.03)
//	iv, err := model.Range(ctx, params, scenario.Pooled, 256, central, model.Spread{Draws: fitted})
//
// Recommend documents the pool recommendation rule.
//
// What the model leaves out: the harness's own cost per request (HTTP on
// loopback, timer lateness, scheduling on a loaded machine). That is what
// a cell's Efficiency (predicted / measured) shows.
package model
