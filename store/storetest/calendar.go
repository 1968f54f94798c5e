package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

// calendarTests are the conformance tests of store.Calendar.
var calendarTests = []storeTest{
	{"CalendarPrefs", testCalendarPrefs},
	{"CalendarAlarms", testCalendarAlarms},
	{"CalendarAlarmClaims", testCalendarAlarmClaims},
	{"CalendarAlarmClaimsConcurrent", testCalendarAlarmClaimsConcurrent},
	{"CalendarDelivered", testCalendarDelivered},
	{"CalendarDeleteUser", testCalendarDeleteUser},
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func testCalendarPrefs(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	p, err := s.CalendarPrefs(ctx, alice)
	must(t, err)
	if p != (store.CalendarPrefs{}) {
		t.Fatalf("prefs never set = %+v, want zero", p)
	}
	if p, err := s.CalendarPrefs(ctx, "nobody@example.com"); err != nil || p != (store.CalendarPrefs{}) {
		t.Fatalf("unknown owner: %+v, %v", p, err)
	}
	want := store.CalendarPrefs{Reminders: store.RemindersOn, TimeZone: "Europe/Berlin"}
	must(t, s.SetCalendarPrefs(ctx, alice, want))
	if p, _ := s.CalendarPrefs(ctx, alice); p != want {
		t.Fatalf("got %+v, want %+v", p, want)
	}
	want = store.CalendarPrefs{Reminders: store.RemindersOff}
	must(t, s.SetCalendarPrefs(ctx, alice, want))
	if p, _ := s.CalendarPrefs(ctx, alice); p != want {
		t.Fatalf("replaced: got %+v, want %+v", p, want)
	}
	wantErr(t, "SetCalendarPrefs(unknown)", s.SetCalendarPrefs(ctx, "nobody@example.com", want), store.ErrNotFound)
}

func alarm(owner, uid, rid string, due time.Time, data string) store.ScheduledAlarm {
	return store.ScheduledAlarm{Owner: owner, UID: uid, RecurrenceID: rid, Source: "nats", Due: due, Data: []byte(data)}
}

func alarms(t *testing.T, s store.Store, owner string) []store.ScheduledAlarm {
	t.Helper()
	as, err := s.Alarms(context.Background(), owner)
	must(t, err)
	return as
}

func testCalendarAlarms(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	if _, err := s.NextAlarm(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("NextAlarm with none = %v, want ErrNotFound", err)
	}
	wantErr(t, "PutAlarm(unknown owner)", s.PutAlarm(ctx, alarm("nobody@example.com", "u", "", t0, "x")), store.ErrNotFound)

	due := t0.Add(1500 * time.Microsecond) // stores keep milliseconds
	must(t, s.PutAlarm(ctx, alarm(alice, "u1", "", due.Add(time.Hour), "one")))
	must(t, s.PutAlarm(ctx, alarm(alice, "u2", "20260302T100000Z", due, "two")))
	must(t, s.PutAlarm(ctx, alarm(bob, "u1", "", due.Add(2*time.Hour), "bob's")))

	as := alarms(t, s, alice)
	if len(as) != 2 || as[0].UID != "u2" || as[1].UID != "u1" {
		t.Fatalf("alice's alarms: %+v", as)
	}
	if as[0].RecurrenceID != "20260302T100000Z" || string(as[0].Data) != "two" || as[0].Source != "nats" || !msOf(as[0].Due, due) {
		t.Fatalf("round trip: %+v", as[0])
	}
	if as[0].Due.Location() != time.UTC {
		t.Fatalf("due not in UTC: %v", as[0].Due)
	}
	if all := alarms(t, s, ""); len(all) != 3 || all[2].Owner != bob {
		t.Fatalf("all alarms: %+v", all)
	}
	if n, err := s.CountAlarms(ctx); err != nil || n != 3 {
		t.Fatalf("CountAlarms = %d, %v", n, err)
	}
	next, err := s.NextAlarm(ctx)
	must(t, err)
	if !msOf(next, due) {
		t.Fatalf("NextAlarm = %v, want %v", next, due)
	}

	// Putting the same (owner, uid, rid) replaces it, with a new version.
	v1 := as[1].Version
	must(t, s.PutAlarm(ctx, alarm(alice, "u1", "", due.Add(3*time.Hour), "one, moved")))
	as = alarms(t, s, alice)
	if len(as) != 2 || as[1].UID != "u1" || string(as[1].Data) != "one, moved" || as[1].Version == v1 {
		t.Fatalf("after replacing u1: %+v (old version %d)", as, v1)
	}

	must(t, s.DeleteAlarm(ctx, alice, "u2", "20260302T100000Z"))
	must(t, s.DeleteAlarm(ctx, alice, "u2", "20260302T100000Z")) // absent: no error
	if as := alarms(t, s, alice); len(as) != 1 || as[0].UID != "u1" {
		t.Fatalf("after delete: %+v", as)
	}
	if as := alarms(t, s, bob); len(as) != 1 {
		t.Fatalf("bob's alarm went too: %+v", as)
	}
}

func testCalendarAlarmClaims(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	must(t, s.PutAlarm(ctx, alarm(alice, "a", "", t0, "a")))
	must(t, s.PutAlarm(ctx, alarm(alice, "b", "", t0.Add(time.Minute), "b")))
	must(t, s.PutAlarm(ctx, alarm(alice, "c", "", t0.Add(time.Hour), "c")))

	if got, err := s.ClaimAlarms(ctx, t0.Add(-time.Second), time.Minute, 10); err != nil || len(got) != 0 {
		t.Fatalf("claim before anything is due: %+v, %v", got, err)
	}
	now := t0.Add(2 * time.Minute)
	got, err := s.ClaimAlarms(ctx, now, 30*time.Second, 1)
	must(t, err)
	if len(got) != 1 || got[0].UID != "a" {
		t.Fatalf("claim max 1: %+v", got)
	}
	got, err = s.ClaimAlarms(ctx, now, 30*time.Second, 10)
	must(t, err)
	if len(got) != 1 || got[0].UID != "b" {
		t.Fatalf("second claim (a is leased, c not due): %+v", got)
	}
	b := got[0]
	// The next possible claim is when the leases end.
	next, err := s.NextAlarm(ctx)
	must(t, err)
	if !msOf(next, now.Add(30*time.Second)) {
		t.Fatalf("NextAlarm with both due alarms leased = %v, want %v", next, now.Add(30*time.Second))
	}
	// A lease that ended lets the alarm be claimed again.
	got, err = s.ClaimAlarms(ctx, now.Add(31*time.Second), 30*time.Second, 10)
	must(t, err)
	if len(got) != 2 || got[0].UID != "a" || got[1].UID != "b" {
		t.Fatalf("claim after the leases ended: %+v", got)
	}

	// Finishing reschedules (the lease goes) or deletes.
	ok, err := s.FinishAlarm(ctx, b, t0.Add(2*time.Hour))
	must(t, err)
	if !ok {
		t.Fatal("FinishAlarm(b, next) = false")
	}
	as := alarms(t, s, alice)
	if len(as) != 3 || as[2].UID != "b" || !msOf(as[2].Due, t0.Add(2*time.Hour)) {
		t.Fatalf("b rescheduled: %+v", as)
	}
	if ok, _ := s.FinishAlarm(ctx, b, time.Time{}); ok {
		t.Fatal("finishing b twice with its old version succeeded")
	}
	a := got[0]
	// An alarm put again after its claim is not finished by the claim.
	must(t, s.PutAlarm(ctx, alarm(alice, "a", "", t0.Add(5*time.Hour), "a, updated")))
	if ok, _ := s.FinishAlarm(ctx, a, time.Time{}); ok {
		t.Fatal("a stale claim deleted an updated alarm")
	}
	as = alarms(t, s, alice)
	if len(as) != 3 || string(as[2].Data) != "a, updated" {
		t.Fatalf("updated alarm: %+v", as)
	}
	// A put releases a claim: the updated alarm is claimable when due.
	got, err = s.ClaimAlarms(ctx, t0.Add(5*time.Hour), time.Minute, 10)
	must(t, err)
	if len(got) != 3 {
		t.Fatalf("claim everything due: %+v", got)
	}
	for _, g := range got {
		ok, err := s.FinishAlarm(ctx, g, time.Time{})
		must(t, err)
		if !ok {
			t.Fatalf("finish %s", g.UID)
		}
	}
	if as := alarms(t, s, alice); len(as) != 0 {
		t.Fatalf("left: %+v", as)
	}
}

// Concurrent claimers (nodes sharing a store) each get distinct alarms,
// and together all of them.
func testCalendarAlarmClaimsConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	const n = 40
	for i := range n {
		must(t, s.PutAlarm(ctx, alarm(alice, string(rune('A'+i)), "", t0.Add(time.Duration(i)*time.Second), "x")))
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := s.ClaimAlarms(ctx, t0.Add(time.Hour), time.Hour, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, a := range got {
					seen[a.UID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("claimed %d distinct alarms, want %d", len(seen), n)
	}
	for uid, c := range seen {
		if c != 1 {
			t.Errorf("%s claimed %d times", uid, c)
		}
	}
}

func testCalendarDelivered(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	trig := t0.Add(-15 * time.Minute)
	mark := func(owner, uid, rid string, trigger, at time.Time) bool {
		t.Helper()
		first, err := s.MarkDelivered(ctx, owner, uid, rid, trigger, at)
		must(t, err)
		return first
	}
	if !mark(alice, "u", "", trig, t0) {
		t.Fatal("first mark not first")
	}
	if mark(alice, "u", "", trig, t0.Add(time.Minute)) {
		t.Fatal("second mark of the same reminder was first")
	}
	// Any part that differs is another reminder.
	if !mark(alice, "u", "", trig.Add(5*time.Minute), t0) || !mark(alice, "u", "20260302T090000Z", trig, t0) ||
		!mark(alice, "v", "", trig, t0) || !mark(bob, "u", "", trig, t0) {
		t.Fatal("a different reminder was taken for a duplicate")
	}
	if _, err := s.MarkDelivered(ctx, "nobody@example.com", "u", "", trig, t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown owner: %v", err)
	}
	// Marks made before t go; later ones stay.
	if !mark(alice, "late", "", trig, t0.Add(time.Hour)) {
		t.Fatal("late mark")
	}
	n, err := s.PruneDelivered(ctx, t0.Add(30*time.Minute))
	must(t, err)
	if n != 5 {
		t.Fatalf("pruned %d, want 5", n)
	}
	if !mark(alice, "u", "", trig, t0.Add(2*time.Hour)) {
		t.Fatal("a pruned mark still counts")
	}
	if mark(alice, "late", "", trig, t0.Add(2*time.Hour)) {
		t.Fatal("a kept mark was pruned")
	}
}

func testCalendarDeleteUser(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	must(t, s.SetCalendarPrefs(ctx, alice, store.CalendarPrefs{Reminders: store.RemindersOn}))
	must(t, s.PutAlarm(ctx, alarm(alice, "u", "", t0, "x")))
	must(t, s.PutAlarm(ctx, alarm(bob, "u", "", t0, "x")))
	if _, err := s.MarkDelivered(ctx, alice, "u", "", t0, t0); err != nil {
		t.Fatal(err)
	}
	must(t, s.DeleteUser(ctx, alice))
	mustUser(t, s, alice)
	if p, _ := s.CalendarPrefs(ctx, alice); p != (store.CalendarPrefs{}) {
		t.Fatalf("a new account inherited prefs %+v", p)
	}
	if as := alarms(t, s, alice); len(as) != 0 {
		t.Fatalf("a new account inherited alarms %+v", as)
	}
	if first, _ := s.MarkDelivered(ctx, alice, "u", "", t0, t0); !first {
		t.Fatal("a new account inherited delivered marks")
	}
	if as := alarms(t, s, bob); len(as) != 1 {
		t.Fatalf("bob's alarm went with alice: %+v", as)
	}
	// A replacing import starts the account afresh too.
	must(t, s.SetCalendarPrefs(ctx, alice, store.CalendarPrefs{Reminders: store.RemindersOn}))
	must(t, s.PutAlarm(ctx, alarm(alice, "u", "", t0, "x")))
	if _, err := s.ImportAccounts(ctx, []store.Account{{User: store.User{JID: alice, SHA1: cred(1), SHA256: cred(2), CreatedAt: time.Now()}}}, true); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.CalendarPrefs(ctx, alice); p != (store.CalendarPrefs{}) {
		t.Fatalf("an imported replacement inherited prefs %+v", p)
	}
	if as := alarms(t, s, alice); len(as) != 0 {
		t.Fatalf("an imported replacement inherited alarms %+v", as)
	}
}
