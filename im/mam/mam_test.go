package mam

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/xml"
)

func parse(t *testing.T, s string) *xml.Element {
	t.Helper()
	el, err := xml.ParseElement([]byte(s), "jabber:client", xml.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return el
}

func TestArchivable(t *testing.T) {
	for s, want := range map[string]bool{
		"<message type='chat'><body>x</body></message>":                                             true,
		"<message><body>x</body></message>":                                                         true,
		"<message type='groupchat'><body>x</body></message>":                                        false,
		"<message type='headline'><body>x</body></message>":                                         false,
		"<message type='error'><body>x</body></message>":                                            false,
		"<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>": false,
		"<message type='chat'><body>x</body><no-store xmlns='urn:xmpp:hints'/></message>":           false,
		"<message type='chat'><store xmlns='urn:xmpp:hints'/></message>":                            true,
	} {
		if got := Archivable(parse(t, s)); got != want {
			t.Errorf("Archivable(%s) = %v", s, got)
		}
	}
}

func newService(t *testing.T, cfg Config) (*Service, *memory.Store) {
	t.Helper()
	st := memory.New()
	for _, u := range []string{"alice@example.com", "bob@example.com"} {
		if err := st.CreateUser(context.Background(), store.User{JID: u}); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Store = st
	s := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, st
}

func TestArchiveReceivedAddsStanzaIDAndStripsForged(t *testing.T) {
	s, st := newService(t, Config{})
	alice := jid.MustParse("alice@example.com/phone")
	el := parse(t, "<message from='bob@example.com/desk' type='chat'><body>hi</body><stanza-id xmlns='urn:xmpp:sid:0' by='alice@example.com' id='forged'/></message>")
	got := s.ArchiveReceived(context.Background(), el, alice)
	ids := got.ChildrenNamed("urn:xmpp:sid:0", "stanza-id")
	if len(ids) != 1 || ids[0].Attr("id") == "forged" || ids[0].Attr("by") != "alice@example.com" {
		t.Fatalf("delivered %s", got)
	}
	p, err := query(t, s, st, context.Background(), "alice@example.com", store.ArchiveQuery{Max: 5})
	if err != nil || len(p.Messages) != 1 || p.Messages[0].ID != ids[0].Attr("id") || p.Messages[0].With != "bob@example.com" {
		t.Fatalf("archive %+v %v", p, err)
	}
}

func TestPreferencesAndRosterMode(t *testing.T) {
	inRoster := map[string]bool{"bob@example.com": true}
	s, st := newService(t, Config{DefaultMode: Roster, InRoster: func(_ context.Context, _, c string) bool { return inRoster[c] }})
	ctx := context.Background()
	alice := jid.MustParse("alice@example.com/phone")
	msg := func(from string) *xml.Element {
		return parse(t, "<message from='"+from+"' type='chat'><body>x</body></message>")
	}
	s.ArchiveReceived(ctx, msg("bob@example.com/desk"), alice)
	s.ArchiveReceived(ctx, msg("stranger@example.net/x"), alice)
	if p, _ := query(t, s, st, ctx, "alice@example.com", store.ArchiveQuery{Max: 5}); p.Count != 1 {
		t.Fatalf("roster mode archived %d messages, want 1 (bob's)", p.Count)
	}
	must(t, st.SetArchivePrefs(ctx, "alice@example.com", store.ArchivePrefs{Default: Always, Never: []string{"bob@example.com"}}))
	s.mu.Lock()
	delete(s.prefs, "alice@example.com") // as HandlePrefs does
	s.mu.Unlock()
	s.ArchiveReceived(ctx, msg("bob@example.com/desk"), alice)
	s.ArchiveReceived(ctx, msg("stranger@example.net/x"), alice)
	if p, _ := query(t, s, st, ctx, "alice@example.com", store.ArchiveQuery{Max: 5}); p.Count != 2 {
		t.Fatalf("after never=bob, always: %d messages, want 2", p.Count)
	}
}

func TestPruneHonoursRetention(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(now.Add(-2 * time.Hour).UnixNano())
	s, st := newService(t, Config{Retention: time.Hour, Now: func() time.Time { return time.Unix(0, clock.Load()) }})
	ctx := context.Background()
	s.ArchiveSent(ctx, parse(t, "<message type='chat'><body>old</body></message>"), jid.MustParse("alice@example.com/a"), jid.MustParse("bob@example.com"))
	clock.Store(now.UnixNano())
	s.ArchiveSent(ctx, parse(t, "<message type='chat'><body>new</body></message>"), jid.MustParse("alice@example.com/a"), jid.MustParse("bob@example.com"))
	s.Prune(ctx)
	p, _ := query(t, s, st, ctx, "alice@example.com", store.ArchiveQuery{Max: 5})
	if p.Count != 1 || string(p.Messages[0].Stanza) == "" || !containsBody(p.Messages[0].Stanza, "new") {
		t.Fatalf("after prune: %+v", p)
	}
}

func containsBody(b []byte, text string) bool {
	el, err := xml.ParseElement(b, "jabber:client", xml.DefaultLimits)
	return err == nil && el.Child("jabber:client", "body") != nil && el.Child("jabber:client", "body").Text == text
}

// query reads the store once the writer has written what it was given.
func query(t *testing.T, s *Service, st *memory.Store, ctx context.Context, owner string, q store.ArchiveQuery) (store.ArchivePage, error) {
	t.Helper()
	s.writer.sync(ctx)
	return st.QueryArchive(ctx, owner, q)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
