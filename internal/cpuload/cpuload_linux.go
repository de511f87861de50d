package cpuload

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/stat: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// Take samples the machine's CPU counters and this process's CPU time.
// The CPU time of the processes own (children of this one doing its work,
// like the keep-awake spinner) counts as this process's, not as other
// work; each must be running (its /proc/PID/stat readable).
func Take(own ...int) (Sample, error) { return take("/proc/stat", "/proc", own) }

func take(statPath, procDir string, own []int) (Sample, error) {
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
	for _, pid := range own {
		p := filepath.Join(procDir, strconv.Itoa(pid), "stat")
		b, err := os.ReadFile(p)
		if err != nil {
			return Sample{}, fmt.Errorf("cpuload: process %d: %w", pid, err)
		}
		cpu, err := parseProcessStat(b)
		if err != nil {
			return Sample{}, fmt.Errorf("cpuload: %s: %w", p, err)
		}
		self += cpu
	}
	return Sample{at: time.Now(), busy: busy, steal: steal, self: self}, nil
}

// parseProcessStat reads a process's user + system time from its
// /proc/PID/stat line: pid (comm) state ppid … utime stime …, utime and
// stime the 14th and 15th fields. comm may hold spaces and parentheses:
// the fields start after its last ')'.
func parseProcessStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("no (comm) in %q", b)
	}
	f := bytes.Fields(b[i+1:]) // state is f[0], the 3rd field: utime is f[11]
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after (comm), want at least 13", len(f))
	}
	var ticks int64
	for _, v := range f[11:13] {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("CPU time %q is not a count of ticks", v)
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / clockTicks), nil
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

// Nice is this process's nice value (-20 to 19): below 0, it already
// runs at a raised priority. ok is false where it cannot be read.
func Nice() (nice int, ok bool) {
	// The raw getpriority(2) returns 20 - nice, so that it is never
	// negative.
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil {
		return 0, false
	}
	return 20 - p, true
}
