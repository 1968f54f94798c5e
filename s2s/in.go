package s2s

import (
	"encoding/base64"
	"errors"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// maxPendingDialbacks bounds the dialback verifications one stream may
// have in progress.
const maxPendingDialbacks = 10

// inStream is a stream another server opened to us. It carries that
// server's stanzas for the domain pairs it authenticated, and ours back
// when it asked for a bidirectional stream (XEP-0288).
type inStream struct {
	*conn
	svc    *Service
	direct bool // accepted on the direct TLS listener (XEP-0368)

	// Owned by the reading goroutine.
	id      string // the current stream's id (dialback keys are bound to it)
	local   string // the domain the header addressed
	claimed string // the domain the header said it is from ("" if none)
	offered bool   // SASL EXTERNAL was offered on the current stream
	// registerAfterRestart is the domain SASL EXTERNAL authenticated,
	// registered with its peer once our header of the restarted stream
	// is out (no stanza of ours may come before it).
	registerAfterRestart string

	mu      sync.Mutex
	pairs   map[domainPair]bool // authenticated (remote, local) pairs
	remotes map[string]bool
	pending int // dialback verifications in progress
	bidi    bool

	ended atomic.Bool // our end tag (or error) was written
	done  atomic.Bool
}

type domainPair struct{ remote, local string }

// Serve accepts server streams on l until Stop. directTLS makes it an
// XEP-0368 listener (TLS before the stream).
func (s *Service) Serve(l net.Listener, directTLS bool) {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		l.Close()
		return
	}
	s.listeners = append(s.listeners, l)
	s.mu.Unlock()
	for {
		nc, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("accept", "err", err)
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(100 * time.Millisecond): // e.g. out of file descriptors
			}
			continue
		}
		st := &inStream{conn: newConn(nc, s.cfg.XMLLimits, s.cfg.WriteTimeout), svc: s, direct: directTLS,
			pairs: make(map[domainPair]bool), remotes: make(map[string]bool)}
		if !s.admit(st) {
			nc.Close()
			continue
		}
		go st.serve()
	}
}

// admit applies the connection limits and registers st.
func (s *Service) admit(st *inStream) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.stopping:
		return false
	case s.cfg.MaxConnections > 0 && len(s.incoming) >= s.cfg.MaxConnections:
		s.log.Warn("incoming server stream refused: s2s.max_connections reached", "ip", st.ip)
		return false
	case s.cfg.MaxConnectionsPerIP > 0 && s.perIP[st.ip] >= s.cfg.MaxConnectionsPerIP:
		s.log.Warn("incoming server stream refused: s2s.max_connections_per_ip reached", "ip", st.ip)
		return false
	}
	if !s.track() {
		return false
	}
	s.incoming[st] = struct{}{}
	s.perIP[st.ip]++
	return true
}

func (st *inStream) serve() {
	s := st.svc
	defer s.wg.Done()
	if m := s.cfg.Metrics.Streams; m != nil {
		m("in", 1)
		defer m("in", -1)
	}
	err := st.runSafely()
	var se *stream.Error
	switch {
	case errors.As(err, &se) && se.Condition != stream.ConnectionTimeout:
		s.log.Info("incoming server stream ended with an error", "ip", st.ip, "from", st.claimed, "condition", se.Condition, "text", se.Text)
		st.end(streamError(se))
	case errors.Is(err, xml.ErrStreamClosed):
		st.end([]byte(stream.Close))
	default:
		if !st.ended.Load() {
			s.log.Debug("incoming server stream lost", "ip", st.ip, "from", st.claimed, "err", err)
		}
		st.end([]byte(stream.Close))
	}
	st.done.Store(true)
	st.conn.close()
	s.mu.Lock()
	delete(s.incoming, st)
	if s.perIP[st.ip]--; s.perIP[st.ip] <= 0 {
		delete(s.perIP, st.ip)
	}
	s.mu.Unlock()
	st.mu.Lock()
	remotes := make([]string, 0, len(st.remotes))
	for r := range st.remotes {
		remotes = append(remotes, r)
	}
	st.mu.Unlock()
	for _, r := range remotes {
		if p := s.peer(r); p != nil {
			p.streamGone(st)
		}
	}
}

