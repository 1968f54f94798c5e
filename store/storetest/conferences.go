package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

// conferenceTests are the conformance tests of store.Conferences.
var conferenceTests = []storeTest{
	{"ConferenceRoundTrip", testConferenceRoundTrip},
	{"ConferenceUpdate", testConferenceUpdate},
	{"ConferenceList", testConferenceList},
	{"ConferenceAttendance", testConferenceAttendance},
	{"ConferenceEvents", testConferenceEvents},
	{"ConferenceEventsConcurrent", testConferenceEventsConcurrent},
	{"ConferenceDeleteCascade", testConferenceDeleteCascade},
}

var confT0 = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

func sampleConference(id string, start time.Time) store.Conference {
	return store.Conference{
		ID: id, SiteID: "12345", Title: "Quarterly review " + id, Desc: "numbers", Type: "RESTRICTED",
		Key: "k3y", DialIn: "+1 555 0100", RoomJID: "conf-" + id + "@conference.example.com",
		Flags:   store.ConferenceFlags{RegisteredUserOnly: true, HostInvitedOnly: true, SendInvitations: true},
		URLs:    store.ConferenceURLs{HostExit: "https://example.com/bye", AttendeeStart: "https://example.com/hi"},
		StartAt: start, EndAt: start.Add(time.Hour), State: store.ConferenceScheduled,
		Participants: []store.Participant{
			{ID: 1, Role: store.RoleHost, FirstName: "Alice", LastName: "A", Email: "alice@example.com", UserID: alice, KeySecret: "s1"},
			{ID: 2, Role: store.RoleAttendee, FirstName: "Bob", Email: "bob@example.com", UserID: bob, KeySecret: "s2"},
			{ID: 3, Role: store.RoleAttendee, FirstName: "Guest", Email: "guest@example.org", KeySecret: "s3"},
		},
		CreatedAt: confT0.Add(-time.Hour), UpdatedAt: confT0.Add(-time.Hour),
	}
}

func testConferenceRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Conference(ctx, "100"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Conference of a missing one: %v, want ErrNotFound", err)
	}
	c := sampleConference("100", confT0)
	// Participants come back host first, then by ID, whatever the order given.
	c.Participants[0], c.Participants[2] = c.Participants[2], c.Participants[0]
	must(t, s.CreateConference(ctx, c))
	c.Participants[0].FirstName = "changed" // the store keeps its own copy
	if err := s.CreateConference(ctx, sampleConference("100", confT0)); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second CreateConference: %v, want ErrExists", err)
	}
	dup := sampleConference("101", confT0)
	dup.Participants[2].ID = 2
	if err := s.CreateConference(ctx, dup); !errors.Is(err, store.ErrExists) {
		t.Fatalf("two participants with one ID: %v, want ErrExists", err)
	}
	if _, err := s.Conference(ctx, "101"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused conference was stored: %v", err)
	}
	got, err := s.Conference(ctx, "100")
	must(t, err)
	want := sampleConference("100", confT0)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Conference = %+v\nwant %+v", got, want)
	}
	if !got.StartedAt.IsZero() || !got.EndedAt.IsZero() {
		t.Fatalf("not started yet, but StartedAt %v EndedAt %v", got.StartedAt, got.EndedAt)
	}
	got.Participants[0].Email = "x" // nor does it share what it returns
	again, _ := s.Conference(ctx, "100")
	if again.Participants[0].Email != "alice@example.com" {
		t.Fatal("changing a returned conference changed the store")
	}
	// No participants: an empty list, not nil.
	empty := sampleConference("102", confT0)
	empty.Participants = nil
	must(t, s.CreateConference(ctx, empty))
	got, _ = s.Conference(ctx, "102")
	if got.Participants == nil || len(got.Participants) != 0 {
		t.Fatalf("participants of a conference without any: %#v", got.Participants)
	}
}

