package web

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/parley-im/parley/c2s"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// BOSH (XEP-0124, XEP-0206) as this server speaks it: at most one held
// request (hold 1, requests 2), requests answered after BOSHMaxWait at
// the latest, responses kept for the replay window, and a session that
// sees no request for BOSHInactivity (or the pause the client asked
// for) is over. Session keys (XEP-0124 §15) are not supported: they
// only matter without TLS, which BOSH here never needs.
const (
	boshMaxHold  = 1
	boshVersion  = "1.11"
	boshPolling  = 2 // seconds a polling client (hold 0) should leave between requests
	boshMaxBytes = 1 << 20
)

// boshSessions is the table of live BOSH sessions.
type boshSessions struct {
	w  *Web
	mu sync.Mutex
	m  map[string]*boshSession
}

func newBOSHSessions(w *Web) *boshSessions {
	return &boshSessions{w: w, m: make(map[string]*boshSession)}
}

func (t *boshSessions) get(sid string) *boshSession {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[sid]
}

func (t *boshSessions) add(s *boshSession) {
	t.mu.Lock()
	t.m[s.sid] = s
	t.mu.Unlock()
}

func (t *boshSessions) remove(s *boshSession) {
	t.mu.Lock()
	if t.m[s.sid] == s {
		delete(t.m, s.sid)
	}
	t.mu.Unlock()
}

func (t *boshSessions) closeAll() {
	t.mu.Lock()
	all := make([]*boshSession, 0, len(t.m))
	for _, s := range t.m {
		all = append(all, s)
	}
	t.mu.Unlock()
	for _, s := range all {
		s.Close()
	}
}

// serveBOSH handles one HTTP request of the BOSH endpoint.
func (w *Web) serveBOSH(rw http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	allowed := w.originAllowed(origin)
	if origin != "" && allowed {
		h := rw.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Content-Type")
		h.Set("Access-Control-Max-Age", "86400")
		h.Add("Vary", "Origin")
	}
	switch {
	case !allowed:
		http.Error(rw, "this origin may not use BOSH here (http.allowed_origins)", http.StatusForbidden)
		return
	case r.Method == http.MethodOptions:
		rw.WriteHeader(http.StatusNoContent)
		return
	case r.Method == http.MethodGet:
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(rw, "Parley BOSH endpoint (XEP-0206): POST <body/> elements here.\n")
		return
	case r.Method != http.MethodPost:
		rw.Header().Set("Allow", "GET, POST, OPTIONS")
		http.Error(rw, "BOSH takes POST requests", http.StatusMethodNotAllowed)
		return
	}
	limit := max(w.cfg.XMLLimits.MaxStanzaBytes, 64<<10) + 4096
	data, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, int64(limit)))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeBody(rw, http.StatusRequestEntityTooLarge, terminate("policy-violation"))
		return
	case isTimeout(err):
		// The body did not arrive within http.body_timeout (the
		// deadline the server sets on every request with a body).
		writeBody(rw, http.StatusRequestTimeout, terminate("policy-violation"))
		return
	case err != nil:
		return // the client went away
	}
	lim := w.cfg.XMLLimits
	lim.MaxStanzaBytes, lim.MaxDepth = limit, lim.MaxDepth+1
	body, err := xml.ParseElement(bytes.TrimSpace(data), "", lim)
	if err != nil || body.Space != ns.HTTPBind || body.Name != "body" {
		writeBody(rw, http.StatusBadRequest, terminate("bad-request"))
		return
	}
	rid, err := strconv.ParseInt(body.Attr("rid"), 10, 64)
	if err != nil || rid <= 0 {
		writeBody(rw, http.StatusBadRequest, terminate("bad-request"))
		return
	}
	if sid := body.Attr("sid"); sid != "" {
		s := w.bosh.get(sid)
		if s == nil {
			writeBody(rw, http.StatusOK, terminate("item-not-found"))
			return
		}
		s.handle(rw, r, rid, body)
		return
	}
	w.createBOSH(rw, r, rid, body)
}

// createBOSH starts a session from a session creation request.
func (w *Web) createBOSH(rw http.ResponseWriter, r *http.Request, rid int64, body *xml.Element) {
	s := newBOSHSession(w, rid, body)
	w.bosh.add(s)
	ip, secure := w.client(r)
	w.log.Debug("bosh session created", "sid", s.sid, "remote", ip)
	go func() {
		err := w.c2s.ServeTransport(w.ctx, s, "bosh", ip, secure)
		if errors.Is(err, c2s.ErrRejected) {
			w.log.Warn("bosh session refused", "remote", ip, "err", err)
			s.end("policy-violation")
		}
	}()
	s.handle(rw, r, rid, body)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func writeBody(rw http.ResponseWriter, status int, b []byte) {
	rw.Header().Set("Content-Type", "text/xml; charset=utf-8")
	rw.WriteHeader(status)
	rw.Write(b)
}

// terminate is a terminal response outside any session.
func terminate(condition string) []byte {
	return []byte("<body xmlns='" + ns.HTTPBind + "' type='terminate' condition='" + condition + "'/>")
}

func randomSID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
