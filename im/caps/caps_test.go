package caps

import (
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

func parse(t testing.TB, s string) *xml.Element {
	t.Helper()
	el, err := xml.ParseElement([]byte(s), ns.Client, xml.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return el
}

const simple = `<query xmlns='http://jabber.org/protocol/disco#info'>
  <identity category='client' name='Exodus 0.9.1' type='pc'/>
  <feature var='http://jabber.org/protocol/caps'/>
  <feature var='http://jabber.org/protocol/disco#info'/>
  <feature var='http://jabber.org/protocol/disco#items'/>
  <feature var='http://jabber.org/protocol/muc'/>
</query>`

const complex = `<query xmlns='http://jabber.org/protocol/disco#info'>
  <identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>
  <identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>
  <feature var='http://jabber.org/protocol/caps'/>
  <feature var='http://jabber.org/protocol/disco#info'/>
  <feature var='http://jabber.org/protocol/disco#items'/>
  <feature var='http://jabber.org/protocol/muc'/>
  <x xmlns='jabber:x:data' type='result'>
    <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
    <field var='ip_version'><value>ipv6</value><value>ipv4</value></field>
    <field var='os'><value>Mac</value></field>
    <field var='os_version'><value>10.5.1</value></field>
    <field var='software'><value>Psi</value></field>
    <field var='software_version'><value>0.11</value></field>
  </x>
</query>`

// The two worked examples of XEP-0115 §5.2 and §5.3.
func TestVerExamples(t *testing.T) {
	for _, tc := range []struct{ query, want string }{
		{simple, "QgayPKawpkPSDYmwT/WM94uAlu0="},
		{complex, "q07IKJEyjvHSyhy//CH0CxmKi8w="},
	} {
		got, ok := Ver(parse(t, tc.query), "sha-1")
		if !ok || got != tc.want {
			t.Errorf("Ver = %q, %v; want %q", got, ok, tc.want)
		}
	}
	if _, ok := Ver(parse(t, simple), "md5"); ok {
		t.Error("an unknown hash function is accepted")
	}
	dup := `<query xmlns='http://jabber.org/protocol/disco#info'><feature var='a'/><feature var='a'/></query>`
	if _, ok := Ver(parse(t, dup), "sha-1"); ok {
		t.Error("an answer with a duplicate feature is accepted (§5.4 says ignore it)")
	}
}

func TestFromPresence(t *testing.T) {
	p := parse(t, `<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://x' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>`)
	c, ok := FromPresence(p)
	if !ok || c.Node != "http://x" || c.Hash != "sha-1" || c.Ver != "QgayPKawpkPSDYmwT/WM94uAlu0=" {
		t.Fatalf("FromPresence = %+v, %v", c, ok)
	}
	legacy := parse(t, `<presence><c xmlns='http://jabber.org/protocol/caps' node='http://x' ver='1.0' ext='a b'/></presence>`)
	if _, ok := FromPresence(legacy); ok {
		t.Fatal("legacy caps without a hash are accepted")
	}
}

type session struct {
	j   jid.JID
	mu  sync.Mutex
	got []*xml.Element
}

func (s *session) JID() jid.JID { return s.j }
func (s *session) Deliver(el *xml.Element) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, el)
}
func (s *session) Close(*stream.Error) {}
func (s *session) sent() []*xml.Element {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*xml.Element(nil), s.got...)
}

// answer builds the client's result to the query q it got.
func answer(t *testing.T, s *session, q *xml.Element, query string) *xml.Element {
	res := parse(t, "<iq type='result'>"+query+"</iq>")
	res.SetAttr("id", q.Attr("id"))
	res.SetAttr("from", s.j.String())
	res.SetAttr("to", q.Attr("from"))
	return res
}

func TestCacheAsksOnce(t *testing.T) {
	calls := im.NewCalls(10)
	now := time.Unix(1000, 0)
	c := New(Config{Calls: calls, Now: func() time.Time { return now }, RetryAfter: time.Minute})
	a := &session{j: jid.MustParse("a@localhost/1")}
	b := &session{j: jid.MustParse("b@localhost/1")}
	cp := Caps{Node: "http://x", Ver: "QgayPKawpkPSDYmwT/WM94uAlu0=", Hash: "sha-1"}

	var got []Features
	ready := func(f Features) { got = append(got, f) }
	if _, ok := c.Lookup(a, cp, ready); ok {
		t.Fatal("an unknown hash is known")
	}
	if _, ok := c.Lookup(b, cp, ready); ok {
		t.Fatal("an unknown hash is known")
	}
	if c.Queries() != 1 || len(a.sent()) != 1 || len(b.sent()) != 0 {
		t.Fatalf("%d queries, a got %d, b got %d; want one query, to a", c.Queries(), len(a.sent()), len(b.sent()))
	}
	q := a.sent()[0]
	if q.Attr("from") != "localhost" || q.Child(ns.DiscoInfo, "query").Attr("node") != "http://x#"+cp.Ver {
		t.Fatalf("query %s", q)
	}
	// Only the asked client may answer.
	forged := answer(t, b, q, simple)
	if calls.Resolve(forged) {
		t.Fatal("another client's answer was taken")
	}
	if !calls.Resolve(answer(t, a, q, simple)) {
		t.Fatal("the answer was not taken")
	}
	if len(got) != 2 || !got[0].Has("http://jabber.org/protocol/muc") || got[1] == nil {
		t.Fatalf("waiters got %v", got)
	}
	if f, ok := c.Lookup(b, cp, nil); !ok || !f.Has("http://jabber.org/protocol/caps") {
		t.Fatalf("known hash: %v, %v", f, ok)
	}
	if c.Queries() != 1 {
		t.Fatalf("%d queries, want 1", c.Queries())
	}
}

func TestCacheRejectsWrongAnswer(t *testing.T) {
	calls := im.NewCalls(10)
	now := time.Unix(1000, 0)
	c := New(Config{Calls: calls, Now: func() time.Time { return now }, RetryAfter: time.Minute})
	a := &session{j: jid.MustParse("a@localhost/1")}
	cp := Caps{Node: "http://x", Ver: "QgayPKawpkPSDYmwT/WM94uAlu0=", Hash: "sha-1"}
	var got []Features
	c.Lookup(a, cp, func(f Features) { got = append(got, f) })
	lie := `<query xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xmpp:avatar:metadata+notify'/></query>`
	calls.Resolve(answer(t, a, a.sent()[0], lie))
	if len(got) != 1 || got[0] != nil {
		t.Fatalf("a waiter of an answer that does not match the hash got %v, want nil", got)
	}
	if _, ok := c.Lookup(a, cp, nil); ok || c.Queries() != 1 {
		t.Fatalf("after a wrong answer: known or asked again at once (%d queries)", c.Queries())
	}
	now = now.Add(2 * time.Minute)
	c.Lookup(a, cp, nil)
	if c.Queries() != 2 {
		t.Fatalf("%d queries after RetryAfter, want 2", c.Queries())
	}
}

func BenchmarkVer(b *testing.B) {
	q := parse(b, complex)
	for b.Loop() {
		Ver(q, "sha-1")
	}
}

func FuzzVer(f *testing.F) {
	f.Add([]byte(complex))
	f.Add([]byte(simple))
	f.Fuzz(func(t *testing.T, data []byte) {
		el, err := xml.ParseElement(data, ns.DiscoInfo, xml.DefaultLimits)
		if err != nil {
			return
		}
		Ver(el, "sha-1")
	})
}
