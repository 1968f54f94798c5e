package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

func froms(reqs []store.SubscriptionRequest) string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.From + "=" + string(r.Stanza)
	}
	return fmt.Sprint(out)
}

func testSubscriptionRequests(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, bob)
	mustUser(t, s, carol)
	if reqs, err := s.SubscriptionRequests(ctx, bob); err != nil || len(reqs) != 0 {
		t.Fatalf("no requests yet: %v %v", reqs, err)
	}
	// Not in alphabetical order, and likely within one millisecond: the
	// order must still be the order of arrival.
	buf := []byte("<presence type='subscribe'>1</presence>")
	for _, from := range []string{"zed@example.com", alice, "mallory@example.com"} {
		must(t, s.PutSubscriptionRequest(ctx, bob, store.SubscriptionRequest{From: from, Stanza: buf}))
	}
	buf[len(buf)-len("1</presence>")] = '9' // the caller reuses its buffer
	const one = "<presence type='subscribe'>1</presence>"
	want := fmt.Sprint([]string{"zed@example.com=" + one, alice + "=" + one, "mallory@example.com=" + one})
	reqs, err := s.SubscriptionRequests(ctx, bob)
	must(t, err)
	if got := froms(reqs); got != want {
		t.Fatalf("SubscriptionRequests = %s, want %s", got, want)
	}

	// Replacing keeps one request per requester, in its place.
	must(t, s.PutSubscriptionRequest(ctx, bob, store.SubscriptionRequest{From: alice, Stanza: []byte("<presence>2</presence>")}))
	want = fmt.Sprint([]string{"zed@example.com=" + one, alice + "=<presence>2</presence>", "mallory@example.com=" + one})
	if reqs, _ := s.SubscriptionRequests(ctx, bob); froms(reqs) != want {
		t.Fatalf("after replace: %s, want %s", froms(reqs), want)
	}
	reqs, _ = s.SubscriptionRequests(ctx, bob)
	reqs[0].Stanza[0] = 'X'
	if again, _ := s.SubscriptionRequests(ctx, bob); froms(again) != want {
		t.Fatal("SubscriptionRequests returned the store's own bytes")
	}
	if other, _ := s.SubscriptionRequests(ctx, carol); len(other) != 0 {
		t.Fatalf("another owner's requests: %s", froms(other))
	}

	for range 2 { // deleting an absent request is no error
		must(t, s.DeleteSubscriptionRequest(ctx, bob, "zed@example.com"))
	}
	must(t, s.DeleteSubscriptionRequest(ctx, "nobody@example.com", alice))
	want = fmt.Sprint([]string{alice + "=<presence>2</presence>", "mallory@example.com=" + one})
	if reqs, _ := s.SubscriptionRequests(ctx, bob); froms(reqs) != want {
		t.Fatalf("after delete: %s, want %s", froms(reqs), want)
	}
}

func testLastPresence(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, bob)
	mustUser(t, s, carol)
	_, _, err := s.LastPresence(ctx, bob)
	wantErr(t, "LastPresence before any", err, store.ErrNotFound)

	at := time.Date(2026, 11, 22, 9, 30, 0, 250_000_000, time.FixedZone("EST", -5*3600))
	buf := []byte("<presence type='unavailable'>a</presence>")
	must(t, s.SetLastPresence(ctx, bob, buf, at))
	buf[len(buf)-len("a</presence>")] = 'X'
	b, when, err := s.LastPresence(ctx, bob)
	if err != nil || string(b) != "<presence type='unavailable'>a</presence>" || !when.Equal(at) {
		t.Fatalf("LastPresence = %s %v %v", b, when, err)
	}
	b[0] = 'X'
	if again, _, _ := s.LastPresence(ctx, bob); again[0] != '<' {
		t.Fatal("LastPresence returned the store's own bytes")
	}

	fine := time.Date(2026, 11, 22, 9, 31, 0, 999_999_999, time.UTC)
	must(t, s.SetLastPresence(ctx, bob, []byte("<presence type='unavailable'>b</presence>"), fine))
	b, when, err = s.LastPresence(ctx, bob)
	if err != nil || string(b) != "<presence type='unavailable'>b</presence>" || !msOf(when, fine) {
		t.Fatalf("replaced LastPresence = %s %v %v; want time %v to the millisecond", b, when, err, fine)
	}
	_, _, err = s.LastPresence(ctx, carol)
	wantErr(t, "LastPresence of another owner", err, store.ErrNotFound)
}

