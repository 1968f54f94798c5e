package muc

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// hookLog records what the hooks were asked and told.
type hookLog struct {
	mu      sync.Mutex
	entries []Entry
	events  []string
}

func (h *hookLog) admit(_ context.Context, e Entry) Admission {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.entries = append(h.entries, e)
	switch e.Nick {
	case "intruder":
		return Refused(stanza.Forbidden, "not invited")
	case "host":
		return Admission{Moderator: true}
	}
	return Admit
}

func (h *hookLog) observe(_ context.Context, e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := fmt.Sprintf("%d %s %s", e.Kind, e.Nick, e.Occupant)
	switch e.Kind {
	case Renamed:
		s += " -> " + e.NewNick
	case Message:
		if b := e.Message.Child(ns.Client, "body"); b != nil {
			s += " says " + b.Text
		}
	}
	if e.Moderator {
		s += " (moderator)"
	}
	h.events = append(h.events, s)
}

func (h *hookLog) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.events
	h.events = nil
	return out
}

func groupchat(from, room, body string) *xml.Element {
	m := xml.NewElement(ns.Client, "message", xml.Attr{Name: "from", Value: from}, xml.Attr{Name: "to", Value: room},
		xml.Attr{Name: "type", Value: "groupchat"})
	if body != "" {
		m.AddChild(xml.NewElement(ns.Client, "body").SetText(body))
	}
	return m
}

