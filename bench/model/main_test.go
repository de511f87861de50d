package model

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/internal/raceflag"
)

// Range runs simulations on goroutines of its own.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// statistical skips a test that simulates thousands of cells, what, under
// -short, and under -race (skipUnderRace).
func statistical(t *testing.T, what string) {
	t.Helper()
	if testing.Short() {
		t.Skip(what + ": not under -short")
	}
	skipUnderRace(t, what)
}

// skipUnderRace skips a test that computes for seconds, what, under -race,
// where the simulation runs 7x slower (72 s against 9 s for
// TestRangeHoldsRealRuns) and the race detector sees no concurrency the
// shorter tests do not drive (the test runs on one goroutine, or through
// Range and Predict, which those tests run under -race): make test runs
// this package a second time without -race, where these run.
func skipUnderRace(t *testing.T, what string) {
	t.Helper()
	if raceflag.Enabled {
		t.Skip(what + ": not under -race (make test runs bench/model again without it)")
	}
}
