//go:build race

package mocksrv

// raceEnabled: the race detector is on (it allocates: sync.Pool drops items).
const raceEnabled = true