// LastPresences reads the last presence of several users at once: the
// same as LastPresence for each, owners without one (or without an
// account) left out, and the bytes the caller's own.
func testLastPresences(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	mustUser(t, s, carol)
	got, err := s.LastPresences(ctx, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("LastPresences(nil) = %v, %v", got, err)
	}
	if got, err = s.LastPresences(ctx, []string{alice, bob}); err != nil || len(got) != 0 {
		t.Fatalf("LastPresences before any = %v, %v", got, err)
	}
	atB := time.Date(2026, 11, 22, 9, 30, 0, 250_000_000, time.UTC)
	atC := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	must(t, s.SetLastPresence(ctx, bob, []byte("<presence type='unavailable'>b</presence>"), atB))
	must(t, s.SetLastPresence(ctx, carol, []byte("<presence type='unavailable'>c</presence>"), atC))
	// Quotes and a JSON-looking name must not break how the list is passed.
	odd := `o"dd,]@example.com`
	got, err = s.LastPresences(ctx, []string{alice, bob, carol, "nobody@example.com", odd, bob})
	must(t, err)
	if len(got) != 2 || string(got[bob].Stanza) != "<presence type='unavailable'>b</presence>" || !got[bob].At.Equal(atB) ||
		string(got[carol].Stanza) != "<presence type='unavailable'>c</presence>" || !got[carol].At.Equal(atC) {
		t.Fatalf("LastPresences = %v", got)
	}
	got[bob].Stanza[0] = 'X'
	if again, _, _ := s.LastPresence(ctx, bob); again[0] != '<' {
		t.Fatal("LastPresences returned the store's own bytes")
	}
	// Many owners at once (a large roster).
	many := make([]string, 0, 2000)
	for i := range 2000 {
		many = append(many, fmt.Sprintf("u%d@example.com", i))
	}
	many = append(many, carol)
	if got, err = s.LastPresences(ctx, many); err != nil || len(got) != 1 || !got[carol].At.Equal(atC) {
		t.Fatalf("LastPresences of %d owners = %v, %v", len(many), got, err)
	}
}

// Writes for a JID without an account fail and leave nothing behind
// that a later account of that JID would inherit.
func testUnknownOwner(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.PutRosterItem(ctx, bob, store.RosterItem{Contact: alice, Subscription: store.SubNone})
	wantErr(t, "PutRosterItem for a missing owner", err, store.ErrNotFound)
	_, err = s.DeleteRosterItem(ctx, bob, alice)
	wantErr(t, "DeleteRosterItem for a missing owner", err, store.ErrNotFound)
	wantErr(t, "StoreOffline for a missing owner", s.StoreOffline(ctx, bob, []byte("<message/>"), store.OfflineLimits{}), store.ErrNotFound)
	wantErr(t, "PutSubscriptionRequest for a missing owner",
		s.PutSubscriptionRequest(ctx, bob, store.SubscriptionRequest{From: alice, Stanza: []byte("<presence/>")}), store.ErrNotFound)
	wantErr(t, "SetLastPresence for a missing owner", s.SetLastPresence(ctx, bob, []byte("<presence/>"), time.Now()), store.ErrNotFound)
	mustUser(t, s, bob)
	assertEmpty(t, s, bob)
}

// assertEmpty fails if owner has any roster item, version, offline
// message, subscription request or last presence.
func assertEmpty(t *testing.T, s store.Store, owner string) {
	t.Helper()
	ctx := context.Background()
	items, ver, err1 := s.Roster(ctx, owner)
	n, err2 := s.CountOffline(ctx, owner)
	msgs, err3 := s.OfflineMessages(ctx, owner)
	reqs, err4 := s.SubscriptionRequests(ctx, owner)
	_, _, lastErr := s.LastPresence(ctx, owner)
	for _, err := range []error{err1, err2, err3, err4} {
		must(t, err)
	}
	if len(items) != 0 || ver != 0 || n != 0 || len(msgs) != 0 || len(reqs) != 0 || !errors.Is(lastErr, store.ErrNotFound) {
		t.Fatalf("%s has data: roster %v version %d, %d offline, requests %s, last presence error %v",
			owner, items, ver, n, froms(reqs), lastErr)
	}
}

func fill(t *testing.T, s store.Store, owner, contact string) {
	t.Helper()
	ctx := context.Background()
	_, err := s.PutRosterItem(ctx, owner, store.RosterItem{Contact: contact, Subscription: store.SubBoth, Groups: []string{"g"}})
	must(t, err)
	must(t, s.StoreOffline(ctx, owner, []byte("<message/>"), store.OfflineLimits{}))
	must(t, s.PutSubscriptionRequest(ctx, owner, store.SubscriptionRequest{From: contact, Stanza: []byte("<presence/>")}))
	must(t, s.SetLastPresence(ctx, owner, []byte("<presence type='unavailable'/>"), time.Now()))
}

// DeleteUser removes everything the user owns, and nothing else: a
// re-created account starts empty, and other users keep their data,
// including their roster items about the deleted user (cleaning those
// is the roster module's job).
func testDeleteUserCascade(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, bob)
	mustUser(t, s, carol)
	fill(t, s, bob, carol)
	fill(t, s, carol, bob)
	must(t, s.DeleteUser(ctx, bob))
	mustUser(t, s, bob)
	assertEmpty(t, s, bob)

	items, ver, _ := s.Roster(ctx, carol)
	n, _ := s.CountOffline(ctx, carol)
	reqs, _ := s.SubscriptionRequests(ctx, carol)
	_, _, lastErr := s.LastPresence(ctx, carol)
	if len(items) != 1 || items[0].Contact != bob || ver <= 0 || n != 1 || len(reqs) != 1 || lastErr != nil {
		t.Fatalf("carol lost data: roster %v version %d, %d offline, requests %s, last presence %v",
			items, ver, n, froms(reqs), lastErr)
	}
}
