//go:build !race

package model

// raceEnabled: the race detector is on (the statistical tests skip).
const raceEnabled = false
