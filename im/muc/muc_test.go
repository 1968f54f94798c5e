package muc

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

func item(body string, at time.Time, chars int) histItem {
	return histItem{el: xml.NewElement(ns.Client, "message").AddChild(xml.NewElement(ns.Client, "body").SetText(body)), at: at, chars: chars}
}

func bodies(items []histItem) string {
	var out []string
	for _, it := range items {
		out = append(out, it.el.Child(ns.Client, "body").Text)
	}
	return strings.Join(out, ",")
}

func TestFilterHistory(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	items := []histItem{item("a", t0, 100), item("b", t0.Add(time.Minute), 100), item("c", t0.Add(2*time.Minute), 100), item("d", t0.Add(3*time.Minute), 100)}
	now := t0.Add(3*time.Minute + 30*time.Second)
	for _, tc := range []struct{ attrs, want string }{
		{"", "a,b,c,d"},
		{"maxstanzas='2'", "c,d"},
		{"maxstanzas='0'", ""},
		{"maxstanzas='10'", "a,b,c,d"},
		{"maxchars='250'", "c,d"},
		{"maxchars='99'", ""},
		{"seconds='100'", "c,d"},
		{"since='2026-01-01T12:01:00Z'", "c,d"},
		{"since='2026-01-01T12:00:30Z' maxstanzas='1'", "d"},
		{"maxstanzas='x'", "a,b,c,d"}, // unreadable limits are ignored
	} {
		h, err := xml.ParseElement([]byte("<history xmlns='"+NS+"' "+tc.attrs+"/>"), NS, xml.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		if got := bodies(filterHistory(items, h, now)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.attrs, got, tc.want)
		}
	}
}

func form(fields map[string]string) *xml.Element {
	x := xml.NewElement(ns.DataForms, "x", xml.Attr{Name: "type", Value: "submit"})
	for k, v := range fields {
		x.AddChild(field(k, "", "", v))
	}
	return x
}

func TestParseConfig(t *testing.T) {
	cur := defaultConfig(20)
	ch, bad := parseConfig(cur, form(map[string]string{
		"FORM_TYPE": NSConfig, "muc#roomconfig_roomname": "R", "muc#roomconfig_maxusers": "30",
		"muc#roomconfig_passwordprotectedroom": "1", "muc#roomconfig_roomsecret": "pw",
		"muc#roomconfig_whois": "anyone", "muc#maxhistoryfetch": "5000", "muc#roomconfig_enablelogging": "true",
		"muc#roomconfig_unknown": "ignored",
	}), maxHistoryLength)
	if bad != "" {
		t.Fatal(bad)
	}
	c := ch.cfg
	if c.Name != "R" || c.MaxUsers != 30 || c.Password != "pw" || !c.nonAnonymous() || c.HistoryLength != maxHistoryLength || !c.Archive {
		t.Fatalf("parsed: %+v", c)
	}
	for _, f := range []map[string]string{
		{"FORM_TYPE": "urn:other"},
		{"muc#roomconfig_maxusers": "-1"},
		{"muc#roomconfig_whois": "everybody"},
		{"muc#roomconfig_allowpm": "robots"},
		{"muc#roomconfig_passwordprotectedroom": "1"},
		{"muc#maxhistoryfetch": "lots"},
	} {
		if _, bad := parseConfig(cur, form(f), maxHistoryLength); bad == "" {
			t.Errorf("%v accepted", f)
		}
	}
	ch, _ = parseConfig(RoomConfig{Password: "old"}, form(map[string]string{"muc#roomconfig_passwordprotectedroom": "0"}), 10)
	if ch.cfg.Password != "" {
		t.Fatal("turning protection off keeps the password")
	}
}

func TestStoredRoom(t *testing.T) {
	if _, err := NewPersistentRoom(jid.MustParse("conference.x"), RoomOptions{}); err != ErrBadRoom {
		t.Fatalf("service JID accepted: %v", err)
	}
	r, err := NewPersistentRoom(jid.MustParse("lobby@conference.x"), RoomOptions{Name: "Lobby", Password: "pw",
		Owners: []string{"a@x/phone"}, Members: []string{"b@x"}, NonAnonymous: true, HistoryLength: 7})
	if err != nil {
		t.Fatal(err)
	}
	info, err := DecodeRoom(r)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Name != "Lobby" || !info.Config.Persistent || info.Config.Password == "pw" || info.Config.Password == "" ||
		info.Affiliations["a@x"] != "owner" || info.Affiliations["b@x"] != "member" || info.Config.WhoIs != "anyone" || info.Config.HistoryLength != 7 {
		t.Fatalf("decoded: %+v", info)
	}
	st, err := decodeState(r.State)
	if err != nil || st.Config.Password != "pw" || len(st.OccupantKey) != 32 {
		t.Fatalf("state: %+v %v", st, err)
	}
	if _, err := DecodeRoom(r2("{not json")); err == nil {
		t.Fatal("garbage decoded")
	}
}

