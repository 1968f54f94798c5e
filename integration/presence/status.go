package presence

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The HTTP presence endpoint of seed 004 (the old HTTP presence plugin):
//
//	GET /plugins/presence/status?jid=user@host[&req_jid=..][&type=image|xml|text]
//	    [&images=https://host/--IMAGE--.png][&available=URL&away=URL...][&size=32]
//
// Unlike the old plugin it is safe by default: a user's presence shows
// only if they opted in (store.PresenceSharing) or their domain is in
// presence.public_domains; otherwise the answer is the forbidden state.
// req_jid counts only with proof that the request speaks for it: a live
// PRESENCE token (token=<token string>, for servers polling), or a
// signed query (TID=<token ID>&K1=<digest> of StatusK1Message: the
// presence URL's message after the marker "<ENDPOINT><status>", so that
// the presence URLs a site publishes prove nothing here). The query
// obeys statusRules (no unknown or repeated parameter, no '<', '>',
// control character or non-UTF-8 byte), or is a 400. A user's token proves that user (who then sees their own
// presence and that of users who share theirs with them by
// subscription); a site's token (auth_presence_enabled) sees everyone,
// as on the presence URL. Custom images are 302 redirects to hosts in
// presence.image_hosts, never fetched by the server.

// stateParams are the per-state image overrides (seed 004 "[image_type]").
var stateParams = []State{Available, Chat, Away, XA, DND, Offline, Forbidden}

// imagePlaceholder is replaced by the state name in the images template.
const imagePlaceholder = "--IMAGE--"

// Status serves /plugins/presence/status.
func (s *Service) Status(w http.ResponseWriter, r *http.Request) {
	v, qerr := parseQuery(r.URL.RawQuery, statusRules)
	typ := v.Get("type")
	if typ == "" {
		typ = "image"
	}
	if typ != "image" && typ != "xml" && typ != "text" {
		plainError(w, http.StatusBadRequest, "type must be image, xml or text")
		return
	}
	size := Small
	if v.Get("size") == strconv.Itoa(Large) {
		size = Large
	}
	if qerr != nil {
		// Refused before any token or K1 is looked at: the message
		// is about the query's syntax only.
		s.statusError(w, r, typ, size, qerr.Error())
		return
	}
	bare, err := parseTarget(v.Get("jid"))
	group, isGroup := Snapshot{}, false
	if err == nil {
		group, isGroup = s.group(r.Context(), bare)
	}
	if err != nil || (!isGroup && !s.cfg.IsLocal(domainOf(bare))) {
		s.statusError(w, r, typ, size, "jid must be the bare JID of a user or support group of this server")
		return
	}
	overrides, err := s.imageOverrides(v)
	if err != nil {
		s.statusError(w, r, typ, size, err.Error())
		return
	}

	allowed, proven := s.mayView(r.Context(), v, bare)
	if isGroup {
		allowed = true // a support group's presence is public: sites show it to every visitor
	}
	cache := cachePublic
	if proven {
		cache = cachePrivate
	} else {
		// What anyone may read, any page may fetch (type=xml or text
		// from a script on another origin).
		w.Header().Set("Access-Control-Allow-Origin", "*")
	}
	st, status, prio := Forbidden, "", 0
	if allowed {
		snap := group
		if !isGroup {
			snap = s.user(r.Context(), bare)
		}
		st = snap.State()
		if rp, ok := snap.Default(); ok {
			status, prio = rp.Status, rp.Priority
		}
	}
	w.Header().Set("X-Presence-State", string(st))
	code := http.StatusOK
	if st == Forbidden && typ != "image" {
		code = http.StatusForbidden
	}
	switch typ {
	case "xml":
		writeBody(w, r, code, "application/xml; charset=utf-8", cache, presenceXML(bare, st, status, prio))
	case "text":
		body := string(st) + "\n"
		if status != "" {
			body += status + "\n"
		}
		writeBody(w, r, code, "text/plain; charset=utf-8", cache, []byte(body))
	default:
		if target, ok := overrides[st]; ok {
			w.Header().Set("Cache-Control", cache)
			http.Redirect(w, r, target, http.StatusFound)
			return
		}
		writeBody(w, r, code, "image/png", cache, Icon(0, st, size))
	}
}

