//go:build linux

package netpoll

import (
	"io"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Poller calls a function when a watched connection becomes readable
// (or its peer closes, or it fails). The functions run on the poller's
// goroutine, one at a time: they must not block. Their argument says
// the peer has closed its side or the connection failed: then a read
// that returned less than it asked for is not the last one (the end of
// the stream is still to be read, and no further call will come).
type Poller struct {
	epfd int
	file *os.File // epfd, waited on through the runtime's poller
	done chan struct{}

	mu     sync.Mutex
	regs   map[int32]*Handle
	next   int32
	closed bool
}

// Handle is one watched connection.
type Handle struct {
	p     *Poller
	id    int32
	rc    syscall.RawConn
	ready func(hangup bool)
}

// maxEvents is how many readiness events one epoll_wait returns.
const maxEvents = 256

// New starts a poller.
func New() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	// A non-blocking descriptor becomes a pollable os.File: reading it
	// through its RawConn parks the goroutine in the runtime's poller
	// until the epoll instance has events. SetReadDeadline fails on a
	// file the runtime could not register.
	f := os.NewFile(uintptr(epfd), "netpoll")
	if err := f.SetReadDeadline(zeroTime); err != nil {
		f.Close()
		return nil, ErrUnsupported
	}
	p := &Poller{epfd: epfd, file: f, done: make(chan struct{}), regs: make(map[int32]*Handle)}
	go p.run()
	return p, nil
}

// Add watches c (a *net.TCPConn, or anything with a socket underneath)
// and calls ready whenever it becomes readable. The caller reads until
// the socket is drained after each call, and calls Remove (before or
// after closing c) when done.
func (p *Poller) Add(c syscall.Conn, ready func(hangup bool)) (*Handle, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	h := &Handle{p: p, rc: rc, ready: ready}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	for {
		p.next++
		if p.next <= 0 {
			p.next = 1
		}
		if p.regs[p.next] == nil {
			break
		}
	}
	h.id = p.next
	var cerr error
	err = rc.Control(func(fd uintptr) {
		// The event carries the handle's id, never a pointer: the kernel
		// keeps it, and the garbage collector does not look there.
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLET, Fd: h.id}
		cerr = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, int(fd), &ev)
	})
	if err == nil && cerr != nil {
		err = os.NewSyscallError("epoll_ctl", cerr)
	}
	if err != nil {
		return nil, err
	}
	p.regs[h.id] = h
	return h, nil
}

// Remove stops watching the connection. Closing a connection stops the
// kernel's events by itself; Remove also forgets the handle, and is
// safe to call more than once.
func (h *Handle) Remove() {
	p := h.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.regs[h.id] != h {
		return
	}
	delete(p.regs, h.id)
	if p.closed {
		return
	}
	// Control fails once the connection is closed: then its descriptor
	// may already belong to another connection, which must stay watched.
	h.rc.Control(func(fd uintptr) {
		unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, int(fd), nil)
	})
}

// Close stops the poller; watched connections are not closed, and no
// ready function is called after Close returns.
func (p *Poller) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	clear(p.regs)
	p.mu.Unlock()
	err := p.file.Close()
	<-p.done
	return err
}

func (p *Poller) run() {
	defer close(p.done)
	rc, err := p.file.SyscallConn()
	if err != nil {
		return
	}
	events := make([]unix.EpollEvent, maxEvents)
	type call struct {
		ready  func(bool)
		hangup bool
	}
	calls := make([]call, 0, maxEvents)
	// One RawConn.Read for the poller's whole life: the runtime notes
	// the epoll descriptor's readiness from the moment it begins, so an
	// event queued while the callback dispatches the previous ones makes
	// the wait return at once, and each wake-up costs a single
	// epoll_wait (a new Read would forget readiness noted before it).
	rc.Read(func(fd uintptr) bool {
		for {
			n, err := unix.EpollWait(int(fd), events, 0)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return true
			}
			p.mu.Lock()
			if p.closed {
				p.mu.Unlock()
				return true
			}
			for _, ev := range events[:n] {
				if h := p.regs[ev.Fd]; h != nil {
					calls = append(calls, call{h.ready, ev.Events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0})
				}
			}
			p.mu.Unlock()
			for i, c := range calls {
				c.ready(c.hangup)
				calls[i] = call{}
			}
			calls = calls[:0]
			if n < len(events) {
				return false // drained: wait for the descriptor
			}
		}
	})
}

// Socket reads and writes a connection's socket without blocking; it
// allocates nothing per call. Read is for one goroutine at a time, and
// so is Write.
type Socket struct {
	rc syscall.RawConn

	rbuf  []byte
	rn    int
	rerr  error
	rfunc func(uintptr) bool

	wbuf  []byte
	wn    int
	werr  error
	wfunc func(uintptr) bool
}

// NewSocket returns a Socket for c's descriptor.
func NewSocket(c syscall.Conn) (*Socket, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	s := &Socket{rc: rc}
	s.rfunc = s.read
	s.wfunc = s.write
	return s, nil
}

// Read reads what the socket holds, up to len(p) bytes: ErrWouldBlock
// when it holds nothing, io.EOF once the peer has closed. It fails like
// the connection's own Read once the connection is closed or its read
// deadline has passed.
func (s *Socket) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.rbuf = p
	err := s.rc.Read(s.rfunc)
	s.rbuf = nil
	if err != nil {
		return 0, err
	}
	switch {
	case s.rerr == unix.EAGAIN:
		return 0, ErrWouldBlock
	case s.rerr != nil:
		return 0, os.NewSyscallError("read", s.rerr)
	case s.rn == 0:
		return 0, io.EOF
	}
	return s.rn, nil
}

func (s *Socket) read(fd uintptr) bool {
	for {
		n, err := unix.Read(int(fd), s.rbuf)
		if err == unix.EINTR {
			continue
		}
		s.rn, s.rerr = max(n, 0), err
		return true // never wait here: the poller does
	}
}

// Write writes as much of p as the socket takes now and returns how
// much that was; ErrWouldBlock when it took nothing.
func (s *Socket) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.wbuf = p
	err := s.rc.Write(s.wfunc)
	s.wbuf = nil
	if err != nil {
		return 0, err
	}
	switch {
	case s.werr == unix.EAGAIN:
		return 0, ErrWouldBlock
	case s.werr != nil:
		return 0, os.NewSyscallError("write", s.werr)
	}
	return s.wn, nil
}

func (s *Socket) write(fd uintptr) bool {
	for {
		n, err := unix.Write(int(fd), s.wbuf)
		if err == unix.EINTR {
			continue
		}
		s.wn, s.werr = max(n, 0), err
		return true
	}
}
