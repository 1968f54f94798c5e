package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/dataform"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

const adminNS = "http://jabber.org/protocol/admin#"

func execute(t *testing.T, c *xmpptest.Conn, node string) *xml.Element {
	t.Helper()
	return iq(t, c, "set", "localhost", fmt.Sprintf("<command xmlns='%s' node='%s' action='execute'/>", ns.Commands, adminNS+node))
}

// submit completes a command session with fields (var, values...).
func submit(t *testing.T, c *xmpptest.Conn, node, session string, fields ...[]string) *xml.Element {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "<command xmlns='%s' node='%s' sessionid='%s' action='complete'><x xmlns='jabber:x:data' type='submit'>", ns.Commands, adminNS+node, session)
	fmt.Fprintf(&b, "<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/admin</value></field>")
	for _, f := range fields {
		fmt.Fprintf(&b, "<field var='%s'>", f[0])
		for _, v := range f[1:] {
			fmt.Fprintf(&b, "<value>%s</value>", v)
		}
		b.WriteString("</field>")
	}
	b.WriteString("</x></command>")
	return iq(t, c, "set", "localhost", b.String())
}

// run executes a command and, if it asks for a form, submits fields.
func run(t *testing.T, c *xmpptest.Conn, node string, fields ...[]string) *xml.Element {
	t.Helper()
	res := mustResult(t, execute(t, c, node))
	cmd := res.Child(ns.Commands, "command")
	if cmd.Attr("status") == "completed" {
		return res
	}
	if cmd.Attr("status") != "executing" || cmd.Child(ns.DataForms, "x") == nil {
		t.Fatalf("%s: first step %s", node, res)
	}
	return submit(t, c, node, cmd.Attr("sessionid"), fields...)
}

func resultForm(t *testing.T, res *xml.Element) dataform.Form {
	t.Helper()
	cmd := mustResult(t, res).Child(ns.Commands, "command")
	if cmd.Attr("status") != "completed" {
		t.Fatalf("command not completed: %s", res)
	}
	f, _ := dataform.Find(cmd)
	return f
}

func expectStreamEnd(t *testing.T, c *xmpptest.Conn, cond string) {
	t.Helper()
	for {
		el := c.Next()
		if el.Space == ns.Stream && el.Name == "error" {
			if el.Child(ns.Streams, cond) == nil {
				t.Fatalf("%s's stream ended with %s, want %s", c.JID, el, cond)
			}
			return
		}
	}
}

// TestAdminCommands (XEP-0050, XEP-0133): an administrator from the
// configuration lists and runs the commands; anyone else sees none and
// is refused.
func TestAdminCommands(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.Admins = []string{"root@localhost"} })
	for _, u := range []string{"root", "alice", "bob"} {
		srv.AddUser(u+"@localhost", "secret")
	}
	root := online(t, srv, "root", "console")
	a := online(t, srv, "alice", "laptop")
	b := online(t, srv, "bob", "desk")
	ctx := context.Background()

	// Not an admin.
	list := mustResult(t, iq(t, a, "get", "localhost", fmt.Sprintf("<query xmlns='http://jabber.org/protocol/disco#items' node='%s'/>", ns.Commands)))
	if len(list.Child(ns.DiscoItems, "query").Children) != 0 {
		t.Fatalf("a non-admin sees commands: %s", list)
	}
	wantError(t, execute(t, a, "add-user"), "forbidden", "", "")
	wantError(t, iq(t, a, "set", "localhost", fmt.Sprintf("<command xmlns='%s' node='%sdelete-user' sessionid='x' action='complete'/>", ns.Commands, adminNS)), "forbidden", "", "")

	list = mustResult(t, iq(t, root, "get", "localhost", fmt.Sprintf("<query xmlns='http://jabber.org/protocol/disco#items' node='%s'/>", ns.Commands)))
	for _, n := range []string{"add-user", "delete-user", "change-user-password", "get-online-users-list", "announce", "get-user-statistics", "get-registered-users-num"} {
		if !xmpptest.Contains(list, "node='"+adminNS+n+"'") {
			t.Errorf("the admin's command list %s lacks %s", list, n)
		}
	}

	// add-user
	wantError(t, run(t, root, "add-user", []string{"accountjid", "carol@localhost"}, []string{"password", "long enough"}, []string{"password-verify", "different"}), "bad-request", ns.Commands, "bad-payload")
	wantError(t, run(t, root, "add-user", []string{"accountjid", "carol@elsewhere.example"}, []string{"password", "long enough"}, []string{"password-verify", "long enough"}), "bad-request", "", "")
	run(t, root, "add-user", []string{"accountjid", "carol@localhost"}, []string{"password", "long enough"}, []string{"password-verify", "long enough"})
	c := srv.Dial()
	c.Open()
	c.Authenticate("carol", "long enough")

	// Statistics.
	f := resultForm(t, run(t, root, "get-online-users-list"))
	if got := f.Values("onlineuserjids"); !slices.Equal(got, []string{"alice@localhost", "bob@localhost", "root@localhost"}) {
		t.Errorf("online users %v", got)
	}
	if n := resultForm(t, run(t, root, "get-registered-users-num")).Value("registeredusersnum"); n != "4" {
		t.Errorf("registered users %s, want 4", n)
	}
	if n := resultForm(t, run(t, root, "get-online-users-num")).Value("onlineusersnum"); n != "3" {
		t.Errorf("online users %s, want 3", n)
	}
	friends(t, srv, [2]string{"alice", "bob"})
	st := resultForm(t, run(t, root, "get-user-statistics", []string{"accountjid", "alice@localhost"}))
	if st.Value("rostersize") != "1" || !slices.Equal(st.Values("onlineresources"), []string{a.JID}) {
		t.Errorf("alice's statistics %+v", st)
	}

	// announce
	run(t, root, "announce", []string{"subject", "Maintenance"}, []string{"body", "Back at 10"})
	for _, conn := range []*xmpptest.Conn{a, b} {
		m := conn.ExpectMatch("the announcement", func(el *xml.Element) bool {
			return el.Name == "message" && el.Attr("from") == "localhost"
		}, isAny)
		if !xmpptest.Contains(m, "<subject>Maintenance</subject>", "<body>Back at 10</body>") {
			t.Errorf("announcement %s", m)
		}
	}

	// change-user-password ends bob's sessions.
	run(t, root, "change-user-password", []string{"accountjid", "bob@localhost"}, []string{"password", "another one"})
	expectStreamEnd(t, b, "reset")
	nb := srv.Dial()
	nb.Open()
	nb.Authenticate("bob", "another one")

	// delete-user
	run(t, root, "delete-user", []string{"accountjids", "alice@localhost"})
	expectStreamEnd(t, a, "not-authorized")
	if _, err := srv.Store().User(ctx, "alice@localhost"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("alice after delete-user: %v", err)
	}

	// A session is its starter's only.
	res := mustResult(t, execute(t, root, "add-user"))
	sid := res.Child(ns.Commands, "command").Attr("sessionid")
	wantError(t, submit(t, root, "add-user", "bogus", []string{"accountjid", "dan@localhost"}), "bad-request", ns.Commands, "bad-sessionid")
	cancel := mustResult(t, iq(t, root, "set", "localhost", fmt.Sprintf("<command xmlns='%s' node='%sadd-user' sessionid='%s' action='cancel'/>", ns.Commands, adminNS, sid)))
	if cancel.Child(ns.Commands, "command").Attr("status") != "canceled" {
		t.Errorf("cancel: %s", cancel)
	}
}

