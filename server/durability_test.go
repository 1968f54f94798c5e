package server_test

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Issue 19 items 4, 5, 6 and 8: what one user can store, and that
// storing and delivering stored messages never loses one.

// smReader reads a stream-management session, answering the server's
// <r/> with the number of stanzas received (XEP-0198), as a client that
// keeps up does.
type smReader struct {
	t    *testing.T
	c    *xmpptest.Conn
	h    int
	acks bool // answer <r/>
}

// next returns the next stanza, answering ack requests on the way.
func (r *smReader) next() *xml.Element {
	r.t.Helper()
	for {
		el := r.c.Next()
		if el.Space == ns.SM {
			if el.Name == "r" && r.acks {
				r.c.Send("<a xmlns='%s' h='%d'/>", ns.SM, r.h)
			}
			continue
		}
		r.h++
		return el
	}
}

// message returns the next message, skipping other stanzas.
func (r *smReader) message() *xml.Element {
	r.t.Helper()
	for {
		if el := r.next(); el.Name == "message" {
			return el
		}
	}
}

func body(el *xml.Element) string {
	if b := el.Child(ns.Client, "body"); b != nil {
		return b.Text
	}
	return ""
}

// mailbox is the offline mailbox of the issue, scaled down: small
// messages, large ones, small ones again; labels are in order.
func mailbox(small1, large, small2 int) (labels []string, bodies []string) {
	pad := strings.Repeat("x", 200<<10)
	for i := range small1 + large + small2 {
		label := fmt.Sprintf("m%03d:", i)
		b := label
		if i >= small1 && i < small1+large {
			b += pad
		}
		labels, bodies = append(labels, label), append(bodies, b)
	}
	return labels, bodies
}

