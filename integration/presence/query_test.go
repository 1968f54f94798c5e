package presence

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// mdPad is the padding SHA-1 (bigEndian) or MD5 appends to an n-byte
// message: 0x80, NULs, and the bit length.
func mdPad(n int, bigEndian bool) []byte {
	p := []byte{0x80}
	for (n+len(p))%64 != 56 {
		p = append(p, 0)
	}
	var l [8]byte
	if bigEndian {
		binary.BigEndian.PutUint64(l[:], uint64(n)*8)
	} else {
		binary.LittleEndian.PutUint64(l[:], uint64(n)*8)
	}
	return append(p, l[:]...)
}

// extend is the length-extension attack: from the hex digest of an
// n-byte message it computes the digest of message+pad+suffix without
// knowing the message (which starts with the secret token). sha1 picks
// SHA-1, else MD5. It resumes the hash from a marshalled state holding
// the digest's words.
func extend(t *testing.T, digest string, n int, suffix string, sha bool) string {
	t.Helper()
	d, err := hex.DecodeString(digest)
	if err != nil {
		t.Fatal(err)
	}
	var state []byte
	var h hash.Hash
	if sha {
		h, state = sha1.New(), append([]byte("sha\x01"), d...)
	} else {
		// MD5 digests its words little-endian; the state holds them big-endian.
		h, state = md5.New(), []byte("md5\x01")
		for i := 0; i < 16; i += 4 {
			state = binary.BigEndian.AppendUint32(state, binary.LittleEndian.Uint32(d[i:]))
		}
	}
	state = append(state, make([]byte, 64)...)
	state = binary.BigEndian.AppendUint64(state, uint64(n+len(mdPad(n, sha))))
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	h.Write([]byte(suffix))
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}

// The review's attack: from ONE presence URL a site published for alice,
// a third party forges K1s for bob's presence on both endpoints. The
// forged digests are right (the test checks that first: only the query
// rules stop them), and neither endpoint shows bob.
func TestK1LengthExtensionRefused(t *testing.T) {
	f := newFixture(t)
	tok := f.tokens.add("10", EntitySite, "site1", "PRESENCE")
	f.bind("bob@example.com/desk").presence(f.router, 0, "<show>dnd</show><status>negotiating the ACME merger</status>")
	// bob never opted in: only a proof shows him on the status endpoint.

	published, _ := url.ParseQuery("R_MODE=IMG&R_UID=alice@example.com")
	// The attacker knows the message's length: the token is
	// "<TID>_" and 40 characters (here the fixture's own format).
	n := len(K1Message(tok.Value, published))
	for _, form := range []struct {
		name string
		sha  bool
		k1   string
	}{{"SHA-1", true, K1(tok.Value, published)}, {"MD5", false, K1MD5(tok.Value, published)}} {
		pad := string(mdPad(n, form.sha))

		// /imtapp/Presence: an empty R_UID (not signed), a second
		// R_UID that swallows the padding, UID naming the victim.
		forged := extend(t, form.k1, n, "><UID><bob@example.com>", form.sha)
		q := "TID=10&R_MODE=IMG&R_UID=&R_UID=" + url.QueryEscape("alice@example.com>"+pad) + "&UID=bob@example.com&K1=" + forged
		v, _ := url.ParseQuery(q)
		if !VerifyK1(tok.Value, v, forged) {
			t.Fatalf("%s: the forged presence URL K1 does not verify: the attack in this test is broken", form.name)
		}
		r := get(f.svc.PresenceURL, "/imtapp/Presence?"+q)
		if r.Code != 200 || !bytes.Equal(r.Body.Bytes(), Icon(0, Error, Small)) {
			t.Errorf("%s: /imtapp/Presence with a forged K1: %d, not the error icon (dnd icon: %v)", form.name, r.Code, bytes.Equal(r.Body.Bytes(), Icon(0, DND, Small)))
		}

		// /plugins/presence/status: R_UID swallows the padding, jid and
		// type follow, and the site's token would see everyone.
		forged = extend(t, form.k1, n, "><jid><bob@example.com><type><text>", form.sha)
		q = "TID=10&R_MODE=IMG&R_UID=" + url.QueryEscape("alice@example.com>"+pad) + "&jid=bob@example.com&type=text&K1=" + forged
		v, _ = url.ParseQuery(q)
		if !VerifyK1(tok.Value, v, forged) {
			t.Fatalf("%s: the forged status K1 does not verify: the attack in this test is broken", form.name)
		}
		code, body, h := status(f, q)
		if code == 200 || strings.Contains(body, "dnd") || strings.Contains(body, "ACME") || h.Get("X-Presence-State") != "" {
			t.Errorf("%s: status endpoint with a forged K1: %d %q (state %q)", form.name, code, body, h.Get("X-Presence-State"))
		}
	}

	// The status endpoint's own signatures do not extend either: a
	// site's signed image URL for alice, turned into a text query.
	own, _ := url.ParseQuery("jid=alice@example.com&ts=5")
	n = len(StatusK1Message(tok.Value, own))
	forged := extend(t, StatusK1(tok.Value, own), n, "><type><text>", true)
	q := "TID=10&jid=alice@example.com&ts=" + url.QueryEscape("5>"+string(mdPad(n, true))) + "&type=text&K1=" + forged
	v, _ := url.ParseQuery(q)
	if !VerifyStatusK1(tok.Value, v, forged) {
		t.Fatal("the forged status signature does not verify: the attack in this test is broken")
	}
	if code, body, _ := status(f, q); code != http.StatusBadRequest {
		t.Errorf("extended status signature: %d %q, want 400", code, body)
	}
}

