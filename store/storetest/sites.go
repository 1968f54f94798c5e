package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

// siteTests are the conformance tests of store.Sites.
var siteTests = []storeTest{
	{"SiteRoundTrip", testSiteRoundTrip},
	{"SiteList", testSiteList},
	{"SiteDeleteCascade", testSiteDeleteCascade},
}

func testSiteRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Site(ctx, "12345"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Site of a missing site: %v, want ErrNotFound", err)
	}
	created := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	site := store.Site{ID: "12345", Name: "Vision Corp", KeySalt: []byte{1, 2}, KeyHash: []byte{3, 4, 5},
		Settings: map[string]bool{"auth_presence_enabled": true, "auth_proxy_enabled": false}, CreatedAt: created}
	must(t, s.CreateSite(ctx, site))
	site.KeyHash[0] = 9 // the store keeps its own copy
	site.Settings["auth_chat_enabled"] = true
	if err := s.CreateSite(ctx, store.Site{ID: "12345", Name: "again"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second CreateSite: %v, want ErrExists", err)
	}
	got, err := s.Site(ctx, "12345")
	must(t, err)
	want := store.Site{ID: "12345", Name: "Vision Corp", KeySalt: []byte{1, 2}, KeyHash: []byte{3, 4, 5},
		Settings: map[string]bool{"auth_presence_enabled": true, "auth_proxy_enabled": false}, CreatedAt: created}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Site = %+v\nwant %+v", got, want)
	}
	got.Settings["auth_presence_enabled"] = false // nor does it share what it returns
	got, err = s.Site(ctx, "12345")
	must(t, err)
	if !got.Settings["auth_presence_enabled"] {
		t.Fatal("changing a returned site changed the store")
	}

	upd := store.Site{ID: "12345", Name: "Vision", KeySalt: []byte{7}, KeyHash: []byte{8},
		Settings: map[string]bool{"auth_chat_enabled": true}, CreatedAt: created.Add(time.Hour)}
	must(t, s.UpdateSite(ctx, upd))
	got, err = s.Site(ctx, "12345")
	must(t, err)
	want = store.Site{ID: "12345", Name: "Vision", KeySalt: []byte{7}, KeyHash: []byte{8},
		Settings: map[string]bool{"auth_chat_enabled": true}, CreatedAt: created}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after UpdateSite = %+v\nwant %+v (CreatedAt kept)", got, want)
	}
	if err := s.UpdateSite(ctx, store.Site{ID: "999"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateSite of a missing site: %v, want ErrNotFound", err)
	}
	must(t, s.DeleteSite(ctx, "12345"))
	if err := s.DeleteSite(ctx, "12345"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second DeleteSite: %v, want ErrNotFound", err)
	}
	if _, err := s.Site(ctx, "12345"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Site after delete: %v", err)
	}
}

func testSiteList(t *testing.T, s store.Store) {
	ctx := context.Background()
	sites, err := s.ListSites(ctx)
	must(t, err)
	if len(sites) != 0 {
		t.Fatalf("ListSites of an empty store = %v", sites)
	}
	for _, id := range []string{"b", "c", "a"} {
		must(t, s.CreateSite(ctx, store.Site{ID: id, Name: "site " + id, KeySalt: []byte{1}, KeyHash: []byte{2}}))
	}
	sites, err = s.ListSites(ctx)
	must(t, err)
	var ids []string
	for _, site := range sites {
		ids = append(ids, site.ID)
		if site.Name != "site "+site.ID || site.Settings == nil {
			t.Fatalf("listed %+v", site)
		}
	}
	if !reflect.DeepEqual(ids, []string{"a", "b", "c"}) {
		t.Fatalf("ListSites ids = %v, want sorted a b c", ids)
	}
}

// testSiteDeleteCascade: deleting a site deletes its tokens (and what
// derives from them) and nothing else.
func testSiteDeleteCascade(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustSite(t, s, "s1")
	mustSite(t, s, "s2")
	root := mustToken(t, s, store.Token{EntityType: store.EntitySite, EntityID: "s1", Policy: "SESSION"})
	child := mustToken(t, s, store.Token{EntityType: store.EntitySite, EntityID: "s1", Policy: "PRESENCE", ParentID: root.ID})
	other := mustToken(t, s, store.Token{EntityType: store.EntitySite, EntityID: "s2", Policy: "SESSION"})
	must(t, s.DeleteSite(ctx, "s1"))
	for _, id := range []int64{root.ID, child.ID} {
		if _, err := s.Token(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("token %d of the deleted site: %v, want ErrNotFound", id, err)
		}
	}
	if _, err := s.Token(ctx, other.ID); err != nil {
		t.Fatalf("token of another site: %v", err)
	}
	if _, err := s.CreateToken(ctx, store.Token{EntityType: store.EntitySite, EntityID: "s1", Policy: "SESSION"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CreateToken for a deleted site: %v, want ErrNotFound", err)
	}
}

func mustSite(t *testing.T, s store.Store, id string) {
	t.Helper()
	must(t, s.CreateSite(context.Background(), store.Site{ID: id, Name: id, KeySalt: []byte{1}, KeyHash: []byte{2}, CreatedAt: time.Now()}))
}
