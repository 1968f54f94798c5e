package server_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/integration/presence"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/xml"
)

// presenceSite provisions a site for PRESENCE through the server's own
// store (a second Authentication service over the same store: tokens are
// stored, so the server resolves them) and returns a PRESENCE token.
func presenceSite(t *testing.T, srv *xmpptest.Server) (*auth.Service, auth.Site, auth.Token) {
	t.Helper()
	ctx := context.Background()
	a, err := auth.New(auth.Options{Store: srv.Store()})
	if err != nil {
		t.Fatal(err)
	}
	site, key, err := a.CreateSite(ctx, "", "shop", auth.SettingsForPolicies([]string{auth.PolicyPresence}))
	if err != nil {
		t.Fatal(err)
	}
	sess, err := a.CreateSession(ctx, site.ID, key, auth.EntitySite)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := a.RequestToken(ctx, site.ID, sess.Token, auth.TokenProperties{TokenPolicy: auth.PolicyPresence}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.Resolve(ctx, obj.Token)
	if err != nil {
		t.Fatal(err)
	}
	return a, site, tok
}

func httpGet(t *testing.T, srv *xmpptest.Server, path string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get("http://" + srv.Addr("http").String() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

// presenceURL signs a presence URL with the token, as a site would.
func presenceURL(tok auth.Token, query string) string {
	v, _ := url.ParseQuery(query)
	return "/imtapp/Presence?" + query + "&TID=" + strconv.FormatInt(tok.ID, 10) + "&K1=" + presence.K1(tok.Value, v)
}

func TestPresenceOverHTTP(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.Presence.ImageHosts = []string{"img.example.net"} })
	srv.AddUser("bob@localhost", "secret")
	a, site, tok := presenceSite(t, srv)
	js := presenceURL(tok, "R_UID=bob@localhost&R_MODE=JS")
	img := presenceURL(tok, "R_UID=bob@localhost&R_MODE=IMG")
	text := "/plugins/presence/status?jid=bob@localhost&type=text"

	if _, h, body := httpGet(t, srv, js); string(body) != "var status = \"Offline\";\nvar show = \"OFFLINE\";\n" || h.Get("Cache-Control") != "private, max-age=60" {
		t.Fatalf("offline JS: %q %v", body, h)
	}
	if code, _, body := httpGet(t, srv, text); code != http.StatusForbidden || string(body) != "forbidden\n" {
		t.Fatalf("seed 004 before opting in: %d %q", code, body)
	}

	// bob comes online over XMPP: every HTTP form shows it as soon as
	// the server has echoed his presence (no cache in between).
	bob := srv.Dial()
	bob.Login("bob", "secret", "desk")
	setPresence := func(inner string) {
		bob.Send("<presence>%s</presence>", inner)
		bob.ExpectMatch("own presence", func(el *xml.Element) bool {
			return el.Name == "presence" && el.Attr("from") == bob.JID
		}, isPresence)
	}
	setPresence("<show>dnd</show><status>in a meeting</status>")
	if _, _, body := httpGet(t, srv, js); string(body) != "var status = \"in a meeting\";\nvar show = \"DND\";\n" {
		t.Fatalf("JS after dnd: %q", body)
	}
	// getPresence over the JSON binding sees the same at once.
	getPresence := func() string {
		data, _ := json.Marshal(map[string]any{"param0": site.ID, "param1": tok.Value, "param2": "bob@localhost"})
		resp, err := http.Post("http://"+srv.Addr("http").String()+"/api/v1/PresenceService/getPresence", "application/json", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ps struct {
			AllResources []struct{ ResourceName, Show, Status string }
		}
		if err := json.NewDecoder(resp.Body).Decode(&ps); err != nil || resp.StatusCode != 200 {
			t.Fatalf("getPresence: %d %v", resp.StatusCode, err)
		}
		return fmt.Sprint(ps.AllResources)
	}
	if got := getPresence(); got != "[{desk DND in a meeting}]" {
		t.Fatalf("getPresence after dnd: %s", got)
	}
	_, h, body := httpGet(t, srv, img)
	if !bytes.Equal(body, presence.Icon(0, presence.DND, presence.Small)) || h.Get("Content-Type") != "image/png" {
		t.Fatalf("IMG after dnd: %s, not the dnd icon", h.Get("Content-Type"))
	}
	etag := h.Get("ETag")

	// Revalidation: 304 while unchanged, the new icon after a change.
	req, _ := http.NewRequest("GET", "http://"+srv.Addr("http").String()+img, nil)
	req.Header.Set("If-None-Match", etag)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", resp.StatusCode)
	}
	setPresence("<show>away</show>")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, presence.Icon(0, presence.Away, presence.Small)) {
		t.Fatalf("after away: %d, not the away icon", resp.StatusCode)
	}

	// Seed 004: the site's token proves the request; opting in makes it
	// public.
	if _, _, body := httpGet(t, srv, text+"&token="+url.QueryEscape(tok.Value)); string(body) != "away\n" {
		t.Fatalf("seed 004 with the site's token: %q", body)
	}
	if err := srv.Store().SetPresenceSharing(context.Background(), "bob@localhost", true); err != nil {
		t.Fatal(err)
	}
	if code, _, body := httpGet(t, srv, text); code != 200 || string(body) != "away\n" {
		t.Fatalf("seed 004 after opting in: %d %q", code, body)
	}
	if _, _, body := httpGet(t, srv, "/plugins/presence/status?jid=bob@localhost&type=xml"); string(body) != `<presence from="bob@localhost"><show>away</show><priority>0</priority></presence>` {
		t.Fatalf("seed 004 xml: %s", body)
	}
	resp, err = (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).
		Get("http://" + srv.Addr("http").String() + "/plugins/presence/status?jid=bob@localhost&images=" + url.QueryEscape("https://img.example.net/--IMAGE--.png"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://img.example.net/away.png" {
		t.Fatalf("redirect: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The site loses presence: its token shows nothing any more.
	if _, err := a.UpdateSite(context.Background(), site.ID, site.Name, auth.SettingsForPolicies(nil)); err != nil {
		t.Fatal(err)
	}
	if _, _, body := httpGet(t, srv, js); string(body) != "var status = \"Offline\";\nvar show = \"OFFLINE\";\n" {
		t.Fatalf("after the site lost presence: %q", body)
	}
	if _, _, body := httpGet(t, srv, img); !bytes.Equal(body, presence.Icon(0, presence.Error, presence.Small)) {
		t.Fatal("after the site lost presence: not the error icon")
	}

	// bob leaves: offline everywhere.
	bob.Send("<presence type='unavailable'/>")
	xmpptest.WaitFor(t, "bob offline over HTTP", func() bool {
		_, _, body := httpGet(t, srv, text)
		return string(body) == "offline\n"
	})
}

// k1Pad is the SHA-1 padding of an n-byte message.
func k1Pad(n int) []byte {
	p := []byte{0x80}
	for (n+len(p))%64 != 56 {
		p = append(p, 0)
	}
	return binary.BigEndian.AppendUint64(p, uint64(n)*8)
}

// k1Extend continues SHA-1 from the digest of an n-byte message whose
// start (the token) is unknown: the length-extension attack.
func k1Extend(t *testing.T, digest string, n int, suffix string) string {
	t.Helper()
	d, err := hex.DecodeString(digest)
	if err != nil {
		t.Fatal(err)
	}
	state := append([]byte("sha\x01"), d...)
	state = append(state, make([]byte, 64)...)
	state = binary.BigEndian.AppendUint64(state, uint64(n+len(k1Pad(n))))
	h := sha1.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	h.Write([]byte(suffix))
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}

// TestPresenceK1LengthExtension is the security review's attack on the
// real server: from ONE public IMG URL a site signed for alice, someone
// who never sees the token forges K1s for bob, on the status endpoint
// (bob's state and status text; bob never opted in) and on the presence
// URL (bob's icon). Both refuse. The forged digests are checked to be
// right first, so only the query rules stop them. A K1 the site made
// for the presence URL is not a proof on the status endpoint either.
func TestPresenceK1LengthExtension(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) {})
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")
	_, _, tok := presenceSite(t, srv)

	bob := srv.Dial()
	bob.Login("bob", "secret", "desk")
	bob.Send("<presence><show>dnd</show><status>negotiating the ACME merger</status></presence>")
	bob.ExpectMatch("own presence", func(el *xml.Element) bool { return el.Name == "presence" && el.Attr("from") == bob.JID }, isPresence)

	// What the site publishes in a web page (all the attacker sees).
	published, _ := url.ParseQuery("R_MODE=IMG&R_UID=alice@localhost")
	k1 := presence.K1(tok.Value, published)
	tid := strconv.FormatInt(tok.ID, 10)
	if _, _, img := httpGet(t, srv, "/imtapp/Presence?TID="+tid+"&R_MODE=IMG&R_UID=alice@localhost&K1="+k1); !bytes.Equal(img, presence.Icon(0, presence.Offline, presence.Small)) {
		t.Fatal("the published URL does not show alice offline")
	}

	// The attacker knows TID, hence the token's length: TID, "_", 40 characters.
	n := len("<TOKEN><") + len(tid) + 1 + 40 + len("><R_MODE><IMG><R_UID><alice@localhost>")
	if n != len(presence.K1Message(tok.Value, published)) {
		t.Fatalf("the token is not TID_ and 40 characters: %d", len(tok.Value))
	}
	pad := string(k1Pad(n))

	// 1) The status endpoint: R_UID swallows the padding; jid and type follow.
	forged := k1Extend(t, k1, n, "><jid><bob@localhost><type><text>")
	q := "TID=" + tid + "&R_MODE=IMG&R_UID=" + url.QueryEscape("alice@localhost>"+pad) + "&jid=bob@localhost&type=text&K1=" + forged
	if v, _ := url.ParseQuery(q); !presence.VerifyK1(tok.Value, v, forged) {
		t.Fatal("the forged K1 does not verify: the attack in this test is broken")
	}
	code, _, body := httpGet(t, srv, "/plugins/presence/status?"+q)
	if code == 200 || bytes.Contains(body, []byte("dnd")) || bytes.Contains(body, []byte("ACME")) {
		t.Errorf("status endpoint with a forged K1: %d %q", code, body)
	}

	// 2) The presence URL: a first R_UID empty (not signed), a second
	// that swallows the padding, UID naming the victim.
	forged = k1Extend(t, k1, n, "><UID><bob@localhost>")
	q = "TID=" + tid + "&R_MODE=IMG&R_UID=&R_UID=" + url.QueryEscape("alice@localhost>"+pad) + "&UID=bob@localhost&K1=" + forged
	if v, _ := url.ParseQuery(q); !presence.VerifyK1(tok.Value, v, forged) {
		t.Fatal("the forged K1 does not verify: the attack in this test is broken")
	}
	if code, h, img := httpGet(t, srv, "/imtapp/Presence?"+q); code != 200 || !bytes.Equal(img, presence.Icon(0, presence.Error, presence.Small)) {
		t.Errorf("/imtapp/Presence with a forged K1: %d %s, not the error icon", code, h.Get("Content-Type"))
	}

	// 3) A presence-URL K1 over a status query proves nothing there; the
	// status endpoint's own signature does.
	sq, _ := url.ParseQuery("jid=bob@localhost&type=text")
	if code, _, body := httpGet(t, srv, "/plugins/presence/status?jid=bob@localhost&type=text&TID="+tid+"&K1="+presence.K1(tok.Value, sq)); code != http.StatusForbidden || string(body) != "forbidden\n" {
		t.Errorf("status endpoint with a presence URL K1: %d %q", code, body)
	}
	if code, _, body := httpGet(t, srv, "/plugins/presence/status?jid=bob@localhost&type=text&TID="+tid+"&K1="+presence.StatusK1(tok.Value, sq)); code != 200 || string(body) != "dnd\nnegotiating the ACME merger\n" {
		t.Errorf("status endpoint with its own signature: %d %q", code, body)
	}
}
