package cpuload

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/stat: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// Take samples the machine's CPU counters and this process's CPU time.
func Take() (Sample, error) { return take("/proc/stat") }

func take(statPath string) (Sample, error) {
	b, err := os.ReadFile(statPath)
	if err != nil {
		return Sample{}, fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	busy, steal, err := parseStat(b)
	if err != nil {
		return Sample{}, fmt.Errorf("%w: %s: %w", ErrUnsupported, statPath, err)
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return Sample{}, fmt.Errorf("%w: getrusage: %w", ErrUnsupported, err)
	}
	self := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return Sample{at: time.Now(), busy: busy, steal: steal, self: self}, nil
}

// parseStat reads the aggregate "cpu" line of /proc/stat: user nice system
// idle iowait irq softirq steal [guest guest_nice]. Busy is user + nice +
// system + irq + softirq (guest time is already inside user and nice).
func parseStat(b []byte) (busy, steal time.Duration, err error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) == 0 || string(f[0]) != "cpu" {
			continue
		}
		if len(f) < 9 {
			return 0, 0, fmt.Errorf("the cpu line has %d fields, want at least 8 counters", len(f)-1)
		}
		var v [8]int64
		for i := range v {
			n, err := strconv.ParseInt(string(f[i+1]), 10, 64)
			if err != nil || n < 0 {
				return 0, 0, fmt.Errorf("the cpu line's counter %d, %q, is not a count", i+1, f[i+1])
			}
			v[i] = n
		}
		tick := time.Second / clockTicks
		return time.Duration(v[0]+v[1]+v[2]+v[5]+v[6]) * tick, time.Duration(v[7]) * tick, nil
	}
	return 0, 0, fmt.Errorf("no aggregate cpu line")
}