func offlineCount(t *testing.T, srv *xmpptest.Server, owner string) int {
	n, err := srv.Store().CountOffline(t.Context(), owner)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// storeMailbox has alice send bodies to an offline bob and waits until
// all are stored.
func storeMailbox(t *testing.T, srv *xmpptest.Server, a *xmpptest.Conn, bodies []string) {
	t.Helper()
	for i, b := range bodies {
		a.Send("<message to='bob@localhost' type='chat' id='o%d'><body>%s</body></message>", i, b)
	}
	xmpptest.WaitFor(t, "the mailbox stored", func() bool { return offlineCount(t, srv, "bob@localhost") == len(bodies) })
}

// mailboxServer has a small outbound queue (768 KiB): a mailbox of 6 MB
// is eight times what one session may have queued.
func mailboxServer(t *testing.T) *xmpptest.Server {
	srv := xmpptest.RunServer(t, func(c *config.Config) {
		c.Limits.OutboundQueueBytes = 768 << 10
		c.Offline.MaxBytes = 64 << 20
	})
	for _, u := range []string{"alice", "bob", "carol"} {
		srv.AddUser(u+"@localhost", "secret")
	}
	return srv
}

// Item 5: a mailbox far larger than the outbound queue is delivered
// whole, in order, to a client without stream management, and emptied;
// the session stays up, and another user chats meanwhile.
func TestOfflineMailboxLargerThanTheQueue(t *testing.T) {
	srv := mailboxServer(t)
	a := online(t, srv, "alice", "a")
	labels, bodies := mailbox(10, 30, 10)
	storeMailbox(t, srv, a, bodies)

	b := srv.Dial()
	b.Login("bob", "secret", "b")
	b.Send("<presence/>")
	c := online(t, srv, "carol", "c")
	r := &smReader{t: t, c: b}
	for i, want := range labels {
		if i == len(labels)/2 {
			c.Send("<message to='alice@localhost/a' type='chat'><body>meanwhile</body></message>")
			a.ExpectMatch("carol's message", func(el *xml.Element) bool { return body(el) == "meanwhile" }, isPresence)
		}
		m := r.message()
		if got := body(m); !strings.HasPrefix(got, want) || m.Child(ns.Delay, "delay") == nil {
			t.Fatalf("message %d: %.20q, want %q with a delay", i, got, want)
		}
	}
	xmpptest.WaitFor(t, "the mailbox emptied", func() bool { return offlineCount(t, srv, "bob@localhost") == 0 })
	b.Send("<iq type='get' id='alive' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
	b.ExpectMatch("ping result", func(el *xml.Element) bool { return el.Attr("id") == "alive" }, isPresence)
}

// Item 5 with stream management: a login that ends before the client
// acknowledged what it got deletes nothing; the next login gets the
// whole mailbox, acknowledges it, and storage empties.
func TestOfflineMailboxKeptUntilAcknowledged(t *testing.T) {
	srv := mailboxServer(t)
	a := online(t, srv, "alice", "a")
	labels, bodies := mailbox(10, 30, 10)
	storeMailbox(t, srv, a, bodies)

	login := func(acks bool) *smReader {
		b := srv.Dial()
		b.Login("bob", "secret", "b")
		b.Send("<enable xmlns='%s'/>", ns.SM)
		expectSM(t, b, "enabled")
		b.Send("<presence/>")
		return &smReader{t: t, c: b, acks: acks}
	}
	// First login: three messages read, none acknowledged, connection lost.
	r := login(false)
	for i := range 3 {
		if got := body(r.message()); !strings.HasPrefix(got, labels[i]) {
			t.Fatalf("first login, message %d: %.20q", i, got)
		}
	}
	r.c.Net().Close()
	xmpptest.WaitFor(t, "bob's first session to end", func() bool { return srv.Router().Count() == 1 })
	if n := offlineCount(t, srv, "bob@localhost"); n != len(labels) {
		t.Fatalf("after a login that acknowledged nothing, %d messages stored, want %d", n, len(labels))
	}

	// Second login: everything, once, in order; acknowledged, so deleted.
	r = login(true)
	for i, want := range labels {
		if got := body(r.message()); !strings.HasPrefix(got, want) {
			t.Fatalf("second login, message %d: %.20q, want %q", i, got, want)
		}
	}
	r.c.Send("<a xmlns='%s' h='%d'/>", ns.SM, r.h) // XEP-0198 §4: an ack needs no request
	xmpptest.WaitFor(t, "the mailbox emptied", func() bool { return offlineCount(t, srv, "bob@localhost") == 0 })
	a.Send("<message to='bob@localhost/b' type='chat'><body>live</body></message>")
	if got := body(r.message()); got != "live" {
		t.Fatalf("after the mailbox: %q, want the live message", got)
	}
}

// Item 4: one user cannot fill the disk through another's archive or
// offline storage: a full archive quota stops archiving for its owner
// (the messages are still delivered, without a stanza-id), a full
// offline quota refuses with service-unavailable; other users archive
// and store as before.
func TestStorageQuotasPerUser(t *testing.T) {
	const archiveQuota, offlineQuota = 64 << 10, 40 << 10
	srv := xmpptest.RunServer(t, func(c *config.Config) {
		c.MAM.MaxBytes = archiveQuota
		c.Offline.MaxBytes = offlineQuota
	})
	for _, u := range []string{"mallory", "bob", "carol", "dave", "eve", "frank"} {
		srv.AddUser(u+"@localhost", "secret")
	}
	m := online(t, srv, "mallory", "m")
	b := online(t, srv, "bob", "b")
	c := online(t, srv, "carol", "c")
	d := online(t, srv, "dave", "d")
	pad := strings.Repeat("x", 8<<10)

	// Mallory floods bob, who is online: 40 messages of 8 KiB (320 KiB)
	// against a 64 KiB archive quota.
	withID := 0
	for i := range 40 {
		m.Send("<message to='bob@localhost/b' type='chat'><body>f%d %s</body></message>", i, pad)
		el := b.ExpectMatch("flood message", func(el *xml.Element) bool { return el.Name == "message" }, isPresence)
		if !strings.HasPrefix(body(el), fmt.Sprintf("f%d ", i)) {
			t.Fatalf("flood message %d: %.10q", i, body(el))
		}
		if el.Child(ns.StanzaID, "stanza-id") != nil {
			withID++
		}
	}
	// Carol and dave chat beside it, archived as usual.
	c.Send("<message to='dave@localhost/d' type='chat'><body>hello dave</body></message>")
	if el := d.ExpectMatch("carol's message", func(el *xml.Element) bool { return el.Name == "message" }, isPresence); el.Child(ns.StanzaID, "stanza-id") == nil {
		t.Fatalf("dave's message was not archived: %s", el)
	}
	if withID == 0 || withID >= 40 {
		t.Fatalf("%d of 40 flood messages carried a stanza-id: want those archived only", withID)
	}
	p := queryMAM(t, b, nil, "<max>100</max>", "")
	if p.count != withID {
		t.Fatalf("bob's archive has %d messages, %d were delivered with a stanza-id", p.count, withID)
	}
	if p := queryMAM(t, d, nil, "", ""); p.count != 1 {
		t.Fatalf("dave's archive has %d messages, want 1", p.count)
	}
	// The archive is written in the background; a query waits for what
	// was queued before it, so after the queries the usage is stored.
	for _, owner := range []string{"bob@localhost", "mallory@localhost"} {
		u, err := srv.Store().ArchiveUsage(t.Context(), owner)
		if err != nil {
			t.Fatal(err)
		}
		if u.Bytes > archiveQuota || u.Bytes < archiveQuota-(9<<10) {
			t.Fatalf("%s's archive holds %d bytes; the quota is %d", owner, u.Bytes, archiveQuota)
		}
	}

	// Mallory floods eve, who is offline: refused once 40 KiB are stored
	// (four messages with their delay stamps).
	for i := range 10 {
		m.Send("<message to='eve@localhost' type='chat' id='e%d'><body>%s</body></message>", i, pad)
	}
	m.Send("<iq type='get' id='done' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
	refused := 0
	for {
		el := m.ExpectMatch("offline quota errors", func(el *xml.Element) bool { return el.Name == "message" || el.Attr("id") == "done" }, isPresence)
		if el.Name == "iq" {
			break
		}
		if el.Attr("type") != "error" || el.Child("", "error").Child(ns.Stanzas, "service-unavailable") == nil {
			t.Fatalf("want service-unavailable, got %s", el)
		}
		refused++
	}
	u, _ := srv.Store().OfflineUsage(t.Context(), "eve@localhost")
	if u.Bytes > offlineQuota || u.Messages != 4 || refused != 6 {
		t.Fatalf("eve's offline storage: %+v after %d refusals; the quota is %d bytes", u, refused, offlineQuota)
	}
	// Frank, also offline, still gets carol's message stored.
	c.Send("<message to='frank@localhost' type='chat' id='f1'><body>for frank</body></message>")
	xmpptest.WaitFor(t, "frank's message stored", func() bool { return offlineCount(t, srv, "frank@localhost") == 1 })
	archived, offline := quotaRefused(srv, "archive"), quotaRefused(srv, "offline")
	if archived < float64(40-withID) || archived > 80 || offline != 6 { // bob's refusals, and mallory's own
		t.Fatalf("parley_quota_refused_total: archive %v (%d flood messages unarchived for bob), offline %v (6 refused)", archived, 40-withID, offline)
	}
}

// quotaRefused reads parley_quota_refused_total{area}.
func quotaRefused(srv *xmpptest.Server, area string) float64 {
	mfs, _ := srv.Metrics().Registry.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "parley_quota_refused_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "area" && l.GetValue() == area {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return -1
}

// Item 8: an archive query of large messages gets pages bounded in
// bytes, streamed through the session's queue: a client that asks for
// 20 messages of 200 KB (4 MB) with a 768 KiB queue gets them all,
// paging on, and pipelined queries are all answered; the session stays.
func TestMAMLargeMessagesPaged(t *testing.T) {
	srv := mailboxServer(t)
	a := online(t, srv, "alice", "a")
	b := online(t, srv, "bob", "b")
	labels, bodies := mailbox(0, 20, 0)
	for i, body := range bodies {
		a.Send("<message to='bob@localhost/b' type='chat' id='l%d'><body>%s</body></message>", i, body)
		b.ExpectMatch("large message", func(el *xml.Element) bool { return el.Name == "message" }, isPresence)
	}
	// One query for all 20, paging on from each page's last id.
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		set := "<max>20</max>"
		if after != "" {
			set += "<after>" + after + "</after>"
		}
		p := queryMAM(t, b, nil, set, "")
		if p.err != nil {
			t.Fatalf("query: %s", p.err)
		}
		size := 0
		for _, body := range p.bodies {
			size += len(body)
			got = append(got, body[:5])
		}
		if len(p.bodies) > 1 && size > 1<<20 {
			t.Fatalf("a page of %d messages holds %d bytes, over mam.page_bytes", len(p.bodies), size)
		}
		if p.complete {
			break
		}
		if pages > 20 || len(p.bodies) == 0 {
			t.Fatalf("paging does not end: %d pages, last %+v", pages, p)
		}
		after = p.last
	}
	if strings.Join(got, "") != strings.Join(labels, "") {
		t.Fatalf("pages gave %v, want %v", got, labels)
	}
	// Ten queries pipelined, read only once all are sent.
	for i := range 10 {
		b.Send("<iq type='set' id='p%d'><query xmlns='%s' queryid='p%d'><set xmlns='%s'><max>20</max></set></query></iq>", i, ns.MAM, i, ns.RSM)
	}
	answered := 0
	for answered < 10 {
		el := b.ExpectMatch("results and answers", func(el *xml.Element) bool { return el.Name == "iq" }, func(el *xml.Element) bool {
			return el.Name == "message" && el.Child(ns.MAM, "result") != nil
		})
		if el.Attr("id") != "p"+strconv.Itoa(answered) || el.Attr("type") != "result" {
			t.Fatalf("answer %d: %s", answered, el)
		}
		answered++
	}
	a.Send("<message to='bob@localhost/b' type='chat'><body>still here</body></message>")
	b.ExpectMatch("a live message", func(el *xml.Element) bool { return body(el) == "still here" }, isPresence)
}

// Item 6, in process: once the server acknowledges a sender's messages
// (XEP-0198 <a/>), they are stored in the archives (sender's and
// recipient's), even when the recipient reads nothing.
func TestAcknowledgedMessagesAreStored(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) {
		c.Storage.Driver = "sqlite"
		c.Storage.Path = filepath.Join(t.TempDir(), "parley.db")
	})
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")
	online(t, srv, "bob", "b") // reads nothing
	a, _ := enableSM(t, srv, "alice")
	a.Send("<presence/>")
	const n = 300
	for i := range n {
		a.Send("<message to='bob@localhost/b' type='chat' id='k%d'><body>k%d</body></message>", i, i)
	}
	a.Send("<r xmlns='%s'/>", ns.SM)
	ack := expectSM(t, a, "a")
	if ack.Attr("h") != strconv.Itoa(n+1) { // the presence and n messages
		t.Fatalf("ack %s, want h=%d", ack, n+1)
	}
	for _, owner := range []string{"alice@localhost", "bob@localhost"} {
		page, err := srv.Store().QueryArchive(t.Context(), owner, store.ArchiveQuery{Max: 1})
		if err != nil || page.Count != n {
			t.Fatalf("when acknowledged, %s's archive held %d of %d messages (%v)", owner, page.Count, n, err)
		}
	}
}
