package presence

import (
	"context"
	"strings"
	"testing"
)

// TestViewers: what anonymous and signed-in viewers of the widget may
// see follows the other surfaces' rules.
func TestViewers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.store.shared["sharer@example.com"] = true
	f.store.subs[[2]string{"friend@example.com", "alice@example.com"}] = true
	f.bind("friend@example.com/phone").presence(f.router, 0, "<show>dnd</show><status>call</status>")

	for _, c := range []struct {
		viewer, bare string
		want         bool
	}{
		{"", "sharer@example.com", true},                  // opted in
		{"", "anyone@public.example.com", true},           // public domain
		{"", "friend@example.com", false},                 // private
		{"", "nobody@elsewhere.org", false},               // not served
		{"alice@example.com", "friend@example.com", true}, // subscribed
		{"alice@example.com", "alice@example.com", true},  // oneself
		{"bob@example.com", "friend@example.com", false},  // not subscribed
		{"alice@example.com", "sharer@example.com", true}, // public for everyone
		{"alice@example.com", "x@elsewhere.org", false},
	} {
		if got := f.svc.Visible(ctx, c.viewer, c.bare); got != c.want {
			t.Errorf("Visible(%q, %q) = %v, want %v", c.viewer, c.bare, got, c.want)
		}
	}
	snap, served := f.svc.Presentity(ctx, "friend@example.com")
	if !served || snap.State() != DND {
		t.Fatalf("Presentity = %+v %v", snap, served)
	}
	if _, served := f.svc.Presentity(ctx, "x@elsewhere.org"); served {
		t.Fatal("a foreign JID is served")
	}
}

// TestCheckPresenceURL: a signed presence URL's query is checked exactly
// as /imtapp/Presence checks it.
func TestCheckPresenceURL(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	site := f.tokens.add("1000641", EntitySite, "site1", "PRESENCE")
	f.bind("bob@example.com/desk").presence(f.router, 1, "<show>away</show><status>lunch</status>")
	raw := signedURL(site, "R_UID=bob@example.com&R_MODE=JS")
	q := raw[len("/imtapp/Presence?"):]
	bare, st, status, ok := f.svc.CheckPresenceURL(ctx, q)
	if !ok || bare != "bob@example.com" || st != Away || status != "lunch" {
		t.Fatalf("valid URL: %q %q %q %v", bare, st, status, ok)
	}
	for name, bad := range map[string]string{
		"tampered uid": q[:len(q)-1] + "0" + "&R_UID=eve@example.com",
		"no K1":        "TID=1000641&R_UID=bob@example.com",
		"other uid":    strings.Replace(q, "R_UID=bob@", "R_UID=carol@", 1),
	} {
		if _, _, _, ok := f.svc.CheckPresenceURL(ctx, bad); ok {
			t.Errorf("%s: accepted %q", name, bad)
		}
	}
	f.tokens.kill("1000641")
	if _, _, _, ok := f.svc.CheckPresenceURL(ctx, q); ok {
		t.Error("accepted after the token ended")
	}
}