// The hooks decide who enters a room and hear its events in order:
// one Joined per occupant (not per session), messages with and without
// a body, nick changes, kicks and leaves, the destruction.
func TestHooks(t *testing.T) {
	c := &capture{got: map[string][]*xml.Element{}}
	h := &hookLog{}
	st := memory.New()
	s := New(Config{Domains: []string{"conference.x"}, Store: st, Send: c.send,
		Hooks: Hooks{Admit: h.admit, Observe: h.observe}})
	ctx := context.Background()
	room, _ := NewPersistentRoom(jid.MustParse("conf1@conference.x"), RoomOptions{Owners: []string{"o@x"}})
	if err := st.PutRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	withPassword := xml.NewElement(NS, "x").AddChild(xml.NewElement(NS, "password").SetText("k3y"))
	s.Receive(ctx, presence("h@x/a", "conf1@conference.x/host", "", withPassword))
	s.Receive(ctx, presence("h@x/b", "conf1@conference.x/host", "", xml.NewElement(NS, "x"))) // a second session: no new Joined
	s.Receive(ctx, presence("u@x/r", "conf1@conference.x/user", "", xml.NewElement(NS, "x")))
	s.Receive(ctx, presence("i@x/r", "conf1@conference.x/intruder", "", xml.NewElement(NS, "x")))
	s.Receive(ctx, groupchat("u@x/r", "conf1@conference.x", "hello"))
	s.Receive(ctx, groupchat("u@x/r", "conf1@conference.x", "")) // a chat state
	s.Receive(ctx, presence("u@x/r", "conf1@conference.x/user2", ""))
	// The host (a moderator by the hook, not by affiliation) kicks user2.
	kick := stanza.NewIQ("set", "k1", "h@x/a", "conf1@conference.x")
	kick.AddChild(xml.NewElement(NSAdmin, "query").AddChild(
		xml.NewElement(NSAdmin, "item", xml.Attr{Name: "nick", Value: "user2"}, xml.Attr{Name: "role", Value: "none"})))
	s.Receive(ctx, kick)
	s.Receive(ctx, presence("h@x/b", "conf1@conference.x/host", "unavailable")) // one of two sessions: no Left
	want := []string{
		fmt.Sprintf("%d host h@x (moderator)", Joined),
		fmt.Sprintf("%d user u@x", Joined),
		fmt.Sprintf("%d user u@x says hello", Message),
		fmt.Sprintf("%d user u@x", Message),
		fmt.Sprintf("%d user u@x -> user2", Renamed),
		fmt.Sprintf("%d user2 u@x", Left),
	}
	if got := h.take(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The intruder was refused with the hook's condition and text.
	c.mu.Lock()
	refusal := c.got["i@x/r"]
	c.mu.Unlock()
	if len(refusal) != 1 || refusal[0].Attr("type") != "error" || !strings.Contains(refusal[0].String(), "forbidden") ||
		!strings.Contains(refusal[0].String(), "not invited") {
		t.Fatalf("the refused session got %v", refusal)
	}
	// Admit saw the offered password, and was asked once per new occupant.
	h.mu.Lock()
	entries := h.entries
	h.mu.Unlock()
	if len(entries) != 3 || entries[0].Password != "k3y" || entries[0].Session.String() != "h@x/a" || entries[1].Password != "" ||
		entries[0].Room.String() != "conf1@conference.x" {
		t.Fatalf("Admit was asked %+v", entries)
	}
	if err := s.Destroy(ctx, jid.MustParse("conf1@conference.x"), "over", ""); err != nil {
		t.Fatal(err)
	}
	if got := h.take(); fmt.Sprint(got) != fmt.Sprint([]string{fmt.Sprintf("%d  ", Destroyed)}) {
		t.Fatalf("after Destroy: %q", got)
	}
}

// A service stopping reports Shutdown for rooms with occupants.
func TestHooksShutdown(t *testing.T) {
	c := &capture{got: map[string][]*xml.Element{}}
	h := &hookLog{}
	s := New(Config{Domains: []string{"conference.x"}, Store: memory.New(), Send: c.send, Hooks: Hooks{Admit: h.admit, Observe: h.observe}})
	ctx := context.Background()
	s.Receive(ctx, presence("u@x/r", "tmp@conference.x/u", ""))
	s.Stop(ctx)
	got := h.take()
	if len(got) != 2 || got[1] != fmt.Sprintf("%d  ", Shutdown) {
		t.Fatalf("events: %q", got)
	}
}

// Destroying a persistent room that was unloaded when its last occupant
// left (between a lookup and the lock, or long before) destroys the
// stored room.
func TestDestroyUnloadedRoom(t *testing.T) {
	c := &capture{got: map[string][]*xml.Element{}}
	st := memory.New()
	s := New(Config{Domains: []string{"conference.x"}, Store: st, Send: c.send})
	ctx := context.Background()
	room, _ := NewPersistentRoom(jid.MustParse("gone@conference.x"), RoomOptions{Archive: true})
	if err := st.PutRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	s.Receive(ctx, presence("u@x/r", "gone@conference.x/u", "", xml.NewElement(NS, "x")))
	s.Receive(ctx, presence("u@x/r", "gone@conference.x/u", "unavailable"))
	if s.RoomCount() != 0 {
		t.Fatal("the empty archived room stayed loaded")
	}
	if err := s.Destroy(ctx, jid.MustParse("gone@conference.x"), "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Room(ctx, "gone@conference.x"); err == nil {
		t.Fatal("the destroyed room is still stored")
	}
}

// A room the server made for a module counts against no owner's room
// limit.
func TestSystemRoomsCountAgainstNobody(t *testing.T) {
	c := &capture{got: map[string][]*xml.Element{}}
	st := memory.New()
	ctx := context.Background()
	room, _ := NewPersistentRoom(jid.MustParse("conf1@conference.x"), RoomOptions{Owners: []string{"u@x"}, System: true})
	if err := st.PutRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	s := New(Config{Domains: []string{"conference.x"}, Store: st, Send: c.send, MaxRoomsPerUser: 1})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s.Receive(ctx, presence("u@x/r", "mine@conference.x/u", "", xml.NewElement(NS, "x")))
	c.mu.Lock()
	defer c.mu.Unlock()
	if got := c.got["u@x/r"]; len(got) == 0 || !strings.Contains(got[0].String(), "code='201'") {
		t.Fatalf("u could not create a room of its own: %v", got)
	}
	info, _ := DecodeRoom(room)
	if info.Affiliations["u@x"] != "owner" || info.Creator != "" {
		t.Fatalf("the system room: %+v", info)
	}
}
