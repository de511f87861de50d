//go:build !linux

package awake

import (
	"errors"
	"io"
)

// Supported says whether this system has a spinner: only Linux gives a
// thread a priority of its own.
const Supported = false

// Spin is unsupported here.
func Spin(io.Reader) error { return errors.ErrUnsupported }
