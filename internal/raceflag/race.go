//go:build race

package raceflag

// Enabled: the binary is built with -race.
const Enabled = true
