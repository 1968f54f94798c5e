package transfer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/parley-im/parley/internal/pgtest"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/postgres"
	"github.com/parley-im/parley/store/sqlite"
)

var base = time.Date(2026, 4, 5, 6, 7, 8, 0, time.UTC)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func cred(seed byte) store.SCRAMCredential {
	return store.SCRAMCredential{Salt: []byte{seed, 1}, Iterations: 4096, StoredKey: []byte{seed, 2}, ServerKey: []byte{seed, 3}}
}

// fill puts some of everything a store holds into st, through the store
// interfaces, and returns ids the copy must keep.
func fill(t *testing.T, st store.Store) (archiveIDs, roomIDs []string, tokens []store.Token) {
	ctx := context.Background()
	users := []string{"alice@example.com", "bob@example.com", "carol@example.net"}
	for i, u := range users {
		must(t, st.CreateUser(ctx, store.User{JID: u, SHA1: cred(byte(i)), SHA256: cred(byte(10 + i)), CreatedAt: base.Add(time.Duration(i) * time.Hour)}))
	}
	for range 3 { // roster version 4 after the delete
		_, err := st.PutRosterItem(ctx, users[0], store.RosterItem{Contact: users[1], Name: "Bob", Subscription: store.SubBoth, Groups: []string{"Team", "Friends"}})
		must(t, err)
	}
	_, err := st.PutRosterItem(ctx, users[0], store.RosterItem{Contact: "x@example.org", Subscription: store.SubNone, AskOut: true, PendingIn: true, Approved: true})
	must(t, err)
	_, err = st.DeleteRosterItem(ctx, users[0], "x@example.org")
	must(t, err)
	_, err = st.PutRosterItem(ctx, users[1], store.RosterItem{Contact: users[0], Subscription: store.SubBoth})
	must(t, err)
	for i := range 3 {
		must(t, st.StoreOffline(ctx, users[1], fmt.Appendf(nil, "<message id='%d'/>", i), store.OfflineLimits{}))
	}
	for _, from := range []string{"zed@example.com", "ann@example.com"} { // arrival order, not alphabetical
		must(t, st.PutSubscriptionRequest(ctx, users[2], store.SubscriptionRequest{From: from, Stanza: []byte("<presence type='subscribe' from='" + from + "'/>")}))
	}
	must(t, st.SetLastPresence(ctx, users[1], []byte("<presence type='unavailable'/>"), base))
	must(t, st.PutVCard(ctx, users[0], []byte("<vCard xmlns='vcard-temp'><FN>Alice</FN></vCard>")))
	for i := range 5 {
		id, err := st.AppendArchive(ctx, users[i%2], store.ArchivedMessage{With: users[(i+1)%2], At: base.Add(time.Duration(i) * time.Second),
			Stanza: fmt.Appendf(nil, "<message id='a%d'/>", i)})
		must(t, err)
		archiveIDs = append(archiveIDs, id)
	}
	last, _ := strconv.ParseInt(archiveIDs[len(archiveIDs)-1], 10, 64)
	// The archive writer's ids: chosen by the caller, far above.
	errs, err := st.AppendArchiveBatch(ctx, []store.ArchiveAppend{{Owner: users[0], Message: store.ArchivedMessage{
		ID: strconv.FormatInt(last+1_000_000, 10), With: users[1], At: base.Add(time.Minute), Stanza: []byte("<message id='batch'/>")}}})
	must(t, err)
	must(t, errs[0])
	archiveIDs = append(archiveIDs, strconv.FormatInt(last+1_000_000, 10))
	must(t, st.SetArchivePrefs(ctx, users[0], store.ArchivePrefs{Default: "roster", Always: []string{users[1]}, Never: []string{"spam@example.org"}}))
	room := "lobby@conference.example.com"
	must(t, st.PutRoom(ctx, store.Room{JID: room, State: []byte(`{"name":"Lobby"}`), CreatedAt: base}))
	for i := range 3 {
		id, err := st.AppendRoomArchive(ctx, room, store.ArchivedMessage{With: room + "/alice", At: base.Add(time.Duration(i) * time.Second),
			Stanza: fmt.Appendf(nil, "<message id='r%d'/>", i)})
		must(t, err)
		roomIDs = append(roomIDs, id)
	}
	must(t, st.CreateSite(ctx, store.Site{ID: "12345", Name: "Vision", KeySalt: []byte{1}, KeyHash: []byte{2},
		Settings: map[string]bool{"auth_presence_enabled": true}, CreatedAt: base}))
	root, err := st.CreateToken(ctx, store.Token{Random: "rootrandom", EntityType: store.EntitySite, EntityID: "12345", Policy: "SESSION",
		CreatedAt: base, ExpiresAt: base.Add(time.Hour)})
	must(t, err)
	child, err := st.CreateToken(ctx, store.Token{Random: "childrandom", ParentID: root.ID, EntityType: store.EntitySite, EntityID: "12345",
		Policy: "PRESENCE", ProxyUser: users[0], CreatedAt: base, ExpiresAt: base.Add(time.Hour)})
	must(t, err)
	gone, err := st.CreateToken(ctx, store.Token{Random: "gone", EntityType: store.EntityUser, EntityID: users[0], Policy: "SESSION",
		CreatedAt: base, ExpiresAt: base.Add(time.Hour)})
	must(t, err)
	_, err = st.DeleteToken(ctx, gone.ID) // its id must not come back
	must(t, err)
	must(t, st.SetPresenceSharing(ctx, users[0], true))
	must(t, st.PutPush(ctx, users[1], store.PushRegistration{Service: "push.example.com", Node: "n1", Resource: "phone", Options: []byte("<x/>")}))
	// Live help: a group with a member, a guest, a chat with its lines.
	must(t, st.CreateGroup(ctx, store.SupportGroup{JID: "support@groups.example.com", Name: "Support", Sites: []string{"12345"}, CreatedAt: base}))
	must(t, st.PutGroupMember(ctx, "support@groups.example.com", store.GroupMember{JID: users[1], Role: store.RoleAgent}))
	must(t, st.PutGuest(ctx, store.Guest{JID: "g1@guest.example.com", SiteID: "12345", FromUserJID: "visitor1", DisplayName: "Visitor",
		CreatedAt: base, ExpiresAt: base.Add(time.Hour)}))
	must(t, st.UseChatRequest(ctx, root.ID, "DIGEST", base.Add(time.Hour)))
	chat, err := st.CreateChat(ctx, store.Chat{SiteID: "12345", GuestJID: "g1@guest.example.com", FromUserJID: "visitor1",
		Group: "support@groups.example.com", Target: "support@groups.example.com", Agent: users[1], State: store.ChatOpen, StartedAt: base})
	must(t, err)
	must(t, st.AppendChatLines(ctx, chat, []store.ChatLine{{At: base, From: store.FromGuest, Name: "Visitor", Body: "hello"},
		{At: base.Add(time.Second), From: store.FromAgent, JID: users[1], Name: "Bob", Body: "hi, how can I help?"}}))
	// Calendar agent: a user's settings, an alarm waiting, a reminder delivered.
	must(t, st.SetCalendarPrefs(ctx, users[0], store.CalendarPrefs{Reminders: store.RemindersOn, TimeZone: "Europe/Berlin"}))
	must(t, st.PutAlarm(ctx, store.ScheduledAlarm{Owner: users[0], UID: "ev1", RecurrenceID: "20260302T090000Z", Source: "nats",
		Due: base.Add(time.Hour), Data: []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")}))
	if first, err := st.MarkDelivered(ctx, users[0], "ev0", "", base, base); err != nil || !first {
		t.Fatalf("MarkDelivered: %v %v", first, err)
	}
	// A web conference: its schedule and participants, an attendance
	// (one stay over, one still open) and its timeline.
	conf := store.Conference{ID: "100200", Owner: users[0], Title: "Review", Desc: "Weekly", Type: "REGULAR",
		Key: "k1", DialIn: "+1 555", RoomJID: "conf100200@conference.example.com",
		Flags:   store.ConferenceFlags{RegisteredUserOnly: true, HostInvitedOnly: true, SendInvitations: true},
		URLs:    store.ConferenceURLs{HostExit: "https://example.com/bye"},
		StartAt: base, EndAt: base.Add(time.Hour), State: store.ConferenceEnded, EndCause: "GRACEFUL",
		StartedAt: base.Add(time.Minute), EndedAt: base.Add(50 * time.Minute), Sequence: 2,
		Participants: []store.Participant{
			{ID: 1, Role: store.RoleHost, FirstName: "Alice", Email: "alice@example.com", UserID: users[0], KeySecret: "s1"},
			{ID: 2, Role: store.RoleAttendee, FirstName: "Bob", UserID: users[1], KeySecret: "s2", Enrolled: true},
		},
		CreatedAt: base, UpdatedAt: base.Add(time.Second)}
	must(t, st.CreateConference(ctx, conf))
	stay, err := st.AddAttendance(ctx, store.Attendance{ConferenceID: conf.ID, ParticipantID: 1, JID: users[0], UserID: users[0],
		Name: "Alice", Host: true, Entered: base.Add(time.Minute)})
	must(t, err)
	must(t, st.EndAttendance(ctx, conf.ID, stay, base.Add(50*time.Minute)))
	_, err = st.AddAttendance(ctx, store.Attendance{ConferenceID: conf.ID, JID: "guest-x@conference-guests.example.com",
		Name: "Erin", Guest: true, Entered: base.Add(2 * time.Minute)})
	must(t, err)
	for i, kind := range []string{"start", "join", "chat", "end"} {
		_, err := st.AppendConferenceEvent(ctx, store.ConferenceEvent{ConferenceID: conf.ID, At: base.Add(time.Duration(i) * time.Microsecond),
			Kind: kind, Nick: "Alice", Text: fmt.Sprint("e", i)})
		must(t, err)
	}
	// Personal data: PEP nodes and items, a block list, private XML, an upload.
	must(t, st.CreatePEPNode(ctx, users[0], store.PEPNode{Node: "urn:xmpp:avatar:metadata", Config: []byte(`{"access_model":"presence"}`)}, 0))
	for i, id := range []string{"a", "b", "a"} { // a republished: newest
		must(t, st.PublishPEPItem(ctx, users[0], "urn:xmpp:avatar:metadata",
			store.PEPItem{ID: id, Publisher: users[0], Payload: []byte("<metadata xmlns='urn:xmpp:avatar:metadata'/>"), Published: base.Add(time.Duration(i) * time.Minute)}, 0))
	}
	must(t, st.Block(ctx, users[1], []string{"spam.example", users[2]}, 0))
	must(t, st.PutPrivateXML(ctx, users[2], "urn:test", []byte("<x xmlns='urn:test'/>"), 0))
	must(t, st.CreateUpload(ctx, store.Upload{ID: "00112233445566778899aabbccddeeff", Owner: users[0], Filename: "a.png", Size: 10,
		ContentType: "image/png", State: store.UploadPending, Created: base, Expires: base.Add(time.Minute)}, 0))
	return archiveIDs, roomIDs, []store.Token{root, child, gone}
}

// same fails unless a and b answer alike for everything fill stored.
func same(t *testing.T, a, b store.Store) {
	t.Helper()
	ctx := context.Background()
	check := func(what string, f func(store.Store) (any, error)) {
		t.Helper()
		x, errA := f(a)
		y, errB := f(b)
		if errA != nil || errB != nil || !reflect.DeepEqual(x, y) {
			t.Errorf("%s:\n SQLite     %+v (%v)\n PostgreSQL %+v (%v)", what, x, errA, y, errB)
		}
	}
	users, _ := a.ListUsers(ctx, "")
	if len(users) != 3 {
		t.Fatalf("source users %v", users)
	}
	check("users", func(s store.Store) (any, error) { return s.ListUsers(ctx, "") })
	for _, u := range users {
		check("user "+u, func(s store.Store) (any, error) { return s.User(ctx, u) })
		check("roster of "+u, func(s store.Store) (any, error) {
			items, ver, err := s.Roster(ctx, u)
			return fmt.Sprint(items, ver), err
		})
		check("offline of "+u, func(s store.Store) (any, error) { return s.OfflineMessages(ctx, u) })
		check("requests of "+u, func(s store.Store) (any, error) { return s.SubscriptionRequests(ctx, u) })
		check("last presence of "+u, func(s store.Store) (any, error) {
			b, at, err := s.LastPresence(ctx, u)
			if errors.Is(err, store.ErrNotFound) {
				return "none", nil
			}
			return fmt.Sprint(string(b), at), err
		})
		check("vcard of "+u, func(s store.Store) (any, error) {
			v, err := s.VCard(ctx, u)
			if errors.Is(err, store.ErrNotFound) {
				return "none", nil
			}
			return string(v), err
		})
		check("archive of "+u, func(s store.Store) (any, error) { return s.QueryArchive(ctx, u, store.ArchiveQuery{Max: 100}) })
		check("prefs of "+u, func(s store.Store) (any, error) { return s.ArchivePrefs(ctx, u) })
		check("sharing of "+u, func(s store.Store) (any, error) { return s.PresenceShared(ctx, u) })
		check("push of "+u, func(s store.Store) (any, error) { return s.PushRegistrations(ctx, u) })
		check("tokens of "+u, func(s store.Store) (any, error) { return s.CountTokens(ctx, store.EntityUser, u) })
		check("calendar prefs of "+u, func(s store.Store) (any, error) { return s.CalendarPrefs(ctx, u) })
		check("alarms of "+u, func(s store.Store) (any, error) { return s.Alarms(ctx, u) })
		check("delivered mark of "+u, func(s store.Store) (any, error) { // false where it was copied
			return s.MarkDelivered(ctx, u, "ev0", "", base, base)
		})
		check("pep nodes of "+u, func(s store.Store) (any, error) { return s.PEPNodes(ctx, u) })
		check("block list of "+u, func(s store.Store) (any, error) { return s.Blocklist(ctx, u) })
		check("uploads of "+u, func(s store.Store) (any, error) { return s.OwnerUploads(ctx, u) })
	}
	check("pep items", func(s store.Store) (any, error) {
		return s.PEPItems(ctx, "alice@example.com", "urn:xmpp:avatar:metadata", store.PEPItemQuery{})
	})
	check("private xml", func(s store.Store) (any, error) {
		b, err := s.PrivateXML(ctx, "carol@example.net", "urn:test")
		return string(b), err
	})
	check("last archive id", func(s store.Store) (any, error) { return s.LastArchiveID(ctx) })
	check("rooms", func(s store.Store) (any, error) { return s.ListRooms(ctx, "") })
	check("room archive", func(s store.Store) (any, error) {
		return s.QueryRoomArchive(ctx, "lobby@conference.example.com", store.ArchiveQuery{Max: 100})
	})
	check("sites", func(s store.Store) (any, error) { return s.ListSites(ctx) })
	check("site tokens", func(s store.Store) (any, error) { return s.CountTokens(ctx, store.EntitySite, "12345") })
	check("groups", func(s store.Store) (any, error) { return s.ListGroups(ctx) })
	check("members", func(s store.Store) (any, error) { return s.GroupMembers(ctx, "support@groups.example.com") })
	check("guest", func(s store.Store) (any, error) { return s.Guest(ctx, "g1@guest.example.com") })
	check("chats", func(s store.Store) (any, error) { return s.ListChats(ctx, store.ChatQuery{SiteID: "12345", Max: 10}) })
	check("chat lines", func(s store.Store) (any, error) {
		chats, err := s.ListChats(ctx, store.ChatQuery{SiteID: "12345", Max: 1})
		if err != nil || len(chats) != 1 {
			return nil, fmt.Errorf("chats %v, %v", chats, err)
		}
		return s.ChatLines(ctx, chats[0].ID)
	})
	check("conferences", func(s store.Store) (any, error) { return s.ListConferences(ctx, store.ConferenceQuery{}) })
	check("attendance", func(s store.Store) (any, error) { return s.Attendance(ctx, "100200") })
	check("timeline", func(s store.Store) (any, error) { return s.ConferenceEvents(ctx, "100200", 0, 0) })
	check("used request", func(s store.Store) (any, error) {
		err := s.UseChatRequest(ctx, 999, "X", base) // a fresh one: both accept it
		if err != nil {
			return nil, err
		}
		chats, _ := s.ListChats(ctx, store.ChatQuery{SiteID: "12345", Max: 1})
		return fmt.Sprint(len(chats)), nil
	})
}

func TestSQLiteToPostgres(t *testing.T) {
	ctx := context.Background()
	src, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	must(t, err)
	defer src.Close()
	dsn := pgtest.Shared(t).NewSchema(t)
	dst, err := postgres.Open(ctx, dsn, postgres.Options{})
	must(t, err)
	defer dst.Close()

	archiveIDs, roomIDs, tokens := fill(t, src)
	var seen []Table
	tables, err := SQLiteToPostgres(ctx, src, dst, func(tb Table) { seen = append(seen, tb) })
	must(t, err)
	if !reflect.DeepEqual(tables, seen) || len(tables) < 15 {
		t.Fatalf("tables %v, progress %v", tables, seen)
	}
	same(t, src, dst)
	// What each user stores is counted again, not copied: the same.
	for _, u := range []string{"alice@example.com", "bob@example.com"} {
		for _, usage := range []func(store.Store) (store.Usage, error){
			func(s store.Store) (store.Usage, error) { return s.OfflineUsage(ctx, u) },
			func(s store.Store) (store.Usage, error) { return s.ArchiveUsage(ctx, u) },
		} {
			want, err := usage(src)
			must(t, err)
			got, err := usage(dst)
			must(t, err)
			if got != want {
				t.Fatalf("usage of %s after the transfer: %+v, want %+v", u, got, want)
			}
		}
	}

	// Ids are kept: clients and integrating applications hold them.
	p, err := dst.QueryArchive(ctx, "alice@example.com", store.ArchiveQuery{AfterID: archiveIDs[0], Max: 100})
	must(t, err)
	if p.Count != 4 || p.Messages[0].ID != archiveIDs[2] {
		t.Fatalf("alice's archive after %s: %+v", archiveIDs[0], p)
	}
	rp, err := dst.QueryRoomArchive(ctx, "lobby@conference.example.com", store.ArchiveQuery{AfterID: roomIDs[0], Max: 100})
	must(t, err)
	if len(rp.Messages) != 2 || rp.Messages[0].ID != roomIDs[1] {
		t.Fatalf("room archive after %s: %+v", roomIDs[0], rp)
	}
	for _, tok := range tokens[:2] {
		got, err := dst.Token(ctx, tok.ID)
		if err != nil || !reflect.DeepEqual(got, tok) {
			t.Fatalf("token %d = %+v, %v; want %+v", tok.ID, got, err, tok)
		}
	}
	// ... and never handed out again: new ids continue above everything
	// SQLite ever used, deleted rows included.
	nt, err := dst.CreateToken(ctx, store.Token{Random: "new", EntityType: store.EntitySite, EntityID: "12345", Policy: "SESSION", ExpiresAt: base})
	must(t, err)
	if nt.ID <= tokens[2].ID {
		t.Fatalf("new token id %d, SQLite had used up to %d", nt.ID, tokens[2].ID)
	}
	id, err := dst.AppendArchive(ctx, "bob@example.com", store.ArchivedMessage{With: "alice@example.com", At: base, Stanza: []byte("<message/>")})
	must(t, err)
	if mustInt(t, id) <= mustInt(t, archiveIDs[len(archiveIDs)-1]) {
		t.Fatalf("new archive id %s after %v", id, archiveIDs)
	}
	rid, err := dst.AppendRoomArchive(ctx, "lobby@conference.example.com", store.ArchivedMessage{With: "x", At: base, Stanza: []byte("<message/>")})
	must(t, err)
	if mustInt(t, rid) <= mustInt(t, roomIDs[2]) {
		t.Fatalf("new room archive id %s after %v", rid, roomIDs)
	}
	must(t, dst.StoreOffline(ctx, "bob@example.com", []byte("<message id='new'/>"), store.OfflineLimits{}))
	msgs, err := dst.OfflineMessages(ctx, "bob@example.com")
	must(t, err)
	if len(msgs) != 4 || msgs[3].ID <= msgs[2].ID {
		t.Fatalf("offline after a new message: %+v", msgs)
	}
	// A request used on SQLite is still used, a replay still refused.
	roots, _ := src.ListChats(ctx, store.ChatQuery{SiteID: "12345", Max: 1})
	if err := dst.UseChatRequest(ctx, tokens[0].ID, "DIGEST", base.Add(time.Hour)); !errors.Is(err, store.ErrExists) {
		t.Fatalf("a chat request used before the copy: %v, want ErrExists", err)
	}
	cid, err := dst.CreateChat(ctx, store.Chat{SiteID: "12345", GuestJID: "g1@guest.example.com", FromUserJID: "visitor1", Target: "x", State: store.ChatOpen, StartedAt: base})
	must(t, err)
	if cid <= roots[0].ID {
		t.Fatalf("new chat id %d after %d", cid, roots[0].ID)
	}
	// Conference stays and timeline events go on numbering above the
	// copied ones.
	stays, _ := src.Attendance(ctx, "100200")
	if id, err := dst.AddAttendance(ctx, store.Attendance{ConferenceID: "100200", JID: "x@example.com", Entered: base}); err != nil || id <= stays[len(stays)-1].ID {
		t.Fatalf("new attendance id %d, %v after %+v", id, err, stays)
	}
	events, _ := src.ConferenceEvents(ctx, "100200", 0, 0)
	if seq, err := dst.AppendConferenceEvent(ctx, store.ConferenceEvent{ConferenceID: "100200", At: base, Kind: "chat"}); err != nil || seq <= events[len(events)-1].Seq {
		t.Fatalf("new event seq %d, %v after %+v", seq, err, events)
	}
	// The roster version carried over; a change goes on from it.
	if v, err := dst.PutRosterItem(ctx, "alice@example.com", store.RosterItem{Contact: "new@example.com", Subscription: store.SubNone}); err != nil || v != 6 {
		t.Fatalf("roster version after the copy's 5: %d, %v", v, err)
	}

	// A second copy into the same (now full) database is refused, and
	// writes nothing.
	_, err = SQLiteToPostgres(ctx, src, dst, nil)
	if !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("copy into a database with data: %v, want ErrNotEmpty", err)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	must(t, err)
	return n
}

// A failure part-way leaves the target empty: one transaction.
func TestSQLiteToPostgresAllOrNothing(t *testing.T) {
	ctx := context.Background()
	src, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	must(t, err)
	defer src.Close()
	fill(t, src)
	dst, err := postgres.Open(ctx, pgtest.Shared(t).NewSchema(t), postgres.Options{})
	must(t, err)
	defer dst.Close()
	// A column SQLite has and PostgreSQL lacks stops the copy at that table.
	if _, err := dst.Pool().Exec(ctx, `ALTER TABLE vcards DROP COLUMN vcard`); err != nil {
		t.Fatal(err)
	}
	_, err = SQLiteToPostgres(ctx, src, dst, nil)
	if !errors.Is(err, ErrSchema) {
		t.Fatalf("copy with a missing column: %v, want ErrSchema", err)
	}
	if users, err := dst.ListUsers(ctx, ""); err != nil || len(users) != 0 {
		t.Fatalf("after a failed copy the target holds users %v (%v)", users, err)
	}
}
