package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/parley-im/parley/store"
)

// pushTests are the conformance tests of store.Pushes.
var pushTests = []storeTest{
	{"PushRegistrations", testPushRegistrations},
}

func testPushRegistrations(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.PutPush(ctx, "nobody@example.com", store.PushRegistration{Service: "push.example.com", Node: "n"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("PutPush for a missing account: %v, want ErrNotFound", err)
	}
	owner := "alice@example.com"
	must(t, s.CreateUser(ctx, store.User{JID: owner}))
	opts := []byte(`<x xmlns='jabber:x:data' type='submit'/>`)
	must(t, s.PutPush(ctx, owner, store.PushRegistration{Service: "push.example.com", Node: "phone", Resource: "old", Options: opts}))
	must(t, s.PutPush(ctx, owner, store.PushRegistration{Service: "push.example.com", Node: "phone", Resource: "phone", Options: opts}))
	must(t, s.PutPush(ctx, owner, store.PushRegistration{Service: "push.example.com", Node: "tablet", Resource: "tablet"}))
	must(t, s.PutPush(ctx, owner, store.PushRegistration{Service: "a.example.com", Node: "x", Resource: "phone"}))
	opts[1] = 'X' // the store keeps its own copy
	got, err := s.PushRegistrations(ctx, owner)
	must(t, err)
	want := []store.PushRegistration{
		{Service: "a.example.com", Node: "x", Resource: "phone"},
		{Service: "push.example.com", Node: "phone", Resource: "phone", Options: []byte(`<x xmlns='jabber:x:data' type='submit'/>`)},
		{Service: "push.example.com", Node: "tablet", Resource: "tablet"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("PushRegistrations:\n got %+v\nwant %+v", got, want)
	}
	if n, err := s.DeletePush(ctx, owner, "push.example.com", "tablet"); err != nil || n != 1 {
		t.Fatalf("DeletePush one node: %d, %v", n, err)
	}
	if n, err := s.DeletePush(ctx, owner, "push.example.com", ""); err != nil || n != 1 {
		t.Fatalf("DeletePush a whole service: %d, %v", n, err)
	}
	if n, err := s.DeletePush(ctx, owner, "push.example.com", ""); err != nil || n != 0 {
		t.Fatalf("DeletePush of nothing: %d, %v", n, err)
	}
	must(t, s.DeleteUser(ctx, owner))
	must(t, s.CreateUser(ctx, store.User{JID: owner}))
	if got, err := s.PushRegistrations(ctx, owner); err != nil || len(got) != 0 {
		t.Fatalf("registrations survived the account: %+v, %v", got, err)
	}
}
