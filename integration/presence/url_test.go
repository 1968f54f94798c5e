package presence

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// signedURL builds a presence URL for tok with a SHA-1 K1.
func signedURL(tok Token, params string) string {
	v, err := url.ParseQuery(params)
	if err != nil {
		panic(err)
	}
	return "/imtapp/Presence?TID=" + tok.ID + "&" + params + "&K1=" + K1(tok.Value, v)
}

func get(h http.HandlerFunc, target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h(rec, req)
	return rec
}

func jsOf(status, show string) string {
	return fmt.Sprintf("var status = %q;\nvar show = %q;\n", status, show)
}

func TestPresenceURLStates(t *testing.T) {
	f := newFixture(t)
	tok := f.tokens.add("1000641", EntitySite, "site1", "PRESENCE")
	s := f.bind("bob@example.com/desk")
	cases := []struct {
		inner string
		st    State
		js    string
	}{
		{"", Available, jsOf("Available", "AVAILABLE")},
		{"<show>chat</show>", Chat, jsOf("Free to chat", "AVAILABLE")},
		{"<show>away</show><status>Call me on my Cell</status>", Away, jsOf("Call me on my Cell", "AWAY")},
		{"<show>xa</show>", XA, jsOf("Extended away", "AWAY")},
		{"<show>dnd</show>", DND, jsOf("Do not disturb", "DND")},
	}
	for _, c := range cases {
		s.presence(f.router, 0, c.inner)
		img := get(f.svc.PresenceURL, signedURL(tok, "R_UID=bob@example.com&R_MODE=IMG"))
		if img.Code != 200 || img.Header().Get("Content-Type") != "image/png" || !bytes.Equal(img.Body.Bytes(), Icon(0, c.st, Small)) {
			t.Errorf("%s IMG: %d %s, not the %s icon", c.st, img.Code, img.Header().Get("Content-Type"), c.st)
		}
		def := get(f.svc.PresenceURL, signedURL(tok, "R_UID=bob@example.com"))
		if !bytes.Equal(def.Body.Bytes(), Icon(0, c.st, Small)) {
			t.Errorf("%s: the default mode is not IMG", c.st)
		}
		js := get(f.svc.PresenceURL, signedURL(tok, "R_UID=bob@example.com&R_MODE=JS"))
		if js.Code != 200 || js.Body.String() != c.js || !strings.HasPrefix(js.Header().Get("Content-Type"), "application/javascript") {
			t.Errorf("%s JS: %d %q, want %q", c.st, js.Code, js.Body.String(), c.js)
		}
	}
	f.router.SetPresence(s, false, 0, nil)
	if r := get(f.svc.PresenceURL, signedURL(tok, "R_UID=bob@example.com")); !bytes.Equal(r.Body.Bytes(), Icon(0, Offline, Small)) {
		t.Error("unavailable: not the offline icon")
	}
	if r := get(f.svc.PresenceURL, signedURL(tok, "R_UID=bob@example.com&R_MODE=JS")); r.Body.String() != jsOf("Offline", "OFFLINE") {
		t.Errorf("unavailable JS: %q", r.Body.String())
	}
}

