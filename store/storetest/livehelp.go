package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

var liveHelpTests = []storeTest{
	{"SupportGroups", testSupportGroups},
	{"GroupMembers", testGroupMembers},
	{"Guests", testGuests},
	{"UsedChatRequests", testUsedChatRequests},
	{"Transcripts", testTranscripts},
	{"TranscriptQueries", testTranscriptQueries},
}

const support = "support@groups.example.com"

func testSupportGroups(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	g := store.SupportGroup{JID: support, Name: "Support", Strategy: "round-robin", OfferTimeout: 45 * time.Second,
		MaxChats: 3, Sites: []string{"12345", "777"}, Email: "help@example.com", CreatedAt: now}
	must(t, s.CreateGroup(ctx, g))
	wantErr(t, "second CreateGroup", s.CreateGroup(ctx, g), store.ErrExists)
	got, err := s.Group(ctx, support)
	must(t, err)
	if got.Name != g.Name || got.Strategy != g.Strategy || got.OfferTimeout != g.OfferTimeout || got.MaxChats != 3 ||
		!slices.Equal(got.Sites, g.Sites) || got.Email != g.Email || !msOf(got.CreatedAt, now) {
		t.Fatalf("Group = %+v, want %+v", got, g)
	}
	// The store returns copies.
	got.Sites[0] = "changed"
	again, _ := s.Group(ctx, support)
	if again.Sites[0] != "12345" {
		t.Fatalf("the store shares the Sites slice")
	}
	_, err = s.Group(ctx, "nobody@groups.example.com")
	wantErr(t, "unknown group", err, store.ErrNotFound)

	g.Name, g.Strategy, g.Sites, g.CreatedAt = "Help desk", "", nil, now.Add(time.Hour)
	must(t, s.UpdateGroup(ctx, g))
	got, _ = s.Group(ctx, support)
	if got.Name != "Help desk" || got.Strategy != "" || len(got.Sites) != 0 || !msOf(got.CreatedAt, now) {
		t.Fatalf("after UpdateGroup: %+v", got)
	}
	wantErr(t, "UpdateGroup of an unknown group", s.UpdateGroup(ctx, store.SupportGroup{JID: "x@groups.example.com"}), store.ErrNotFound)

	must(t, s.CreateGroup(ctx, store.SupportGroup{JID: "billing@groups.example.com", CreatedAt: now}))
	list, err := s.ListGroups(ctx)
	must(t, err)
	if len(list) != 2 || list[0].JID != "billing@groups.example.com" || list[1].JID != support {
		t.Fatalf("ListGroups = %+v", list)
	}
	must(t, s.DeleteGroup(ctx, "billing@groups.example.com"))
	wantErr(t, "second DeleteGroup", s.DeleteGroup(ctx, "billing@groups.example.com"), store.ErrNotFound)
	list, _ = s.ListGroups(ctx)
	if len(list) != 1 {
		t.Fatalf("after DeleteGroup: %+v", list)
	}
}

func testGroupMembers(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	must(t, s.CreateGroup(ctx, store.SupportGroup{JID: support, CreatedAt: time.Now()}))
	_, err := s.GroupMembers(ctx, "nobody@groups.example.com")
	wantErr(t, "members of an unknown group", err, store.ErrNotFound)
	if m, err := s.GroupMembers(ctx, support); err != nil || len(m) != 0 {
		t.Fatalf("members of a new group: %v %v", m, err)
	}
	must(t, s.PutGroupMember(ctx, support, store.GroupMember{JID: bob, Role: store.RoleAgent}))
	must(t, s.PutGroupMember(ctx, support, store.GroupMember{JID: alice, Role: store.RoleAgent}))
	must(t, s.PutGroupMember(ctx, support, store.GroupMember{JID: bob, Role: store.RoleSupervisor}))
	wantErr(t, "member without an account", s.PutGroupMember(ctx, support, store.GroupMember{JID: carol, Role: store.RoleAgent}), store.ErrNotFound)
	wantErr(t, "member of an unknown group", s.PutGroupMember(ctx, "x@groups.example.com", store.GroupMember{JID: alice, Role: store.RoleAgent}), store.ErrNotFound)
	m, err := s.GroupMembers(ctx, support)
	must(t, err)
	if want := []store.GroupMember{{JID: alice, Role: store.RoleAgent}, {JID: bob, Role: store.RoleSupervisor}}; !slices.Equal(m, want) {
		t.Fatalf("members %v, want %v", m, want)
	}
	must(t, s.RemoveGroupMember(ctx, support, alice))
	wantErr(t, "second RemoveGroupMember", s.RemoveGroupMember(ctx, support, alice), store.ErrNotFound)
	// Deleting an account ends its memberships; deleting the group, all.
	must(t, s.PutGroupMember(ctx, support, store.GroupMember{JID: alice, Role: store.RoleAgent}))
	must(t, s.DeleteUser(ctx, bob))
	m, _ = s.GroupMembers(ctx, support)
	if len(m) != 1 || m[0].JID != alice {
		t.Fatalf("after deleting bob: %v", m)
	}
	must(t, s.DeleteGroup(ctx, support))
	must(t, s.CreateGroup(ctx, store.SupportGroup{JID: support, CreatedAt: time.Now()}))
	if m, _ := s.GroupMembers(ctx, support); len(m) != 0 {
		t.Fatalf("a re-created group kept members: %v", m)
	}
}