// runSafely runs the stream and turns a panic (a bug) into an
// internal-server-error for this stream only.
func (st *inStream) runSafely() (err error) {
	defer func() {
		if r := recover(); r != nil {
			st.svc.log.Error("panic in server stream", "panic", r, "stack", string(debug.Stack()))
			err = stream.Errorf(stream.InternalServerError, "")
		}
	}()
	return st.run()
}

func (st *inStream) run() error {
	s := st.svc
	st.setReadDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
	if st.direct {
		if err := st.startTLS(s.ctx, s.tlsIn, true, s.cfg.HandshakeTimeout); err != nil {
			return err
		}
	}
	for {
		if err := st.open(); err != nil {
			return err
		}
		restart, err := st.loop()
		if err != nil || !restart {
			return err
		}
		st.restart()
	}
}

// open reads the other server's stream header and answers with ours
// and the features of this stage.
func (st *inStream) open() error {
	s := st.svc
	st.id = randomID()
	if st.authenticatedAny() {
		// A restart after authentication: its header is due soon too.
		st.setReadDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
	}
	h, err := st.readHeader()
	if err != nil {
		var se *stream.Error
		if errors.As(err, &se) {
			st.write(header(s.cfg.DefaultDomain, "", st.id))
		}
		return err
	}
	to := strings.ToLower(h.Attr("to"))
	from := strings.ToLower(h.Attr("from"))
	switch {
	case to == "" || !s.cfg.Local(to) || (st.local != "" && to != st.local):
		st.write(header(s.cfg.DefaultDomain, "", st.id))
		return stream.Errorf(stream.HostUnknown, "this server does not serve that domain")
	case from != "" && !validDomain(from):
		st.write(header(to, "", st.id))
		return stream.Errorf(stream.InvalidFrom, "not a domain")
	case from != "" && !s.Permitted(from):
		st.write(header(to, "", st.id))
		return stream.Errorf(stream.PolicyViolation, "this server does not federate with "+from)
	}
	st.local, st.claimed = to, from
	var f []*xml.Element
	st.offered = false
	switch {
	case !st.secure:
		tls := xml.NewElement(ns.TLS, "starttls")
		if !s.cfg.AllowPlaintext {
			tls.AddChild(xml.NewElement(ns.TLS, "required"))
		}
		f = append(f, tls)
		if s.cfg.AllowPlaintext && s.cfg.Dialback {
			f = append(f, xml.NewElement(ns.DialbackFeature, "dialback").AddChild(xml.NewElement(ns.DialbackFeature, "errors")))
		}
	case !st.authenticatedAny():
		if from != "" && s.verifyPeer(st.peerCerts, from) == nil {
			st.offered = true
			f = append(f, xml.NewElement(ns.SASL, "mechanisms").AddChild(xml.NewElement(ns.SASL, "mechanism").SetText("EXTERNAL")))
		}
		if s.cfg.Dialback {
			f = append(f, xml.NewElement(ns.DialbackFeature, "dialback").AddChild(xml.NewElement(ns.DialbackFeature, "errors")))
		}
		if !st.bidiOn() {
			f = append(f, xml.NewElement(ns.BidiFeature, "bidi"))
		}
	}
	if err := st.write(header(to, from, st.id), features(f...)); err != nil {
		return err
	}
	if r := st.registerAfterRestart; r != "" {
		st.registerAfterRestart = ""
		st.register(r, st.local, "external")
	}
	return nil
}

