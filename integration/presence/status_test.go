package presence

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func status(f *fixture, query string, header ...string) (int, string, http.Header) {
	r := get(f.svc.Status, "/plugins/presence/status?"+query, header...)
	return r.Code, r.Body.String(), r.Header()
}

func TestStatusTypes(t *testing.T) {
	f := newFixture(t)
	f.store.shared["bob@example.com"] = true
	s := f.bind("bob@example.com/desk")
	s.presence(f.router, 4, `<show>away</show><status>back at 3 &amp; "soon"</status>`)

	code, body, h := status(f, "jid=bob@example.com")
	if code != 200 || h.Get("Content-Type") != "image/png" || body != string(Icon(0, Away, Small)) {
		t.Fatalf("default type: %d %s", code, h.Get("Content-Type"))
	}
	if _, body, _ := status(f, "jid=bob@example.com&type=image&size=32"); body != string(Icon(0, Away, Large)) {
		t.Fatal("size=32: not the large icon")
	}
	code, body, h = status(f, "jid=bob@example.com&type=xml")
	want := `<presence from="bob@example.com"><show>away</show><status>back at 3 &amp; &#34;soon&#34;</status><priority>4</priority></presence>`
	if code != 200 || body != want || !strings.HasPrefix(h.Get("Content-Type"), "application/xml") {
		t.Fatalf("xml: %d %s\nwant %s", code, body, want)
	}
	if code, body, _ := status(f, "jid=bob@example.com&type=text"); code != 200 || body != "away\nback at 3 & \"soon\"\n" {
		t.Fatalf("text: %d %q", code, body)
	}
	if !strings.Contains(h.Get("Cache-Control"), "max-age=60") || h.Get("ETag") == "" || h.Get("X-Presence-State") != "away" {
		t.Fatalf("headers: %v", h)
	}
	if code, _, _ := status(f, "jid=bob@example.com&type=xml", "If-None-Match", h.Get("ETag")); code != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", code)
	}
	s.presence(f.router, 0, "")
	if _, body, _ := status(f, "jid=bob@example.com&type=xml"); body != `<presence from="bob@example.com"><priority>0</priority></presence>` {
		t.Fatalf("available xml: %s", body)
	}
	f.router.SetPresence(s, false, 0, nil)
	if _, body, _ := status(f, "jid=bob@example.com&type=xml"); body != `<presence from="bob@example.com" type="unavailable"/>` {
		t.Fatalf("offline xml: %s", body)
	}
	if _, body, _ := status(f, "jid=bob@example.com&type=text"); body != "offline\n" {
		t.Fatalf("offline text: %q", body)
	}
	for _, q := range []string{"jid=bob@example.com&type=json", "jid=", "jid=bob@elsewhere.org&type=xml", "jid=example.com&type=text", "jid=bob@example.com&%zz"} {
		if code, body, _ := status(f, q); code != http.StatusBadRequest || body == "" {
			t.Errorf("%s: %d %q, want 400 with a message", q, code, body)
		}
	}
	if code, body, h := status(f, "jid=@@"); code != http.StatusBadRequest || body != string(Icon(0, Error, Small)) || h.Get("X-Presence-Error") == "" {
		t.Errorf("bad jid, image: %d, not the error icon with a reason", code)
	}
}

func TestStatusOptIn(t *testing.T) {
	f := newFixture(t)
	f.bind("bob@example.com/desk").presence(f.router, 0, "<show>dnd</show>")
	f.bind("pat@public.example.com/desk").presence(f.router, 0, "<show>chat</show>")

	code, body, h := status(f, "jid=bob@example.com")
	if code != 200 || body != string(Icon(0, Forbidden, Small)) || h.Get("X-Presence-State") != "forbidden" {
		t.Fatalf("private user: %d %s", code, h.Get("X-Presence-State"))
	}
	if code, body, _ := status(f, "jid=bob@example.com&type=xml"); code != http.StatusForbidden || !strings.Contains(body, "<forbidden") {
		t.Fatalf("private xml: %d %s", code, body)
	}
	if code, body, _ := status(f, "jid=bob@example.com&type=text"); code != http.StatusForbidden || body != "forbidden\n" {
		t.Fatalf("private text: %d %q", code, body)
	}
	// An unknown user of a private domain looks like a private one.
	if _, body, _ := status(f, "jid=nobody@example.com&type=text"); body != "forbidden\n" {
		t.Fatalf("unknown user: %q", body)
	}
	// A public domain: everyone's presence, the unknown are offline.
	if _, body, h := status(f, "jid=pat@public.example.com&type=text"); body != "chat\n" || h.Get("Cache-Control") != "public, max-age=60" || h.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("public domain: %q %v", body, h)
	}
	if _, body, _ := status(f, "jid=nobody@public.example.com&type=text"); body != "offline\n" {
		t.Fatalf("unknown user of a public domain: %q", body)
	}
	f.store.shared["bob@example.com"] = true
	if _, body, _ := status(f, "jid=bob@example.com&type=text"); body != "dnd\n" {
		t.Fatalf("after opting in: %q", body)
	}
}