func testGuests(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	g := store.Guest{JID: "g1@guest.example.com", SiteID: "12345", FromUserJID: "visitor1@site.example", DisplayName: "Visitor",
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	must(t, s.PutGuest(ctx, g))
	got, err := s.Guest(ctx, g.JID)
	must(t, err)
	if got.SiteID != "12345" || got.FromUserJID != g.FromUserJID || got.DisplayName != "Visitor" || !msOf(got.ExpiresAt, g.ExpiresAt) || !msOf(got.CreatedAt, now) {
		t.Fatalf("Guest = %+v", got)
	}
	// A later visit: new name and expiry, same creation.
	g2 := g
	g2.DisplayName, g2.ExpiresAt, g2.CreatedAt = "Visitor Two", now.Add(2*time.Hour), now.Add(time.Hour)
	must(t, s.PutGuest(ctx, g2))
	got, err = s.GuestOf(ctx, "12345", "visitor1@site.example")
	must(t, err)
	if got.JID != g.JID || got.DisplayName != "Visitor Two" || !msOf(got.ExpiresAt, g2.ExpiresAt) || !msOf(got.CreatedAt, now) {
		t.Fatalf("after the second visit: %+v", got)
	}
	// Another JID for the same site and visitor is refused; another
	// site's visitor of the same name is another guest.
	dup := g
	dup.JID = "g2@guest.example.com"
	wantErr(t, "second guest for one visitor", s.PutGuest(ctx, dup), store.ErrExists)
	dup.SiteID = "777"
	must(t, s.PutGuest(ctx, dup))
	_, err = s.GuestOf(ctx, "12345", "nobody@site.example")
	wantErr(t, "GuestOf unknown", err, store.ErrNotFound)

	n, err := s.DeleteExpiredGuests(ctx, now.Add(time.Hour))
	must(t, err)
	if n != 1 {
		t.Fatalf("DeleteExpiredGuests deleted %d, want 1 (the other site's guest)", n)
	}
	_, err = s.Guest(ctx, "g2@guest.example.com")
	wantErr(t, "expired guest", err, store.ErrNotFound)
	if _, err := s.Guest(ctx, g.JID); err != nil {
		t.Fatalf("the guest whose expiry was pushed back went: %v", err)
	}
}

func testUsedChatRequests(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	must(t, s.UseChatRequest(ctx, 1000640, "ABCD", now.Add(time.Minute)))
	wantErr(t, "replay", s.UseChatRequest(ctx, 1000640, "ABCD", now.Add(time.Minute)), store.ErrExists)
	must(t, s.UseChatRequest(ctx, 1000640, "ABCE", now.Add(time.Hour)))
	must(t, s.UseChatRequest(ctx, 1000641, "ABCD", now.Add(time.Minute)))
	n, err := s.DeleteUsedChatRequests(ctx, now.Add(time.Minute))
	must(t, err)
	if n != 2 {
		t.Fatalf("DeleteUsedChatRequests: %d, want 2", n)
	}
	wantErr(t, "replay of a kept request", s.UseChatRequest(ctx, 1000640, "ABCE", now.Add(time.Hour)), store.ErrExists)
}

func testTranscripts(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	c := store.Chat{SiteID: "12345", GuestJID: "g1@guest.example.com", FromUserJID: "v1@site.example", DisplayName: "Visitor",
		Group: support, Target: support, Subject: "Pricing", State: store.ChatOpen, StartedAt: now}
	id, err := s.CreateChat(ctx, c)
	must(t, err)
	id2, err := s.CreateChat(ctx, c)
	must(t, err)
	if id <= 0 || id2 <= id {
		t.Fatalf("chat ids %d then %d", id, id2)
	}
	lines := []store.ChatLine{
		{At: now, From: store.FromGuest, Name: "Visitor", Body: "Hello"},
		{At: now.Add(time.Second), From: store.FromAgent, JID: alice, Name: "Alice", Body: "Hi! How can I help?"},
	}
	must(t, s.AppendChatLines(ctx, id, lines[:1]))
	must(t, s.AppendChatLines(ctx, id, lines[1:]))
	wantErr(t, "lines of an unknown chat", s.AppendChatLines(ctx, 999999, lines), store.ErrNotFound)
	got, err := s.ChatLines(ctx, id)
	must(t, err)
	if len(got) != 2 || got[0].Body != "Hello" || got[1].JID != alice || got[1].From != store.FromAgent || got[1].Name != "Alice" || !msOf(got[1].At, lines[1].At) {
		t.Fatalf("ChatLines = %+v", got)
	}
	if other, _ := s.ChatLines(ctx, id2); len(other) != 0 {
		t.Fatalf("lines leaked into another chat: %+v", other)
	}
	c.ID, c.Agent, c.State, c.EndedAt = id, alice, store.ChatEnded, now.Add(time.Minute)
	c.Subject = "not updated"
	must(t, s.UpdateChat(ctx, c))
	stored, err := s.Chat(ctx, id)
	must(t, err)
	if stored.Agent != alice || stored.State != store.ChatEnded || !msOf(stored.EndedAt, c.EndedAt) || stored.Subject != "Pricing" || stored.Group != support {
		t.Fatalf("Chat = %+v", stored)
	}
	wantErr(t, "UpdateChat of an unknown chat", s.UpdateChat(ctx, store.Chat{ID: 999999}), store.ErrNotFound)
	_, err = s.Chat(ctx, 999999)
	wantErr(t, "unknown chat", err, store.ErrNotFound)

	// After a restart open chats are ended.
	n, err := s.EndOpenChats(ctx, now.Add(2*time.Minute))
	must(t, err)
	if n != 1 {
		t.Fatalf("EndOpenChats: %d, want 1", n)
	}
	if c2, _ := s.Chat(ctx, id2); c2.State != store.ChatEnded || c2.EndedAt.IsZero() {
		t.Fatalf("open chat after EndOpenChats: %+v", c2)
	}
	if c1, _ := s.Chat(ctx, id); !msOf(c1.EndedAt, c.EndedAt) {
		t.Fatalf("an ended chat's end moved: %+v", c1)
	}
	// Pruning removes chats and their lines; ids are not reused.
	n, err = s.PruneChats(ctx, now.Add(time.Millisecond))
	must(t, err)
	if n != 2 {
		t.Fatalf("PruneChats: %d, want 2", n)
	}
	if l, _ := s.ChatLines(ctx, id); len(l) != 0 {
		t.Fatalf("lines of a pruned chat: %+v", l)
	}
	id3, err := s.CreateChat(ctx, c)
	must(t, err)
	if id3 <= id2 {
		t.Fatalf("chat id %d reused (after %d)", id3, id2)
	}
}

func testTranscriptQueries(t *testing.T, s store.Store) {
	ctx := context.Background()
	base := time.Now().Add(-time.Hour)
	mk := func(site, from, guest, group string, at time.Duration) int64 {
		id, err := s.CreateChat(ctx, store.Chat{SiteID: site, GuestJID: guest, FromUserJID: from, Group: group, Target: group,
			State: store.ChatEnded, StartedAt: base.Add(at)})
		must(t, err)
		return id
	}
	a1 := mk("12345", "v1@site", "g1@guest", support, 0)
	a2 := mk("12345", "v1@site", "g1@guest", "sales@groups.example.com", time.Minute)
	a3 := mk("12345", "v2@site", "g2@guest", support, 2*time.Minute)
	mk("777", "v1@site", "g9@guest", support, 3*time.Minute)
	ids := func(q store.ChatQuery) []int64 {
		t.Helper()
		if q.Max == 0 {
			q.Max = 100
		}
		cs, err := s.ListChats(ctx, q)
		must(t, err)
		out := []int64{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	for name, c := range map[string]struct {
		q    store.ChatQuery
		want []int64
	}{
		"site":        {store.ChatQuery{SiteID: "12345"}, []int64{a3, a2, a1}},
		"visitor":     {store.ChatQuery{SiteID: "12345", FromUserJID: "v1@site"}, []int64{a2, a1}},
		"guest":       {store.ChatQuery{SiteID: "12345", GuestJID: "g2@guest"}, []int64{a3}},
		"group":       {store.ChatQuery{SiteID: "12345", Group: support}, []int64{a3, a1}},
		"since/until": {store.ChatQuery{SiteID: "12345", Since: base.Add(time.Minute), Until: base.Add(2 * time.Minute)}, []int64{a2}},
		"max":         {store.ChatQuery{SiteID: "12345", Max: 2}, []int64{a3, a2}},
		"other site":  {store.ChatQuery{SiteID: "none"}, []int64{}},
	} {
		if got := ids(c.q); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
	_, err := s.ListChats(ctx, store.ChatQuery{SiteID: "12345"})
	wantErr(t, "Max 0", err, store.ErrInvalid)
}
