//go:build !race

// Package raceflag says whether the binary is built with the race
// detector, for the tests that do less under it (it makes code 5-20x
// slower and sync.Pool drop items) or leave it to a pass without it.
package raceflag

// Enabled: the binary is built with -race.
const Enabled = false
