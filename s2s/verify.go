package s2s

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// authz tells which domains a stream authenticated: known is whether
// remote proved itself on it at all, paired whether it may send to
// local.
type authz interface {
	authorized(remote, local string) (known, paired bool)
}

// inbound checks a stanza another server sent on a stream and delivers
// it (RFC 6120 §8.1.1.2, §8.1.2.2): both addresses present, the sender
// of a domain the stream authenticated, the recipient of a domain it
// may send to. Anything else is a stream error: the stream ends.
func (s *Service) inbound(ctx context.Context, el *xml.Element, a authz) error {
	if el.Space != ns.Server {
		return stream.Errorf(stream.InvalidNamespace, "stanzas on a server stream are in jabber:server")
	}
	fromAttr, toAttr := el.Attr("from"), el.Attr("to")
	if fromAttr == "" || toAttr == "" {
		return stream.Errorf(stream.ImproperAddressing, "a stanza between servers needs from and to")
	}
	from, err := jid.Parse(fromAttr)
	if err != nil {
		return stream.Errorf(stream.InvalidFrom, "malformed from")
	}
	to, err := jid.Parse(toAttr)
	if err != nil {
		return stream.Errorf(stream.ImproperAddressing, "malformed to")
	}
	known, paired := a.authorized(from.Domain(), to.Domain())
	switch {
	case !known:
		return stream.Errorf(stream.InvalidFrom, from.Domain()+" is not authenticated on this stream")
	case !paired:
		return stream.Errorf(stream.HostUnknown, to.Domain()+" is not a domain of this stream")
	}
	if p := s.peer(from.Domain()); p != nil && p.limiter != nil {
		if err := p.limiter.Wait(ctx); err != nil {
			return stream.Errorf(stream.SystemShutdown, "")
		}
	}
	if m := s.cfg.Metrics.Stanzas; m != nil {
		m("in")
	}
	el = stanza.MapNamespace(el, ns.Server, ns.Client)
	s.cfg.Deliver(ctx, stanza.WithAddress(el, from.String(), to.String()))
	return nil
}

// answerVerify answers a db:verify as the authoritative server of its
// 'to' (XEP-0220 §2.2): is the key the one we gave for that stream?
func (s *Service) answerVerify(c *conn, el *xml.Element) error {
	receiving, originating, id := strings.ToLower(el.Attr("from")), strings.ToLower(el.Attr("to")), el.Attr("id")
	if receiving == "" || originating == "" || id == "" {
		return stream.Errorf(stream.ImproperAddressing, "db:verify needs from, to and id")
	}
	if !s.cfg.Local(originating) {
		return c.write(dialbackError("verify", originating, receiving, id, "item-not-found"))
	}
	typ := "invalid"
	if s.dialbackValid(strings.TrimSpace(el.Text), receiving, originating, id) {
		typ = "valid"
	}
	return c.write(dialbackElement("verify", originating, receiving, id, typ, ""))
}

// verifyDialback asks the authoritative server of originating whether
// key is the one it gave for stream id to receiving (XEP-0220 §2.1.3),
// on a connection of its own. That server must present a certificate
// valid for originating (or, for a trusted domain, naming it): dialback
// here never rests on DNS alone.
func (s *Service) verifyDialback(ctx context.Context, originating, receiving, id, key string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.HandshakeTimeout)
	defer cancel()
	targets, err := s.targets(ctx, originating)
	if err != nil {
		return false, err
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
			valid, err := s.verifyAt(ctx, originating, receiving, id, key, t, a)
			if err == nil {
				return valid, nil
			}
			errs = append(errs, fmt.Errorf("%s at %s: %w", t, a, err))
			if ctx.Err() != nil {
				return false, errors.Join(errs...)
			}
		}
	}
	if !found {
		return false, fmt.Errorf("%w: %w", ErrNotFound, errors.Join(errs...))
	}
	return false, errors.Join(errs...)
}

func (s *Service) verifyAt(ctx context.Context, originating, receiving, id, key string, t target, addr string) (bool, error) {
	d := net.Dialer{Timeout: s.cfg.ConnectTimeout}
	nc, err := d.DialContext(ctx, "tcp", net.JoinHostPort(addr, strconv.Itoa(t.port)))
	if err != nil {
		return false, err
	}
	c := newConn(nc, s.cfg.XMLLimits, s.cfg.WriteTimeout)
	defer c.close()
	defer context.AfterFunc(ctx, func() { nc.Close() })()
	if dl, ok := ctx.Deadline(); ok {
		c.setReadDeadline(dl)
	}
	if t.directTLS {
		if err := c.startTLS(ctx, s.clientTLS(originating, true), false, s.cfg.HandshakeTimeout); err != nil {
			return false, fmt.Errorf("TLS: %w", err)
		}
	}
	for {
		if err := c.write(header(receiving, originating, "")); err != nil {
			return false, err
		}
		if _, err := c.readHeader(); err != nil {
			return false, err
		}
		f, err := c.next()
		if err != nil {
			return false, err
		}
		if c.secure || f.Space != ns.Stream || f.Name != "features" {
			break
		}
		if !child(f, ns.TLS, "starttls") {
			if !s.cfg.AllowPlaintext {
				return false, ErrTLSRequired
			}
			break
		}
		if err := c.write([]byte("<starttls xmlns='" + ns.TLS + "'/>")); err != nil {
			return false, err
		}
		if el, err := c.next(); err != nil || el.Name != "proceed" {
			return false, fmt.Errorf("%w: STARTTLS refused", ErrTLSRequired)
		}
		if err := c.startTLS(ctx, s.clientTLS(originating, false), false, s.cfg.HandshakeTimeout); err != nil {
			return false, fmt.Errorf("TLS: %w", err)
		}
		c.restart()
	}
	if err := c.write(dialbackElement("verify", receiving, originating, id, "", key)); err != nil {
		return false, err
	}
	for {
		el, err := c.next()
		if err != nil {
			return false, err
		}
		if el.Space == ns.Stream && el.Name == "error" {
			return false, fmt.Errorf("stream error %s", errorCondition(el))
		}
		if el.Space != ns.Dialback || el.Name != "verify" || el.Attr("id") != id {
			continue
		}
		c.setReadDeadline(time.Now().Add(closeGrace))
		c.write([]byte(stream.Close))
		switch el.Attr("type") {
		case "valid":
			return true, nil
		case "invalid":
			return false, nil
		}
		return false, fmt.Errorf("the authoritative server could not verify: %s", errorCondition(el))
	}
}
