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