func TestPresenceURLOptions(t *testing.T) {
	f := newFixture(t)
	tok := f.tokens.add("7", EntitySite, "site1", "PRESENCE")
	f.bind("bob@example.com/desk").presence(f.router, 5, "<show>dnd</show>")
	f.bind("bob@example.com/phone").presence(f.router, 1, "<show>away</show>")
	for op := 1; op <= MaxIconSet; op++ {
		r := get(f.svc.PresenceURL, signedURL(tok, fmt.Sprintf("R_UID=bob@example.com&R_OP=%d", op)))
		if !bytes.Equal(r.Body.Bytes(), Icon(op, DND, Small)) {
			t.Errorf("R_OP=%d: not set %d", op, op)
		}
	}
	if r := get(f.svc.PresenceURL, signedURL(tok, "R_UID=bob@example.com&R_OP=9")); !bytes.Equal(r.Body.Bytes(), Icon(0, DND, Small)) {
		t.Error("R_OP out of range: not the default set")
	}
	if r := get(f.svc.PresenceURL, signedURL(tok, "R_UID=bob@example.com&R_SIZE=32")); !bytes.Equal(r.Body.Bytes(), Icon(0, DND, Large)) {
		t.Error("R_SIZE=32: not the large icon")
	}
	if r := get(f.svc.PresenceURL, signedURL(tok, "R_UID=bob@example.com&R_RES=phone&R_MODE=JS")); r.Body.String() != jsOf("Away", "AWAY") {
		t.Errorf("R_RES=phone: %q", r.Body.String())
	}
	if r := get(f.svc.PresenceURL, signedURL(tok, "R_UID=bob@example.com&R_RES=car&R_MODE=JS")); r.Body.String() != jsOf("Offline", "OFFLINE") {
		t.Errorf("R_RES of a resource not online: %q", r.Body.String())
	}
	// Unprefixed aliases, signed under their own names.
	if r := get(f.svc.PresenceURL, signedURL(tok, "UID=bob@example.com&MODE=JS&RES=phone")); r.Body.String() != jsOf("Away", "AWAY") {
		t.Errorf("aliases: %q", r.Body.String())
	}
	// MD5 K1, and chapter 4's R_TID spelling.
	v, _ := url.ParseQuery("R_UID=bob@example.com&R_MODE=JS")
	if r := get(f.svc.PresenceURL, "/imtapp/Presence?R_TID=7&R_UID=bob@example.com&R_MODE=JS&K1="+K1MD5(tok.Value, v)); r.Body.String() != jsOf("Do not disturb", "DND") {
		t.Errorf("MD5 K1: %q", r.Body.String())
	}
	// A user token for the user's own presence.
	own := f.tokens.add("8", EntityUser, "bob@example.com", "PRESENCE")
	if r := get(f.svc.PresenceURL, signedURL(own, "R_UID=bob@example.com&R_MODE=JS")); r.Body.String() != jsOf("Do not disturb", "DND") {
		t.Errorf("user's own: %q", r.Body.String())
	}
}

func TestPresenceURLFailuresRevealNothing(t *testing.T) {
	f := newFixture(t)
	tok := f.tokens.add("10", EntitySite, "site1", "PRESENCE")
	session := f.tokens.add("11", EntitySite, "site1", "SESSION")
	off := f.tokens.add("12", EntitySite, "site2", "PRESENCE")
	f.tokens.noAccess["site2"] = true
	user := f.tokens.add("13", EntityUser, "alice@example.com", "PRESENCE")
	dead := f.tokens.add("14", EntitySite, "site1", "PRESENCE")
	f.tokens.kill("14")
	f.bind("bob@example.com/desk").presence(f.router, 0, "<show>away</show>")

	// Each case builds its URL for a mode, signed with that mode where
	// it is signed at all, so each fails for its own reason only.
	cases := map[string]func(m string) string{
		"bad K1": func(m string) string {
			u := signedURL(tok, "R_UID=bob@example.com&"+m)
			last := "0"
			if strings.HasSuffix(u, "0") {
				last = "1"
			}
			return u[:len(u)-1] + last
		},
		"K1 of another user": func(m string) string {
			return strings.Replace(signedURL(tok, "R_UID=eve@example.com&"+m), "eve@", "bob@", 1)
		},
		"MD5-length garbage": func(m string) string {
			return "/imtapp/Presence?TID=10&R_UID=bob@example.com&" + m + "&K1=" + strings.Repeat("0", 32)
		},
		"no K1": func(m string) string { return "/imtapp/Presence?TID=10&R_UID=bob@example.com&" + m },
		"no TID": func(m string) string {
			return strings.Replace(signedURL(tok, "R_UID=bob@example.com&"+m), "TID=10&", "", 1)
		},
		"dead token": func(m string) string { return signedURL(dead, "R_UID=bob@example.com&"+m) },
		"unknown TID": func(m string) string {
			return strings.Replace(signedURL(tok, "R_UID=bob@example.com&"+m), "TID=10", "TID=99", 1)
		},
		"SESSION policy only": func(m string) string { return signedURL(session, "R_UID=bob@example.com&"+m) },
		"site without access": func(m string) string { return signedURL(off, "R_UID=bob@example.com&"+m) },
		"user token, other":   func(m string) string { return signedURL(user, "R_UID=bob@example.com&"+m) },
		"malformed JID":       func(m string) string { return signedURL(tok, "R_UID=@@bad&"+m) },
		"foreign JID":         func(m string) string { return signedURL(tok, "R_UID=bob@elsewhere.org&"+m) },
		"no R_UID":            func(m string) string { return signedURL(tok, "R_OP=1&"+m) },
		"malformed query":     func(m string) string { return signedURL(tok, "R_UID=bob@example.com&"+m) + "&%zz" },
		"empty":               func(m string) string { return "/imtapp/Presence?" + m },
	}
	var first http.Header
	for name, build := range cases {
		img := get(f.svc.PresenceURL, build("R_MODE=IMG"))
		if img.Code != 200 || !bytes.Equal(img.Body.Bytes(), Icon(0, Error, Small)) {
			t.Errorf("%s IMG: %d, not the error icon", name, img.Code)
		}
		if first == nil {
			first = img.Header()
		} else if fmt.Sprint(first) != fmt.Sprint(img.Header()) {
			t.Errorf("%s: headers differ: %v vs %v", name, img.Header(), first)
		}
		js := get(f.svc.PresenceURL, build("R_MODE=JS"))
		if js.Code != 200 || js.Body.String() != jsOf("Offline", "OFFLINE") {
			t.Errorf("%s JS: %d %q", name, js.Code, js.Body.String())
		}
	}
	if r := get(f.svc.PresenceURL, signedURL(tok, "R_UID=bob@example.com&R_MODE=PDF")); !bytes.Equal(r.Body.Bytes(), Icon(0, Error, Small)) {
		t.Error("unknown mode: not the error icon")
	}
	good := signedURL(tok, "R_UID=bob@example.com")
	f.svc.cfg.ErrorAsOffline = true
	if r := get(f.svc.PresenceURL, strings.Replace(good, "TID=10", "TID=99", 1)); !bytes.Equal(r.Body.Bytes(), Icon(0, Offline, Small)) {
		t.Error("error_as_offline: not the offline icon")
	}
	f.svc.cfg.ErrorAsOffline = false
	// The good URL works (the failures are the checks, not the fixture).
	if r := get(f.svc.PresenceURL, good); !bytes.Equal(r.Body.Bytes(), Icon(0, Away, Small)) {
		t.Fatal("the valid URL does not show away")
	}
}