// A K1 made for one endpoint proves nothing on the other.
func TestK1EndpointsSeparate(t *testing.T) {
	f := newFixture(t)
	site := f.tokens.add("10", EntitySite, "site1", "PRESENCE")
	f.bind("bob@example.com/desk").presence(f.router, 0, "<show>dnd</show>")
	q := "jid=bob@example.com&type=text&ts=1"
	v, _ := url.ParseQuery(q)
	for _, c := range []struct {
		name, k1, want string
	}{
		{"status SHA-1", StatusK1(site.Value, v), "dnd\n"},
		{"status HMAC-SHA-256", StatusK1HMAC(site.Value, v), "dnd\n"},
		{"presence URL SHA-1", K1(site.Value, v), "forbidden\n"},
		{"presence URL MD5", K1MD5(site.Value, v), "forbidden\n"},
		{"presence URL HMAC-SHA-256", K1HMAC(site.Value, v), "forbidden\n"},
	} {
		if _, body, _ := status(f, q+"&TID=10&K1="+c.k1); body != c.want {
			t.Errorf("%s on the status endpoint: %q, want %q", c.name, body, c.want)
		}
	}
	p, _ := url.ParseQuery("R_UID=bob@example.com&R_MODE=JS")
	for _, c := range []struct {
		name, k1, want string
	}{
		{"presence URL HMAC-SHA-256", K1HMAC(site.Value, p), jsOf("Do not disturb", "DND")},
		{"status SHA-1", StatusK1(site.Value, p), jsOf("Offline", "OFFLINE")},
		{"status HMAC-SHA-256", StatusK1HMAC(site.Value, p), jsOf("Offline", "OFFLINE")},
	} {
		if r := get(f.svc.PresenceURL, "/imtapp/Presence?R_UID=bob@example.com&R_MODE=JS&TID=10&K1="+c.k1); r.Body.String() != c.want {
			t.Errorf("%s on the presence URL: %q, want %q", c.name, r.Body.String(), c.want)
		}
	}
}

