//go:build !linux

package cpuload

// Take reports ErrUnsupported: only Linux's /proc/stat is read.
func Take() (Sample, error) { return Sample{}, ErrUnsupported }