// occupant ids: stable per bare JID and key, different across users and rooms.
func TestOccupantID(t *testing.T) {
	a := &Room{st: newState(defaultConfig(0), "")}
	b := &Room{st: newState(defaultConfig(0), "")}
	if a.occupantID("u@x") != a.occupantID("u@x") || a.occupantID("u@x") == a.occupantID("v@x") || a.occupantID("u@x") == b.occupantID("u@x") {
		t.Fatal("occupant ids are not a keyed hash of the bare JID")
	}
}

// capture is a Send that records what each recipient got.
type capture struct {
	mu  sync.Mutex
	got map[string][]*xml.Element
}

func (c *capture) send(_ context.Context, el *xml.Element) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got[el.Attr("to")] = append(c.got[el.Attr("to")], el)
}

func presence(from, to, typ string, children ...*xml.Element) *xml.Element {
	p := xml.NewElement(ns.Client, "presence", xml.Attr{Name: "from", Value: from}, xml.Attr{Name: "to", Value: to})
	if typ != "" {
		p.SetAttr("type", typ)
	}
	for _, c := range children {
		p.AddChild(c)
	}
	return p
}

// Many users join, talk and leave one room at once: no race, no
// deadlock, and the temporary room is gone at the end.
func TestConcurrentOccupants(t *testing.T) {
	c := &capture{got: map[string][]*xml.Element{}}
	s := New(Config{Domains: []string{"conference.x"}, Store: memory.New(), Send: c.send, HistoryMessages: 5})
	ctx := context.Background()
	s.Receive(ctx, presence("owner@x/r", "r@conference.x/owner", "")) // groupchat 1.0 join: an instant room
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("u%d@x/r", i)
			occ := fmt.Sprintf("r@conference.x/u%d", i)
			s.Receive(ctx, presence(user, occ, "", xml.NewElement(NS, "x")))
			for j := range 5 {
				m := xml.NewElement(ns.Client, "message", xml.Attr{Name: "from", Value: user}, xml.Attr{Name: "to", Value: "r@conference.x"},
					xml.Attr{Name: "type", Value: "groupchat"})
				m.AddChild(xml.NewElement(ns.Client, "body").SetText(fmt.Sprint(j)))
				s.Receive(ctx, m)
			}
			s.Receive(ctx, presence(user, occ+"-renamed", ""))
			s.Receive(ctx, presence(user, occ+"-renamed", "unavailable"))
		}()
	}
	wg.Wait()
	if n := s.RoomCount(); n != 1 {
		t.Fatalf("rooms: %d", n)
	}
	s.Receive(ctx, presence("owner@x/r", "r@conference.x/owner", "unavailable"))
	if n := s.RoomCount(); n != 0 {
		t.Fatalf("the empty temporary room stays: %d", n)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range 16 {
		got := c.got[fmt.Sprintf("u%d@x/r", i)]
		last := got[len(got)-1]
		if last.Attr("type") != "unavailable" || !strings.Contains(last.String(), "code='110'") {
			t.Fatalf("u%d's last stanza: %s", i, last)
		}
	}
}

func r2(state string) store.Room { return store.Room{JID: "x@conference.x", State: []byte(state)} }

// Users creating rooms at once while the per-user limit is counted
// (each creation holds its room's lock and counts the others).
func TestConcurrentCreation(t *testing.T) {
	c := &capture{got: map[string][]*xml.Element{}}
	s := New(Config{Domains: []string{"conference.x"}, Store: memory.New(), Send: c.send, MaxRoomsPerUser: 3})
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 4 {
				s.Receive(ctx, presence(fmt.Sprintf("u%d@x/r", i), fmt.Sprintf("room%d-%d@conference.x/n", i, j), ""))
			}
		}()
	}
	wg.Wait()
	if n := s.RoomCount(); n != 8*3 {
		t.Fatalf("rooms: %d, want 3 per user", n)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range 8 {
		refused := 0
		for _, el := range c.got[fmt.Sprintf("u%d@x/r", i)] {
			if el.Attr("type") == "error" && strings.Contains(el.String(), "not-allowed") {
				refused++
			}
		}
		if refused != 1 {
			t.Fatalf("u%d: %d refusals, want 1", i, refused)
		}
	}
}