func TestPresenceURLCaching(t *testing.T) {
	f := newFixture(t)
	tok := f.tokens.add("10", EntitySite, "site1", "PRESENCE")
	s := f.bind("bob@example.com/desk")
	s.presence(f.router, 0, "<show>away</show>")
	target := signedURL(tok, "R_UID=bob@example.com&R_MODE=JS")
	r := get(f.svc.PresenceURL, target)
	tag := r.Header().Get("ETag")
	if !strings.Contains(r.Header().Get("Cache-Control"), "max-age=60") || tag == "" {
		t.Fatalf("headers: %v", r.Header())
	}
	if again := get(f.svc.PresenceURL, target); again.Header().Get("ETag") != tag {
		t.Fatal("ETag not stable")
	}
	nm := get(f.svc.PresenceURL, target, "If-None-Match", tag)
	if nm.Code != http.StatusNotModified || nm.Body.Len() != 0 {
		t.Fatalf("If-None-Match: %d %q", nm.Code, nm.Body.String())
	}
	if nm := get(f.svc.PresenceURL, target, "If-None-Match", `"other", `+tag); nm.Code != http.StatusNotModified {
		t.Fatalf("If-None-Match list: %d", nm.Code)
	}
	// A change is visible at once: no server-side cache, a new ETag.
	s.presence(f.router, 0, "<show>dnd</show>")
	changed := get(f.svc.PresenceURL, target, "If-None-Match", tag)
	if changed.Code != 200 || changed.Body.String() != jsOf("Do not disturb", "DND") || changed.Header().Get("ETag") == tag {
		t.Fatalf("after a change: %d %q %s", changed.Code, changed.Body.String(), changed.Header().Get("ETag"))
	}
}

func TestJSEscaping(t *testing.T) {
	f := newFixture(t)
	tok := f.tokens.add("10", EntitySite, "site1", "PRESENCE")
	f.bind("bob@example.com/desk").presence(f.router, 0, `<status>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; "quoted" &#x2028;</status>`)
	body := get(f.svc.PresenceURL, signedURL(tok, "R_UID=bob@example.com&R_MODE=JS")).Body.String()
	if strings.Contains(body, "<") || strings.Contains(body, "\u2028") || strings.Count(body, "\n") != 2 {
		t.Fatalf("unsafe script: %q", body)
	}
	if !strings.Contains(body, `\u003c/script\u003e`) || !strings.Contains(body, `\"quoted\"`) {
		t.Fatalf("status not kept: %q", body)
	}
}

// BenchmarkPresenceURL is one IMG request through the handler: parse,
// token lookup (in memory), K1, session table, icon, ETag.
func BenchmarkPresenceURL(b *testing.B) {
	f := newFixture(&testing.T{})
	tok := f.tokens.add("10", EntitySite, "site1", "PRESENCE")
	f.bind("bob@example.com/desk").presence(f.router, 0, "<show>away</show>")
	target := signedURL(tok, "R_UID=bob@example.com&R_MODE=IMG")
	req := httptest.NewRequest("GET", target, nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		f.svc.PresenceURL(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
