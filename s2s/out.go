package s2s

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// closeGrace is how long a closing stream waits for the other side's
// end tag.
const closeGrace = 2 * time.Second

// outStream is a stream this server opened to another: it carries
// stanzas from local to remote, and from remote to local when it is
// bidirectional (XEP-0288).
type outStream struct {
	*conn
	svc    *Service
	local  string
	remote string
	id     string // the stream id the other server chose (dialback key)
	bidi   bool
	method string // "external" or "dialback"
	done   atomic.Bool
	ended  atomic.Bool // our end tag (or error) was written
}

// dial opens an authenticated stream from local to remote, trying each
// place the remote server may be in turn. The error wraps ErrNotFound
// only when no place exists at all.
func (s *Service) dial(ctx context.Context, local, remote string) (*outStream, error) {
	targets, err := s.targets(ctx, remote)
	if err != nil {
		return nil, err
	}
	var errs []error
	found := false
	for _, t := range targets {
		addrs, err := s.lookupHost(ctx, t.host)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		found = true
		for _, a := range addrs {
			st, err := s.dialAddr(ctx, local, remote, t, a)
			if err == nil {
				return st, nil
			}
			errs = append(errs, fmt.Errorf("%s at %s: %w", t, a, err))
			if ctx.Err() != nil {
				return nil, ErrStopped
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("%w: %s: %w", ErrNotFound, remote, errors.Join(errs...))
	}
	return nil, errors.Join(errs...)
}

func (s *Service) dialAddr(ctx context.Context, local, remote string, t target, addr string) (*outStream, error) {
	d := net.Dialer{Timeout: s.cfg.ConnectTimeout}
	nc, err := d.DialContext(ctx, "tcp", net.JoinHostPort(addr, strconv.Itoa(t.port)))
	if err != nil {
		return nil, err
	}
	st := &outStream{conn: newConn(nc, s.cfg.XMLLimits, s.cfg.WriteTimeout), svc: s, local: local, remote: remote}
	// Reads during negotiation wait on deadlines, not ctx: the service
	// stopping closes the connection under them.
	defer context.AfterFunc(ctx, func() { nc.Close() })()
	st.setReadDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
	if t.directTLS {
		if err := st.startTLS(ctx, s.clientTLS(remote, true), false, s.cfg.HandshakeTimeout); err != nil {
			nc.Close()
			return nil, fmt.Errorf("TLS: %w", err)
		}
	}
	if err := st.negotiate(ctx); err != nil {
		s.authMetric("out", st.method, reason(err))
		var se *stream.Error
		if errors.As(err, &se) && se.Condition != stream.ConnectionTimeout {
			st.end(streamError(se))
		} else {
			st.end([]byte(stream.Close))
		}
		st.close()
		return nil, err
	}
	st.setReadDeadline(time.Time{})
	s.authMetric("out", st.method, "success")
	s.log.Info("stream to a remote server ready", "from", local, "to", remote, "addr", addr, "auth", st.method, "bidi", st.bidi)
	if m := s.cfg.Metrics.Streams; m != nil {
		m("out", 1)
	}
	return st, nil
}

func (s *Service) authMetric(direction, method, result string) {
	if m := s.cfg.Metrics.Auth; m != nil && method != "" {
		m(direction, method, result)
	}
}

// reason names an authentication failure for the metrics.
func reason(err error) string {
	switch {
	case errors.Is(err, ErrCertificate):
		return "certificate"
	case errors.Is(err, ErrTLSRequired):
		return "no-tls"
	case errors.Is(err, ErrAuth):
		return "refused"
	}
	return "error"
}

// negotiate runs the initiating side of the stream (RFC 6120 §4):
// STARTTLS, then SASL EXTERNAL with our certificate (XEP-0178) or, when
// it is not offered or fails, dialback (XEP-0220). A bidirectional
// stream is requested when offered, before authentication.
func (st *outStream) negotiate(ctx context.Context) error {
	s := st.svc
	triedExternal, authed := false, false
	for {
		if err := st.write(header(st.local, st.remote, "")); err != nil {
			return err
		}
		h, err := st.readHeader()
		if err != nil {
			return err
		}
		st.id = h.Attr("id")
		f, err := st.next()
		if err != nil {
			return err
		}
		if f.Space != ns.Stream || f.Name != "features" {
			return stream.Errorf(stream.UnsupportedFeature, "expected stream features")
		}
		if !st.secure {
			if child(f, ns.TLS, "starttls") {
				if err := st.startTLSClient(ctx); err != nil {
					return err
				}
				continue
			}
			if !s.cfg.AllowPlaintext {
				return fmt.Errorf("%w: %w", ErrTLSRequired, stream.Errorf(stream.PolicyViolation, "TLS is required"))
			}
		}
		if authed {
			return nil // the features of the authenticated stream: nothing more to do
		}
		if (st.secure || s.cfg.AllowPlaintext) && !st.bidi && child(f, ns.BidiFeature, "bidi") {
			if err := st.write([]byte("<bidi xmlns='" + ns.Bidi + "'/>")); err != nil {
				return err
			}
			st.bidi = true
		}
		if st.secure && !triedExternal && slices.Contains(mechanisms(f), "EXTERNAL") && len(s.cfg.Certificates) > 0 {
			triedExternal = true
			st.method = "external"
			ok, err := st.external()
			if err != nil {
				return err
			}
			if ok {
				authed = true
				st.restart()
				continue
			}
			s.authMetric("out", "external", "refused")
		}
		if s.cfg.Dialback && child(f, ns.DialbackFeature, "dialback") {
			st.method = "dialback"
			return st.dialback()
		}
		return fmt.Errorf("%w: %s offers no authentication we can do", ErrAuth, st.remote)
	}
}

func (st *outStream) startTLSClient(ctx context.Context) error {
	if err := st.write([]byte("<starttls xmlns='" + ns.TLS + "'/>")); err != nil {
		return err
	}
	el, err := st.next()
	if err != nil {
		return err
	}
	if el.Space != ns.TLS || el.Name != "proceed" {
		return fmt.Errorf("%w: STARTTLS refused", ErrTLSRequired)
	}
	if err := st.startTLS(ctx, st.svc.clientTLS(st.remote, false), false, st.svc.cfg.HandshakeTimeout); err != nil {
		return fmt.Errorf("TLS: %w", err)
	}
	st.restart()
	return nil
}

// external authenticates with our certificate (SASL EXTERNAL,
// XEP-0178); false when the other server refuses.
func (st *outStream) external() (bool, error) {
	auth := xml.NewElement(ns.SASL, "auth", xml.Attr{Name: "mechanism", Value: "EXTERNAL"}).
		SetText(base64.StdEncoding.EncodeToString([]byte(st.local)))
	if err := st.write(auth.Bytes(ns.Server)); err != nil {
		return false, err
	}
	el, err := st.next()
	if err != nil {
		return false, err
	}
	switch {
	case el.Space == ns.SASL && el.Name == "success":
		return true, nil
	case el.Space == ns.SASL && el.Name == "failure":
		cond := ""
		if len(el.Children) > 0 {
			cond = el.Children[0].Name
		}
		st.svc.log.Info("SASL EXTERNAL refused; trying dialback", "from", st.local, "to", st.remote, "condition", cond)
		return false, nil
	}
	return false, stream.Errorf(stream.UnsupportedStanzaType, "unexpected <"+el.Name+"/> during SASL")
}

// dialback asks the other server to verify our key with our own
// server (XEP-0220 §2.1) and waits for its verdict.
func (st *outStream) dialback() error {
	key := st.svc.dialbackKey(st.remote, st.local, st.id)
	if err := st.write(dialbackElement("result", st.local, st.remote, "", "", key)); err != nil {
		return err
	}
	for {
		el, err := st.next()
		if err != nil {
			return err
		}
		switch {
		case el.Space == ns.Dialback && el.Name == "verify":
			// The other server verifies a key with us on this stream.
			if err := st.svc.answerVerify(st.conn, el); err != nil {
				return err
			}
		case el.Space == ns.Dialback && el.Name == "result" && el.Attr("from") == st.remote && el.Attr("to") == st.local:
			switch el.Attr("type") {
			case "valid":
				return nil
			case "invalid":
				return fmt.Errorf("%w: %s found our dialback key invalid", ErrAuth, st.remote)
			default:
				return fmt.Errorf("%w: %s could not verify our dialback key: %s", ErrAuth, st.remote, errorCondition(el))
			}
		case el.Space == ns.Stream && el.Name == "error":
			return fmt.Errorf("%w: stream error %s", ErrAuth, errorCondition(el))
		default:
			return stream.Errorf(stream.NotAuthorized, "unexpected <"+el.Name+"/> during dialback")
		}
	}
}

// errorCondition names the condition inside an error element.
func errorCondition(el *xml.Element) string {
	if e := el.Child("", "error"); e != nil {
		el = e
	}
	for _, c := range el.Children {
		if c.Name != "text" {
			return c.Name
		}
	}
	return "unknown"
}

// usable reports whether stanzas may still be written (sender).
func (st *outStream) usable() bool { return !st.done.Load() && !st.ended.Load() }

// sendStanzas writes queued stanzas (sender).
func (st *outStream) sendStanzas(chunks [][]byte) error {
	if !st.usable() {
		return net.ErrClosed
	}
	st.touch()
	return st.write(chunks...)
}

// end writes our last bytes once (end tag, or error and end tag).
func (st *outStream) end(final []byte) {
	if st.ended.CompareAndSwap(false, true) {
		st.write(final)
		st.closeWrite()
	}
}

// shutdown ends the stream because the server stops.
func (st *outStream) shutdown() {
	st.end(streamError(stream.Errorf(stream.SystemShutdown, "")))
	st.setReadDeadline(time.Now().Add(closeGrace))
}

// run reads the stream once it is authenticated, until it ends: the
// other server's stanzas on a bidirectional stream, dialback
// verifications it asks of us, and its end. After IdleTimeout without
// stanzas either way, it closes the stream.
func (st *outStream) run(p *peer) {
	s := st.svc
	defer s.wg.Done()
	defer func() {
		st.done.Store(true)
		st.close()
		p.streamGone(st)
		if m := s.cfg.Metrics.Streams; m != nil {
			m("out", -1)
		}
	}()
	for {
		if st.ended.Load() {
			st.setReadDeadline(time.Now().Add(closeGrace))
		} else {
			st.setReadDeadline(time.Unix(0, st.lastUse.Load()).Add(s.cfg.IdleTimeout))
		}
		el, err := st.next()
		switch {
		case err == nil:
		case isTimeout(err) && !st.ended.Load() && st.idleFor() < s.cfg.IdleTimeout:
			continue
		case isTimeout(err) && !st.ended.Load():
			s.log.Debug("idle stream to a remote server closed", "from", st.local, "to", st.remote)
			st.end([]byte(stream.Close))
			continue
		case errors.Is(err, xml.ErrStreamClosed):
			st.end([]byte(stream.Close))
			return
		default:
			var se *stream.Error
			if errors.As(err, &se) && !st.ended.Load() && se.Condition != stream.ConnectionTimeout {
				s.log.Info("stream to a remote server ended with an error", "to", st.remote, "condition", se.Condition)
				st.end(streamError(se))
			}
			return
		}
		switch {
		case el.Space == ns.Stream && el.Name == "error":
			s.log.Info("remote server sent a stream error", "from", st.remote, "condition", errorCondition(el))
			st.end([]byte(stream.Close))
			return
		case el.Space == ns.Dialback && el.Name == "verify":
			if err := s.answerVerify(st.conn, el); err != nil {
				st.end(streamError(stream.Errorf(stream.InternalServerError, "")))
				return
			}
		case st.bidi && stanza.IsStanza(el):
			st.touch()
			if err := s.inbound(s.ctx, el, st); err != nil {
				var se *stream.Error
				if errors.As(err, &se) {
					s.log.Info("remote server broke the rules", "from", st.remote, "condition", se.Condition, "text", se.Text)
					st.end(streamError(se))
				}
				return
			}
		default:
			st.end(streamError(stream.Errorf(stream.UnsupportedStanzaType, "<"+el.Name+"/> is not expected on this stream")))
			return
		}
	}
}

// authorized implements authz: on our stream, only the remote domain
// may send, and only to our domain (XEP-0288).
func (st *outStream) authorized(remote, local string) (known, pair bool) {
	return remote == st.remote, remote == st.remote && local == st.local
}
