package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/internal/smtptest"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/livehelp"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

const (
	lhSupport = "support@groups.localhost"
	lhSite    = "12345"
)

// lhFixture is a server with the site 12345 (GUESTCHAT, PRESENCE), the
// group support@groups.localhost with alice and bob as agents, and dave.
type lhFixture struct {
	t    *testing.T
	srv  *xmpptest.Server
	base string
	auth *auth.Service
	key  string
}

func newLHFixture(t *testing.T, opts ...xmpptest.Options) *lhFixture {
	t.Helper()
	return setupLH(t, xmpptest.RunServer(t, opts...))
}

// setupLH makes srv the fixture's server (its store: on a cluster,
// every node's).
func setupLH(t *testing.T, srv *xmpptest.Server) *lhFixture {
	t.Helper()
	f := &lhFixture{t: t, srv: srv, base: "http://" + srv.Addr("http").String()}
	for _, u := range []string{"alice", "bob", "dave"} {
		srv.AddUser(u+"@localhost", "secret")
	}
	var err error
	f.auth, err = auth.New(auth.Options{Store: srv.Store()})
	if err != nil {
		t.Fatal(err)
	}
	_, f.key, err = f.auth.CreateSite(context.Background(), lhSite, "Vision Corp", auth.SettingsForPolicies([]string{auth.PolicyGuestChat, auth.PolicyPresence}))
	if err != nil {
		t.Fatal(err)
	}
	g := livehelp.Groups{Store: srv.Store(), Hosts: srv.Config.Hosts}
	if _, err := g.Add(context.Background(), lhSupport, livehelp.GroupOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice@localhost", "bob@localhost"} {
		if err := g.AddMember(context.Background(), lhSupport, u, store.RoleAgent); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// token is a fresh GUESTCHAT token of the site.
func (f *lhFixture) token() auth.Token {
	f.t.Helper()
	ctx := context.Background()
	sess, err := f.auth.CreateSession(ctx, lhSite, f.key, "SITE")
	if err != nil {
		f.t.Fatal(err)
	}
	obj, err := f.auth.RequestToken(ctx, lhSite, sess.Token, auth.TokenProperties{TokenPolicy: auth.PolicyGuestChat}, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	tok, err := f.auth.Resolve(ctx, obj.Token)
	if err != nil {
		f.t.Fatal(err)
	}
	return tok
}

// chatURL is a signed guest chat request for the group.
func (f *lhFixture) chatURL(tok auth.Token, from string) string {
	q := url.Values{"r_fromUserJID": {from}, "guestDisplayName": {"John Doe"}, "useToken": {"true"},
		"r_groupJID": {lhSupport}, "s": {"Pricing"}, "siteID": {lhSite}, "tokenID": {strconv.FormatInt(tok.ID, 10)},
		"tokenDigest": {auth.TokenDigest(tok.ID, tok.Value, map[string]string{"r_fromUserJID": from, "r_groupJID": lhSupport})}}
	return f.base + "/imtapp/im/imWebChatClient.jsp?" + q.Encode()
}

// visitor is a browser: a cookie jar.
type visitor struct {
	f    *lhFixture
	hc   *http.Client
	csrf string
	cfg  map[string]string
}

func (f *lhFixture) visitor() *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{f: f, hc: &http.Client{Jar: jar}}
}

func (v *visitor) get(u string) (int, string) {
	v.f.t.Helper()
	resp, err := v.hc.Get(u)
	if err != nil {
		v.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var (
	csrfAttr   = regexp.MustCompile(`data-csrf="([^"]+)"`)
	configAttr = regexp.MustCompile(`data-config="([^"]+)"`)
)

// open loads the chat page and keeps its CSRF token and config.
func (v *visitor) open(u string) string {
	v.f.t.Helper()
	code, page := v.get(u)
	if code != 200 {
		v.f.t.Fatalf("chat page: %d\n%s", code, page)
	}
	v.csrf = csrfAttr.FindStringSubmatch(page)[1]
	raw := strings.NewReplacer("&#34;", `"`, "&quot;", `"`, "&amp;", "&").Replace(configAttr.FindStringSubmatch(page)[1])
	if err := json.Unmarshal([]byte(raw), &v.cfg); err != nil {
		v.f.t.Fatalf("page config %q: %v", raw, err)
	}
	return page
}

// ticket asks for a login ticket as the page's module does.
func (v *visitor) ticket() string {
	v.f.t.Helper()
	req, _ := http.NewRequest("POST", v.f.base+"/imtapp/im/chat/ticket", nil)
	req.Header.Set("X-CSRF-Token", v.csrf)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := v.hc.Do(req)
	if err != nil {
		v.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Ticket, JID string }
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil || out.Ticket == "" {
		v.f.t.Fatalf("ticket: %d", resp.StatusCode)
	}
	return out.Ticket
}

// guestLogin logs the guest in over XMPP (TCP) with a ticket.
func (v *visitor) guestLogin(ticket string) *xmpptest.Conn {
	v.f.t.Helper()
	c := v.f.srv.Dial()
	c.Domain = v.cfg["domain"]
	features := c.Open()
	mechs := features.Child(ns.SASL, "mechanisms")
	if mechs == nil || len(mechs.Children) != 1 || mechs.Children[0].Text != "OAUTHBEARER" {
		v.f.t.Fatalf("guest domain offers %s, want OAUTHBEARER only", features)
	}
	c.Send("<auth xmlns='%s' mechanism='OAUTHBEARER'>%s</auth>", ns.SASL,
		base64.StdEncoding.EncodeToString([]byte("n,,\x01auth=Bearer "+ticket+"\x01\x01")))
	if el := c.Next(); el.Name != "success" {
		v.f.t.Fatalf("guest login: %s", el)
	}
	c.Open()
	c.Bind("web")
	return c
}

func isPresenceOrHeadline(el *xml.Element) bool {
	return el.Name == "presence" || (el.Name == "message" && el.Attr("type") == "headline")
}

// TestLiveHelpOverXMPP: the whole flow with raw XMPP clients: the page,
// a ticket, the guest's login on guest.localhost (OAUTHBEARER only,
// single use), the offer to both agents, bob takes it, alice is told,
// messages both ways; the guest's restrictions on the wire.
func TestLiveHelpOverXMPP(t *testing.T) {
	f := newLHFixture(t)
	// Password logins are never offered on the guest domain; localhost
	// offers them (and OAUTHBEARER for the tickets of Parley's own pages,
	// which a guest's ticket is not: see below).
	c := f.srv.Dial()
	if m := c.Open().Child(ns.SASL, "mechanisms"); m == nil || !strings.Contains(m.String(), "SCRAM-SHA-256") {
		t.Fatalf("localhost offers %v", m)
	}
	agents := map[string]*xmpptest.Conn{}
	for _, u := range []string{"alice", "bob"} {
		a := f.srv.Dial()
		a.Login(u, "secret", "desk")
		a.Send("<presence/>")
		a.ExpectMatch("own presence", func(el *xml.Element) bool { return el.Name == "presence" }, nil)
		agents[u] = a
	}
	v := f.visitor()
	v.open(f.chatURL(f.token(), "john.doe@sites.example.com"))
	if !strings.HasSuffix(v.cfg["guest"], "@guest.localhost") || v.cfg["target"] != lhSupport {
		t.Fatalf("page config %v", v.cfg)
	}
	tk := v.ticket()
	g := v.guestLogin(tk)
	if !strings.HasPrefix(g.JID, v.cfg["guest"]+"/") {
		t.Fatalf("guest bound %s, want %s/...", g.JID, v.cfg["guest"])
	}
	// A guest's ticket is no login on the users' domain.
	other := f.srv.Dial()
	other.Open()
	other.Send("<auth xmlns='%s' mechanism='OAUTHBEARER'>%s</auth>", ns.SASL, base64.StdEncoding.EncodeToString([]byte("n,,\x01auth=Bearer "+v.ticket()+"\x01\x01")))
	if el := other.Next(); el.Name != "challenge" {
		t.Fatalf("guest ticket on localhost: %s", el)
	}
	other.Send("<response xmlns='%s'>AQ==</response>", ns.SASL)
	if el := other.Next(); el.Name != "failure" || el.Child(ns.SASL, "not-authorized") == nil {
		t.Fatalf("guest ticket on localhost: %s", el)
	}
	// The ticket worked once.
	again := f.srv.Dial()
	again.Domain = "guest.localhost"
	again.Open()
	again.Send("<auth xmlns='%s' mechanism='OAUTHBEARER'>%s</auth>", ns.SASL, base64.StdEncoding.EncodeToString([]byte("n,,\x01auth=Bearer "+tk+"\x01\x01")))
	if el := again.Next(); el.Name != "challenge" {
		t.Fatalf("replayed ticket: %s", el)
	}
	again.Send("<response xmlns='%s'>AQ==</response>", ns.SASL)
	if el := again.Next(); el.Name != "failure" || el.Child(ns.SASL, "not-authorized") == nil {
		t.Fatalf("replayed ticket: %s", el)
	}

	g.Send("<presence to='%s'/>", lhSupport)
	g.ExpectMatch("the group's presence", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == lhSupport && el.Attr("type") == ""
	}, isPresenceOrHeadline)

	// Restrictions: nobody but the target, no subscriptions, no rooms,
	// no roster changes.
	for _, bad := range []string{
		"<message to='bob@localhost' type='chat' id='r1'><body>hi bob</body></message>",
		"<presence to='bob@localhost' type='subscribe' id='r2'/>",
		"<presence to='lobby@conference.localhost/john' id='r3'><x xmlns='http://jabber.org/protocol/muc'/></presence>",
		"<iq type='set' id='r4'><query xmlns='jabber:iq:roster'><item jid='bob@localhost'/></query></iq>",
		"<iq type='get' id='r5' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
	} {
		g.Send("%s", bad)
		el := g.ExpectMatch("an error for "+bad, func(el *xml.Element) bool { return el.Attr("type") == "error" }, isPresenceOrHeadline)
		if e := el.Child("", "error"); e == nil || e.Child(ns.Stanzas, "not-allowed") == nil {
			t.Fatalf("%s: %s", bad, el)
		}
	}

	g.Send("<message to='%s' type='chat'><body>Hello, I have a question</body></message>", lhSupport)
	for _, u := range []string{"alice", "bob"} {
		agents[u].ExpectMatch(u+"'s offer", func(el *xml.Element) bool {
			return el.Name == "message" && strings.HasPrefix(el.Attr("from"), v.cfg["guest"]) && xmpptest.Contains(el, "Reply to take this chat.")
		}, isPresenceOrHeadline)
	}
	agents["bob"].Send("<message to='%s' type='chat'><body>Hi, Bob here</body></message>", v.cfg["guest"])
	agents["alice"].ExpectMatch("taken", func(el *xml.Element) bool { return xmpptest.Contains(el, "Taken by bob.") }, isPresenceOrHeadline)
	g.ExpectMatch("bob's reply", func(el *xml.Element) bool {
		return el.Name == "message" && el.Attr("type") == "chat" && el.Attr("from") == lhSupport && xmpptest.Contains(el, "Hi, Bob here")
	}, isPresenceOrHeadline)
	g.Send("<message to='%s' type='chat'><body>Great</body></message>", lhSupport)
	agents["bob"].ExpectMatch("the guest's message", func(el *xml.Element) bool { return xmpptest.Contains(el, "Great") }, isPresenceOrHeadline)

	// dave writes and sends presence to the guest: neither reaches it;
	// dave is told (his answer comes after his presence was handled).
	dave := f.srv.Dial()
	dave.Login("dave", "secret", "desk")
	dave.Send("<presence/>")
	dave.ExpectMatch("own presence", func(el *xml.Element) bool { return el.Name == "presence" }, nil)
	dave.Send("<presence to='%s'/>", v.cfg["guest"])
	dave.Send("<message to='%s' type='chat'><body>psst</body></message>", v.cfg["guest"])
	dave.ExpectMatch("refusal", func(el *xml.Element) bool { return xmpptest.Contains(el, "not offered to you") }, isPresenceOrHeadline)
	g.Send("<iq type='get' id='sync' to='guest.localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
	if el := g.ExpectMatch("ping result", func(el *xml.Element) bool { return el.Attr("id") == "sync" }, func(el *xml.Element) bool {
		return el.Attr("from") == lhSupport // the group's own notices only
	}); el.Attr("type") != "result" {
		t.Fatalf("ping: %s", el)
	}
}

// TestLiveHelpRequests: the chat page's answers to good, replayed,
// tampered, expired and malformed requests.
func TestLiveHelpRequests(t *testing.T) {
	f := newLHFixture(t)
	tok := f.token()
	good := f.chatURL(tok, "v1@sites.example.com")
	v := f.visitor()
	code, page := v.get(good)
	if code != 200 || !strings.Contains(page, `id="composer"`) || !strings.Contains(page, "/assets/livehelp/chat.js") {
		t.Fatalf("good request: %d", code)
	}
	// The cookie alone shows the chat again (a reload).
	if code, page := v.get(f.base + "/imtapp/im/chat"); code != 200 || !strings.Contains(page, `id="composer"`) {
		t.Fatalf("reload: %d", code)
	}
	if code, _ := f.visitor().get(f.base + "/imtapp/im/chat"); code != http.StatusForbidden {
		t.Fatalf("another browser's reload: %d", code)
	}
	for name, c := range map[string]struct {
		url, title string
		code       int
	}{
		"replay":   {good, "This live-help link was already used", 403},
		"tampered": {strings.Replace(good, "v1%40sites", "v2%40sites", 1), "This live-help link is not valid", 403},
		"bad":      {f.base + "/imtapp/im/imWebChatClient.jsp?r_fromUserJID=x@y&tokenID=1", "This live-help request is incomplete", 400},
	} {
		code, page := f.visitor().get(c.url)
		if code != c.code || !strings.Contains(page, c.title) {
			t.Errorf("%s: %d %s", name, code, page)
		}
	}
	// An expired token: stored with its expiry passed, as it would be
	// after integration.token_life.
	st := f.srv.Store()
	exp, err := st.CreateToken(context.Background(), store.Token{Random: strings.Repeat("e", 40), ParentID: tok.ParentID,
		EntityType: store.EntitySite, EntityID: lhSite, Policy: "GUESTCHAT", CreatedAt: time.Now().Add(-2 * time.Hour),
		ExpiresAt: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	expired := auth.Token{ID: exp.ID, Value: fmt.Sprintf("%d_%s", exp.ID, exp.Random)}
	if code, page := f.visitor().get(f.chatURL(expired, "v3@sites.example.com")); code != 403 || !strings.Contains(page, "This live-help link is not valid") {
		t.Fatalf("expired token: %d %s", code, page)
	}
	// POST works as the seed says.
	resp, err := http.PostForm(f.base+"/imtapp/im/imWebChatClient.jsp", mustQuery(t, f.chatURL(f.token(), "v4@sites.example.com")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Set-Cookie"), "HttpOnly") || !strings.Contains(resp.Header.Get("Set-Cookie"), "SameSite=Lax") {
		t.Fatalf("POST: %d %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("CSP %q", csp)
	}
	// A ticket needs the page's CSRF token.
	req, _ := http.NewRequest("POST", f.base+"/imtapp/im/chat/ticket", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if resp, err := v.hc.Do(req); err != nil || resp.StatusCode != 403 {
		t.Fatalf("ticket without CSRF token: %v %v", resp, err)
	}
}

func mustQuery(t *testing.T, u string) url.Values {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query()
}

// TestLiveHelpPresenceSurfaces: the group's presence (available, away,
// offline) reaches the presence URL, getPresence, the seed-004 endpoint
// and /livehelp/status; transcripts reach the site over JSON.
func TestLiveHelpPresenceSurfaces(t *testing.T) {
	f := newLHFixture(t)
	ctx := context.Background()
	sess, err := f.auth.CreateSession(ctx, lhSite, f.key, "SITE")
	if err != nil {
		t.Fatal(err)
	}
	obj, err := f.auth.RequestToken(ctx, lhSite, sess.Token, auth.TokenProperties{TokenPolicy: auth.PolicyPresence}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ptok, _ := f.auth.Resolve(ctx, obj.Token)
	js := presenceURL(ptok, "R_UID="+lhSupport+"&R_MODE=JS")
	check := func(show, text, status string) {
		t.Helper()
		if _, _, body := httpGet(t, f.srv, js); !strings.Contains(string(body), `var show = "`+show+`";`) {
			t.Fatalf("presence URL: %s, want %s", body, show)
		}
		if _, _, body := httpGet(t, f.srv, "/plugins/presence/status?type=text&jid="+lhSupport); !strings.HasPrefix(string(body), text+"\n") {
			t.Fatalf("seed-004 endpoint: %q, want %s", body, text)
		}
		var st struct{ State string }
		_, _, body := httpGet(t, f.srv, "/livehelp/status?group="+lhSupport)
		if json.Unmarshal(body, &st) != nil || st.State != status {
			t.Fatalf("/livehelp/status: %s, want %s", body, status)
		}
		var ps struct {
			AllResources []struct{ Show string } `json:"allResources"`
		}
		code, raw := postJSON(t, f.base+"/api/v1/PresenceService/getPresence", map[string]any{"param0": lhSite, "param1": sess.Token, "param2": lhSupport}, &ps)
		got := "OFFLINE"
		if len(ps.AllResources) > 0 {
			got = ps.AllResources[0].Show
		}
		if code != 200 || got != show {
			t.Fatalf("getPresence: %d %s, want %s", code, raw, show)
		}
	}
	check("OFFLINE", "offline", "offline")
	alice := f.srv.Dial()
	alice.Login("alice", "secret", "desk")
	setPresence := func(inner string) {
		alice.Send("<presence>%s</presence>", inner)
		alice.ExpectMatch("own presence", func(el *xml.Element) bool { return el.Name == "presence" && el.Attr("from") == alice.JID }, isPresenceOrHeadline)
	}
	setPresence("")
	check("AVAILABLE", "available", "available")
	setPresence("<show>dnd</show>")
	check("AWAY", "away", "away")
	setPresence("<show>chat</show>")
	check("AVAILABLE", "available", "available")

	// A chat for the transcript, over JSON.
	v := f.visitor()
	v.open(f.chatURL(f.token(), "v1@sites.example.com"))
	g := v.guestLogin(v.ticket())
	g.Send("<presence to='%s'/>", lhSupport)
	g.Send("<message to='%s' type='chat'><body>transcript me</body></message>", lhSupport)
	alice.ExpectMatch("offer", func(el *xml.Element) bool { return xmpptest.Contains(el, "Reply to take") }, isPresenceOrHeadline)
	alice.Send("<message to='%s' type='chat'><body>done</body></message>", v.cfg["guest"])
	g.ExpectMatch("reply", func(el *xml.Element) bool { return xmpptest.Contains(el, "done") }, isPresenceOrHeadline)
	var list livehelp.TranscriptList
	if code, body := postJSON(t, f.base+"/api/v1/LiveHelpService/getTranscripts", map[string]any{"param0": lhSite, "param1": sess.Token}, &list); code != 200 ||
		len(list.Transcripts) != 1 || list.Transcripts[0].AgentJID != "alice@localhost" || len(list.Transcripts[0].Lines) < 3 {
		t.Fatalf("getTranscripts: %d %s", code, body)
	}
	if code, _ := postJSON(t, f.base+"/api/v1/LiveHelpService/getTranscripts", map[string]any{"param0": lhSite, "param1": obj.Token}, &list); code != 403 {
		t.Fatalf("getTranscripts with a PRESENCE token: %d", code)
	}
	// alice is at no maximum yet (3): still available.
	check("AVAILABLE", "available", "available")
}

func postJSON(t *testing.T, u string, in, out any) (int, string) {
	t.Helper()
	data, _ := json.Marshal(in)
	resp, err := http.Post(u, "application/json", strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 {
		json.Unmarshal(b, out)
	}
	return resp.StatusCode, string(b)
}

// TestLiveHelpPageActions: what the chat page does without XMPP: leave a
// message (CSRF-protected form), download the transcript, end the chat;
// and the site's script and status endpoint.
func TestLiveHelpPageActions(t *testing.T) {
	f := newLHFixture(t)
	v := f.visitor()
	page := v.open(f.chatURL(f.token(), "v1@sites.example.com"))
	// Nobody is online: the page starts with the leave-a-message form.
	if !strings.Contains(page, `<form id="leave" class="card" method="post"`) {
		t.Fatalf("leave form hidden with nobody online:\n%s", page)
	}
	post := func(path string, form url.Values, token string) (int, string) {
		t.Helper()
		if token != "" {
			form.Set("csrf_token", token)
		}
		req, _ := http.NewRequest("POST", f.base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := v.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := post("/imtapp/im/chat/leave", url.Values{"message": {"call me"}}, ""); code != 403 {
		t.Fatalf("leave without the CSRF token: %d", code)
	}
	if code, body := post("/imtapp/im/chat/leave", url.Values{"message": {""}}, v.csrf); code != 400 || !strings.Contains(body, "The message was not sent") {
		t.Fatalf("empty message: %d", code)
	}
	if code, body := post("/imtapp/im/chat/leave", url.Values{"message": {"Please call me back."}, "email": {"v1@example.net"}}, v.csrf); code != 200 || !strings.Contains(body, "your message was sent") {
		t.Fatalf("leave a message: %d %s", code, body)
	}
	code, text := v.get(f.base + "/imtapp/im/chat/transcript")
	if code != 200 || !strings.Contains(text, "John Doe: Please call me back.") {
		t.Fatalf("transcript: %d %q", code, text)
	}
	if code, body := post("/imtapp/im/chat/end", url.Values{}, v.csrf); code != 200 || !strings.Contains(body, "The chat has ended") {
		t.Fatalf("end: %d", code)
	}
	if code, _ := v.get(f.base + "/imtapp/im/chat"); code != 403 {
		t.Fatalf("the chat after its end: %d", code)
	}

	resp, err := http.Get(f.base + "/livehelp.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/javascript; charset=utf-8" || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("/livehelp.js: %d %v", resp.StatusCode, resp.Header)
	}
	if code, _, _ := httpGet(t, f.srv, "/livehelp/status?group=nobody@groups.localhost"); code != 404 {
		t.Fatalf("status of an unknown group: %d", code)
	}
}

// TestLiveHelpLeftMessageMailed: a message left while nobody is online
// is mailed, through the configured relay (a real SMTP server here), to
// the group's address.
func TestLiveHelpLeftMessageMailed(t *testing.T) {
	relay := smtptest.Start(t, smtptest.Options{Username: "parley", Password: "relay pw"})
	f := newLHFixture(t, func(c *config.Config) {
		c.Mail.Relay, c.Mail.Username, c.Mail.Password, c.Mail.CAFile = relay.Addr, "parley", "relay pw", relay.CAFile
	})
	address := "support-team@vision.example"
	g := livehelp.Groups{Store: f.srv.Store(), Hosts: f.srv.Config.Hosts}
	if _, err := g.Set(context.Background(), lhSupport, livehelp.GroupOptions{Email: &address}); err != nil {
		t.Fatal(err)
	}
	v := f.visitor()
	v.open(f.chatURL(f.token(), "v1@sites.example.com"))
	form := url.Values{"message": {"Please call me back."}, "email": {"v1@example.net"}, "csrf_token": {v.csrf}}
	req, _ := http.NewRequest("POST", f.base+"/imtapp/im/chat/leave", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := v.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("leave a message: %d", resp.StatusCode)
	}
	msg := relay.Wait(t, 1, xmpptest.Timeout)[0]
	if len(msg.To) != 1 || msg.To[0] != address || !msg.TLS || msg.User != "parley" {
		t.Fatalf("mail to %v (tls %v, user %q), want %s over TLS as parley", msg.To, msg.TLS, msg.User, address)
	}
	if body := string(msg.Data); !strings.Contains(body, "Please call me back.") || !strings.Contains(body, "v1@example.net") {
		t.Fatalf("the mail lacks the message or the visitor's address:\n%s", body)
	}
}
