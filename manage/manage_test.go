package manage

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

func TestAccounts(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	var removed, before, changed []string
	a := &Accounts{Store: st, IsLocal: func(d string) bool { return d == "example.com" }, MinPasswordLength: 6, Iterations: 4096,
		BeforeRemove:    func(_ context.Context, u string) error { before = append(before, u); return nil },
		Removed:         func(_ context.Context, u string) { removed = append(removed, u) },
		PasswordChanged: func(_ context.Context, u string) { changed = append(changed, u) }}
	if _, err := a.Add(ctx, "alice@example.com", "short"); !errors.Is(err, ErrShortPassword) {
		t.Fatalf("short password: %v", err)
	}
	if _, err := a.Add(ctx, "alice@elsewhere.org", "longenough"); !errors.Is(err, account.ErrUnknownDomain) {
		t.Fatalf("foreign domain: %v", err)
	}
	user, err := a.Add(ctx, "Alice@Example.com", "longenough")
	if err != nil || user != "alice@example.com" {
		t.Fatalf("add: %q %v", user, err)
	}
	if _, err := a.Add(ctx, "alice@example.com", "longenough"); !errors.Is(err, account.ErrExists) {
		t.Fatalf("add twice: %v", err)
	}
	if _, err := a.SetPassword(ctx, "alice@example.com", "another one"); err != nil || len(changed) != 1 {
		t.Fatalf("passwd: %v %v", err, changed)
	}
	if _, err := a.SetSharePresence(ctx, "alice@example.com", true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetReminders(ctx, "alice@example.com", true); err != nil {
		t.Fatal(err)
	}
	p, err := a.Preferences(ctx, "alice@example.com")
	if err != nil || p != (Preferences{SharePresence: true, Reminders: store.RemindersOn}) {
		t.Fatalf("preferences: %+v %v", p, err)
	}
	if _, err := a.SetReminders(ctx, "nobody@example.com", true); !errors.Is(err, ErrNotFound) || err.Error() != "no account nobody@example.com" {
		t.Fatalf("reminders of nobody: %v", err)
	}
	if _, err := a.Remove(ctx, "alice@example.com"); err != nil || len(before) != 1 || len(removed) != 1 {
		t.Fatalf("remove: %v %v %v", err, before, removed)
	}
	if _, err := a.Remove(ctx, "alice@example.com"); !errors.Is(err, account.ErrNotFound) || len(before) != 1 {
		t.Fatalf("remove twice: %v (hooks %v)", err, before)
	}
	if _, err := OnOff("maybe"); !errors.Is(err, ErrInvalid) {
		t.Fatal(err)
	}
}

type sess struct {
	j      jid.JID
	closed *stream.Error
}

func (s *sess) JID() jid.JID            { return s.j }
func (s *sess) Deliver(*xml.Element)    {}
func (s *sess) Close(err *stream.Error) { s.closed = err }

func TestSessions(t *testing.T) {
	r := router.New()
	a1, a2, b := &sess{j: jid.MustParse("alice@example.com/one")}, &sess{j: jid.MustParse("alice@example.com/two")}, &sess{j: jid.MustParse("bob@example.com/x")}
	for _, s := range []*sess{a1, a2, b} {
		r.Bind(s)
	}
	p, _ := xml.ParseElement([]byte("<presence><show>dnd</show><status>busy</status></presence>"), "jabber:client", xml.DefaultLimits)
	r.SetPresence(a1, true, 5, p)
	m := Sessions{Router: r}
	all := m.List("")
	if len(all) != 3 || all[0].JID != "alice@example.com/one" || all[0].Show != "dnd" || all[0].Status != "busy" || all[0].Priority != 5 || all[2].JID != "bob@example.com/x" {
		t.Fatalf("List() = %+v", all)
	}
	if l := m.List("alice@example.com"); len(l) != 2 {
		t.Fatalf("List(alice) = %+v", l)
	}
	ended, err := m.Kick("alice@example.com/two", "")
	if err != nil || len(ended) != 1 || a2.closed == nil || a2.closed.Condition != stream.PolicyViolation || a1.closed != nil {
		t.Fatalf("kick one: %v %v %v", ended, err, a2.closed)
	}
	ended, err = m.Kick("alice@example.com", "go away")
	if err != nil || len(ended) != 2 || a1.closed == nil || a1.closed.Text != "go away" || b.closed != nil {
		t.Fatalf("kick all: %v %v", ended, err)
	}
	if _, err := m.Kick("nobody@example.com", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("kick nobody: %v", err)
	}
	if _, err := m.Kick("not a jid", ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("kick junk: %v", err)
	}
}

func TestRooms(t *testing.T) {
	ctx := context.Background()
	m := Rooms{Store: memory.New(), Hosts: []string{"example.com"}, Subdomain: "conference", HistoryDefault: 20}
	room, err := m.Create(ctx, "Team@conference.example.com", muc.RoomOptions{Name: "The team", Public: true, Owners: []string{"Alice@Example.com/phone"}, HistoryLength: -1})
	if err != nil || room.String() != "team@conference.example.com" {
		t.Fatalf("create: %v %v", room, err)
	}
	if _, err := m.Create(ctx, "team@conference.example.com", muc.RoomOptions{}); !errors.Is(err, ErrExists) {
		t.Fatalf("create twice: %v", err)
	}
	var ns *ErrNotService
	if _, err := m.Create(ctx, "x@conference.other.org", muc.RoomOptions{}); !errors.As(err, &ns) || ns.Host != "other.org" {
		t.Fatalf("foreign service: %v", err)
	}
	list, err := m.List(ctx, "")
	if err != nil || len(list) != 1 || list[0].Info.Config.Name != "The team" || strings.Join(list[0].Owners, ",") != "alice@example.com" ||
		!strings.Contains(strings.Join(list[0].Flags, ","), "public") {
		t.Fatalf("list: %+v %v", list, err)
	}
	if _, err := m.Destroy(ctx, "team@conference.example.com", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Destroy(ctx, "team@conference.example.com", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("destroy twice: %v", err)
	}
}