func testConferenceUpdate(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := sampleConference("200", confT0)
	must(t, s.CreateConference(ctx, c))
	c.Title, c.State, c.Sequence = "Renamed", store.ConferenceEnded, 2
	c.StartedAt, c.EndedAt, c.EndCause = confT0.Add(time.Minute), confT0.Add(50*time.Minute), "GRACEFUL"
	c.Flags.PubliclyListed = true
	c.Participants = append(c.Participants[:2], store.Participant{ID: 4, Role: store.RoleAttendee, UserID: carol, KeySecret: "s4", Enrolled: true})
	c.CreatedAt = confT0.Add(time.Hour) // ignored
	c.UpdatedAt = confT0.Add(2 * time.Minute)
	must(t, s.UpdateConference(ctx, c))
	got, err := s.Conference(ctx, "200")
	must(t, err)
	c.CreatedAt = confT0.Add(-time.Hour)
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("after UpdateConference = %+v\nwant %+v", got, c)
	}
	if err := s.UpdateConference(ctx, sampleConference("999", confT0)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateConference of a missing one: %v, want ErrNotFound", err)
	}
	if _, err := s.Conference(ctx, "999"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateConference created a conference: %v", err)
	}
}

func ids(cs []store.Conference) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func testConferenceList(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := sampleConference("a", confT0.Add(2*time.Hour))
	b := sampleConference("b", confT0)
	b.SiteID, b.Owner = "", carol
	b.Participants = []store.Participant{{ID: 1, Role: store.RoleHost, UserID: carol, KeySecret: "x"}}
	c := sampleConference("c", confT0.Add(time.Hour))
	c.State, c.StartedAt, c.EndedAt = store.ConferenceEnded, confT0.Add(time.Hour), confT0.Add(90*time.Minute)
	d := sampleConference("d", confT0.Add(time.Hour)) // same start as c: ordered by ID
	d.State, d.StartedAt = store.ConferenceInProgress, confT0.Add(time.Hour)
	for _, x := range []store.Conference{a, b, c, d} {
		must(t, s.CreateConference(ctx, x))
	}
	cases := []struct {
		q    store.ConferenceQuery
		want []string
	}{
		{store.ConferenceQuery{}, []string{"b", "c", "d", "a"}},
		{store.ConferenceQuery{SiteID: "12345"}, []string{"c", "d", "a"}},
		{store.ConferenceQuery{Owner: carol}, []string{"b"}},
		{store.ConferenceQuery{User: bob}, []string{"c", "d", "a"}},
		{store.ConferenceQuery{User: carol}, []string{"b"}},
		{store.ConferenceQuery{User: "nobody@example.com"}, []string{}},
		{store.ConferenceQuery{IDs: []string{"a", "d", "zz"}}, []string{"d", "a"}},
		{store.ConferenceQuery{IDs: []string{}}, []string{}},
		{store.ConferenceQuery{States: []string{store.ConferenceScheduled, store.ConferenceInProgress}}, []string{"b", "d", "a"}},
		{store.ConferenceQuery{States: []string{}}, []string{}},
		{store.ConferenceQuery{StartFrom: confT0.Add(time.Hour)}, []string{"c", "d", "a"}},
		{store.ConferenceQuery{StartTo: confT0.Add(time.Hour)}, []string{"b", "c", "d"}},
		{store.ConferenceQuery{StartFrom: confT0.Add(time.Minute), StartTo: confT0.Add(time.Hour)}, []string{"c", "d"}},
		{store.ConferenceQuery{EndedFrom: confT0}, []string{"c"}},
		{store.ConferenceQuery{EndedTo: confT0.Add(90 * time.Minute)}, []string{"c"}},
		{store.ConferenceQuery{EndedTo: confT0.Add(89 * time.Minute)}, []string{}},
		{store.ConferenceQuery{EndedFrom: confT0.Add(91 * time.Minute)}, []string{}},
		{store.ConferenceQuery{SiteID: "12345", Limit: 2}, []string{"c", "d"}},
	}
	for _, tc := range cases {
		got, err := s.ListConferences(ctx, tc.q)
		must(t, err)
		if fmt.Sprint(ids(got)) != fmt.Sprint(tc.want) {
			t.Errorf("ListConferences(%+v) = %v, want %v", tc.q, ids(got), tc.want)
		}
	}
	// Listed conferences carry their participants.
	got, _ := s.ListConferences(ctx, store.ConferenceQuery{IDs: []string{"a"}})
	if len(got) != 1 || len(got[0].Participants) != 3 || got[0].Participants[0].Role != store.RoleHost {
		t.Fatalf("listed conference: %+v", got)
	}
}

