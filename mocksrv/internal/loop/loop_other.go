//go:build !linux

package loop

import (
	"context"
	"net"
)

// Loop is a running loop engine (Linux only).
type Loop struct{}

// Listen returns ErrUnsupported: the loop engine needs Linux.
func Listen(string, Service, Config) (*Loop, *net.TCPAddr, error) { return nil, nil, ErrUnsupported }

// Shutdown does nothing: no loop runs here.
func (*Loop) Shutdown(context.Context) error { return nil }
