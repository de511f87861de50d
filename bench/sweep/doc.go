// Package sweep runs a scenario's sweep: every strategy × pool × repeat
// cell, each item one logical request sent with retries, against the
// embedded mock (a mock of its own per cell, on 127.0.0.1) or an external
// target. It measures every cell's wall time, the items' latency and how
// each ended, writes every attempt as a vegeta Result (requests.jsonl),
// and returns results.Results.
//
// Nothing is lost: every item ends succeeded or failed (an item stopped
// by an interrupt, in flight or waiting to retry, fails as "canceled"),
// every attempt is counted, and an interrupted run returns what it
// measured, marked incomplete. Every load loop is bounded by the items of
// the cell, the attempts per item and the client's timeout per attempt.
package sweep