func TestDestroyFromProcess(t *testing.T) {
	c := &capture{got: map[string][]*xml.Element{}}
	st := memory.New()
	s := New(Config{Domains: []string{"conference.x"}, Store: st, Send: c.send})
	ctx := context.Background()
	room, err := NewPersistentRoom(jid.MustParse("kept@conference.x"), RoomOptions{Owners: []string{"o@x"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	s.Receive(ctx, presence("u@x/r", "kept@conference.x/u", "", xml.NewElement(NS, "x")))
	if err := s.Destroy(ctx, jid.MustParse("kept@conference.x"), "closing", "other@conference.x"); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	got := c.got["u@x/r"]
	last := got[len(got)-1]
	c.mu.Unlock()
	if last.Attr("type") != "unavailable" || !strings.Contains(last.String(), "jid='other@conference.x'") || !strings.Contains(last.String(), "closing") {
		t.Fatalf("destroy presence: %s", last)
	}
	if _, err := st.Room(ctx, "kept@conference.x"); err != store.ErrNotFound {
		t.Fatalf("destroyed room still stored: %v", err)
	}
	if err := s.Destroy(ctx, jid.MustParse("kept@conference.x"), "", ""); err != store.ErrNotFound {
		t.Fatalf("destroying twice: %v", err)
	}
}

// Stored rooms count against their creator's limit; an empty
// persistent room is unloaded and reloaded from the store.
func TestStoredRoomsCountAndReload(t *testing.T) {
	c := &capture{got: map[string][]*xml.Element{}}
	st := memory.New()
	ctx := context.Background()
	room, _ := NewPersistentRoom(jid.MustParse("mine@conference.x"), RoomOptions{Owners: []string{"u@x"}, Name: "Mine"})
	if err := st.PutRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	s := New(Config{Domains: []string{"conference.x"}, Store: st, Send: c.send, MaxRoomsPerUser: 1})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s.Receive(ctx, presence("u@x/r", "other@conference.x/u", "", xml.NewElement(NS, "x")))
	c.mu.Lock()
	got := c.got["u@x/r"]
	c.mu.Unlock()
	if len(got) != 1 || !strings.Contains(got[0].String(), "not-allowed") {
		t.Fatalf("creating beyond the limit with a stored room: %v", got)
	}
	s.Receive(ctx, presence("u@x/r", "mine@conference.x/u", "", xml.NewElement(NS, "x")))
	if s.RoomCount() != 1 {
		t.Fatalf("rooms loaded: %d", s.RoomCount())
	}
	s.Receive(ctx, presence("u@x/r", "mine@conference.x/u", "unavailable"))
	if s.RoomCount() != 0 {
		t.Fatal("an empty persistent room without history stays loaded")
	}
	// Deleted from the store meanwhile (the CLI): the next join creates a new room.
	if err := st.DeleteRoom(ctx, "mine@conference.x"); err != nil {
		t.Fatal(err)
	}
	s.Receive(ctx, presence("v@x/r", "mine@conference.x/v", "", xml.NewElement(NS, "x")))
	c.mu.Lock()
	defer c.mu.Unlock()
	self := c.got["v@x/r"]
	if len(self) == 0 || !strings.Contains(self[0].String(), "code='201'") {
		t.Fatalf("joining a deleted room: %v", self)
	}
}

// Aliased fields: the value that changes the setting wins.
func TestParseConfigAliases(t *testing.T) {
	cur := defaultConfig(20)
	for range 20 { // map order varies between runs of the loop
		ch, _ := parseConfig(cur, form(map[string]string{"muc#roomconfig_enablelogging": "0", "muc#roomconfig_enablearchiving": "1",
			"muc#maxhistoryfetch": "20", "muc#roomconfig_historylength": "7"}), maxHistoryLength)
		if !ch.cfg.Archive || ch.cfg.HistoryLength != 7 {
			t.Fatalf("aliases: %+v", ch.cfg)
		}
	}
}
