package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

var personalTests = []storeTest{
	{"PEPNodes", testPEPNodes},
	{"PEPNodeQuota", testPEPNodeQuota},
	{"PEPNodeQuotaConcurrent", testPEPNodeQuotaConcurrent},
	{"PEPItems", testPEPItems},
	{"PEPItemLimit", testPEPItemLimit},
	{"PEPDeleteUser", testPEPDeleteUser},
	{"Blocklists", testBlocklists},
	{"PrivateXML", testPrivateXML},
	{"Uploads", testUploads},
	{"UploadQuotaConcurrent", testUploadQuotaConcurrent},
	{"UploadClaimOnce", testUploadClaimOnce},
	{"PersonalDeleteUser", testPersonalDeleteUser},
}

func testPEPNodes(t *testing.T, s store.Store) {
	ctx := context.Background()
	wantErr(t, "create for unknown owner", s.CreatePEPNode(ctx, alice, store.PEPNode{Node: "n", Config: []byte("c")}, 0), store.ErrNotFound)
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	must(t, s.CreatePEPNode(ctx, alice, store.PEPNode{Node: "urn:b", Config: []byte("cfg-b")}, 0))
	must(t, s.CreatePEPNode(ctx, alice, store.PEPNode{Node: "urn:a", Config: []byte("cfg-a")}, 0))
	must(t, s.CreatePEPNode(ctx, bob, store.PEPNode{Node: "urn:a", Config: []byte("bob")}, 0))
	wantErr(t, "create twice", s.CreatePEPNode(ctx, alice, store.PEPNode{Node: "urn:a"}, 0), store.ErrExists)

	nodes, err := s.PEPNodes(ctx, alice)
	must(t, err)
	if len(nodes) != 2 || nodes[0].Node != "urn:a" || string(nodes[0].Config) != "cfg-a" || nodes[1].Node != "urn:b" {
		t.Fatalf("PEPNodes = %+v, want urn:a (cfg-a), urn:b", nodes)
	}
	nodes[0].Config[0] = 'X'
	n, err := s.PEPNode(ctx, alice, "urn:a")
	must(t, err)
	if string(n.Config) != "cfg-a" {
		t.Fatalf("config %q after changing the returned copy, want cfg-a", n.Config)
	}
	_, err = s.PEPNode(ctx, alice, "urn:none")
	wantErr(t, "PEPNode of a missing node", err, store.ErrNotFound)

	must(t, s.ConfigurePEPNode(ctx, alice, "urn:a", []byte("cfg-a2"), 0))
	if n, _ := s.PEPNode(ctx, alice, "urn:a"); string(n.Config) != "cfg-a2" {
		t.Fatalf("config %q after ConfigurePEPNode, want cfg-a2", n.Config)
	}
	wantErr(t, "configure a missing node", s.ConfigurePEPNode(ctx, alice, "urn:none", nil, 0), store.ErrNotFound)

	must(t, s.PublishPEPItem(ctx, alice, "urn:a", store.PEPItem{ID: "1", Publisher: alice, Payload: []byte("<x/>"), Published: time.Now()}, 0))
	must(t, s.DeletePEPNode(ctx, alice, "urn:a"))
	wantErr(t, "delete twice", s.DeletePEPNode(ctx, alice, "urn:a"), store.ErrNotFound)
	_, err = s.PEPItems(ctx, alice, "urn:a", store.PEPItemQuery{})
	wantErr(t, "items of a deleted node", err, store.ErrNotFound)
	// A new node of the same name starts empty.
	must(t, s.CreatePEPNode(ctx, alice, store.PEPNode{Node: "urn:a", Config: []byte("new")}, 0))
	items, err := s.PEPItems(ctx, alice, "urn:a", store.PEPItemQuery{})
	must(t, err)
	if len(items) != 0 {
		t.Fatalf("recreated node has items %+v", items)
	}
	if n, _ := s.PEPNode(ctx, bob, "urn:a"); string(n.Config) != "bob" {
		t.Fatalf("bob's node config %q changed by alice's operations", n.Config)
	}
}

func testPEPNodeQuota(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	must(t, s.CreatePEPNode(ctx, alice, store.PEPNode{Node: "1"}, 2))
	must(t, s.CreatePEPNode(ctx, alice, store.PEPNode{Node: "2"}, 2))
	wantErr(t, "third node with max 2", s.CreatePEPNode(ctx, alice, store.PEPNode{Node: "3"}, 2), store.ErrQuotaExceeded)
	wantErr(t, "existing node at the quota", s.CreatePEPNode(ctx, alice, store.PEPNode{Node: "2"}, 2), store.ErrExists)
	must(t, s.DeletePEPNode(ctx, alice, "1"))
	must(t, s.CreatePEPNode(ctx, alice, store.PEPNode{Node: "3"}, 2))
}

func testPEPNodeQuotaConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	const max, tries = 3, 12
	var wg sync.WaitGroup
	errs := make([]error, tries)
	for i := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.CreatePEPNode(ctx, alice, store.PEPNode{Node: fmt.Sprint("n", i)}, max)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrQuotaExceeded):
			t.Fatalf("CreatePEPNode: %v", err)
		}
	}
	nodes, err := s.PEPNodes(ctx, alice)
	must(t, err)
	if ok != max || len(nodes) != max {
		t.Fatalf("%d creations succeeded, %d nodes stored; want %d of each", ok, len(nodes), max)
	}
}

func itemIDs(items []store.PEPItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func testPEPItems(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	at := time.Date(2030, 1, 2, 3, 4, 5, 6_789_000, time.FixedZone("X", 3600))
	wantErr(t, "publish to a missing node", s.PublishPEPItem(ctx, alice, "n", store.PEPItem{ID: "1"}, 0), store.ErrNotFound)
	must(t, s.CreatePEPNode(ctx, alice, store.PEPNode{Node: "n"}, 0))
	for i, id := range []string{"a", "b", "c"} {
		must(t, s.PublishPEPItem(ctx, alice, "n", store.PEPItem{ID: id, Publisher: alice, Payload: []byte("<p>" + id + "</p>"),
			Published: at.Add(time.Duration(i) * time.Second)}, 0))
	}
	items, err := s.PEPItems(ctx, alice, "n", store.PEPItemQuery{})
	must(t, err)
	if got := itemIDs(items); !slices.Equal(got, []string{"c", "b", "a"}) {
		t.Fatalf("items %v, want newest first c b a", got)
	}
	if items[2].Publisher != alice || string(items[2].Payload) != "<p>a</p>" || !msOf(items[2].Published, at) || items[2].Published.Location() != time.UTC {
		t.Fatalf("item a = %+v, want publisher, payload and time (%v, in UTC) as published", items[2], at)
	}
	// Republishing an id replaces it and makes it the newest.
	must(t, s.PublishPEPItem(ctx, alice, "n", store.PEPItem{ID: "a", Publisher: alice, Payload: []byte("<p>a2</p>"), Published: at}, 0))
	items, _ = s.PEPItems(ctx, alice, "n", store.PEPItemQuery{})
	if got := itemIDs(items); !slices.Equal(got, []string{"a", "c", "b"}) || string(items[0].Payload) != "<p>a2</p>" {
		t.Fatalf("after republishing a: items %v (first payload %q), want a c b with a's new payload", got, items[0].Payload)
	}
	items, _ = s.PEPItems(ctx, alice, "n", store.PEPItemQuery{Max: 2})
	if got := itemIDs(items); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("max 2: %v, want a c", got)
	}
	items, _ = s.PEPItems(ctx, alice, "n", store.PEPItemQuery{IDs: []string{"b", "zz", "c"}})
	if got := itemIDs(items); !slices.Equal(got, []string{"c", "b"}) {
		t.Fatalf("ids b zz c: %v, want c b", got)
	}
	items, _ = s.PEPItems(ctx, alice, "n", store.PEPItemQuery{IDs: []string{}})
	if len(items) != 0 {
		t.Fatalf("empty id list: %v, want none", itemIDs(items))
	}
	must(t, s.RetractPEPItem(ctx, alice, "n", "c"))
	wantErr(t, "retract twice", s.RetractPEPItem(ctx, alice, "n", "c"), store.ErrNotFound)
	items, _ = s.PEPItems(ctx, alice, "n", store.PEPItemQuery{})
	if got := itemIDs(items); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("after retracting c: %v, want a b", got)
	}
	items[0].Payload[0] = 'X'
	items, _ = s.PEPItems(ctx, alice, "n", store.PEPItemQuery{Max: 1})
	if string(items[0].Payload) != "<p>a2</p>" {
		t.Fatalf("payload %q after changing the returned copy", items[0].Payload)
	}
	must(t, s.PurgePEPNode(ctx, alice, "n"))
	items, _ = s.PEPItems(ctx, alice, "n", store.PEPItemQuery{})
	if len(items) != 0 {
		t.Fatalf("after purge: %v", itemIDs(items))
	}
	wantErr(t, "purge a missing node", s.PurgePEPNode(ctx, alice, "none"), store.ErrNotFound)
	if _, err := s.PEPNode(ctx, alice, "n"); err != nil {
		t.Fatalf("node gone after purge: %v", err)
	}
}