// ambiguous are queries (before TID and K1) that each endpoint must
// refuse even when correctly signed: repeated parameters, an alias
// beside its R_ name, names off the allow-list, values with '<', '>',
// control characters or bytes that are not UTF-8. uid names the user
// parameter, foreign a parameter of the other endpoint.
func ambiguous(uid, foreign string) []string {
	return []string{
		uid + "=bob@example.com&" + uid + "=bob@example.com",
		uid + "=&" + uid + "=bob@example.com",
		uid + "=bob@example.com&" + uid + "=",
		uid + "=bob@example.com&x=1",
		uid + "=bob@example.com&x=",
		uid + "=bob@example.com&=1",
		uid + "=bob@example.com&ts=1&ts=2",
		uid + "=bob@example.com&ts=a%3Cb",
		uid + "=bob@example.com&ts=a%3Eb",
		uid + "=bob@example.com&ts=%00",
		uid + "=bob@example.com&ts=%80",
		uid + "=bob@example.com&ts=%C3%28",
		uid + "=bob@example.com&ts=%7F",
		uid + "=bob@example.com&ts=%C2%85",
		uid + "=bob@example.com&ts=a%0Ab",
		uid + "=bob@example.com&ts=%09",
		uid + "=bob%40example.com%3E",
		uid + "=bob@example.com&ts%00=1",
		uid + "=bob@example.com&ts%80=1",
		uid + "=bob@example.com&" + foreign + "=bob@example.com",
	}
}

