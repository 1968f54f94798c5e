package server_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// XEP-0313 message archive management.

type mamPage struct {
	bodies   []string
	ids      []string
	complete bool
	first    string
	last     string
	count    int
	err      *xml.Element
}

// queryMAM sends an archive query with the given form fields and RSM
// set, and collects the results until the iq answer.
func queryMAM(t *testing.T, c *xmpptest.Conn, fields map[string][]string, set string, extra string) mamPage {
	t.Helper()
	var form strings.Builder
	if fields != nil {
		form.WriteString("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>" + ns.MAM + "</value></field>")
		for k, vs := range fields {
			form.WriteString("<field var='" + k + "'>")
			for _, v := range vs {
				form.WriteString("<value>" + v + "</value>")
			}
			form.WriteString("</field>")
		}
		form.WriteString("</x>")
	}
	if set != "" {
		set = "<set xmlns='" + ns.RSM + "'>" + set + "</set>"
	}
	c.Send("<iq type='set' id='mq'><query xmlns='%s' queryid='qq'>%s%s%s</query></iq>", ns.MAM, form.String(), set, extra)
	var p mamPage
	for {
		el := c.ExpectMatch("archive result or answer", func(el *xml.Element) bool {
			return (el.Name == "message" && el.Child(ns.MAM, "result") != nil) || (el.Name == "iq" && el.Attr("id") == "mq")
		}, isPresence)
		if el.Name == "iq" {
			if el.Attr("type") == "error" {
				p.err = el
				return p
			}
			fin := el.Child(ns.MAM, "fin")
			if fin == nil {
				t.Fatalf("answer without <fin/>: %s", el)
			}
			p.complete = fin.Attr("complete") == "true"
			rsm := fin.Child(ns.RSM, "set")
			if f := rsm.Child(ns.RSM, "first"); f != nil {
				p.first = f.Text
			}
			if l := rsm.Child(ns.RSM, "last"); l != nil {
				p.last = l.Text
			}
			p.count, _ = strconv.Atoi(rsm.Child(ns.RSM, "count").Text)
			return p
		}
		r := el.Child(ns.MAM, "result")
		if r.Attr("queryid") != "qq" || el.Attr("from") != strings.SplitN(c.JID, "/", 2)[0] {
			t.Fatalf("result: %s", el)
		}
		fwd := r.Child(ns.Forward, "forwarded")
		if fwd.Child(ns.Delay, "delay") == nil {
			t.Fatalf("forwarded without delay: %s", el)
		}
		p.bodies = append(p.bodies, fwd.Child(ns.Client, "message").Child(ns.Client, "body").Text)
		p.ids = append(p.ids, r.Attr("id"))
	}
}

func bodies(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, "m"+strconv.Itoa(i))
	}
	return out
}

func checkPage(t *testing.T, what string, p mamPage, want []string, complete bool, count int) {
	t.Helper()
	if p.err != nil {
		t.Fatalf("%s: %s", what, p.err)
	}
	if fmt.Sprint(p.bodies) != fmt.Sprint(want) || p.complete != complete || p.count != count {
		t.Fatalf("%s: bodies %v complete %v count %d; want %v %v %d", what, p.bodies, p.complete, p.count, want, complete, count)
	}
	if len(p.ids) > 0 && (p.first != p.ids[0] || p.last != p.ids[len(p.ids)-1]) {
		t.Fatalf("%s: first/last %s/%s, ids %v", what, p.first, p.last, p.ids)
	}
}

