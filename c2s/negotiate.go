package c2s

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parley-im/parley/loginlimit"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/sasl"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// negotiate runs one stream (header, features, negotiation elements)
// until a restart is due (after STARTTLS or SASL success: restart is
// true) or a resource is bound.
func (s *Session) negotiate(ctx context.Context) (restart bool, err error) {
	if err := s.readHeader(); err != nil {
		return false, err
	}
	if err := s.sendFeatures(); err != nil {
		return false, err
	}
	for {
		el, err := s.tr.Next()
		if err != nil {
			return false, stream.ReadError(err)
		}
		if s.closed.Load() {
			return false, errStreamEnded
		}
		if el.Space == ns.SASL && el.Name == "auth" {
			// RFC 6120 §6.4.5: a reasonable number of retries, then
			// <policy-violation/>. Every attempt counts, those refused
			// before TLS included: each costs a parse and a reply.
			if s.authAttempts++; s.srv.cfg.MaxAuthAttempts > 0 && s.authAttempts > s.srv.cfg.MaxAuthAttempts {
				return false, stream.Errorf(stream.PolicyViolation, "too many authentication attempts")
			}
		}
		switch {
		case el.Space == ns.TLS && el.Name == "starttls":
			return true, s.startTLS(ctx)
		case !s.secure && s.srv.cfg.RequireTLS:
			if el.Space == ns.SASL && el.Name == "auth" {
				s.saslFailure("encryption-required", "")
				continue
			}
			return false, stream.Errorf(stream.NotAuthorized, "STARTTLS is required")
		case el.Space == ns.SASL && el.Name == "auth" && !s.authed:
			ok, err := s.authenticate(ctx, el)
			if err != nil || ok {
				return ok, err
			}
		case s.authed && el.Space == ns.SM:
			if err := s.negotiateSM(ctx, el); err != nil || s.resumedInto.Load() != nil {
				return false, err
			}
		case !s.authed && s.registrationOffered() && el.Space == ns.Client && el.Name == stanza.IQ && isRegistration(el):
			if err := s.writeDirect(s.srv.cfg.Register(ctx, s.domain, s.remote, el).Bytes(s.content)); err != nil {
				return false, err
			}
		case s.authed && el.Space == ns.Client && el.Name == stanza.IQ:
			if err := s.negotiationIQ(ctx, el); err != nil {
				return false, err
			}
			if s.bound {
				return false, nil
			}
		default:
			return false, stream.Errorf(stream.NotAuthorized, "authenticate and bind a resource first")
		}
	}
}

// readHeader reads and checks the client's stream header.
func (s *Session) readHeader() error {
	// Every stream, restarts after STARTTLS and SASL included, gets a
	// fresh id (RFC 6120 §4.7.3): a reused one would let an attacker who
	// saw the first stream's id tie it to the protected one.
	s.streamID = randomID()
	h, err := s.tr.ReadHeader()
	if err != nil {
		var se *stream.Error
		if errors.As(err, &se) || errors.Is(err, xml.ErrNotWellFormed) || errors.Is(err, xml.ErrRestrictedXML) {
			s.sendHeaderForError()
		}
		return stream.ReadError(err)
	}
	to := strings.ToLower(h.Attr("to"))
	if s.domain == "" {
		s.domain = to
	}
	switch {
	case to == "" || !s.srv.isLocal(to) || to != s.domain:
		s.domain = s.srv.defaultDomain()
		s.sendHeaderForError()
		return stream.Errorf(stream.HostUnknown, "this server does not serve that domain")
	case !strings.HasPrefix(h.Attr("version"), "1."):
		s.sendHeaderForError()
		return stream.Errorf(stream.UnsupportedVersion, "XMPP 1.0 is required")
	}
	if l := h.Attr("xml:lang"); l != "" && len(l) < 36 {
		s.lang = l
	}
	return nil
}

// sendHeaderForError opens our side of the stream so that a stream
// error can follow it (RFC 6120 §4.9.1.2).
func (s *Session) sendHeaderForError() {
	if s.domain == "" {
		s.domain = s.srv.defaultDomain()
	}
	s.openStream(s.tr.Header(stream.Header{From: s.domain, ID: s.streamID, Content: ns.Client, Lang: "en"}))
}

// openStream writes our stream header (and what follows it), unless the
// stream was closed meanwhile: Close then sent a header itself.
func (s *Session) openStream(chunks ...[]byte) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return errStreamEnded
	}
	s.headerSent = true
	s.mu.Unlock()
	return s.writeDirect(chunks...)
}

