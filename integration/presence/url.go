package presence

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The presence URL (seed 001 chapters 3 and 4):
//
//	GET /imtapp/Presence?TID=..&R_UID=..&R_MODE=IMG|JS&R_OP=1..5&R_RES=..&K1=..
//
// R_MODE defaults to IMG (chapter 4). The unprefixed aliases UID, MODE,
// OP and RES, and R_TID and R_K1, are accepted. R_SIZE (or SIZE) 32 asks
// for the large icons; ts only makes URLs differ. No other parameter, no
// parameter twice, no alias beside its R_ name, and no value with '<',
// '>', a control character or bytes that are not UTF-8 (parseQuery:
// this keeps K1's encoding unambiguous and its digest unextendable).
// Every failure (a refused query, no or dead token, a token without
// PRESENCE, a site without presence enabled, a bad K1, a bad or foreign
// JID, a user token asking for someone else) gives the same answer: the
// error image in IMG mode, show OFFLINE and status Offline in JS mode,
// with status 200 and the same headers as a success, so a page cannot
// tell which check failed.

// decoyToken stands in for the token when the TID names none.
const decoyToken = "0_decoydecoydecoydecoydecoydecoydecoydecoy"

// urlParams are the parsed presence URL parameters.
type urlParams struct {
	values url.Values
	tid    string
	k1     string
	uid    string
	js     bool
	set    int
	res    string
	size   int
}

// param returns the first non-empty value of any of names.
func param(v url.Values, names ...string) string {
	for _, n := range names {
		if s := v.Get(n); s != "" {
			return s
		}
	}
	return ""
}

// parseURLParams parses the query under presenceURLRules; it reports
// why the request must fail ("" when it may go on to the token and K1
// checks). The mode is read even from a refused query, so that the
// failure has the form the page asked for.
func parseURLParams(raw string) (urlParams, string) {
	v, err := parseQuery(raw, presenceURLRules)
	p := urlParams{values: v, size: Small}
	mode := strings.ToUpper(param(v, "R_MODE", "MODE"))
	p.js = mode == "JS"
	if err != nil {
		return p, err.Error()
	}
	p.tid = param(v, "TID", "R_TID")
	p.k1 = param(v, "K1", "R_K1")
	p.uid = param(v, "R_UID", "UID")
	p.res = param(v, "R_RES", "RES")
	if op, err := strconv.Atoi(param(v, "R_OP", "OP")); err == nil && op >= 1 && op <= MaxIconSet {
		p.set = op
	}
	if param(v, "R_SIZE", "SIZE") == strconv.Itoa(Large) {
		p.size = Large
	}
	if mode != "" && mode != "IMG" && mode != "JS" {
		return p, "R_MODE is neither IMG nor JS"
	}
	return p, ""
}

// PresenceURL serves /imtapp/Presence.
func (s *Service) PresenceURL(w http.ResponseWriter, r *http.Request) {
	p, reason := parseURLParams(r.URL.RawQuery)
	st, status := Error, ""
	if reason == "" {
		st, status, reason = s.presenceURL(r.Context(), p)
	}
	if reason != "" {
		// Debug only: the client learns nothing, the operator may.
		s.log.Debug("presence URL refused", "reason", reason, "tid", p.tid)
	}
	if p.js {
		show, text := st.Show(), status
		if st == Error {
			show, text = "OFFLINE", "Offline"
		} else if text == "" {
			text = st.Label()
		}
		writeBody(w, r, http.StatusOK, "application/javascript; charset=utf-8", cachePrivate, jsBody(text, show))
		return
	}
	if st == Error && s.cfg.ErrorAsOffline {
		st = Offline
	}
	writeBody(w, r, http.StatusOK, "image/png", cachePrivate, Icon(p.set, st, p.size))
}

// presenceURL checks a presence URL request; on failure it returns
// Error and why (for the log).
func (s *Service) presenceURL(ctx context.Context, p urlParams) (st State, status, reason string) {
	if p.tid == "" || p.k1 == "" || p.uid == "" {
		return Error, "", "missing TID, K1 or R_UID"
	}
	tok, err := s.cfg.Tokens.TokenByID(ctx, p.tid)
	if err != nil {
		// Check K1 anyway, so an unknown TID costs what a known one does.
		VerifyK1(decoyToken, p.values, p.k1)
		return Error, "", "no live token with this TID"
	}
	if !VerifyK1(tok.Value, p.values, p.k1) {
		return Error, "", "K1 does not match"
	}
	if !tok.Has("PRESENCE") {
		return Error, "", "token lacks the PRESENCE policy"
	}
	if !s.cfg.Tokens.PresenceAllowed(ctx, tok) {
		return Error, "", "entity may not obtain presence"
	}
	bare, err := parseTarget(p.uid)
	if err != nil {
		return Error, "", "R_UID is not a JID"
	}
	snap, served := s.lookup(ctx, bare)
	if !served {
		return Error, "", "R_UID is not a local user or support group"
	}
	if !s.mayRead(ctx, tok, bare) {
		return Error, "", "a user token asked for another user"
	}
	if p.res != "" {
		if rp, ok := snap.Resource(p.res); ok {
			return rp.State, rp.Status, ""
		}
		return Offline, "", ""
	}
	if rp, ok := snap.Default(); ok {
		return rp.State, rp.Status, ""
	}
	return Offline, "", ""
}

// jsBody is the JS mode's script: it assigns the seed's standard
// variables status and show. json.Marshal escapes <, >, & and U+2028/9,
// so a status message cannot end the script or inject into it.
func jsBody(status, show string) []byte {
	st, _ := json.Marshal(status)
	sh, _ := json.Marshal(show)
	return []byte("var status = " + string(st) + ";\nvar show = " + string(sh) + ";\n")
}
