//go:build race

package sweep

// raceEnabled: the race detector is on (each line of a targets file costs
// about twenty times as much to read).
const raceEnabled = true
