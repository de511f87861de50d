//go:build linux

package loop

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// The loop's system calls go through the methods below, so that every
// result is checked in one way and tests can make any of them fail.
// A failure either ends one connection (it is closed; its request counts
// as canceled) or, when the loop itself can no longer keep its promises
// (wait for events, keep deadlines, be woken, accept), ends the loop with
// an error that Shutdown returns.

// sysOp names a system call, for faults.
type sysOp uint8

// The system calls a test can make fail.
const (
	opEpollWait sysOp = iota
	opEpollCtl
	opTimerfdSettime
	opTimerfdRead
	opEventfdRead
	opEventfdWrite
	opRead  // a connection's
	opWrite // a connection's
	opAccept
	opSetsockopt
	opShutdown
	opClose
)

var opNames = [...]string{"epoll_wait", "epoll_ctl", "timerfd_settime", "timerfd read", "eventfd read", "eventfd write",
	"read", "write", "accept4", "setsockopt", "shutdown", "close"}

func (op sysOp) String() string { return opNames[op] }

// faults is the seam through which tests make system calls fail: when it
// is set, every call asks it first, with the descriptor it is about, and
// fails with the error it returns (nil: the call is made). Production
// loops have none.
type faults func(op sysOp, fd int) error

// sysError is a failed system call.
func sysError(op sysOp, err error) error { return fmt.Errorf("loop: %v: %w", op, err) }

func (l *loop) fault(op sysOp, fd int) error {
	if l.faults == nil {
		return nil
	}
	return l.faults(op, fd)
}

func (l *loop) epollWait(evs []unix.EpollEvent, msec int) (int, error) {
	if err := l.fault(opEpollWait, l.ep); err != nil {
		return 0, err
	}
	return unix.EpollWait(l.ep, evs, msec)
}

func (l *loop) epollCtl(op, fd int, events uint32) error {
	if err := l.fault(opEpollCtl, fd); err != nil {
		return err
	}
	if op == unix.EPOLL_CTL_DEL {
		return unix.EpollCtl(l.ep, op, fd, nil)
	}
	return unix.EpollCtl(l.ep, op, fd, &unix.EpollEvent{Events: events, Fd: int32(fd)})
}

func (l *loop) setTimer(ns int64) error {
	if err := l.fault(opTimerfdSettime, l.tfd); err != nil {
		return err
	}
	return unix.TimerfdSettime(l.tfd, unix.TFD_TIMER_ABSTIME, &unix.ItimerSpec{Value: unix.NsecToTimespec(ns)}, nil)
}

func (l *loop) sysRead(op sysOp, fd int, b []byte) (int, error) {
	if err := l.fault(op, fd); err != nil {
		return -1, err
	}
	return unix.Read(fd, b)
}

func (l *loop) sysWrite(op sysOp, fd int, b []byte) (int, error) {
	if err := l.fault(op, fd); err != nil {
		return -1, err
	}
	return unix.Write(fd, b)
}

func (l *loop) sysAccept() (int, error) {
	if err := l.fault(opAccept, l.lfd); err != nil {
		return -1, err
	}
	fd, _, err := unix.Accept4(l.lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	return fd, err
}

func (l *loop) noDelay(fd int) error {
	if err := l.fault(opSetsockopt, fd); err != nil {
		return err
	}
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
}

func (l *loop) lingerZero(fd int) error {
	if err := l.fault(opSetsockopt, fd); err != nil {
		return err
	}
	return unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
}

func (l *loop) shutWrite(fd int) error {
	if err := l.fault(opShutdown, fd); err != nil {
		return err
	}
	return unix.Shutdown(fd, unix.SHUT_WR)
}

// closeFD closes fd. On Linux close(2) releases the descriptor even when
// it reports an error (EINTR, EIO: nothing to retry); only EBADF, a
// descriptor the loop does not own, is the loop's failure.
func (l *loop) closeFD(fd int) {
	err := l.fault(opClose, fd)
	if err == nil {
		err = unix.Close(fd)
	}
	if err == unix.EBADF {
		l.fatal(sysError(opClose, err))
	}
}