func TestStatusReqJID(t *testing.T) {
	f := newFixture(t)
	f.bind("bob@example.com/desk").presence(f.router, 0, "<show>xa</show>")
	alice := f.tokens.add("20", EntityUser, "alice@example.com", "PRESENCE")
	eve := f.tokens.add("21", EntityUser, "eve@example.com", "PRESENCE")
	bob := f.tokens.add("22", EntityUser, "bob@example.com", "PRESENCE")
	aliceSession := f.tokens.add("23", EntityUser, "alice@example.com", "SESSION")
	site := f.tokens.add("24", EntitySite, "site1", "PRESENCE")
	off := f.tokens.add("25", EntitySite, "site2", "PRESENCE")
	f.tokens.noAccess["site2"] = true
	f.store.subs[[2]string{"bob@example.com", "alice@example.com"}] = true // bob shares with alice

	signed := func(tok Token, q string) string {
		v, _ := url.ParseQuery(q)
		return q + "&TID=" + tok.ID + "&K1=" + StatusK1(tok.Value, v)
	}
	// A K1 as the presence URL computes it, over the same query.
	presenceK1 := func(tok Token, q string) string {
		v, _ := url.ParseQuery(q)
		return q + "&TID=" + tok.ID + "&K1=" + K1(tok.Value, v)
	}
	signedHMAC := func(tok Token, q string) string {
		v, _ := url.ParseQuery(q)
		return q + "&TID=" + tok.ID + "&K1=" + StatusK1HMAC(tok.Value, v)
	}
	cases := []struct {
		name, query, want string
	}{
		{"req_jid alone proves nothing", "jid=bob@example.com&type=text&req_jid=alice@example.com", "forbidden\n"},
		{"token of a subscriber", "jid=bob@example.com&type=text&req_jid=alice@example.com&token=" + url.QueryEscape(alice.Value), "xa\n"},
		{"token without req_jid", "jid=bob@example.com&type=text&token=" + url.QueryEscape(alice.Value), "xa\n"},
		{"signed by a subscriber", signed(alice, "jid=bob@example.com&type=text&req_jid=alice@example.com"), "xa\n"},
		{"signed by a subscriber, HMAC", signedHMAC(alice, "jid=bob@example.com&type=text&req_jid=alice@example.com"), "xa\n"},
		{"signed by a site", signed(site, "jid=bob@example.com&type=text"), "xa\n"},
		{"signature not matching", strings.Replace(signed(alice, "jid=bob@example.com&type=text&req_jid=alice@example.com"), "type=text", "type=text&size=32", 1), "forbidden\n"},
		{"presence URL's K1 of a subscriber", presenceK1(alice, "jid=bob@example.com&type=text&req_jid=alice@example.com"), "forbidden\n"},
		{"presence URL's K1 of a site", presenceK1(site, "jid=bob@example.com&type=text"), "forbidden\n"},
		{"token of a non-subscriber", "jid=bob@example.com&type=text&req_jid=eve@example.com&token=" + url.QueryEscape(eve.Value), "forbidden\n"},
		{"someone else's token for req_jid", "jid=bob@example.com&type=text&req_jid=alice@example.com&token=" + url.QueryEscape(eve.Value), "forbidden\n"},
		{"own presence", "jid=bob@example.com&type=text&token=" + url.QueryEscape(bob.Value), "xa\n"},
		{"token without PRESENCE", "jid=bob@example.com&type=text&req_jid=alice@example.com&token=" + url.QueryEscape(aliceSession.Value), "forbidden\n"},
		{"site token", "jid=bob@example.com&type=text&token=" + url.QueryEscape(site.Value), "xa\n"},
		{"site without access", "jid=bob@example.com&type=text&token=" + url.QueryEscape(off.Value), "forbidden\n"},
		{"unknown token", "jid=bob@example.com&type=text&token=1_nope", "forbidden\n"},
	}
	for _, c := range cases {
		_, body, h := status(f, c.query)
		if body != c.want {
			t.Errorf("%s: %q, want %q", c.name, body, c.want)
		}
		if (strings.Contains(c.query, "token=") || strings.Contains(c.query, "K1=")) && c.want != "forbidden\n" && (h.Get("Cache-Control") != "private, max-age=60" || h.Get("Access-Control-Allow-Origin") != "") {
			t.Errorf("%s: a proven answer is cacheable or readable by others: %v", c.name, h)
		}
	}
}