func testPEPItemLimit(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	must(t, s.CreatePEPNode(ctx, alice, store.PEPNode{Node: "n"}, 0))
	for i := range 5 {
		must(t, s.PublishPEPItem(ctx, alice, "n", store.PEPItem{ID: fmt.Sprint(i), Publisher: alice, Published: time.Now()}, 3))
	}
	items, err := s.PEPItems(ctx, alice, "n", store.PEPItemQuery{})
	must(t, err)
	if got := itemIDs(items); !slices.Equal(got, []string{"4", "3", "2"}) {
		t.Fatalf("5 items with max 3: %v, want the newest 4 3 2", got)
	}
	// Republishing the oldest keeps it (it becomes the newest).
	must(t, s.PublishPEPItem(ctx, alice, "n", store.PEPItem{ID: "2", Publisher: alice, Published: time.Now()}, 3))
	items, _ = s.PEPItems(ctx, alice, "n", store.PEPItemQuery{})
	if got := itemIDs(items); !slices.Equal(got, []string{"2", "4", "3"}) {
		t.Fatalf("after republishing 2: %v, want 2 4 3", got)
	}
	must(t, s.ConfigurePEPNode(ctx, alice, "n", []byte("one"), 1))
	items, _ = s.PEPItems(ctx, alice, "n", store.PEPItemQuery{})
	if got := itemIDs(items); !slices.Equal(got, []string{"2"}) {
		t.Fatalf("after configuring max 1: %v, want 2", got)
	}
}

func testPEPDeleteUser(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	for _, o := range []string{alice, bob} {
		must(t, s.CreatePEPNode(ctx, o, store.PEPNode{Node: "n"}, 0))
		must(t, s.PublishPEPItem(ctx, o, "n", store.PEPItem{ID: "1", Publisher: o, Payload: []byte("<x/>"), Published: time.Now()}, 0))
	}
	must(t, s.DeleteUser(ctx, alice))
	if nodes, _ := s.PEPNodes(ctx, alice); len(nodes) != 0 {
		t.Fatalf("alice's nodes survive her account: %+v", nodes)
	}
	mustUser(t, s, alice)
	if nodes, _ := s.PEPNodes(ctx, alice); len(nodes) != 0 {
		t.Fatalf("a new alice inherits nodes: %+v", nodes)
	}
	items, err := s.PEPItems(ctx, bob, "n", store.PEPItemQuery{})
	if err != nil || len(items) != 1 {
		t.Fatalf("bob's items after alice left: %v, %v", itemIDs(items), err)
	}
}

func testBlocklists(t *testing.T, s store.Store) {
	ctx := context.Background()
	wantErr(t, "block for an unknown owner", s.Block(ctx, alice, []string{bob}, 0), store.ErrNotFound)
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	if l, err := s.Blocklist(ctx, alice); err != nil || len(l) != 0 {
		t.Fatalf("new block list %v, %v; want empty", l, err)
	}
	must(t, s.Block(ctx, alice, []string{"evil.example", bob, carol + "/phone"}, 0))
	must(t, s.Block(ctx, alice, []string{bob}, 0)) // again: kept once
	must(t, s.Block(ctx, bob, []string{alice}, 0))
	l, err := s.Blocklist(ctx, alice)
	must(t, err)
	want := []string{bob, carol + "/phone", "evil.example"}
	if !slices.Equal(l, want) {
		t.Fatalf("block list %v, want %v (sorted, each once)", l, want)
	}
	wantErr(t, "block beyond max", s.Block(ctx, alice, []string{"a@x", "b@x"}, 4), store.ErrQuotaExceeded)
	if l, _ := s.Blocklist(ctx, alice); !slices.Equal(l, want) {
		t.Fatalf("a refused block changed the list: %v", l)
	}
	must(t, s.Block(ctx, alice, []string{"a@x"}, 4))
	all, err := s.AllBlocklists(ctx)
	must(t, err)
	if len(all) != 2 || len(all[alice]) != 4 || !slices.Equal(all[bob], []string{alice}) {
		t.Fatalf("AllBlocklists = %v", all)
	}
	must(t, s.Unblock(ctx, alice, []string{bob, "never@blocked"}))
	if l, _ := s.Blocklist(ctx, alice); !slices.Equal(l, []string{"a@x", carol + "/phone", "evil.example"}) {
		t.Fatalf("after unblocking bob: %v", l)
	}
	must(t, s.UnblockAll(ctx, alice))
	if l, _ := s.Blocklist(ctx, alice); len(l) != 0 {
		t.Fatalf("after unblock all: %v", l)
	}
	all, _ = s.AllBlocklists(ctx)
	if _, ok := all[alice]; ok || len(all) != 1 {
		t.Fatalf("AllBlocklists after alice unblocked all = %v, want only bob's", all)
	}
	must(t, s.DeleteUser(ctx, bob))
	if all, _ := s.AllBlocklists(ctx); len(all) != 0 {
		t.Fatalf("bob's block list survives his account: %v", all)
	}
}