func TestPresenceURLRefusesAmbiguousQueries(t *testing.T) {
	f := newFixture(t)
	tok := f.tokens.add("10", EntitySite, "site1", "PRESENCE")
	f.bind("bob@example.com/desk").presence(f.router, 0, "<show>dnd</show>")
	// sign appends TID and a right K1 over exactly the values the query
	// holds (K1Message takes every value of a repeated name).
	sign := func(q string) string {
		v, err := url.ParseQuery(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return "/imtapp/Presence?" + q + "&TID=10&K1=" + K1(tok.Value, v)
	}
	// The rules refuse these, not the signing: the same shapes, clean, work.
	for _, q := range []string{"R_UID=bob@example.com&ts=1", "UID=bob@example.com&ts=%C3%A9t%C3%A9+2026", "R_UID=bob@example.com&R_OP=&ts=x"} {
		if r := get(f.svc.PresenceURL, sign(q)); !bytes.Equal(r.Body.Bytes(), Icon(0, DND, Small)) {
			t.Fatalf("%s: the clean query does not show dnd", q)
		}
	}
	cases := ambiguous("R_UID", "jid")
	cases = append(cases, ambiguous("UID", "req_jid")...)
	cases = append(cases,
		"R_UID=bob@example.com&UID=bob@example.com",
		"UID=bob@example.com&R_UID=",
		"R_UID=&UID=bob@example.com",
		"R_UID=bob@example.com&R_OP=1&OP=2",
		"R_UID=bob@example.com&R_SIZE=32&SIZE=32",
		"R_UID=bob@example.com&R_RES=desk&RES=desk",
		"R_UID=bob@example.com&R_MODE=IMG&MODE=IMG",
		"R_UID=bob@example.com&R_RES=desk%09",
		"R_UID=bob@example.com&r_uid=bob@example.com",
		"R_UID=bob@example.com&R_TID=10",
		"R_UID=bob@example.com&TID=10",
		"R_UID=bob@example.com&R_K1=0",
	)
	for _, q := range cases {
		for _, mode := range []string{"IMG", "JS"} {
			r := get(f.svc.PresenceURL, sign(q+"&R_MODE="+mode))
			if mode == "IMG" && (r.Code != 200 || !bytes.Equal(r.Body.Bytes(), Icon(0, Error, Small))) {
				t.Errorf("%s IMG: %d, not the error icon", q, r.Code)
			}
			if mode == "JS" && r.Body.String() != jsOf("Offline", "OFFLINE") && !bytes.Equal(r.Body.Bytes(), Icon(0, Error, Small)) {
				t.Errorf("%s JS: %d %q, not the failure answer", q, r.Code, r.Body.String())
			}
		}
	}
	// The K1 twice: the second one is not read.
	good := sign("R_UID=bob@example.com")
	if r := get(f.svc.PresenceURL, good+"&K1=0"); !bytes.Equal(r.Body.Bytes(), Icon(0, Error, Small)) {
		t.Error("a repeated K1 is accepted")
	}
}

func TestStatusRefusesAmbiguousQueries(t *testing.T) {
	f := newFixture(t)
	site := f.tokens.add("10", EntitySite, "site1", "PRESENCE")
	f.bind("bob@example.com/desk").presence(f.router, 0, "<show>dnd</show><status>private matter</status>")
	f.bind("pat@public.example.com/desk").presence(f.router, 0, "<show>chat</show>")
	sign := func(q string) string {
		v, err := url.ParseQuery(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return q + "&TID=10&K1=" + StatusK1(site.Value, v)
	}
	for _, q := range []string{"jid=bob@example.com&type=text&ts=1", "jid=bob@example.com&type=text&ts=%C3%A9t%C3%A9"} {
		if code, body, _ := status(f, sign(q)); code != 200 || body != "dnd\nprivate matter\n" {
			t.Fatalf("%s: the clean signed query: %d %q", q, code, body)
		}
	}
	cases := ambiguous("jid", "R_UID")
	cases = append(cases,
		"jid=bob@example.com&req_jid=bob@example.com&req_jid=",
		"jid=bob@example.com&type=text&type=text",
		"jid=bob@example.com&size=32&size=16",
		"jid=bob@example.com&TID=10",
		"jid=bob@example.com&Jid=bob@example.com",
		"jid=bob@example.com&away=https%3A%2F%2Fimg.example.net%2F%3C",
	)
	for _, q := range cases {
		signed := sign(q + "&type=text")
		code, body, h := status(f, signed)
		if code != http.StatusBadRequest || strings.Contains(body, "dnd") || strings.Contains(body, "private") || h.Get("X-Presence-State") != "" {
			t.Errorf("%s: %d %q, want a 400 that shows nothing", signed, code, body)
		}
		// Images are refused as well (with the error icon).
		if strings.Contains(q, "type=") {
			continue
		}
		if code, body, h := status(f, sign(q)); code != http.StatusBadRequest || !strings.HasPrefix(body, "\x89PNG") || h.Get("X-Presence-State") != "" || h.Get("X-Presence-Error") == "" {
			t.Errorf("%s image: %d %v, not the error icon", q, code, h)
		}
	}
	// Without any proof, the rules hold as well.
	if code, body, _ := status(f, "jid=pat@public.example.com&type=text&x=1"); code != http.StatusBadRequest || !strings.Contains(body, "unknown parameter") {
		t.Errorf("unknown parameter on a public query: %d %q", code, body)
	}
	if code, body, _ := status(f, "jid=pat@public.example.com&type=text"); code != 200 || body != "chat\n" {
		t.Errorf("public query: %d %q", code, body)
	}
}

func TestParseQuery(t *testing.T) {
	for _, c := range []struct {
		rules queryRules
		q     string
		ok    bool
	}{
		{presenceURLRules, "", true},
		{presenceURLRules, "TID=1&R_UID=a@b&R_MODE=JS&R_OP=2&R_RES=r&R_SIZE=32&ts=9&K1=AB", true},
		{presenceURLRules, "R_TID=1&UID=a@b&MODE=JS&OP=2&RES=r&SIZE=32&R_K1=AB", true},
		{presenceURLRules, "R_UID=caf%C3%A9%20%E2%82%AC", true},
		{presenceURLRules, "R_UID=a@b&UID=a@b", false},
		{presenceURLRules, "TID=1&R_TID=1", false},
		{presenceURLRules, "K1=A&R_K1=A", false},
		{presenceURLRules, "R_UID=a;b", false},
		{presenceURLRules, "R_UID=%zz", false},
		{presenceURLRules, "jid=a@b", false},
		{statusRules, "jid=a@b&type=xml&req_jid=c@d&images=x&size=32&token=t&TID=1&K1=A&ts=1", true},
		{statusRules, "available=a&chat=a&away=a&xa=a&dnd=a&offline=a&forbidden=a", true},
		{statusRules, "error=a", false},
		{statusRules, "R_UID=a@b", false},
		{statusRules, "jid=a%E2%80%A8b", true}, // U+2028 is not a control character; the JS escapes it
		{statusRules, "jid=a%EF%BF%BEb", true},
		{statusRules, "jid=a%ED%A0%80b", false}, // a surrogate is not UTF-8
	} {
		_, err := parseQuery(c.q, c.rules)
		if (err == nil) != c.ok {
			t.Errorf("parseQuery(%q) = %v, want ok %v", c.q, err, c.ok)
		}
	}
}
