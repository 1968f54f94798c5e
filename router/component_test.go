package router

import (
	"context"
	"testing"

	"github.com/parley-im/parley/xmpp/xml"
)

type countingComponent struct{ n int }

func (c *countingComponent) Receive(context.Context, *xml.Element) { c.n++ }

func TestComponents(t *testing.T) {
	r := New()
	if _, ok := r.Component("conference.x"); ok {
		t.Fatal("component before registration")
	}
	a, b := &countingComponent{}, &countingComponent{}
	r.RegisterComponent("conference.x", a)
	r.RegisterComponent("conference.y", b)
	got, ok := r.Component("conference.x")
	if !ok || got != a {
		t.Fatalf("conference.x: %v %v", got, ok)
	}
	if got, _ := r.Component("conference.y"); got != b {
		t.Fatal("the second registration replaced the first")
	}
	if _, ok := r.Component("x"); ok {
		t.Fatal("a host is not a component")
	}
}

func BenchmarkComponentMiss(b *testing.B) {
	r := New()
	r.RegisterComponent("conference.x", &countingComponent{})
	for b.Loop() {
		if _, ok := r.Component("x"); ok {
			b.Fatal("hit")
		}
	}
}

func TestRoute(t *testing.T) {
	r := New()
	if kind, c := r.Route("x"); kind != Remote || c != nil {
		t.Fatalf("empty router: %v %v", kind, c)
	}
	room, remote := &countingComponent{}, &countingComponent{}
	r.SetHosts([]string{"x", "y"})
	r.RegisterComponent("conference.x", room)
	for domain, want := range map[string]Destination{"x": Local, "y": Local, "conference.x": Service, "example.net": Remote} {
		if kind, _ := r.Route(domain); kind != want {
			t.Errorf("Route(%s) = %v, want %v", domain, kind, want)
		}
	}
	if _, c := r.Route("example.net"); c != nil {
		t.Fatal("a remote sender without federation")
	}
	r.SetRemote(remote)
	if kind, c := r.Route("example.net"); kind != Remote || c != Component(remote) {
		t.Fatalf("with federation: %v %v", kind, c)
	}
	if kind, c := r.Route("conference.x"); kind != Service || c != Component(room) {
		t.Fatalf("a component after SetRemote: %v %v", kind, c)
	}
	if r.AddComponent("x", &countingComponent{}) {
		t.Fatal("a component took a served host")
	}
	r.SetHosts([]string{"y"})
	if kind, c := r.Route("x"); kind != Remote || c != Component(remote) {
		t.Fatalf("a host no longer served: %v %v", kind, c)
	}
	r.SetInternal([]string{"guests.y"})
	if kind, c := r.Route("guests.y"); kind != Remote || c != nil {
		t.Fatalf("an internal domain: %v %v, want remote without a sender", kind, c)
	}
}

// BenchmarkRoute is the decision every routed stanza takes: local,
// component or remote.
func BenchmarkRoute(b *testing.B) {
	r := New()
	r.SetHosts([]string{"example.com"})
	r.RegisterComponent("conference.example.com", &countingComponent{})
	r.SetRemote(&countingComponent{})
	domains := []string{"example.com", "conference.example.com", "example.net"}
	i := 0
	for b.Loop() {
		if kind, _ := r.Route(domains[i%3]); kind > Service {
			b.Fatal(kind)
		}
		i++
	}
}