func testPrivateXML(t *testing.T, s store.Store) {
	ctx := context.Background()
	wantErr(t, "put for an unknown owner", s.PutPrivateXML(ctx, alice, "a:b", []byte("<x/>"), 0), store.ErrNotFound)
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	_, err := s.PrivateXML(ctx, alice, "a:b")
	wantErr(t, "get a missing namespace", err, store.ErrNotFound)
	must(t, s.PutPrivateXML(ctx, alice, "a:b", []byte("<b xmlns='a:b'/>"), 2))
	must(t, s.PutPrivateXML(ctx, alice, "a:c", []byte("<c xmlns='a:c'/>"), 2))
	wantErr(t, "a third namespace with max 2", s.PutPrivateXML(ctx, alice, "a:d", []byte("<d/>"), 2), store.ErrQuotaExceeded)
	must(t, s.PutPrivateXML(ctx, alice, "a:b", []byte("<b xmlns='a:b'>2</b>"), 2)) // replacing at the quota is fine
	d, err := s.PrivateXML(ctx, alice, "a:b")
	must(t, err)
	if string(d) != "<b xmlns='a:b'>2</b>" {
		t.Fatalf("a:b = %q", d)
	}
	if _, err := s.PrivateXML(ctx, bob, "a:b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob sees alice's private XML: %v", err)
	}
	must(t, s.PutPrivateXML(ctx, alice, "a:c", nil, 2))
	_, err = s.PrivateXML(ctx, alice, "a:c")
	wantErr(t, "get a deleted namespace", err, store.ErrNotFound)
	must(t, s.PutPrivateXML(ctx, alice, "a:d", []byte("<d/>"), 2))
}

func upload(id, owner string, size int64, created time.Time) store.Upload {
	return store.Upload{ID: id, Owner: owner, Filename: id + ".bin", Size: size, ContentType: "application/octet-stream",
		State: store.UploadPending, Created: created, Expires: created.Add(time.Minute)}
}

