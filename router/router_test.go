package router

import (
	"sync"
	"testing"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

type fake struct{ j jid.JID }

func (f *fake) JID() jid.JID         { return f.j }
func (f *fake) Deliver(*xml.Element) {}
func (f *fake) Close(*stream.Error)  {}
func newFake(s string) *fake         { return &fake{jid.MustParse(s)} }

func TestBindReplaceUnbind(t *testing.T) {
	r := New()
	a1, a2 := newFake("a@x/1"), newFake("a@x/2")
	if old := r.Bind(a1); old != nil {
		t.Fatal("unexpected replace")
	}
	r.Bind(a2)
	if r.Count() != 2 || len(r.Resources("a@x")) != 2 || !r.Online("a@x") {
		t.Fatalf("count %d", r.Count())
	}
	again := newFake("a@x/1")
	if old := r.Bind(again); old != a1 {
		t.Fatalf("replace returned %v", old)
	}
	if _, ok := r.Unbind(a1); ok {
		t.Fatal("a replaced session must not unbind its successor")
	}
	if res, ok := r.Resource(jid.MustParse("a@x/1")); !ok || res.Session != again {
		t.Fatal("successor lost")
	}
	r.Unbind(again)
	r.Unbind(a2)
	if r.Count() != 0 || r.Online("a@x") || len(r.All()) != 0 {
		t.Fatal("not empty")
	}
}

func TestPresenceState(t *testing.T) {
	r := New()
	a := newFake("a@x/1")
	r.Bind(a)
	p := xml.NewElement("jabber:client", "presence")
	if was, _ := r.SetPresence(a, true, 5, p); was {
		t.Fatal("was not available")
	}
	if was, prio := r.SetPresence(a, true, 3, p); !was || prio != 5 {
		t.Fatalf("was available at 5, got %v %d", was, prio)
	}
	res, _ := r.Resource(a.JID())
	if !res.Available || res.Priority != 3 || res.Presence != p {
		t.Fatalf("%+v", res)
	}
	r.SetInterested(a)
	last, ok := r.Unbind(a)
	if !ok || !last.Available || !last.Interested {
		t.Fatalf("last %+v", last)
	}
}

func TestConcurrentUse(t *testing.T) {
	r := New()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newFake("u@x/" + string(rune('a'+i)))
			for range 200 {
				r.Bind(s)
				r.SetPresence(s, true, 1, nil)
				r.Resources("u@x")
				r.Unbind(s)
			}
		}()
	}
	wg.Wait()
	if r.Count() != 0 {
		t.Fatalf("count %d", r.Count())
	}
}