// loop handles the elements of one stream until a restart is due
// (restart true), the stream ends, or a rule is broken.
func (st *inStream) loop() (restart bool, err error) {
	s := st.svc
	for {
		if st.authenticatedAny() && !st.ended.Load() {
			st.setReadDeadline(time.Unix(0, st.lastUse.Load()).Add(s.cfg.IdleTimeout))
		}
		el, err := st.next()
		if err != nil {
			if isTimeout(err) && st.authenticatedAny() && !st.ended.Load() {
				if st.idleFor() < s.cfg.IdleTimeout {
					continue
				}
				s.log.Debug("idle incoming server stream closed", "from", st.claimed, "to", st.local)
				st.end([]byte(stream.Close))
				st.setReadDeadline(time.Now().Add(closeGrace))
				continue
			}
			return false, err
		}
		switch {
		case el.Space == ns.TLS && el.Name == "starttls":
			if st.secure {
				return false, stream.Errorf(stream.PolicyViolation, "TLS is already on")
			}
			if err := st.write([]byte("<proceed xmlns='" + ns.TLS + "'/>")); err != nil {
				return false, err
			}
			if err := st.startTLS(s.ctx, s.tlsIn, true, s.cfg.HandshakeTimeout); err != nil {
				return false, err
			}
			return true, nil
		case !st.secure && !s.cfg.AllowPlaintext:
			return false, stream.Errorf(stream.PolicyViolation, "STARTTLS is required")
		case el.Space == ns.Stream && el.Name == "error":
			s.log.Info("remote server sent a stream error", "from", st.claimed, "condition", errorCondition(el))
			return false, xml.ErrStreamClosed
		case el.Space == ns.SASL && el.Name == "auth":
			ok, err := st.external(el)
			if err != nil || ok {
				return ok, err
			}
		case el.Space == ns.Bidi && el.Name == "bidi":
			st.mu.Lock()
			st.bidi = true
			st.mu.Unlock()
		case el.Space == ns.Dialback && el.Name == "result":
			if err := st.dialbackRequest(el); err != nil {
				return false, err
			}
		case el.Space == ns.Dialback && el.Name == "verify":
			if err := s.answerVerify(st.conn, el); err != nil {
				return false, err
			}
		case stanza.IsStanza(el):
			if !st.authenticatedAny() {
				return false, stream.Errorf(stream.NotAuthorized, "authenticate first")
			}
			st.touch()
			if err := s.inbound(s.ctx, el, st); err != nil {
				return false, err
			}
		default:
			return false, stream.Errorf(stream.UnsupportedStanzaType, "<"+el.Name+"/> is not expected here")
		}
	}
}

// external answers SASL EXTERNAL (XEP-0178): the certificate shown in
// the TLS handshake must prove the domain the stream claims.
func (st *inStream) external(auth *xml.Element) (bool, error) {
	s := st.svc
	fail := func(cond, why string) (bool, error) {
		s.authMetric("in", "external", cond)
		s.log.Info("SASL EXTERNAL refused", "from", st.claimed, "ip", st.ip, "why", why)
		f := xml.NewElement(ns.SASL, "failure").AddChild(xml.NewElement(ns.SASL, cond))
		return false, st.write(f.Bytes(ns.Server))
	}
	if auth.Attr("mechanism") != "EXTERNAL" || !st.offered {
		return fail("invalid-mechanism", "mechanism not offered")
	}
	text := strings.TrimSpace(auth.Text)
	identity := st.claimed
	if text != "" && text != "=" {
		b, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return fail("incorrect-encoding", "bad base64")
		}
		identity = strings.ToLower(string(b))
	}
	switch {
	case identity == "" || identity != st.claimed:
		return fail("invalid-authzid", "the identity is not the stream's")
	case s.verifyPeer(st.peerCerts, identity) != nil:
		return fail("not-authorized", "certificate does not prove "+identity)
	}
	if err := st.write([]byte("<success xmlns='" + ns.SASL + "'/>")); err != nil {
		return false, err
	}
	s.authMetric("in", "external", "success")
	st.authorize(identity, st.local)
	st.registerAfterRestart = identity
	return true, nil
}