// restarted notes a stream restart: our next header opens a new stream.
func (s *Session) restarted() {
	s.mu.Lock()
	s.headerSent = false
	s.mu.Unlock()
}

// sendFeatures writes our stream header and the features of the
// current negotiation stage.
func (s *Session) sendFeatures() error {
	header := s.tr.Header(stream.Header{From: s.domain, ID: s.streamID, Content: ns.Client, Lang: "en"})
	var features []*xml.Element
	switch {
	case s.authed:
		features = append(features,
			xml.NewElement(ns.Bind, "bind"),
			xml.NewElement(ns.Session, "session").AddChild(xml.NewElement(ns.Session, "optional")),
			xml.NewElement(ns.RosterVer, "ver"),
			xml.NewElement(ns.PreApproval, "sub"),
			xml.NewElement(ns.SM, "sm"),
			xml.NewElement(ns.CSI, "csi"),
		)
	case !s.secure && s.srv.cfg.TLS != nil && s.canStartTLS():
		st := xml.NewElement(ns.TLS, "starttls")
		if s.srv.cfg.RequireTLS {
			st.AddChild(xml.NewElement(ns.TLS, "required"))
		}
		features = append(features, st)
		if !s.srv.cfg.RequireTLS {
			features = append(features, s.mechanisms())
			if s.registrationOffered() {
				features = append(features, xml.NewElement(ns.RegisterFeat, "register"))
			}
		}
	default:
		features = append(features, s.mechanisms())
		if s.registrationOffered() {
			features = append(features, xml.NewElement(ns.RegisterFeat, "register"))
		}
	}
	return s.openStream(header, s.streamElement(stream.Features(features...)))
}

// registrationOffered reports whether this stream may create an account
// in band: registration is on, and the domain is not one whose users log
// in with bearer tickets only.
func (s *Session) registrationOffered() bool {
	return s.srv.cfg.Register != nil && !s.srv.bearerOnly(s.domain)
}

// isRegistration reports an iq carrying in-band registration (XEP-0077).
func isRegistration(iq *xml.Element) bool {
	return len(iq.Children) == 1 && iq.Children[0].Space == ns.Register && iq.Children[0].Name == "query"
}

func (s *Session) canStartTLS() bool {
	_, ok := s.tr.(tlsStarter)
	return ok
}

func (s *Session) mechanisms() *xml.Element {
	m := xml.NewElement(ns.SASL, "mechanisms")
	if s.srv.bearerOnly(s.domain) {
		return m.AddChild(xml.NewElement(ns.SASL, "mechanism").SetText(sasl.OAuthBearer))
	}
	for _, name := range sasl.Mechanisms {
		if name == "PLAIN" && !s.secure {
			continue // never a clear-text password over a clear-text stream
		}
		m.AddChild(xml.NewElement(ns.SASL, "mechanism").SetText(name))
	}
	if s.srv.cfg.Tickets != nil {
		// Last: clients choose by their own preference, and those
		// without a ticket never pick it.
		m.AddChild(xml.NewElement(ns.SASL, "mechanism").SetText(sasl.OAuthBearer))
	}
	return m
}

func (s *Session) startTLS(ctx context.Context) error {
	st, ok := s.tr.(tlsStarter)
	if s.secure || s.srv.cfg.TLS == nil || !ok {
		s.writeDirect([]byte("<failure xmlns='" + ns.TLS + "'/>"))
		return stream.Errorf(stream.PolicyViolation, "TLS is not available on this stream")
	}
	if err := s.writeDirect([]byte("<proceed xmlns='" + ns.TLS + "'/>")); err != nil {
		return err
	}
	if err := st.StartTLS(ctx, s.srv.cfg.TLS, time.Until(s.loginBy)); err != nil {
		return err
	}
	s.secure = true
	return nil
}

