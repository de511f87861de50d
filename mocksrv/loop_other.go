//go:build !linux

package mocksrv

import (
	"errors"
	"net"
)

const defaultEngine = EngineHTTP

var engines = []Engine{EngineHTTP}

// loop is the loop engine, which needs Linux (epoll, timerfd).
type loop struct{}

func listenLoop(string, *Server) (*loop, *net.TCPAddr, error) {
	return nil, nil, errors.New("the loop engine needs Linux")
}

func (*loop) shutdown(bool) <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