func TestMAMPagingBothWays(t *testing.T) {
	srv := newUsers(t, "alice", "bob", "carol")
	alice := online(t, srv, "alice", "phone")
	bob := online(t, srv, "bob", "desk")
	carol := online(t, srv, "carol", "desk")
	for i := 1; i <= 25; i++ {
		bob.Send("<message to='alice@localhost' type='chat'><body>m%d</body></message>", i)
		m := alice.ExpectMatch("message", func(el *xml.Element) bool { return el.Name == "message" }, isPresence)
		if sid := m.Child(ns.StanzaID, "stanza-id"); sid == nil || sid.Attr("by") != "alice@localhost" || sid.Attr("id") == "" {
			t.Fatalf("delivered without stanza-id: %s", m)
		}
	}
	carol.Send("<message to='alice@localhost' type='chat'><body>from carol</body></message>")
	alice.ExpectMatch("carol's message", func(el *xml.Element) bool { return el.Name == "message" }, isPresence)

	with := map[string][]string{"with": {"bob@localhost"}}
	p1 := queryMAM(t, alice, with, "<max>10</max>", "")
	checkPage(t, "page 1", p1, bodies(1, 10), false, 25)
	p2 := queryMAM(t, alice, with, "<max>10</max><after>"+p1.last+"</after>", "")
	checkPage(t, "page 2", p2, bodies(11, 20), false, 25)
	p3 := queryMAM(t, alice, with, "<max>10</max><after>"+p2.last+"</after>", "")
	checkPage(t, "page 3", p3, bodies(21, 25), true, 25)

	b1 := queryMAM(t, alice, with, "<max>10</max><before/>", "")
	checkPage(t, "last page", b1, bodies(16, 25), false, 25)
	b2 := queryMAM(t, alice, with, "<max>10</max><before>"+b1.first+"</before>", "")
	checkPage(t, "page before", b2, bodies(6, 15), false, 25)
	b3 := queryMAM(t, alice, with, "<max>10</max><before>"+b2.first+"</before>", "")
	checkPage(t, "first page backwards", b3, bodies(1, 5), true, 25)

	// Everything, and flip-page.
	all := queryMAM(t, alice, nil, "<max>100</max>", "")
	if all.count != 26 || all.bodies[25] != "from carol" {
		t.Fatalf("whole archive: %v (count %d)", all.bodies, all.count)
	}
	flipped := queryMAM(t, alice, with, "<max>3</max>", "<flip-page/>")
	checkPage(t, "flipped", flipped, []string{"m3", "m2", "m1"}, false, 25)

	// #extended: after-id, before-id, ids.
	ext := queryMAM(t, alice, map[string][]string{"after-id": {p1.ids[1]}, "before-id": {p1.ids[5]}}, "", "")
	checkPage(t, "after-id/before-id", ext, bodies(3, 5), true, 3)
	ids := queryMAM(t, alice, map[string][]string{"ids": {p2.ids[0], p3.ids[4]}}, "", "")
	checkPage(t, "ids", ids, []string{"m11", "m25"}, true, 2)

	// The sender's archive has the same conversation.
	mine := queryMAM(t, bob, map[string][]string{"with": {"alice@localhost"}}, "<max>5</max><before/>", "")
	checkPage(t, "bob's archive", mine, bodies(21, 25), false, 25)
}

func TestMAMOfflineArchivedOnce(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	bob := online(t, srv, "bob", "desk")
	bob.Send("<message to='alice@localhost' type='chat'><body>m1</body></message>")
	alice := srv.Dial()
	alice.Login("alice", "secret", "phone")
	alice.Send("<presence/>")
	m := alice.ExpectMatch("offline message", func(el *xml.Element) bool { return el.Name == "message" }, isPresence)
	if m.Child(ns.StanzaID, "stanza-id") == nil || m.Child(ns.Delay, "delay") == nil {
		t.Fatalf("offline message: %s", m)
	}
	checkPage(t, "after offline delivery", queryMAM(t, alice, nil, "", ""), bodies(1, 1), true, 1)
}

func TestMAMErrorsAndPrefs(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	alice := online(t, srv, "alice", "phone")
	bob := online(t, srv, "bob", "desk")
	for _, tc := range []struct {
		fields map[string][]string
		set    string
		cond   string
	}{
		{nil, "<max>many</max>", "bad-request"},
		{nil, "<after>99999999</after>", "item-not-found"},
		{map[string][]string{"start": {"yesterday"}}, "", "bad-request"},
		{map[string][]string{"color": {"blue"}}, "", "bad-request"},
	} {
		p := queryMAM(t, alice, tc.fields, tc.set, "")
		if p.err == nil || p.err.Child(ns.Client, "error").Child(ns.Stanzas, tc.cond) == nil {
			t.Fatalf("%v %s: %v, want %s", tc.fields, tc.set, p.err, tc.cond)
		}
	}
	// The search form.
	alice.Send("<iq type='get' id='f'><query xmlns='%s'/></iq>", ns.MAM)
	f := alice.ExpectMatch("form", func(el *xml.Element) bool { return el.Attr("id") == "f" }, isPresence)
	if !xmpptest.Contains(f, "var='with'", "var='before-id'", "var='ids'") {
		t.Fatalf("form: %s", f)
	}
	// Preferences: never archive bob.
	alice.Send("<iq type='set' id='p'><prefs xmlns='%s' default='always'><never><jid>bob@localhost</jid></never></prefs></iq>", ns.MAM)
	if p := alice.ExpectMatch("prefs", func(el *xml.Element) bool { return el.Attr("id") == "p" }, isPresence); !xmpptest.Contains(p, "default='always'", "<never><jid>bob@localhost</jid></never>") {
		t.Fatalf("prefs: %s", p)
	}
	bob.Send("<message to='alice@localhost' type='chat'><body>unarchived</body></message>")
	if m := alice.ExpectMatch("message", func(el *xml.Element) bool { return el.Name == "message" }, isPresence); m.Child(ns.StanzaID, "stanza-id") != nil {
		t.Fatalf("archived against preferences: %s", m)
	}
	if p := queryMAM(t, alice, nil, "", ""); p.count != 0 {
		t.Fatalf("archive holds %v", p.bodies)
	}
}
