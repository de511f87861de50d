//go:build !race

package model

// raceEnabled: the race detector is on (the long golden checks skip).
const raceEnabled = false