// statusError answers a bad request: 400 with a message, or for images
// the error icon (still 400, which browsers draw anyway).
func (s *Service) statusError(w http.ResponseWriter, r *http.Request, typ string, size int, msg string) {
	if typ == "image" {
		w.Header().Set("X-Presence-Error", msg)
		writeBody(w, r, http.StatusBadRequest, "image/png", "no-store", Icon(0, Error, size))
		return
	}
	plainError(w, http.StatusBadRequest, msg)
}

func plainError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}

// imageOverrides resolves the images template and the per-state
// parameters into a redirect target per state; every URL must be http
// or https on an allow-listed host, checked before presence is read so
// the answer does not depend on it.
func (s *Service) imageOverrides(v url.Values) (map[State]string, error) {
	out := make(map[State]string)
	if tmpl := v.Get("images"); tmpl != "" {
		if !strings.Contains(tmpl, imagePlaceholder) {
			return nil, fmt.Errorf("images must contain %s", imagePlaceholder)
		}
		for _, st := range stateParams {
			out[st] = strings.ReplaceAll(tmpl, imagePlaceholder, string(st))
		}
	}
	for _, st := range stateParams {
		if u := v.Get(string(st)); u != "" {
			out[st] = u
		}
	}
	for st, u := range out {
		if err := s.allowedImage(u); err != nil {
			return nil, fmt.Errorf("image for %s: %w", st, err)
		}
	}
	return out, nil
}

func (s *Service) allowedImage(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	if !s.hosts[strings.ToLower(u.Hostname())] {
		return fmt.Errorf("host %q is not in presence.image_hosts", u.Hostname())
	}
	return nil
}

// mayView decides whether the request may see bare's presence, and
// whether it proved who asks (the answer is then private to it).
func (s *Service) mayView(ctx context.Context, v url.Values, bare string) (allowed, proven bool) {
	if tok, ok := s.proof(ctx, v); ok {
		switch {
		case tok.EntityType != EntityUser:
			return true, true // a site with presence enabled sees what the presence URL shows
		case v.Get("req_jid") != "" && !s.cfg.Tokens.IssuedTo(tok, v.Get("req_jid")):
			// The proof is another user's: req_jid stays unproven.
		case tok.EntityID == bare || s.cfg.Store.Subscribed(ctx, bare, tok.EntityID):
			return true, true
		default:
			proven = true
		}
	}
	if s.public[domainOf(bare)] {
		return true, proven
	}
	shared, err := s.cfg.Store.PresenceShared(ctx, bare)
	if err != nil {
		s.log.Warn("presence sharing lookup failed", "jid", bare, "err", err)
		return false, proven
	}
	return shared, proven
}

// proof returns the live PRESENCE token the request carries, if any:
// token=<token string>, or TID=<token ID> with a K1 over the query
// signed for this endpoint (StatusK1Message: a presence URL's K1 does
// not prove anything here).
func (s *Service) proof(ctx context.Context, v url.Values) (Token, bool) {
	var tok Token
	var err error
	switch {
	case v.Get("token") != "":
		tok, err = s.cfg.Tokens.Token(ctx, v.Get("token"))
	case v.Get("TID") != "" && v.Get("K1") != "":
		tok, err = s.cfg.Tokens.TokenByID(ctx, v.Get("TID"))
		if err == nil && !VerifyStatusK1(tok.Value, v, v.Get("K1")) {
			return Token{}, false
		}
	default:
		return Token{}, false
	}
	if err != nil || !tok.Has("PRESENCE") || !s.cfg.Tokens.PresenceAllowed(ctx, tok) {
		return Token{}, false
	}
	return tok, true
}

// presenceXML is the xml type's answer: a presence stanza built afresh
// (the user's own stanza may carry extensions not meant for the web).
func presenceXML(bare string, st State, status string, prio int) []byte {
	var b bytes.Buffer
	esc := func(s string) { xml.EscapeText(&b, []byte(s)) }
	b.WriteString(`<presence from="`)
	esc(bare)
	b.WriteString(`"`)
	switch st {
	case Forbidden:
		b.WriteString(` type="error"><error type="auth" code="403"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></presence>`)
		return b.Bytes()
	case Offline:
		b.WriteString(` type="unavailable"/>`)
		return b.Bytes()
	}
	b.WriteString(">")
	if st != Available {
		b.WriteString("<show>" + string(st) + "</show>")
	}
	if status != "" {
		b.WriteString("<status>")
		esc(status)
		b.WriteString("</status>")
	}
	b.WriteString("<priority>" + strconv.Itoa(prio) + "</priority></presence>")
	return b.Bytes()
}