func testUploads(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	wantErr(t, "slot for an unknown owner", s.CreateUpload(ctx, upload("u0", alice, 1, now), 0), store.ErrNotFound)
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	must(t, s.CreateUpload(ctx, upload("u1", alice, 600, now), 1000))
	wantErr(t, "same id", s.CreateUpload(ctx, upload("u1", bob, 1, now), 1000), store.ErrExists)
	wantErr(t, "over the quota", s.CreateUpload(ctx, upload("u2", alice, 401, now.Add(time.Second)), 1000), store.ErrQuotaExceeded)
	must(t, s.CreateUpload(ctx, upload("u2", alice, 400, now.Add(time.Second)), 1000))
	must(t, s.CreateUpload(ctx, upload("u3", bob, 900, now), 1000))
	if n, err := s.UploadUsage(ctx, alice); err != nil || n != 1000 {
		t.Fatalf("alice's usage %d, %v; want 1000", n, err)
	}
	u, err := s.Upload(ctx, "u1")
	must(t, err)
	if u.Owner != alice || u.Size != 600 || u.Filename != "u1.bin" || u.State != store.UploadPending ||
		!u.Created.Equal(now) || !u.Expires.Equal(now.Add(time.Minute)) || u.ContentType != "application/octet-stream" {
		t.Fatalf("Upload(u1) = %+v", u)
	}
	// Claim: a pending slot, before it expires.
	_, err = s.ClaimUpload(ctx, "u1", now.Add(time.Minute))
	wantErr(t, "claim at expiry", err, store.ErrNotFound)
	u, err = s.ClaimUpload(ctx, "u1", now.Add(30*time.Second))
	must(t, err)
	if u.State != store.UploadReceiving {
		t.Fatalf("claimed upload state %q", u.State)
	}
	_, err = s.ClaimUpload(ctx, "u1", now)
	wantErr(t, "second claim", err, store.ErrNotFound)
	wantErr(t, "complete a pending upload", s.CompleteUpload(ctx, "u2", time.Time{}), store.ErrNotFound)
	must(t, s.CompleteUpload(ctx, "u1", now.Add(time.Hour)))
	u, _ = s.Upload(ctx, "u1")
	if u.State != store.UploadDone || !u.Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("completed upload %+v", u)
	}
	wantErr(t, "complete twice", s.CompleteUpload(ctx, "u1", time.Time{}), store.ErrNotFound)

	// u2 and u3 expire at now+1m(+1s), u1 at now+1h.
	exp, err := s.ExpiredUploads(ctx, now.Add(time.Minute), 10)
	must(t, err)
	if got := uploadIDs(exp); !slices.Equal(got, []string{"u3"}) {
		t.Fatalf("expired at +1m: %v, want u3", got)
	}
	exp, _ = s.ExpiredUploads(ctx, now.Add(2*time.Hour), 2)
	if got := uploadIDs(exp); !slices.Equal(got, []string{"u3", "u2"}) {
		t.Fatalf("expired at +2h, limit 2: %v, want u3 u2 (oldest expiry first)", got)
	}
	// A done upload that never expires is never listed.
	must(t, s.CreateUpload(ctx, store.Upload{ID: "u4", Owner: bob, Size: 1, State: store.UploadPending, Created: now}, 0))
	if _, err := s.ClaimUpload(ctx, "u4", now.Add(1000*time.Hour)); err != nil {
		t.Fatalf("claim a slot without expiry: %v", err)
	}
	must(t, s.CompleteUpload(ctx, "u4", time.Time{}))
	exp, _ = s.ExpiredUploads(ctx, now.Add(10000*time.Hour), 10)
	if slices.Contains(uploadIDs(exp), "u4") {
		t.Fatalf("an upload without expiry is listed as expired: %v", uploadIDs(exp))
	}
	list, err := s.OwnerUploads(ctx, alice)
	must(t, err)
	if got := uploadIDs(list); !slices.Equal(got, []string{"u1", "u2"}) {
		t.Fatalf("alice's uploads %v, want u1 u2", got)
	}
	must(t, s.DeleteUpload(ctx, "u1"))
	wantErr(t, "delete twice", s.DeleteUpload(ctx, "u1"), store.ErrNotFound)
	if n, _ := s.UploadUsage(ctx, alice); n != 400 {
		t.Fatalf("usage after deleting u1: %d, want 400", n)
	}
	_, err = s.ExpiredUploads(ctx, now, 0)
	wantErr(t, "limit 0", err, store.ErrInvalid)
}

func uploadIDs(list []store.Upload) []string {
	var out []string
	for _, u := range list {
		out = append(out, u.ID)
	}
	return out
}

func testUploadQuotaConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	const tries = 10
	var wg sync.WaitGroup
	errs := make([]error, tries)
	for i := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.CreateUpload(ctx, upload(fmt.Sprint("c", i), alice, 100, time.Now()), 350)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrQuotaExceeded):
			t.Fatalf("CreateUpload: %v", err)
		}
	}
	if n, _ := s.UploadUsage(ctx, alice); ok != 3 || n != 300 {
		t.Fatalf("%d slots granted, usage %d; want 3 and 300 under a quota of 350", ok, n)
	}
}

func testUploadClaimOnce(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	now := time.Now()
	must(t, s.CreateUpload(ctx, upload("once", alice, 1, now), 0))
	const tries = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.ClaimUpload(ctx, "once", now)
			if err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			} else if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("ClaimUpload: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d concurrent claims of one slot succeeded, want exactly 1", won)
	}
}

func testPersonalDeleteUser(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	for _, o := range []string{alice, bob} {
		must(t, s.Block(ctx, o, []string{carol}, 0))
		must(t, s.PutPrivateXML(ctx, o, "a:b", []byte("<b/>"), 0))
		must(t, s.CreateUpload(ctx, upload("up-"+o, o, 10, time.Now()), 0))
	}
	must(t, s.DeleteUser(ctx, alice))
	mustUser(t, s, alice)
	if l, _ := s.Blocklist(ctx, alice); len(l) != 0 {
		t.Fatalf("a new alice inherits the block list %v", l)
	}
	if _, err := s.PrivateXML(ctx, alice, "a:b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a new alice inherits private XML: %v", err)
	}
	if _, err := s.Upload(ctx, "up-"+alice); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("alice's upload record survives her account: %v", err)
	}
	if l, _ := s.Blocklist(ctx, bob); len(l) != 1 {
		t.Fatalf("bob's block list after alice left: %v", l)
	}
	if _, err := s.Upload(ctx, "up-"+bob); err != nil {
		t.Fatalf("bob's upload after alice left: %v", err)
	}
}
