package push

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

func message(t *testing.T, raw string) *xml.Element {
	t.Helper()
	el, err := xml.ParseElement([]byte(raw), ns.Client, xml.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return el
}

func TestNotifies(t *testing.T) {
	for raw, want := range map[string]bool{
		"<message type='chat'><body>hi</body></message>":                                            true,
		"<message><body>hi</body></message>":                                                        true,
		"<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>": false,
		"<message type='groupchat'><body>hi</body></message>":                                       false,
		"<message type='error'><body>hi</body></message>":                                           false,
		"<message type='headline'><body>news</body></message>":                                      false,
		"<presence/>": false,
	} {
		if got := Notifies(message(t, raw)); got != want {
			t.Errorf("Notifies(%s) = %v, want %v", raw, got, want)
		}
	}
}

// Held notifications are throttled per registration, count what is
// held, and go only to the registration of the waiting resource.
func TestHeldThrottleAndCount(t *testing.T) {
	st := memory.New()
	ctx := context.Background()
	if err := st.CreateUser(ctx, store.User{JID: "alice@example.com"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []store.PushRegistration{
		{Service: "push.example.com", Node: "phone", Resource: "phone"},
		{Service: "push.example.com", Node: "tablet", Resource: "tablet"},
	} {
		if err := st.PutPush(ctx, "alice@example.com", r); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var sent []*xml.Element
	s := New(Config{Store: st, Now: func() time.Time { return now },
		Send: func(_ context.Context, iq *xml.Element) bool { sent = append(sent, iq); return true }})
	phone := jid.MustParse("alice@example.com/phone")
	msg := message(t, "<message from='bob@example.com/desk' type='chat'><body>hi</body></message>")

	s.Held(ctx, phone, msg, 1)
	s.Held(ctx, phone, msg, 2) // within a second: throttled
	now = now.Add(time.Second)
	s.Held(ctx, phone, msg, 3)
	if len(sent) != 2 {
		t.Fatalf("%d notifications, want 2 (one throttled)", len(sent))
	}
	for i, want := range []string{"1", "3"} {
		if !strings.Contains(sent[i].String(), "<value>"+want+"</value>") || !strings.Contains(sent[i].String(), "node='phone'") {
			t.Errorf("notification %d = %s, want node phone with message-count %s", i, sent[i], want)
		}
	}
}
