// Package netpoll parks idle connections without a goroutine. A Poller
// watches connections with an edge-triggered epoll instance (Linux) and
// calls a function when one becomes readable; Reader and Writer read and
// write a connection's socket without ever blocking, so that the caller
// handles what arrived and returns the connection to the poller instead
// of waiting in a read.
//
// Why: a goroutine blocked in a read keeps its stack (8 KiB once the
// call chain above the read is deep, as a stream parser's is), and every
// message on a quiet connection costs a read that finds nothing
// (EAGAIN) before the goroutine parks. Ten thousand mostly idle client
// connections are mostly those stacks. A parked connection here costs a
// map entry; reading it costs the one read that returns data.
//
// The poller's own epoll descriptor is waited on through the Go
// runtime's poller (it is an ordinary pollable file there), so the
// poller goroutine parks like any other and no thread is held in
// epoll_wait. Connections stay registered with the runtime's poller too
// (they remain net.Conn, with deadlines, Close and TLS working as
// usual); the runtime merely notes their readiness.
//
// Edge-triggered means: after a ready call, the owner must read until
// the socket is drained (a read that returns fewer bytes than asked, or
// ErrWouldBlock) before it relies on the next call; data that arrives
// after that read always produces another call.
//
// On other systems New returns ErrUnsupported and callers keep a
// goroutine per connection.
package netpoll

import (
	"errors"
	"time"
)

// ErrUnsupported is returned by New where there is no epoll.
var ErrUnsupported = errors.New("netpoll: not supported on this system")

// ErrClosed is returned by Add after Close.
var ErrClosed = errors.New("netpoll: poller closed")

// ErrWouldBlock is returned by Reader.Read and Writer.Write when the
// socket has nothing to read or no room to write. It is a net.Error
// whose Timeout and Temporary are true, so that crypto/tls, reading
// through a Reader, keeps the connection usable and the partial record
// it buffered (it treats temporary errors as retryable).
var ErrWouldBlock error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "netpoll: operation would block" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

var zeroTime time.Time
