package widget

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-im/parley/integration/presence"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/web/pages"
	"github.com/parley-im/parley/webui/session"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// The script's size is part of the contract: < 15 KB gzipped.
func TestScriptSize(t *testing.T) {
	var b bytes.Buffer
	z, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	z.Write(New(Config{}).Script())
	z.Close()
	if b.Len() >= 15*1024 {
		t.Fatalf("presence.js is %d bytes gzipped, want < 15 KB", b.Len())
	}
	t.Logf("presence.js: %d bytes, %d gzipped", len(New(Config{}).Script()), b.Len())
}

func TestParseCard(t *testing.T) {
	raw := `<vCard xmlns='vcard-temp'><FN>Bob  Builder</FN>
		<EMAIL><INTERNET/><USERID>old@example.com</USERID></EMAIL>
		<EMAIL><INTERNET/><PREF/><USERID>bob@example.com</USERID></EMAIL>
		<TEL><HOME/><NUMBER>+49 (30) 123-456</NUMBER></TEL>
		<TEL><WORK/><PREF/><NUMBER>sip:bob@pbx.example.com</NUMBER></TEL></vCard>`
	c, err := ParseCard([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := Card{Name: "Bob Builder", Email: "mailto:bob@example.com", Call: "sip:bob@pbx.example.com"}
	if c != want {
		t.Fatalf("ParseCard = %+v, want %+v", c, want)
	}
	c, _ = ParseCard([]byte(`<vCard xmlns='vcard-temp'><N><GIVEN>Ann</GIVEN><FAMILY>Lee</FAMILY></N><TEL><NUMBER>0301234</NUMBER></TEL></vCard>`))
	if c != (Card{Name: "Ann Lee", Call: "tel:0301234"}) {
		t.Fatalf("ParseCard (N, plain TEL) = %+v", c)
	}
	if _, err := ParseCard([]byte(`<vCard`)); err == nil {
		t.Fatal("malformed vCard parsed")
	}
}

func TestURIs(t *testing.T) {
	for in, want := range map[string]string{
		"alice@example.com": "mailto:alice@example.com", " mailto:a.b+c@x.org ": "mailto:a.b+c@x.org",
		"javascript:alert(1)": "", "a@b@c": "", "a b@c.d": "", "<a@b.c>": "", "a@b.c?subject=x": "",
		"o'brien@example.com": "mailto:o%27brien@example.com", "a?b&c%d@x.org": "mailto:a%3Fb%26c%25d@x.org",
	} {
		if got := MailURI(in); got != want {
			t.Errorf("MailURI(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"+1 (555) 010-9999": "tel:+15550109999", "tel:+4930123": "tel:+4930123", "030/1234": "tel:0301234",
		"sip:alice@pbx.example.com": "sip:alice@pbx.example.com", "sips:a@b.c:5061": "sips:a@b.c:5061",
		"javascript:1": "", "12": "", "1+2345": "", "sip:<a@b>": "", "call me": "", "sip:o'b@x.org": "", "sip:a?h=1@x.org": "",
	} {
		if got := CallURI(in); got != want {
			t.Errorf("CallURI(%q) = %q, want %q", in, got, want)
		}
	}
}

// ---- a widget over a real router and the memory store ----

type fakeTokens struct{ tok presence.Token }

func (f fakeTokens) TokenByID(_ context.Context, id string) (presence.Token, error) {
	if id == f.tok.ID {
		return f.tok, nil
	}
	return presence.Token{}, fmt.Errorf("no token")
}
func (f fakeTokens) Token(_ context.Context, v string) (presence.Token, error) {
	if v == f.tok.Value {
		return f.tok, nil
	}
	return presence.Token{}, fmt.Errorf("no token")
}
func (fakeTokens) PresenceAllowed(context.Context, presence.Token) bool { return true }
func (fakeTokens) IssuedTo(t presence.Token, id string) bool            { return t.EntityID == id }

type presenceStore struct{ st *memory.Store }

func (p presenceStore) PresenceShared(ctx context.Context, owner string) (bool, error) {
	return p.st.PresenceShared(ctx, owner)
}
func (p presenceStore) Subscribed(ctx context.Context, owner, viewer string) bool {
	it, err := p.st.RosterItem(ctx, owner, viewer)
	return err == nil && (it.Subscription == store.SubFrom || it.Subscription == store.SubBoth)
}

type fakeSession struct{ j jid.JID }

func (s *fakeSession) JID() jid.JID         { return s.j }
func (s *fakeSession) Deliver(*xml.Element) {}
func (s *fakeSession) Close(*stream.Error)  {}

type fixture struct {
	t        testing.TB
	st       *memory.Store
	router   router.Router
	w        *Widget
	sessions *session.Manager
	srv      *httptest.Server
	tok      presence.Token
	blocked  map[[2]string]bool
	mu       sync.Mutex
	now      time.Time
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func newFixture(t testing.TB) *fixture {
	f := &fixture{t: t, st: memory.New(), router: router.New(), blocked: map[[2]string]bool{}, now: time.Now()}
	ctx := context.Background()
	for _, u := range []string{"alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"} {
		if err := f.st.CreateUser(ctx, store.User{JID: u, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	f.st.SetPresenceSharing(ctx, "bob@example.com", true)
	f.st.PutVCard(ctx, "bob@example.com", []byte(`<vCard xmlns='vcard-temp'><FN>Bob</FN><EMAIL><USERID>bob@mail.example.com</USERID></EMAIL><TEL><NUMBER>+1 555 0100</NUMBER></TEL></vCard>`))
	f.st.PutVCard(ctx, "carol@example.com", []byte(`<vCard xmlns='vcard-temp'><FN>Carol</FN><EMAIL><USERID>carol@mail.example.com</USERID></EMAIL></vCard>`))
	// carol shares her presence with alice by subscription.
	f.st.PutRosterItem(ctx, "carol@example.com", store.RosterItem{Contact: "alice@example.com", Subscription: store.SubFrom})
	f.st.PutRosterItem(ctx, "dave@example.com", store.RosterItem{Contact: "alice@example.com", Subscription: store.SubBoth})
	f.tok = presence.Token{ID: "1000641", Value: "1000641_QAHnRTN3L8E1DVEHL3UFKYuxHcW8ce7p", EntityType: presence.EntitySite, EntityID: "site1", Policies: []string{"PRESENCE"}}
	svc := presence.New(presence.Config{Sessions: f.router, Tokens: fakeTokens{f.tok}, Store: presenceStore{f.st},
		IsLocal: func(d string) bool { return d == "example.com" }, MaxRequestSize: 10, MaxResponseSize: 10})
	p := pages.New(pages.Config{})
	f.sessions = session.New(session.Config{Store: f.st, Pages: p, Hosts: []string{"example.com"},
		CheckPassword: func(_ context.Context, _, domain, local, pw string) error {
			if pw == "right" {
				return nil
			}
			return fmt.Errorf("wrong")
		}})
	ctxRun, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f.w = New(Config{Presence: svc, VCard: f.st.VCard, Sessions: f.sessions, Hosts: []string{"example.com"}, Base: ctxRun, Now: f.clock,
		Blocks: func(owner, other string) bool {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.blocked[[2]string{owner, other}]
		}})
	go f.w.Run(ctxRun)
	f.router.OnPresence(f.w.Changed)
	mux := http.NewServeMux()
	f.w.Register(mux)
	mux.HandleFunc("GET /signin-as", func(w http.ResponseWriter, r *http.Request) {
		if _, err := f.sessions.Start(w, r, r.URL.Query().Get("user")); err != nil {
			t.Error(err)
		}
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// online binds full with a presence (show, status).
func (f *fixture) online(full, show, status string) {
	s := &fakeSession{j: jid.MustParse(full)}
	f.router.Bind(s)
	f.setPresence(s, show, status)
}

func (f *fixture) setPresence(s router.Session, show, status string) {
	inner := ""
	if show != "" {
		inner += "<show>" + show + "</show>"
	}
	if status != "" {
		inner += "<status>" + status + "</status>"
	}
	el, err := xml.ParseElement([]byte("<presence>"+inner+"</presence>"), "jabber:client", xml.DefaultLimits)
	if err != nil {
		f.t.Fatal(err)
	}
	f.router.SetPresence(s, true, 0, el)
}

func (f *fixture) get(path string, header ...string) (*http.Response, View) {
	f.t.Helper()
	req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v View
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			f.t.Fatal(err)
		}
	}
	return resp, v
}

// TestPublicView: anonymous pages see only users who share presence
// publicly, with the seed's 60-second cache and an ETag (304 when
// unchanged), from any origin; everyone else looks offline, without
// anything from their vCard.
func TestPublicView(t *testing.T) {
	f := newFixture(t)
	f.online("bob@example.com/desk", "dnd", "in a meeting")
	f.online("carol@example.com/phone", "", "")
	resp, v := f.get("/widget/v1/presence?jid=Bob@Example.com")
	want := View{JID: "bob@example.com", State: "busy", Show: "dnd", Status: "in a meeting", Shared: true, Name: "Bob",
		Email: "mailto:bob@mail.example.com", Call: "tel:+15550100"}
	if v != want {
		t.Fatalf("bob: %+v, want %+v", v, want)
	}
	if resp.Header.Get("Cache-Control") != "public, max-age=60" || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("ETag") == "" {
		t.Fatalf("headers: %v", resp.Header)
	}
	again, _ := f.get("/widget/v1/presence?jid=bob@example.com", "If-None-Match", resp.Header.Get("ETag"))
	if again.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation: %d, want 304", again.StatusCode)
	}
	f.online("bob@example.com/phone", "away", "")
	changed, v2 := f.get("/widget/v1/presence?jid=bob@example.com", "If-None-Match", resp.Header.Get("ETag"))
	if changed.StatusCode != http.StatusOK || v2.State != "away" {
		t.Fatalf("after a change: %d %+v", changed.StatusCode, v2)
	}
	_, v = f.get("/widget/v1/presence?jid=carol@example.com")
	if v != (View{JID: "carol@example.com", State: "offline", Show: "offline"}) {
		t.Fatalf("carol (online, not shared): %+v", v)
	}
	for _, q := range []string{"", "jid=", "jid=notajid", "jid=a@example.com&jid=b@example.com"} {
		if resp, _ := f.get("/widget/v1/presence?" + q); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%q: %d, want 400", q, resp.StatusCode)
		}
	}
}

// TestSignedView: a site's signed presence URL shows what it allows;
// any failure looks the same.
func TestSignedView(t *testing.T) {
	f := newFixture(t)
	f.online("carol@example.com/phone", "away", "back soon")
	params := url.Values{"R_UID": {"carol@example.com"}, "R_MODE": {"IMG"}}
	q := "TID=" + f.tok.ID + "&R_UID=carol@example.com&R_MODE=IMG&K1=" + presence.K1(f.tok.Value, params)
	resp, v := f.get("/widget/v1/signed?" + q)
	if v.JID != "carol@example.com" || v.State != "away" || v.Status != "back soon" || !v.Shared || v.Email != "mailto:carol@mail.example.com" {
		t.Fatalf("signed: %+v", v)
	}
	if resp.Header.Get("Cache-Control") != "private, max-age=60" {
		t.Fatalf("cache: %q", resp.Header.Get("Cache-Control"))
	}
	bad := strings.Replace(q, "carol@", "dave@", 1)
	_, v = f.get("/widget/v1/signed?" + bad)
	if v != (View{State: "offline", Show: "offline"}) {
		t.Fatalf("tampered: %+v", v)
	}
}

// liveClient is a page's live connection, signed in as user ("" none).
func (f *fixture) liveClient(user, origin string) (*websocket.Conn, context.Context) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	f.t.Cleanup(cancel)
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	if user != "" {
		resp, err := http.Get(f.srv.URL + "/signin-as?user=" + user)
		if err != nil {
			f.t.Fatal(err)
		}
		resp.Body.Close()
		for _, c := range resp.Cookies() {
			h.Add("Cookie", c.Name+"="+c.Value)
		}
	}
	c, _, err := websocket.Dial(ctx, strings.Replace(f.srv.URL, "http", "ws", 1)+LivePath, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { c.CloseNow() })
	return c, ctx
}

func read(t *testing.T, ctx context.Context, c *websocket.Conn) liveMsg {
	t.Helper()
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m liveMsg
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// next reads until a presence of bare.
func next(t *testing.T, ctx context.Context, c *websocket.Conn, bare string) View {
	t.Helper()
	for {
		m := read(t, ctx, c)
		if m.Type == "presence" && m.View != nil && m.JID == bare {
			return *m.View
		}
	}
}

// TestLiveView: a signed-in viewer's one connection follows every icon:
// its own, subscribed and public presences at once and at each change;
// a private or blocking user stays offline.
func TestLiveView(t *testing.T) {
	f := newFixture(t)
	f.online("carol@example.com/phone", "", "here")
	c, ctx := f.liveClient("alice@example.com", "http://www.example.com")
	if m := read(t, ctx, c); m.Type != "hello" || m.Viewer != "alice@example.com" {
		t.Fatalf("first message: %+v", m)
	}
	watch, _ := json.Marshal(liveMsg{Type: "watch", JIDs: []string{"carol@example.com", "bob@example.com", "eve@example.com", "dave@example.com"}})
	c.Write(ctx, websocket.MessageText, watch)
	got := map[string]View{}
	for len(got) < 4 {
		m := read(t, ctx, c)
		got[m.JID] = *m.View
	}
	if v := got["carol@example.com"]; v.State != "online" || v.Status != "here" || v.Name != "Carol" || !v.Shared {
		t.Fatalf("carol (subscribed): %+v", v)
	}
	if v := got["bob@example.com"]; v.State != "offline" || !v.Shared {
		t.Fatalf("bob (public, offline): %+v", v)
	}
	if v := got["eve@example.com"]; v.Shared {
		t.Fatalf("eve (no account): %+v", v)
	}
	// A change reaches the page at once.
	f.online("bob@example.com/desk", "dnd", "busy busy")
	if v := next(t, ctx, c, "bob@example.com"); v.State != "busy" || v.Status != "busy busy" {
		t.Fatalf("bob's change: %+v", v)
	}
	// dave blocks alice: she sees him offline even though subscribed.
	f.mu.Lock()
	f.blocked[[2]string{"dave@example.com", "alice@example.com"}] = true
	f.mu.Unlock()
	f.online("dave@example.com/x", "", "")
	if v := next(t, ctx, c, "dave@example.com"); v.Shared || v.State != "offline" {
		t.Fatalf("dave (blocks alice): %+v", v)
	}
	// carol stops sharing with alice: the page sees it after the
	// visibility decision's minute (the seed's presence cache).
	f.st.DeleteRosterItem(context.Background(), "carol@example.com", "alice@example.com")
	f.online("carol@example.com/laptop", "away", "")
	if v := next(t, ctx, c, "carol@example.com"); !v.Shared || v.State != "away" {
		t.Fatalf("carol within the minute: %+v", v)
	}
	f.advance(visibleFor)
	f.online("carol@example.com/tablet", "", "")
	if v := next(t, ctx, c, "carol@example.com"); v.Shared {
		t.Fatalf("carol after the minute: %+v", v)
	}
}

// TestLiveAnonymous: without a sign-in, or from a page of a foreign
// origin, the live view says anonymous and closes.
func TestLiveAnonymous(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ user, origin string }{{"", "http://www.example.com"}, {"alice@example.com", "https://evil.example.net"}} {
		conn, ctx := f.liveClient(c.user, c.origin)
		if m := read(t, ctx, conn); m.Type != "anonymous" {
			t.Fatalf("%+v: %+v", c, m)
		}
		if _, _, err := conn.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
			t.Fatalf("%+v: %v", c, err)
		}
	}
}

// TestLiveOrigins: which pages get the live view.
func TestLiveOrigins(t *testing.T) {
	w := New(Config{Hosts: []string{"example.com"}, Origins: []string{"intranet.corp:8443", "*.partner.org"}})
	r := httptest.NewRequest("GET", "http://chat.example.net:5280/widget/v1/live", nil)
	for origin, want := range map[string]bool{
		"": true, "http://chat.example.net:8000": true, "https://example.com": true, "https://www.example.com": true,
		"https://intranet.corp:8443": true, "https://x.partner.org": true,
		"https://evil.com": false, "https://example.com.evil.com": false, "https://intranet.corp": false, "null": false,
	} {
		if got := w.liveOrigin(r, origin); got != want {
			t.Errorf("liveOrigin(%q) = %v, want %v", origin, got, want)
		}
	}
}
