package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// TestProbeAtLoginAnswersOfflineContacts (RFC 6121 §4.3.2): at alice's
// initial presence, her online contact answers with its presence, each
// offline contact that was ever online with its last unavailable
// presence (status kept, from its bare JID, with a delay stamp), and a
// contact that never logged in with nothing. The offline ones are read
// in one store query; this checks that every contact still gets its
// own answer, on the default store and in memory.
func TestProbeAtLoginAnswersOfflineContacts(t *testing.T) {
	for _, driver := range []string{"sqlite", "memory"} {
		t.Run(driver, func(t *testing.T) {
			srv := xmpptest.RunServer(t, func(c *config.Config) { c.Storage.Driver = driver })
			ctx := context.Background()
			for _, u := range []string{"alice", "bob", "carol", "dave", "erin"} {
				srv.AddUser(u+"@localhost", "secret")
				if u == "alice" {
					continue
				}
				for _, it := range [][2]string{{"alice", u}, {u, "alice"}} {
					if _, err := srv.Store().PutRosterItem(ctx, it[0]+"@localhost",
						store.RosterItem{Contact: it[1] + "@localhost", Subscription: store.SubBoth}); err != nil {
						t.Fatal(err)
					}
				}
			}
			// bob and carol were online and left with a status; dave never
			// logged in; erin is online.
			for _, u := range []string{"bob", "carol"} {
				c := online(t, srv, u, "r")
				c.Send("<presence type='unavailable'><status>gone %s</status></presence>", u)
				xmpptest.WaitFor(t, u+"'s last presence stored", func() bool {
					_, _, err := srv.Store().LastPresence(ctx, u+"@localhost")
					return err == nil
				})
				c.Close()
			}
			erin := online(t, srv, "erin", "e", "<status>here</status>")

			a := srv.Dial()
			a.Login("alice", "secret", "a")
			a.Send("<presence/>")
			got := map[string]*xml.Element{}
			for len(got) < 3 {
				p := a.ExpectMatch("contacts' presence", func(el *xml.Element) bool {
					return el.Name == "presence" && el.Attr("from") != a.JID
				}, isAny)
				if got[p.Attr("from")] != nil {
					t.Fatalf("a second presence from %s: %s", p.Attr("from"), p.String())
				}
				got[p.Attr("from")] = p
			}
			for _, u := range []string{"bob", "carol"} {
				p := got[u+"@localhost"]
				if p == nil || p.Attr("type") != "unavailable" || !xmpptest.Contains(p, "<status>gone "+u+"</status>") {
					t.Fatalf("%s's last presence: %v (got %v)", u, p, got)
				}
				d := p.Child(ns.Delay, "delay")
				if d == nil || d.Attr("from") != u+"@localhost" || d.Attr("stamp") == "" {
					t.Fatalf("%s's last presence without its delay stamp: %s", u, p.String())
				}
				if p.Attr("to") != a.JID {
					t.Fatalf("%s's last presence addressed to %q, want %q", u, p.Attr("to"), a.JID)
				}
			}
			if p := got[erin.JID]; p == nil || p.Attr("type") != "" || !xmpptest.Contains(p, "<status>here</status>") {
				t.Fatalf("erin's presence: %v (got %v)", p, got)
			}
			a.ExpectSilenceOf(t, "presence from dave, who never logged in", func(el *xml.Element) bool {
				return el.Name == "presence" && el.Attr("from") == "dave@localhost"
			}, 200*time.Millisecond)
		})
	}
}
