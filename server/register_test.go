package server_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// register sends a registration iq on a stream that has not logged in.
func registerIQ(t *testing.T, c *xmpptest.Conn, id, typ, query string) *xml.Element {
	t.Helper()
	c.Send("<iq type='%s' id='%s'><query xmlns='jabber:iq:register'>%s</query></iq>", typ, id, query)
	return c.ExpectMatch("registration answer "+id, func(el *xml.Element) bool { return el.Name == "iq" && el.Attr("id") == id }, nil)
}

// TestInBandRegistration (XEP-0077 §3.1): off by default; when enabled
// the stream offers it, a client creates an account and logs into it;
// taken names, short passwords and a flood from one address are refused.
func TestInBandRegistration(t *testing.T) {
	off := xmpptest.RunServer(t)
	c := off.Dial()
	if f := c.Open(); f.Child(ns.RegisterFeat, "register") != nil {
		t.Fatalf("registration offered while disabled: %s", f)
	}
	c.Send("<iq type='get' id='r0'><query xmlns='jabber:iq:register'/></iq>")
	c.ExpectStreamError("not-authorized")

	srv := xmpptest.RunServer(t, func(c *config.Config) {
		c.Registration.Enabled = true
		c.Registration.PerAddress = 2
	})
	srv.AddUser("taken@localhost", "secret")
	c = srv.Dial()
	if f := c.Open(); f.Child(ns.RegisterFeat, "register") == nil {
		t.Fatalf("stream features %s do not offer registration", f)
	}
	form := registerIQ(t, c, "r1", "get", "")
	if q := mustResult(t, form).Child(ns.Register, "query"); q.Child(ns.Register, "username") == nil || q.Child(ns.Register, "password") == nil {
		t.Fatalf("registration form %s", form)
	}
	wantError(t, registerIQ(t, c, "r2", "set", "<username>newbie</username><password>short</password>"), "not-acceptable", "", "")
	wantError(t, registerIQ(t, c, "r3", "set", "<username>taken</username><password>long enough</password>"), "conflict", "", "")
	mustResult(t, registerIQ(t, c, "r4", "set", "<username>newbie</username><password>long enough</password>"))
	// The third attempt from this address within the window is refused,
	// whatever the name.
	wantError(t, registerIQ(t, c, "r5", "set", "<username>flood1</username><password>long enough</password>"), "resource-constraint", "", "")
	other := srv.Dial() // a new connection from the same address
	other.Open()
	wantError(t, registerIQ(t, other, "r6", "set", "<username>flood2</username><password>long enough</password>"), "resource-constraint", "", "")
	if _, err := srv.Store().User(context.Background(), "flood1@localhost"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("flood1 exists after a refused registration: %v", err)
	}
	c.Authenticate("newbie", "long enough")
	c.Open()
	c.Bind("r")
}

// TestPasswordChangeAndRemoval (XEP-0077 §3.2, §3.3): a logged-in user
// changes their password: their other sessions end and their
// integration tokens with them; the old password no longer works, the
// new one does. Removing the account ends its sessions and deletes it.
func TestPasswordChangeAndRemoval(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	ctx := context.Background()
	tok, err := srv.Store().CreateToken(ctx, store.Token{Random: "r", EntityType: store.EntityUser, EntityID: "alice@localhost",
		Policy: "SESSION", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	a := online(t, srv, "alice", "laptop")
	a2 := online(t, srv, "alice", "phone")
	wantError(t, iq(t, a, "set", "", "<query xmlns='jabber:iq:register'><username>bob</username><password>new password</password></query>"), "not-authorized", "", "")
	wantError(t, iq(t, a, "set", "", "<query xmlns='jabber:iq:register'><username>alice</username><password>abc</password></query>"), "not-acceptable", "", "")
	got := mustResult(t, iq(t, a, "get", "localhost", "<query xmlns='jabber:iq:register'/>"))
	if q := got.Child(ns.Register, "query"); q.Child(ns.Register, "registered") == nil || q.Child(ns.Register, "username").Text != "alice" {
		t.Fatalf("registration form of a logged-in user: %s", got)
	}
	mustResult(t, iq(t, a, "set", "localhost", "<query xmlns='jabber:iq:register'><username>alice</username><password>new password</password></query>"))
	for {
		el := a2.Next()
		if el.Space == ns.Stream && el.Name == "error" {
			if el.Child(ns.Streams, "reset") == nil {
				t.Fatalf("alice's other session ended with %s, want reset", el)
			}
			break
		}
	}
	if _, err := srv.Store().Token(ctx, tok.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("alice's integration token survived the password change: %v", err)
	}
	old := srv.Dial()
	old.Open()
	if err := old.TryAuthenticate("alice", "secret"); err == nil {
		t.Fatal("the old password still works")
	}
	fresh := srv.Dial()
	fresh.Open()
	fresh.Authenticate("alice", "new password")
	// The session that changed the password goes on.
	mustResult(t, iq(t, a, "get", "localhost", "<ping xmlns='urn:xmpp:ping'/>"))

	b := online(t, srv, "bob", "desk")
	b2 := online(t, srv, "bob", "phone")
	mustResult(t, iq(t, b, "set", "", "<query xmlns='jabber:iq:register'><remove/></query>"))
	for _, c := range []*xmpptest.Conn{b, b2} {
		for {
			el := c.Next()
			if el.Space == ns.Stream && el.Name == "error" {
				if el.Child(ns.Streams, "not-authorized") == nil {
					t.Fatalf("bob's session ended with %s, want not-authorized", el)
				}
				break
			}
		}
	}
	if _, err := srv.Store().User(ctx, "bob@localhost"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob's account after removal: %v", err)
	}
	_ = fmt.Sprint
}