// authenticate runs one SASL exchange (RFC 6120 §6.4). It returns true
// on success (the stream restarts), false after a failure the client
// may retry.
func (s *Session) authenticate(ctx context.Context, auth *xml.Element) (bool, error) {
	mechName := auth.Attr("mechanism")
	addr := addrKey(s.remote)
	if s.srv.logins.CheckAddress(addr) == loginlimit.Refuse {
		s.srv.metrics.AuthTotal.WithLabelValues(mechName, "throttled").Inc()
		s.saslFailure("temporary-auth-failure", "too many failed attempts, try again later")
		return false, nil
	}
	if mechName == "PLAIN" && !s.secure {
		s.saslFailure("invalid-mechanism", "")
		return false, nil
	}
	mech, err := s.mechanism(mechName, addr)
	if err != nil {
		s.saslFailure("invalid-mechanism", "")
		return false, nil
	}
	data, ok := decodeSASL(auth.Text)
	if !ok {
		s.saslFailure("incorrect-encoding", "")
		return false, nil
	}
	for {
		out, done, err := mech.Next(ctx, data)
		if err != nil {
			return false, s.authFailed(mechName, mech, err)
		}
		if done {
			return s.authSucceeded(mechName, mech, out)
		}
		if err := s.writeDirect(saslElement("challenge", out)); err != nil {
			return false, err
		}
		el, err := s.tr.Next()
		if err != nil {
			return false, stream.ReadError(err)
		}
		if s.closed.Load() {
			return false, errStreamEnded
		}
		switch {
		case el.Space == ns.SASL && el.Name == "response":
			if data, ok = decodeSASL(el.Text); !ok {
				s.saslFailure("incorrect-encoding", "")
				return false, nil
			}
		case el.Space == ns.SASL && el.Name == "abort":
			s.saslFailure("aborted", "")
			return false, nil
		default:
			return false, stream.Errorf(stream.NotAuthorized, "unexpected element during authentication")
		}
	}
}

// mechanism starts the exchange the client picked: OAUTHBEARER on a
// bearer domain; elsewhere a password mechanism, or OAUTHBEARER with a
// ticket of Parley's pages (Config.Tickets).
func (s *Session) mechanism(name, addr string) (sasl.Mechanism, error) {
	if s.srv.bearerOnly(s.domain) {
		if name != sasl.OAuthBearer {
			return nil, sasl.ErrInvalidMechanism
		}
		domain, verify := s.domain, s.srv.cfg.Bearer.Verify
		return sasl.NewOAuthBearer(func(ctx context.Context, authzid, ticket string) (string, error) {
			return verify(ctx, domain, authzid, ticket)
		}), nil
	}
	if name == sasl.OAuthBearer && s.srv.cfg.Tickets != nil {
		domain, verify := s.domain, s.srv.cfg.Tickets.Verify
		return sasl.NewOAuthBearer(func(ctx context.Context, authzid, ticket string) (string, error) {
			return verify(ctx, domain, authzid, ticket)
		}), nil
	}
	opts := []sasl.Option{sasl.WithGate(s.loginGate(addr))}
	if s.srv.cfg.SASLSecret != nil {
		opts = append(opts, sasl.WithSecret(s.srv.cfg.SASLSecret))
	}
	return sasl.NewServer(name, s.srv.credentialLookup(s.domain), opts...)
}

func (s *Session) authSucceeded(mechName string, mech sasl.Mechanism, out []byte) (bool, error) {
	user, err := jid.New(mech.Identity(), s.domain, "")
	if err != nil {
		return false, s.authFailed(mechName, mech, sasl.ErrNotAuthorized)
	}
	if az := mech.Authzid(); az != "" {
		if a, err := jid.Parse(az); err != nil || a != user {
			s.srv.metrics.AuthTotal.WithLabelValues(mechName, "invalid-authzid").Inc()
			s.saslFailure("invalid-authzid", "")
			return false, nil
		}
	}
	if !s.srv.loggedIn(s) {
		return false, errStreamEnded // it gave its pre-login slot to another connection
	}
	if err := s.writeDirect(saslElement("success", out)); err != nil {
		return false, err
	}
	s.tr.SetMaxStanzaBytes(s.srv.cfg.XMLLimits.MaxStanzaBytes)
	s.srv.metrics.AuthTotal.WithLabelValues(mechName, "success").Inc()
	s.authed = true
	s.user = user.String()
	s.logger().Info("authenticated", "user", s.user, "mechanism", mechName)
	return true, nil
}

// loginGate is the SASL gate of an attempt from addr (loginlimit): once
// the client names its account, a throttled attempt is refused before
// any credential is touched, and one on an account under attack from an
// address without failures waits before it is checked.
func (s *Session) loginGate(addr string) func(ctx context.Context, username string) error {
	return func(ctx context.Context, username string) error {
		switch s.srv.logins.Check(addr, accountKey(username, s.domain)) {
		case loginlimit.Refuse:
			return fmt.Errorf("%w: %w", sasl.ErrTemporaryAuthFailure, errThrottled)
		case loginlimit.Slow:
			t := time.NewTimer(s.srv.logins.Delay())
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				return fmt.Errorf("%w: %w", sasl.ErrTemporaryAuthFailure, ctx.Err())
			}
		}
		return nil
	}
}