// dialbackRequest handles an originating server's db:result (XEP-0220
// §2.1.2): its key is verified with its domain's own server, on another
// goroutine; the verdict is written here when it comes.
func (st *inStream) dialbackRequest(el *xml.Element) error {
	s := st.svc
	from, to, key := strings.ToLower(el.Attr("from")), strings.ToLower(el.Attr("to")), strings.TrimSpace(el.Text)
	if el.Attr("type") != "" || key == "" {
		return stream.Errorf(stream.UnsupportedStanzaType, "a dialback request carries a key and no type")
	}
	if !validDomain(from) || (st.claimed != "" && from != st.claimed) {
		return stream.Errorf(stream.InvalidFrom, "dialback for another domain than the stream's")
	}
	if to != st.local {
		return stream.Errorf(stream.HostUnknown, "dialback for another domain than the stream's")
	}
	answer := func(typ string, cond string) {
		var b []byte
		if cond == "" {
			b = dialbackElement("result", to, from, "", typ, "")
		} else {
			b = dialbackError("result", to, from, "", cond)
		}
		st.write(b)
	}
	if !s.cfg.Dialback {
		answer("error", "feature-not-implemented")
		return nil
	}
	if !s.Permitted(from) {
		answer("error", "not-allowed")
		return nil
	}
	st.mu.Lock()
	if st.pending >= maxPendingDialbacks {
		st.mu.Unlock()
		answer("error", "resource-constraint")
		return nil
	}
	st.pending++
	st.mu.Unlock()
	select {
	case s.verifies <- struct{}{}:
	default:
		st.mu.Lock()
		st.pending--
		st.mu.Unlock()
		answer("error", "resource-constraint")
		return nil
	}
	id := st.id
	if !s.track() {
		<-s.verifies
		return nil
	}
	go func() {
		defer s.wg.Done()
		valid, err := s.verifyDialback(s.ctx, from, to, id, key)
		<-s.verifies
		st.mu.Lock()
		st.pending--
		st.mu.Unlock()
		switch {
		case err != nil:
			s.authMetric("in", "dialback", reason(err))
			s.log.Info("dialback: cannot verify", "from", from, "to", to, "err", err)
			cond := "remote-server-timeout"
			if errors.Is(err, ErrNotFound) {
				cond = "remote-server-not-found"
			}
			answer("error", cond)
		case !valid:
			s.authMetric("in", "dialback", "refused")
			s.log.Warn("dialback: key invalid", "from", from, "to", to, "ip", st.ip)
			answer("invalid", "")
			st.end(streamError(stream.Errorf(stream.NotAuthorized, "dialback key invalid")))
			st.setReadDeadline(time.Now().Add(closeGrace))
		default:
			s.authMetric("in", "dialback", "success")
			st.authorize(from, to)
			answer("valid", "")
			st.register(from, to, "dialback")
		}
	}()
	return nil
}

// dialbackError writes a dialback element of type error with a stanza
// error condition (XEP-0220 §2.4).
func dialbackError(name, from, to, id, cond string) []byte {
	e := dialbackElement(name, from, to, id, "error", "x")
	inner := "<error type='cancel'><" + cond + " xmlns='" + ns.Stanzas + "'/></error>"
	return []byte(strings.Replace(string(e), ">x<", ">"+inner+"<", 1))
}

// authorize records a pair the other server proved: its stanzas for
// the pair are accepted from now on.
func (st *inStream) authorize(remote, local string) {
	st.mu.Lock()
	first := len(st.pairs) == 0
	st.pairs[domainPair{remote, local}] = true
	st.remotes[remote] = true
	st.mu.Unlock()
	if first {
		st.setReadDeadline(time.Time{})
	}
}

// register tells the peer of an authorized pair, once the other server
// may read stanzas on the stream (after our answer to dialback, after
// the header of the stream restarted past SASL): a bidirectional stream
// becomes a way out for the pair.
func (st *inStream) register(remote, local, method string) {
	s := st.svc
	bidi := st.bidiOn()
	s.log.Info("remote server authenticated", "from", remote, "to", local, "auth", method, "bidi", bidi)
	if p := s.peer(remote); p != nil {
		p.addIncoming(st, local, bidi)
	}
}

func (st *inStream) authenticatedAny() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.pairs) > 0
}

func (st *inStream) bidiOn() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.bidi
}

// authorized implements authz.
func (st *inStream) authorized(remote, local string) (known, paired bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.remotes[remote], st.pairs[domainPair{remote, local}]
}

// usable reports whether our stanzas may be written (sender): the
// stream is bidirectional, authenticated and open.
func (st *inStream) usable() bool {
	return !st.done.Load() && !st.ended.Load() && st.bidiOn() && st.authenticatedAny()
}

// sendStanzas writes our stanzas on the other server's bidirectional
// stream (sender).
func (st *inStream) sendStanzas(chunks [][]byte) error {
	if !st.usable() {
		return net.ErrClosed
	}
	st.touch()
	return st.write(chunks...)
}

// end writes our last bytes once.
func (st *inStream) end(final []byte) {
	if st.ended.CompareAndSwap(false, true) {
		st.write(final)
		st.closeWrite()
	}
}

// shutdown ends the stream from another goroutine (the service stops).
func (st *inStream) shutdown(se *stream.Error) {
	st.end(streamError(se))
	st.setReadDeadline(time.Now().Add(closeGrace))
}

// validDomain reports whether s is a domain (a JID of a domain only).
func validDomain(s string) bool {
	j, err := jid.Parse(s)
	return err == nil && j.Local() == "" && j.Resource() == "" && j.Domain() == s
}
