package conference

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/sqlite"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/xml"
)

// benchRoom puts alice and bob in a room on a SQLite store: a
// conference's or an ordinary persistent, archived room.
func benchRoom(b *testing.B, conferenceRoom bool) (*muc.Service, store.Conference) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "parley.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	for _, u := range []string{alice, bob} {
		if err := st.CreateUser(ctx, store.User{JID: u}); err != nil {
			b.Fatal(err)
		}
	}
	var m *Manager
	svc := muc.New(muc.Config{Domains: []string{mucDomain}, Store: st, Send: func(context.Context, *xml.Element) {},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Hooks: muc.Hooks{
			Admit:   func(ctx context.Context, e muc.Entry) muc.Admission { return m.Admit(ctx, e) },
			Observe: func(ctx context.Context, e muc.Event) { m.Observe(ctx, e) },
		}})
	m = New(Options{Store: st, MUC: svc, Domain: domain, MUCDomain: mucDomain, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	start, end := time.Now(), time.Now().Add(time.Hour)
	r, err := m.Schedule(ctx, Caller{Site: "1"}, Spec{Type: TypeRegistered, Start: &start, End: &end, Host: &Person{UserID: alice}}, base)
	if err != nil {
		b.Fatal(err)
	}
	c := r.Conference
	if !conferenceRoom {
		room, _ := muc.NewPersistentRoom(jid.MustParse("lobby@"+mucDomain), muc.RoomOptions{Archive: true})
		st.PutRoom(ctx, room)
		c.RoomJID = "lobby@" + mucDomain
	}
	for _, u := range []string{alice, bob} {
		p := xml.NewElement("jabber:client", "presence", xml.Attr{Name: "from", Value: u + "/pc"}, xml.Attr{Name: "to", Value: c.RoomJID + "/" + u[:3]})
		p.AddChild(xml.NewElement(muc.NS, "x"))
		svc.Receive(ctx, p)
	}
	return svc, c
}

// BenchmarkRoomMessage measures one groupchat message through the MUC
// service on SQLite, hooks included: in a conference's room (recorded on
// the conference's timeline, the room keeping no archive of its own) and
// in an ordinary archived room (the hooks only look at its name). Both
// cost one SQLite write per message.
func BenchmarkRoomMessage(b *testing.B) {
	for _, tc := range []struct {
		name string
		conf bool
	}{{"conference", true}, {"ordinary", false}} {
		b.Run(tc.name, func(b *testing.B) {
			svc, c := benchRoom(b, tc.conf)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				m := xml.NewElement("jabber:client", "message", xml.Attr{Name: "from", Value: bob + "/pc"}, xml.Attr{Name: "to", Value: c.RoomJID},
					xml.Attr{Name: "type", Value: "groupchat"})
				m.AddChild(xml.NewElement("jabber:client", "body").SetText("a message of ordinary length, about as long as people write"))
				svc.Receive(ctx, m)
			}
		})
	}
}