func TestStatusImages(t *testing.T) {
	f := newFixture(t)
	f.store.shared["bob@example.com"] = true
	s := f.bind("bob@example.com/desk")
	s.presence(f.router, 0, "<show>away</show>")
	redirect := func(q string) (int, string) {
		r := get(f.svc.Status, "/plugins/presence/status?"+q)
		return r.Code, r.Header().Get("Location")
	}
	tmpl := "images=" + url.QueryEscape("https://img.example.net/icons/--IMAGE--.gif")
	if code, loc := redirect("jid=bob@example.com&" + tmpl); code != http.StatusFound || loc != "https://img.example.net/icons/away.gif" {
		t.Fatalf("template: %d %s", code, loc)
	}
	over := tmpl + "&away=" + url.QueryEscape("http://IMG.example.net:8080/a.png") + "&dnd=" + url.QueryEscape("https://img.example.net/d.png")
	if code, loc := redirect("jid=bob@example.com&" + over); code != http.StatusFound || loc != "http://IMG.example.net:8080/a.png" {
		t.Fatalf("override: %d %s", code, loc)
	}
	if code, loc := redirect("jid=bob@example.com&dnd=" + url.QueryEscape("https://img.example.net/d.png")); code != 200 || loc != "" {
		t.Fatalf("override of another state: %d %s", code, loc)
	}
	if code, loc := redirect("jid=carol@example.com&forbidden=" + url.QueryEscape("https://img.example.net/f.png")); code != http.StatusFound || loc != "https://img.example.net/f.png" {
		t.Fatalf("forbidden override: %d %s", code, loc)
	}
	s.presence(f.router, 0, "")
	if code, loc := redirect("jid=bob@example.com&" + tmpl); code != http.StatusFound || loc != "https://img.example.net/icons/available.gif" {
		t.Fatalf("template after a change: %d %s", code, loc)
	}
	for _, bad := range []string{
		"images=" + url.QueryEscape("https://evil.example.org/--IMAGE--.gif"),
		"images=" + url.QueryEscape("https://img.example.net/fixed.gif"), // no placeholder
		"away=" + url.QueryEscape("https://img.example.net.evil.org/a.png"),
		"dnd=" + url.QueryEscape("javascript:alert(1)"),
		"offline=" + url.QueryEscape("//img.example.net/o.png"),
		"chat=" + url.QueryEscape("https://user:pw@img.example.net/c.png"),
		"xa=" + url.QueryEscape("file:///etc/passwd"),
	} {
		// Refused whatever the state, before presence is read.
		code, loc := redirect("jid=bob@example.com&" + bad)
		if code != http.StatusBadRequest || loc != "" {
			t.Errorf("%s: %d %s, want 400", bad, code, loc)
		}
	}
	if code, body, _ := status(f, "jid=bob@example.com&type=text&images="+url.QueryEscape("https://evil.example.org/--IMAGE--")); code != 400 || !strings.Contains(body, "image_hosts") {
		t.Errorf("message: %d %q", code, body)
	}
}

// FuzzPresenceQuery runs arbitrary query strings through both
// endpoints: no panic, only the statuses the endpoints document, and
// the presence URL never shows anything but an icon or a script.
func FuzzPresenceQuery(f *testing.F) {
	fx := newFixture(&testing.T{})
	tok := fx.tokens.add("10", EntitySite, "site1", "PRESENCE")
	fx.store.shared["bob@example.com"] = true
	fx.bind("bob@example.com/desk").presence(fx.router, 0, "<show>away</show>")
	v, _ := url.ParseQuery("R_UID=bob@example.com&R_MODE=JS")
	f.Add("TID=10&R_UID=bob@example.com&R_MODE=JS&K1=" + K1(tok.Value, v))
	f.Add("jid=bob@example.com&type=xml&images=https%3A%2F%2Fimg.example.net%2F--IMAGE--")
	f.Add("jid=%zz&&;;=&type=text&token=10_x")
	f.Add("TID=10&R_UID=&R_UID=bob@example.com%3E%80%00&UID=bob@example.com&K1=" + K1(tok.Value, v))
	f.Add("TID=10&R_MODE=JS&R_UID=bob@example.com&ts=%C3%A9&K1=" + K1(tok.Value, v))
	// The raw query goes in as received, whatever it holds (a request
	// line could not carry all of it, a handler must cope anyway).
	serve := func(h http.HandlerFunc, path, q string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		req.URL.RawQuery = q
		rec := httptest.NewRecorder()
		h(rec, req)
		return rec
	}
	f.Fuzz(func(t *testing.T, q string) {
		r := serve(fx.svc.PresenceURL, "/imtapp/Presence", q)
		if r.Code != 200 {
			t.Fatalf("presence URL %q: %d", q, r.Code)
		}
		body := r.Body.Bytes()
		if ct := r.Header().Get("Content-Type"); !(ct == "image/png" && bytes.HasPrefix(body, []byte("\x89PNG"))) && !strings.HasPrefix(string(body), "var status = ") {
			t.Fatalf("presence URL %q: %s %q", q, ct, body)
		}
		// Whatever the presence URL shows passed the query rules.
		failed := bytes.Equal(body, Icon(0, Error, Small)) || bytes.Equal(body, jsBody("Offline", "OFFLINE"))
		if _, err := parseQuery(q, presenceURLRules); err != nil && !failed {
			t.Fatalf("presence URL %q refused by the rules (%v) answered %q", q, err, body)
		}
		code := serve(fx.svc.Status, "/plugins/presence/status", q).Code
		switch code {
		case 200, 302, 400, 403:
		default:
			t.Fatalf("status %q: %d", q, code)
		}
		if _, err := parseQuery(q, statusRules); err != nil && code != 400 {
			t.Fatalf("status %q refused by the rules (%v) answered %d", q, err, code)
		}
	})
}
