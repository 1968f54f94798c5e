package offline

import (
	"context"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

func parse(t *testing.T, s string) *xml.Element {
	t.Helper()
	el, err := xml.ParseElement([]byte(s), ns.Client, xml.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return el
}

func TestStorable(t *testing.T) {
	cases := map[string]bool{
		"<message type='chat'><body>hi</body></message>":                                                           true,
		"<message><body>hi</body></message>":                                                                       true,
		"<message type='normal'><subject>s</subject></message>":                                                    true,
		"<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>":                false,
		"<message type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/><thread>t</thread></message>": false,
		"<message type='chat'/>":                             false,
		"<message type='headline'><body>x</body></message>":  false,
		"<message type='groupchat'><body>x</body></message>": false,
		"<message type='error'><body>x</body></message>":     false,
	}
	for in, want := range cases {
		if got := Storable(parse(t, in)); got != want {
			t.Errorf("%s: Storable = %v, want %v", in, got, want)
		}
	}
}

func TestStoreAddsDelayAndQuota(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	st.CreateUser(ctx, store.User{JID: "bob@example.com"})
	s := New(st, store.OfflineLimits{Messages: 1}, nil)
	s.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	if err := s.Store(ctx, "bob@example.com", parse(t, "<message from='a@example.com/x' to='bob@example.com'><body>hi</body></message>")); err != nil {
		t.Fatal(err)
	}
	if err := s.Store(ctx, "bob@example.com", parse(t, "<message><body>2</body></message>")); err != ErrFull {
		t.Fatalf("quota: %v", err)
	}
	msgs, _ := st.OfflineMessages(ctx, "bob@example.com")
	el := parse(t, string(msgs[0].Stanza))
	d := el.Child(ns.Delay, "delay")
	if d == nil || d.Attr("stamp") != "2026-01-02T03:04:05.000Z" || d.Attr("from") != "example.com" {
		t.Fatalf("stored %s", msgs[0].Stanza)
	}
}