func (s *Session) authFailed(mechName string, mech sasl.Mechanism, err error) error {
	cond, text := "not-authorized", ""
	switch {
	case errors.Is(err, sasl.ErrMalformedRequest):
		cond = "malformed-request"
	case errors.Is(err, errThrottled):
		cond, text = "temporary-auth-failure", "too many failed attempts, try again later"
		s.srv.metrics.AuthTotal.WithLabelValues(mechName, "throttled").Inc()
		s.logger().Info("authentication throttled", "user", mech.Username(), "mechanism", mechName)
		s.saslFailure(cond, text)
		return nil
	case errors.Is(err, sasl.ErrTemporaryAuthFailure):
		cond = "temporary-auth-failure"
		s.logger().Error("authentication backend", "err", err)
	case errors.Is(err, sasl.ErrInvalidAuthzid):
		cond = "invalid-authzid"
	}
	s.srv.metrics.AuthTotal.WithLabelValues(mechName, cond).Inc()
	if cond == "not-authorized" {
		// Charged to the account the client named, existing or not.
		s.srv.logins.Failed(addrKey(s.remote), accountKey(mech.Username(), s.domain))
		s.logger().Info("authentication failed", "user", mech.Username(), "mechanism", mechName)
	}
	s.saslFailure(cond, text)
	return nil
}

func (s *Session) saslFailure(cond, text string) {
	f := xml.NewElement(ns.SASL, "failure")
	f.AddChild(xml.NewElement(ns.SASL, cond))
	if text != "" {
		f.AddChild(xml.NewElement(ns.SASL, "text").SetText(text))
	}
	s.writeDirect(f.Bytes(s.content))
}

func saslElement(name string, data []byte) []byte {
	el := xml.NewElement(ns.SASL, name)
	if len(data) > 0 {
		el.SetText(base64.StdEncoding.EncodeToString(data))
	}
	return el.Bytes("")
}

// decodeSASL decodes a SASL payload: "" is no data, "=" an empty
// response (RFC 6120 §6.4.2).
func decodeSASL(text string) ([]byte, bool) {
	text = strings.TrimSpace(text)
	switch text {
	case "":
		return nil, true
	case "=":
		return []byte{}, true
	}
	b, err := base64.StdEncoding.DecodeString(text)
	return b, err == nil
}

// negotiationIQ handles resource binding and the legacy session
// establishment (RFC 6120 §7, RFC 3921 §3).
func (s *Session) negotiationIQ(ctx context.Context, iq *xml.Element) error {
	if iq.Attr("type") != "set" || len(iq.Children) != 1 {
		return stream.Errorf(stream.NotAuthorized, "bind a resource first")
	}
	payload := iq.Children[0]
	switch {
	case payload.Space == ns.Session && payload.Name == "session":
		s.writeDirect(stanza.Result(iq).Bytes(s.content))
		return nil
	case payload.Space != ns.Bind || payload.Name != "bind":
		return stream.Errorf(stream.NotAuthorized, "bind a resource first")
	}
	bare, _ := jid.Parse(s.user)
	resource := ""
	if r := payload.Child(ns.Bind, "resource"); r != nil {
		resource = strings.TrimSpace(r.Text)
	}
	if resource == "" {
		resource = "parley-" + randomID()[:12]
	}
	full, err := bare.WithResource(resource)
	if err != nil {
		s.writeDirect(stanza.Error(iq, stanza.BadRequest, "invalid resource").Bytes(s.content))
		return nil
	}
	s.jid = full
	if !s.srv.claimAccountSession(s, full.Resource()) {
		// RFC 6120 §7.6.2.1: the account has reached its limit of
		// simultaneous resources.
		s.logger().Info("session refused: too many sessions for the account", "user", s.user)
		s.srv.metrics.ConnRejected.WithLabelValues("max_sessions_per_account").Inc()
		s.jid = jid.JID{}
		s.writeDirect(stanza.Error(iq, stanza.ResourceConstraint, "too many sessions for this account: end one first").Bytes(s.content))
		return nil
	}
	if err := s.srv.handler.SessionStarted(ctx, s); err != nil {
		s.logger().Error("session start", "jid", full.String(), "err", err)
		s.srv.dropAccountSession(s)
		s.jid = jid.JID{}
		s.writeDirect(stanza.Error(iq, stanza.InternalServerError, "").Bytes(s.content))
		return nil
	}
	s.bound = true
	s.srv.metrics.Sessions.Inc()
	s.logger().Info("session started", "jid", full.String(), "tls", s.secure)
	bind := xml.NewElement(ns.Bind, "bind").AddChild(xml.NewElement(ns.Bind, "jid").SetText(full.String()))
	reply := stanza.NewIQ("result", iq.Attr("id"), "", "", bind)
	return s.writeDirect(reply.Bytes(s.content))
}
