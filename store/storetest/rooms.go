package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

// roomTests are the conformance tests of store.Rooms.
var roomTests = []storeTest{
	{"RoomRoundTrip", testRoomRoundTrip},
	{"RoomList", testRoomList},
	{"RoomArchive", testRoomArchive},
	{"RoomDeleteCascade", testRoomDeleteCascade},
}

func testRoomRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Room(ctx, "lobby@conference.example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Room of a missing room: %v, want ErrNotFound", err)
	}
	created := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	state := []byte(`{"name":"Lobby"}`)
	must(t, s.PutRoom(ctx, store.Room{JID: "lobby@conference.example.com", State: state, CreatedAt: created}))
	state[2] = 'X' // the store keeps its own copy
	r, err := s.Room(ctx, "lobby@conference.example.com")
	must(t, err)
	if string(r.State) != `{"name":"Lobby"}` || !r.CreatedAt.Equal(created) {
		t.Fatalf("Room = %q created %v", r.State, r.CreatedAt)
	}
	// A later put replaces the state and keeps the creation time.
	must(t, s.PutRoom(ctx, store.Room{JID: "lobby@conference.example.com", State: []byte(`{"name":"Hall"}`), CreatedAt: created.Add(time.Hour)}))
	r, err = s.Room(ctx, "lobby@conference.example.com")
	must(t, err)
	if string(r.State) != `{"name":"Hall"}` || !r.CreatedAt.Equal(created) {
		t.Fatalf("after replace: %q created %v", r.State, r.CreatedAt)
	}
	must(t, s.DeleteRoom(ctx, "lobby@conference.example.com"))
	if err := s.DeleteRoom(ctx, "lobby@conference.example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second DeleteRoom: %v, want ErrNotFound", err)
	}
	if _, err := s.Room(ctx, "lobby@conference.example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Room after delete: %v", err)
	}
}

func testRoomList(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, j := range []string{"b@conference.one.example", "a@conference.one.example", "c@conference.two.example"} {
		must(t, s.PutRoom(ctx, store.Room{JID: j, State: []byte("{}")}))
	}
	jids := func(domain string) []string {
		rs, err := s.ListRooms(ctx, domain)
		must(t, err)
		var out []string
		for _, r := range rs {
			out = append(out, r.JID)
		}
		return out
	}
	if got := jids("conference.one.example"); !slices.Equal(got, []string{"a@conference.one.example", "b@conference.one.example"}) {
		t.Fatalf("ListRooms(one) = %v", got)
	}
	if got := jids(""); len(got) != 3 || got[2] != "c@conference.two.example" {
		t.Fatalf("ListRooms(all) = %v", got)
	}
	if got := jids("conference.none.example"); len(got) != 0 {
		t.Fatalf("ListRooms(none) = %v", got)
	}
}

func testRoomArchive(t *testing.T, s store.Store) {
	ctx := context.Background()
	room := "lobby@conference.example.com"
	if _, err := s.AppendRoomArchive(ctx, room, store.ArchivedMessage{With: room + "/x", At: archiveBase}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("archive for a missing room: %v, want ErrNotFound", err)
	}
	must(t, s.PutRoom(ctx, store.Room{JID: room, State: []byte("{}")}))
	must(t, s.PutRoom(ctx, store.Room{JID: "other@conference.example.com", State: []byte("{}")}))
	var ids []string
	for i := range 5 {
		nick := []string{"alice", "bob"}[i%2]
		id, err := s.AppendRoomArchive(ctx, room, store.ArchivedMessage{With: room + "/" + nick,
			At: archiveBase.Add(time.Duration(i) * time.Second), Stanza: fmt.Appendf(nil, "<message id='%d'/>", i)})
		must(t, err)
		ids = append(ids, id)
	}
	// Another room's messages and a user's archive stay apart.
	_, err := s.AppendRoomArchive(ctx, "other@conference.example.com", store.ArchivedMessage{With: "x", At: archiveBase})
	must(t, err)

	p, err := s.QueryRoomArchive(ctx, room, store.ArchiveQuery{Max: 2})
	must(t, err)
	wantPage(t, "first page", p, ids[:2], false, 5)
	if string(p.Messages[1].Stanza) != "<message id='1'/>" || p.Messages[1].With != room+"/bob" || !p.Messages[1].At.Equal(archiveBase.Add(time.Second)) {
		t.Fatalf("message 1 = %+v", p.Messages[1])
	}
	p, err = s.QueryRoomArchive(ctx, room, store.ArchiveQuery{Max: 10, AfterID: ids[1]})
	must(t, err)
	wantPage(t, "after", p, ids[2:], true, 5)
	p, err = s.QueryRoomArchive(ctx, room, store.ArchiveQuery{Max: 2, Last: true})
	must(t, err)
	wantPage(t, "last", p, ids[3:], false, 5)
	p, err = s.QueryRoomArchive(ctx, room, store.ArchiveQuery{Max: 10, With: room + "/alice", Start: archiveBase.Add(time.Second)})
	must(t, err)
	wantPage(t, "with and start", p, []string{ids[2], ids[4]}, true, 2)
	if _, err := s.QueryRoomArchive(ctx, room, store.ArchiveQuery{Max: 10, AfterID: "999999"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown after id: %v, want ErrNotFound", err)
	}
	if _, err := s.QueryRoomArchive(ctx, room, store.ArchiveQuery{}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("max 0: %v, want ErrInvalid", err)
	}

	// Retention prunes rooms' archives too.
	n, err := s.PruneArchive(ctx, archiveBase.Add(2*time.Second))
	must(t, err)
	if n != 3 { // messages 0 and 1 of the lobby, the other room's one
		t.Fatalf("PruneArchive deleted %d, want 3", n)
	}
	p, err = s.QueryRoomArchive(ctx, room, store.ArchiveQuery{Max: 10})
	must(t, err)
	wantPage(t, "after prune", p, ids[2:], true, 3)
}

func testRoomDeleteCascade(t *testing.T, s store.Store) {
	ctx := context.Background()
	room := "gone@conference.example.com"
	must(t, s.PutRoom(ctx, store.Room{JID: room, State: []byte("{}")}))
	_, err := s.AppendRoomArchive(ctx, room, store.ArchivedMessage{With: room + "/a", At: archiveBase, Stanza: []byte("<message/>")})
	must(t, err)
	must(t, s.DeleteRoom(ctx, room))
	// A room created again under the same name starts with an empty archive.
	must(t, s.PutRoom(ctx, store.Room{JID: room, State: []byte("{}")}))
	p, err := s.QueryRoomArchive(ctx, room, store.ArchiveQuery{Max: 10})
	must(t, err)
	if p.Count != 0 || len(p.Messages) != 0 {
		t.Fatalf("archive of a re-created room: %+v", p)
	}
}
