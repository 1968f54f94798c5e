package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

func testVCards(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.VCard(ctx, alice)
	wantErr(t, "VCard of a missing user", err, store.ErrNotFound)
	wantErr(t, "PutVCard for a missing user", s.PutVCard(ctx, alice, []byte("<vCard xmlns='vcard-temp'/>")), store.ErrNotFound)
	wantErr(t, "deleting the vCard of a missing user", s.PutVCard(ctx, alice, nil), store.ErrNotFound)

	mustUser(t, s, alice)
	mustUser(t, s, bob)
	_, err = s.VCard(ctx, alice)
	wantErr(t, "VCard before any", err, store.ErrNotFound)
	buf := []byte("<vCard xmlns='vcard-temp'><FN>Alice</FN></vCard>")
	must(t, s.PutVCard(ctx, alice, buf))
	buf[0] = 'X' // the store copied it
	got, err := s.VCard(ctx, alice)
	must(t, err)
	if string(got) != "<vCard xmlns='vcard-temp'><FN>Alice</FN></vCard>" {
		t.Fatalf("VCard = %q", got)
	}
	got[0] = 'Y' // and copies it out
	must(t, s.PutVCard(ctx, bob, []byte("<vCard xmlns='vcard-temp'><FN>Bob</FN></vCard>")))
	must(t, s.PutVCard(ctx, alice, []byte("<vCard xmlns='vcard-temp'><FN>Alice 2</FN></vCard>")))
	if got, _ := s.VCard(ctx, alice); string(got) != "<vCard xmlns='vcard-temp'><FN>Alice 2</FN></vCard>" {
		t.Fatalf("replaced VCard = %q", got)
	}
	must(t, s.PutVCard(ctx, alice, nil))
	_, err = s.VCard(ctx, alice)
	wantErr(t, "VCard after deleting it", err, store.ErrNotFound)
	must(t, s.PutVCard(ctx, alice, []byte{})) // deleting again is fine

	must(t, s.DeleteUser(ctx, bob))
	_, err = s.VCard(ctx, bob)
	wantErr(t, "VCard of a deleted user", err, store.ErrNotFound)
	mustUser(t, s, bob)
	_, err = s.VCard(ctx, bob)
	wantErr(t, "VCard of a re-created user", err, store.ErrNotFound)
}

func account(jid string, seed byte, contacts ...string) store.Account {
	a := store.Account{User: store.User{JID: jid, SHA1: cred(seed), SHA256: cred(seed + 1),
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)}}
	for i, c := range contacts {
		a.Roster = append(a.Roster, store.RosterItem{Contact: c, Name: fmt.Sprint("n", i), Subscription: store.SubBoth,
			AskOut: i == 1, Approved: i == 2, Groups: []string{"G", fmt.Sprint("g", i)}})
	}
	return a
}

func testImportAccounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	stamp := time.Date(2025, 5, 6, 7, 8, 9, 10_000_000, time.UTC)
	a := account(alice, 1, bob, carol, "dave@elsewhere.example")
	a.Requests = []store.SubscriptionRequest{
		{From: "eve@example.net", Stanza: []byte("<presence type='subscribe' from='eve@example.net'/>")},
		{From: "ann@example.net", Stanza: []byte("<presence type='subscribe' from='ann@example.net'/>")},
	}
	a.Offline = []store.OfflineMessage{{ID: 99, Stanza: []byte("<message id='1'/>"), Stored: stamp},
		{Stanza: []byte("<message id='2'/>"), Stored: stamp.Add(time.Second)}}
	a.VCard = []byte("<vCard xmlns='vcard-temp'><FN>Alice</FN></vCard>")
	b := account(bob, 3)
	skipped, err := s.ImportAccounts(ctx, []store.Account{a, b}, false)
	must(t, err)
	if len(skipped) != 0 {
		t.Fatalf("skipped %v on an empty store", skipped)
	}

	u, err := s.User(ctx, alice)
	must(t, err)
	if !sameCred(u.SHA1, cred(1)) || !sameCred(u.SHA256, cred(2)) || !u.CreatedAt.Equal(a.User.CreatedAt) {
		t.Fatalf("imported user = %+v", u)
	}
	items, ver, err := s.Roster(ctx, alice)
	must(t, err)
	if ver != 1 || fmt.Sprint(items) != fmt.Sprint(a.Roster) {
		t.Fatalf("imported roster = %+v version %d, want %+v version 1", items, ver, a.Roster)
	}
	reqs, err := s.SubscriptionRequests(ctx, alice)
	must(t, err)
	if len(reqs) != 2 || reqs[0].From != "eve@example.net" || reqs[1].From != "ann@example.net" ||
		string(reqs[1].Stanza) != string(a.Requests[1].Stanza) {
		t.Fatalf("imported requests = %+v", reqs)
	}
	msgs, err := s.OfflineMessages(ctx, alice)
	must(t, err)
	if fmt.Sprint(stanzas(msgs)) != "[<message id='1'/> <message id='2'/>]" || !msgs[0].Stored.Equal(stamp) ||
		!msgs[1].Stored.Equal(stamp.Add(time.Second)) || msgs[0].ID >= msgs[1].ID {
		t.Fatalf("imported offline messages = %+v", msgs)
	}
	if v, err := s.VCard(ctx, alice); err != nil || string(v) != string(a.VCard) {
		t.Fatalf("imported vCard = %q, %v", v, err)
	}
	if _, err := s.VCard(ctx, bob); err == nil {
		t.Fatal("bob got a vCard")
	}
	// Imported data behaves like any other: a later change bumps the version.
	if v, err := s.PutRosterItem(ctx, alice, store.RosterItem{Contact: "x@example.com", Subscription: store.SubNone}); err != nil || v != 2 {
		t.Fatalf("PutRosterItem after import: version %d, %v", v, err)
	}

	// Existing accounts (here or earlier in the batch) are skipped...
	a2 := account(alice, 5, carol)
	c := account(carol, 7)
	c2 := account(carol, 9)
	skipped, err = s.ImportAccounts(ctx, []store.Account{a2, c, c2}, false)
	must(t, err)
	if !slices.Equal(skipped, []string{alice, carol}) {
		t.Fatalf("skipped = %v, want [alice carol]", skipped)
	}
	if u, _ := s.User(ctx, alice); !sameCred(u.SHA1, cred(1)) {
		t.Fatal("a skipped account was changed")
	}
	if u, _ := s.User(ctx, carol); !sameCred(u.SHA1, cred(7)) {
		t.Fatal("the first of two accounts in a batch was not the one kept")
	}

	// ...or replaced whole, with a higher roster version.
	skipped, err = s.ImportAccounts(ctx, []store.Account{a2}, true)
	must(t, err)
	if len(skipped) != 0 {
		t.Fatalf("replace skipped %v", skipped)
	}
	u, _ = s.User(ctx, alice)
	items, ver, _ = s.Roster(ctx, alice)
	msgs, _ = s.OfflineMessages(ctx, alice)
	reqs, _ = s.SubscriptionRequests(ctx, alice)
	_, verr := s.VCard(ctx, alice)
	if !sameCred(u.SHA1, cred(5)) || len(items) != 1 || items[0].Contact != carol || ver != 3 ||
		len(msgs) != 0 || len(reqs) != 0 || verr == nil {
		t.Fatalf("after replace: user %+v roster %+v v%d, %d messages, %d requests, vcard err %v", u, items, ver, len(msgs), len(reqs), verr)
	}
	// Other users' data is untouched.
	if items, _, _ := s.Roster(ctx, bob); len(items) != 0 {
		t.Fatalf("bob's roster = %+v", items)
	}
	users, err := s.ListUsers(ctx, "")
	must(t, err)
	if !slices.Equal(users, []string{alice, bob, carol}) {
		t.Fatalf("ListUsers = %v", users)
	}
	if _, err := s.ImportAccounts(ctx, nil, false); err != nil {
		t.Fatalf("empty import: %v", err)
	}
}