func testConferenceAttendance(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.CreateConference(ctx, sampleConference("300", confT0)))
	if _, err := s.AddAttendance(ctx, store.Attendance{ConferenceID: "nope", JID: alice, Entered: confT0}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("AddAttendance to a missing conference: %v, want ErrNotFound", err)
	}
	got, err := s.Attendance(ctx, "300")
	must(t, err)
	if got == nil || len(got) != 0 {
		t.Fatalf("no attendance yet: %#v", got)
	}
	host := store.Attendance{ConferenceID: "300", ParticipantID: 1, JID: alice, UserID: alice, Name: "Alice",
		Email: "alice@example.com", Host: true, Entered: confT0.Add(time.Minute)}
	guest := store.Attendance{ConferenceID: "300", JID: "guest-1@example.com", Name: "Visitor", Guest: true,
		Entered: confT0.Add(2 * time.Minute)}
	id1, err := s.AddAttendance(ctx, host)
	must(t, err)
	id2, err := s.AddAttendance(ctx, guest)
	must(t, err)
	if id2 <= id1 {
		t.Fatalf("attendance ids %d then %d: want growing", id1, id2)
	}
	must(t, s.EndAttendance(ctx, "300", id2, confT0.Add(10*time.Minute)))
	if err := s.EndAttendance(ctx, "300", id2, confT0.Add(11*time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ending a stay twice: %v, want ErrNotFound", err)
	}
	if err := s.EndAttendance(ctx, "other", id1, confT0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ending a stay of another conference: %v, want ErrNotFound", err)
	}
	// A second stay of the host, then everyone's open stays end at once.
	id3, err := s.AddAttendance(ctx, store.Attendance{ConferenceID: "300", ParticipantID: 1, JID: alice, UserID: alice,
		Name: "Alice", Host: true, Entered: confT0.Add(20 * time.Minute)})
	must(t, err)
	n, err := s.EndAllAttendance(ctx, "300", confT0.Add(30*time.Minute))
	must(t, err)
	if n != 2 {
		t.Fatalf("EndAllAttendance closed %d stays, want 2", n)
	}
	got, err = s.Attendance(ctx, "300")
	must(t, err)
	host.ID, host.Exited = id1, confT0.Add(30*time.Minute)
	guest.ID, guest.Exited = id2, confT0.Add(10*time.Minute)
	third := store.Attendance{ID: id3, ConferenceID: "300", ParticipantID: 1, JID: alice, UserID: alice, Name: "Alice",
		Host: true, Entered: confT0.Add(20 * time.Minute), Exited: confT0.Add(30 * time.Minute)}
	if want := []store.Attendance{host, guest, third}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Attendance = %+v\nwant %+v", got, want)
	}
}

func testConferenceEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.CreateConference(ctx, sampleConference("400", confT0)))
	must(t, s.CreateConference(ctx, sampleConference("401", confT0)))
	if _, err := s.AppendConferenceEvent(ctx, store.ConferenceEvent{ConferenceID: "nope", Kind: "chat"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("event of a missing conference: %v, want ErrNotFound", err)
	}
	at := confT0.Add(1234567 * time.Nanosecond) // finer than a microsecond: truncated
	var want []store.ConferenceEvent
	for i, kind := range []string{"start", "join", "chat", "link", "leave"} {
		e := store.ConferenceEvent{ConferenceID: "400", At: at.Add(time.Duration(i) * time.Second), Kind: kind,
			Nick: "alice", Text: fmt.Sprintf("text %d <&>", i)}
		seq, err := s.AppendConferenceEvent(ctx, e)
		must(t, err)
		if len(want) > 0 && seq <= want[len(want)-1].Seq {
			t.Fatalf("event seq %d after %d: want growing", seq, want[len(want)-1].Seq)
		}
		e.Seq, e.At = seq, e.At.Truncate(time.Microsecond)
		want = append(want, e)
		// Another conference's events interleave without showing up.
		_, err = s.AppendConferenceEvent(ctx, store.ConferenceEvent{ConferenceID: "401", At: at, Kind: "chat", Text: "other"})
		must(t, err)
	}
	got, err := s.ConferenceEvents(ctx, "400", 0, 0)
	must(t, err)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ConferenceEvents = %+v\nwant %+v", got, want)
	}
	got, err = s.ConferenceEvents(ctx, "400", want[1].Seq, 2)
	must(t, err)
	if !reflect.DeepEqual(got, want[2:4]) {
		t.Fatalf("a page after seq %d: %+v\nwant %+v", want[1].Seq, got, want[2:4])
	}
	got, err = s.ConferenceEvents(ctx, "400", want[4].Seq, 10)
	must(t, err)
	if got == nil || len(got) != 0 {
		t.Fatalf("after the last event: %#v", got)
	}
}

// Events appended concurrently all get distinct sequence numbers that
// grow with the order in which a reader sees them.
func testConferenceEventsConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.CreateConference(ctx, sampleConference("500", confT0)))
	const writers, each = 4, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := s.AppendConferenceEvent(ctx, store.ConferenceEvent{ConferenceID: "500", At: confT0,
					Kind: "chat", Text: fmt.Sprintf("%d-%d", w, i)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got, err := s.ConferenceEvents(ctx, "500", 0, 0)
	must(t, err)
	if len(got) != writers*each {
		t.Fatalf("%d events, want %d", len(got), writers*each)
	}
	seen := map[string]bool{}
	for i, e := range got {
		if i > 0 && e.Seq <= got[i-1].Seq {
			t.Fatalf("seq %d after %d", e.Seq, got[i-1].Seq)
		}
		seen[e.Text] = true
	}
	if len(seen) != writers*each {
		t.Fatalf("%d distinct events, want %d", len(seen), writers*each)
	}
}

func testConferenceDeleteCascade(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.CreateConference(ctx, sampleConference("600", confT0)))
	must(t, s.CreateConference(ctx, sampleConference("601", confT0)))
	for _, id := range []string{"600", "601"} {
		_, err := s.AddAttendance(ctx, store.Attendance{ConferenceID: id, JID: alice, Entered: confT0})
		must(t, err)
		_, err = s.AppendConferenceEvent(ctx, store.ConferenceEvent{ConferenceID: id, At: confT0, Kind: "chat"})
		must(t, err)
	}
	must(t, s.DeleteConference(ctx, "600"))
	if err := s.DeleteConference(ctx, "600"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second DeleteConference: %v, want ErrNotFound", err)
	}
	if _, err := s.Conference(ctx, "600"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted conference still there: %v", err)
	}
	if a, _ := s.Attendance(ctx, "600"); len(a) != 0 {
		t.Fatalf("attendance of a deleted conference: %+v", a)
	}
	if e, _ := s.ConferenceEvents(ctx, "600", 0, 0); len(e) != 0 {
		t.Fatalf("events of a deleted conference: %+v", e)
	}
	if list, _ := s.ListConferences(ctx, store.ConferenceQuery{User: alice}); fmt.Sprint(ids(list)) != "[601]" {
		t.Fatalf("after the delete, alice's conferences: %v", ids(list))
	}
	// The other conference keeps everything; re-creating the deleted ID
	// starts empty.
	if a, _ := s.Attendance(ctx, "601"); len(a) != 1 {
		t.Fatalf("attendance of the other conference: %+v", a)
	}
	must(t, s.CreateConference(ctx, sampleConference("600", confT0)))
	if e, _ := s.ConferenceEvents(ctx, "600", 0, 0); len(e) != 0 {
		t.Fatalf("a re-created conference has old events: %+v", e)
	}
}