// TestExternalServices (XEP-0215): the configured STUN and TURN servers,
// TURN with time-limited credentials derived from the shared secret.
func TestExternalServices(t *testing.T) {
	const secret = "a secret shared with coturn"
	srv := xmpptest.RunServer(t, func(c *config.Config) {
		c.ExternalServices.URIs = []string{"stun:stun.example.com:3478", "turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349?transport=tcp"}
		c.ExternalServices.TURNSecret = secret
		c.ExternalServices.CredentialLifetime.Duration = time.Hour
	})
	srv.AddUser("alice@localhost", "secret")
	a := online(t, srv, "alice", "laptop")
	res := mustResult(t, iq(t, a, "get", "localhost", "<services xmlns='urn:xmpp:extdisco:2'/>"))
	svcs := res.Child(ns.ExtDisco, "services").ChildrenNamed(ns.ExtDisco, "service")
	if len(svcs) != 3 {
		t.Fatalf("services %s", res)
	}
	if svcs[0].Attr("type") != "stun" || svcs[0].Attr("host") != "stun.example.com" || svcs[0].Attr("port") != "3478" || svcs[0].Attr("username") != "" {
		t.Errorf("stun service %s", svcs[0])
	}
	turn := svcs[1]
	user := turn.Attr("username")
	exp, name, _ := strings.Cut(user, ":")
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(user))
	if name != "alice@localhost" || turn.Attr("password") != base64.StdEncoding.EncodeToString(m.Sum(nil)) || turn.Attr("transport") != "udp" {
		t.Errorf("turn service %s: want TURN REST credentials for alice", turn)
	}
	if e, err := strconv.ParseInt(exp, 10, 64); err != nil || turn.Attr("expires") != time.Unix(e, 0).UTC().Format(time.RFC3339) {
		t.Errorf("turn credentials expiry %q vs %q", exp, turn.Attr("expires"))
	}
	only := mustResult(t, iq(t, a, "get", "localhost", "<services xmlns='urn:xmpp:extdisco:2' type='turns'/>"))
	if n := len(only.Child(ns.ExtDisco, "services").Children); n != 1 {
		t.Errorf("services of type turns: %s", only)
	}
	cred := mustResult(t, iq(t, a, "get", "localhost", "<credentials xmlns='urn:xmpp:extdisco:2'><service host='turn.example.com' type='turn'/></credentials>"))
	if !xmpptest.Contains(cred, "username='", "password='") {
		t.Errorf("credentials %s", cred)
	}
	wantError(t, iq(t, a, "get", "localhost", "<credentials xmlns='urn:xmpp:extdisco:2'><service host='other.example' type='turn'/></credentials>"), "item-not-found", "", "")
}
