// Package fit infers a model of a service from a poolbench run against it
// (results.json and requests.jsonl): the service-time distribution (one of
// the mock's latency families, chosen by goodness of fit), the cap or
// "no cap up to N in flight", what happens past the cap (queue, bounded
// or not; reject with its status and Retry-After; reset), contention, the
// error, reset and stall rates and the network round trip, each with a
// bootstrap interval over the run's attempts. The fit is a complete
// scenario whose `upstream:` is the inferred service (Fit.Scenario), so
// the model (bench/model) predicts it and the embedded mock replays it.
//
// What is inferred, and from what:
//
//   - the service time from the successful attempts of cells that kept one
//     request in flight (serial, pool 1), less the round trip and the
//     harness's wake-up from idle; a run without such a cell cannot be
//     fitted;
//   - the overflow from the cells with more than one request in flight:
//     rejections (429, 503) or resets in excess of what the one-in-flight
//     cells saw; the cap is then the number of successful requests the
//     service held at once, unless those that started with m or more
//     others in flight took longer than a service time (their median)
//     and those with fewer did not (or, with too few answers to tell,
//     their mean by Little's law says fewer were served): then m were
//     served and the rest waited in a queue of that bound, past which the
//     service rejects;
//   - else the cap (queue) and contention together, from the ratio of
//     each cell's lower-quartile answer to the one-in-flight cells' (a
//     closed loop of k requests against m = min(k, cap) in service waits
//     k / m stretched service times), contention minimised by gonum's
//     optimizer for each candidate cap; a cap is reported only when it
//     explains the cells far better than no cap does, and never at or
//     above the largest concurrency measured; k is the cell's requests in
//     flight less the time the client spent waiting out stalls;
//   - contention, whatever the overflow, from the cells at or below the
//     cap (gonum's LinearRegression through the origin);
//   - the error rate and status, the reset and the stall rate, from the
//     attempts of every cell that did not overflow (the service admitted
//     them); a reset the client re-sends on a new connection (a keep-alive
//     connection closed before any byte of the answer, bench/sweep's
//     reconnect rule) is no failed attempt and is not counted;
//   - the round trip from the median rejection of the cells that
//     overflowed (the service answers those at once) when there are any,
//     else the harness's loopback round trip measured back to back
//     (Calibration.BusyRoundTrip), with the harness's wake-up from idle
//     (the median idle round trip against its own mock less that,
//     Calibration.IdleRoundTrips) beside it; the bootstrap draws the idle
//     round trips again with the attempts.
//
// Cells the harness flagged (harness.bound) measured poolbench, not the
// service: a fit from them is refused (ErrFlagged) and names them.
package fit
