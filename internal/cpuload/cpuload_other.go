//go:build !linux

package cpuload

// Take reports ErrUnsupported: only Linux's /proc/stat is read.
func Take(own ...int) (Sample, error) { return Sample{}, ErrUnsupported }
