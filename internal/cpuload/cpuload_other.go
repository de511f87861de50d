//go:build !linux

package cpuload

// Take reports ErrUnsupported: only Linux's /proc/stat is read.
func Take(own ...int) (Sample, error) { return Sample{}, ErrUnsupported }

// Nice reports ok false: only Linux's is read.
func Nice() (nice int, ok bool) { return 0, false }
