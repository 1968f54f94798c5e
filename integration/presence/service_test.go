package presence

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/parley-im/parley/integration"
)

func TestLookupDefaultResource(t *testing.T) {
	f := newFixture(t)
	if snap := Lookup(f.router, "alice@example.com"); snap.State() != Offline || len(snap.Resources) != 0 {
		t.Fatalf("nobody bound: %+v", snap)
	}
	f.bind("alice@example.com/silent") // bound, never sent presence: not online
	if snap := Lookup(f.router, "alice@example.com"); snap.State() != Offline {
		t.Fatalf("a resource without presence counts: %+v", snap)
	}
	low := f.bind("alice@example.com/low")
	low.presence(f.router, 1, "<show>dnd</show><status>busy</status>")
	high1 := f.bind("alice@example.com/high1")
	high1.presence(f.router, 5, "<show>away</show>")
	high2 := f.bind("alice@example.com/high2")
	high2.presence(f.router, 5, "<show>xa</show><status> gone </status>")
	snap := Lookup(f.router, "alice@example.com")
	d, _ := snap.Default()
	if d.Resource != "high2" || d.State != XA || d.Status != "gone" {
		t.Fatalf("default = %+v, want high2 (priority 5, most recent), xa, gone", d)
	}
	// high1 speaks again: now it is the most recent of the highest.
	high1.presence(f.router, 5, "<show>chat</show>")
	if d, _ := Lookup(f.router, "alice@example.com").Default(); d.Resource != "high1" || d.State != Chat {
		t.Fatalf("default after high1 spoke = %+v", d)
	}
	var order []string
	for _, r := range Lookup(f.router, "alice@example.com").Resources {
		order = append(order, r.Resource)
	}
	if fmt.Sprint(order) != "[high1 high2 low]" {
		t.Fatalf("order = %v", order)
	}
	f.router.SetPresence(high1, false, 0, nil)
	f.router.SetPresence(high2, false, 0, nil)
	if d, _ := Lookup(f.router, "alice@example.com").Default(); d.Resource != "low" || d.State != DND {
		t.Fatalf("after the high ones left: %+v", d)
	}
}

func TestStateVocabularies(t *testing.T) {
	want := map[State][2]string{
		Available: {"AVAILABLE", "online"}, Chat: {"AVAILABLE", "online"},
		Away: {"AWAY", "away"}, XA: {"AWAY", "away"}, DND: {"DND", "busy"},
		Offline: {"OFFLINE", "offline"}, Forbidden: {"OFFLINE", "offline"}, Error: {"OFFLINE", "offline"},
	}
	for st, w := range want {
		if st.Show() != w[0] || st.Portal() != w[1] {
			t.Errorf("%s: Show %s Portal %s, want %v", st, st.Show(), st.Portal(), w)
		}
	}
	for show, st := range map[string]State{"": Available, "chat": Chat, "away": Away, "xa": XA, "dnd": DND, "bogus": Available} {
		if got := stateOfShow(show); got != st {
			t.Errorf("show %q -> %s, want %s", show, got, st)
		}
	}
}

func resources(ps PresentityStatus) string {
	var out []string
	for _, r := range ps.AllResources {
		out = append(out, fmt.Sprintf("%s:%s:%d:%s", r.ResourceName, r.Show, r.Priority, r.Status))
	}
	return fmt.Sprint(out)
}

func TestGetPresence(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	site := f.tokens.add("100", EntitySite, "site1", "SESSION")
	pres := f.tokens.add("101", EntitySite, "site1", "PRESENCE")
	f.bind("bob@example.com/desk").presence(f.router, 1, "<show>away</show><status>lunch</status>")
	f.bind("bob@example.com/phone").presence(f.router, 3, "<status>on the move</status>")

	cases := []struct {
		name string
		req  GetPresenceRequest
		want string
	}{
		{"default resource", GetPresenceRequest{EntityID: "site1", EntityToken: site.Value, JID: "Bob@Example.com"}, "[phone:AVAILABLE:3:on the move]"},
		{"full JID means its bare", GetPresenceRequest{EntityID: "site1", EntityToken: pres.Value, JID: "bob@example.com/whatever"}, "[phone:AVAILABLE:3:on the move]"},
		{"named resource", GetPresenceRequest{EntityID: "site1", EntityToken: site.Value, JID: "bob@example.com", Resource: "desk"}, "[desk:AWAY:1:lunch]"},
		{"resource wins over all", GetPresenceRequest{EntityID: "site1", EntityToken: site.Value, JID: "bob@example.com", Resource: "desk", AllResources: true}, "[desk:AWAY:1:lunch]"},
		{"resource not online", GetPresenceRequest{EntityID: "site1", EntityToken: site.Value, JID: "bob@example.com", Resource: "car"}, "[]"},
		{"all resources", GetPresenceRequest{EntityID: "site1", EntityToken: site.Value, JID: "bob@example.com", AllResources: true}, "[phone:AVAILABLE:3:on the move desk:AWAY:1:lunch]"},
		{"offline user", GetPresenceRequest{EntityID: "site1", EntityToken: site.Value, JID: "carol@example.com", AllResources: true}, "[]"},
		{"foreign domain", GetPresenceRequest{EntityID: "site1", EntityToken: site.Value, JID: "bob@elsewhere.org"}, "[]"},
	}
	for _, c := range cases {
		ps, err := f.svc.GetPresence(ctx, c.req)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := resources(ps); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	ps, _ := f.svc.GetPresence(ctx, GetPresenceRequest{EntityID: "site1", EntityToken: site.Value, JID: "bob@example.com"})
	if ps.UserJID != "bob@example.com" || ps.AllResources[0].LastModifiedDate.IsZero() {
		t.Fatalf("userJID %q, lastModifiedDate %v", ps.UserJID, ps.AllResources[0].LastModifiedDate)
	}
}

func TestGetPresenceErrors(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	site := f.tokens.add("100", EntitySite, "site1", "SESSION")
	report := f.tokens.add("101", EntitySite, "site1", "REPORTING")
	off := f.tokens.add("102", EntitySite, "site2", "SESSION::PRESENCE")
	f.tokens.noAccess["site2"] = true
	user := f.tokens.add("103", EntityUser, "bob@example.com", "SESSION")
	dead := f.tokens.add("104", EntitySite, "site1", "SESSION")
	f.tokens.kill("104")

	cases := []struct {
		name string
		req  GetPresenceRequest
		want error
	}{
		{"no token", GetPresenceRequest{EntityID: "site1", JID: "bob@example.com"}, ErrInvalidToken},
		{"unknown token", GetPresenceRequest{EntityID: "site1", EntityToken: "1_nope", JID: "bob@example.com"}, ErrInvalidToken},
		{"ended token", GetPresenceRequest{EntityID: "site1", EntityToken: dead.Value, JID: "bob@example.com"}, ErrInvalidToken},
		{"another entity's token", GetPresenceRequest{EntityID: "site9", EntityToken: site.Value, JID: "bob@example.com"}, ErrInvalidToken},
		{"wrong policy", GetPresenceRequest{EntityID: "site1", EntityToken: report.Value, JID: "bob@example.com"}, ErrNotAuthorized},
		{"site without presence", GetPresenceRequest{EntityID: "site2", EntityToken: off.Value, JID: "bob@example.com"}, ErrNotAuthorized},
		{"user asks for another", GetPresenceRequest{EntityID: "bob@example.com", EntityToken: user.Value, JID: "alice@example.com"}, ErrNotAuthorized},
		{"bad JID", GetPresenceRequest{EntityID: "site1", EntityToken: site.Value, JID: "@@"}, ErrInvalidInput},
		{"domain only", GetPresenceRequest{EntityID: "site1", EntityToken: site.Value, JID: "example.com"}, ErrInvalidInput},
		{"empty JID", GetPresenceRequest{EntityID: "site1", EntityToken: site.Value}, ErrInvalidInput},
		{"no entity ID", GetPresenceRequest{EntityToken: site.Value, JID: "bob@example.com"}, ErrInvalidInput},
	}
	for _, c := range cases {
		if _, err := f.svc.GetPresence(ctx, c.req); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// A user may read their own presence.
	if _, err := f.svc.GetPresence(ctx, GetPresenceRequest{EntityID: "bob@example.com", EntityToken: user.Value, JID: "bob@example.com"}); err != nil {
		t.Fatalf("own presence: %v", err)
	}
}

func TestGetBulkPresence(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t) // max request 5, max response 3
	site := f.tokens.add("100", EntitySite, "site1", "SESSION")
	off := f.tokens.add("102", EntitySite, "site2", "SESSION")
	f.tokens.noAccess["site2"] = true
	user := f.tokens.add("103", EntityUser, "bob@example.com", "SESSION")
	f.bind("bob@example.com/desk").presence(f.router, 1, "<show>dnd</show>")
	f.bind("bob@example.com/phone").presence(f.router, 2, "")
	f.bind("alice@example.com/home").presence(f.router, 0, "<show>chat</show>")
	yes, no := true, false

	type want struct {
		status integration.Status
		list   string
	}
	list := func(r BulkPresenceResponse) string {
		var out []string
		for _, ps := range r.PresentityStatusList {
			out = append(out, ps.UserJID+"="+resources(ps))
		}
		return fmt.Sprint(out)
	}
	cases := []struct {
		name string
		req  BulkPresenceRequest
		want want
	}{
		{"defaults", BulkPresenceRequest{EntityID: "site1", EntityToken: site.Value, EntityJIDs: []string{"bob@example.com", "alice@example.com", "carol@example.com"}},
			want{integration.NoError, "[bob@example.com=[phone:AVAILABLE:2:] alice@example.com=[home:AVAILABLE:0:] carol@example.com=[]]"}},
		{"all resources", BulkPresenceRequest{EntityID: "site1", EntityToken: site.Value, EntityJIDs: []string{"bob@example.com"}, AllResources: &yes},
			want{integration.NoError, "[bob@example.com=[phone:AVAILABLE:2: desk:DND:1:]]"}},
		{"allResources false", BulkPresenceRequest{EntityID: "site1", EntityToken: site.Value, EntityJIDs: []string{"bob@example.com"}, AllResources: &no},
			want{integration.NoError, "[bob@example.com=[phone:AVAILABLE:2:]]"}},
		{"named resources, null means default, named wins over all", BulkPresenceRequest{EntityID: "site1", EntityToken: site.Value,
			EntityJIDs: []string{"bob@example.com", "bob@example.com", "alice@example.com"}, Resources: []string{"desk", "", "nope"}, AllResources: &yes},
			want{integration.NoError, "[bob@example.com=[desk:DND:1:] bob@example.com=[phone:AVAILABLE:2: desk:DND:1:] alice@example.com=[]]"}},
		{"response limit", BulkPresenceRequest{EntityID: "site1", EntityToken: site.Value, EntityJIDs: []string{"a@example.com", "bob@example.com", "c@example.com", "alice@example.com", "e@example.com"}},
			want{integration.AdditionalDataAvailable, "[a@example.com=[] bob@example.com=[phone:AVAILABLE:2:] c@example.com=[]]"}},
		{"exactly the response limit", BulkPresenceRequest{EntityID: "site1", EntityToken: site.Value, EntityJIDs: []string{"a@example.com", "b@example.com", "c@example.com"}},
			want{integration.NoError, "[a@example.com=[] b@example.com=[] c@example.com=[]]"}},
		{"request limit", BulkPresenceRequest{EntityID: "site1", EntityToken: site.Value, EntityJIDs: []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com", "f@example.com"}},
			want{integration.RequestSizeExceeded, "[]"}},
		{"no JIDs", BulkPresenceRequest{EntityID: "site1", EntityToken: site.Value},
			want{integration.ServiceInputError, "[]"}},
		{"no entityID", BulkPresenceRequest{EntityToken: site.Value, EntityJIDs: []string{"bob@example.com"}},
			want{integration.ServiceInputError, "[]"}},
		{"bad JID", BulkPresenceRequest{EntityID: "site1", EntityToken: site.Value, EntityJIDs: []string{"bob@example.com", "not a jid@"}},
			want{integration.ServiceInputError, "[]"}},
		{"resources of the wrong length", BulkPresenceRequest{EntityID: "site1", EntityToken: site.Value, EntityJIDs: []string{"bob@example.com"}, Resources: []string{"a", "b"}},
			want{integration.ServiceInputError, "[]"}},
		{"site without presence", BulkPresenceRequest{EntityID: "site2", EntityToken: off.Value, EntityJIDs: []string{"bob@example.com"}},
			want{integration.NotAuthorized, "[]"}},
		{"user asks for another", BulkPresenceRequest{EntityID: "bob@example.com", EntityToken: user.Value, EntityJIDs: []string{"bob@example.com", "alice@example.com"}},
			want{integration.NotAuthorized, "[]"}},
		{"user asks for self", BulkPresenceRequest{EntityID: "bob@example.com", EntityToken: user.Value, EntityJIDs: []string{"bob@example.com"}},
			want{integration.NoError, "[bob@example.com=[phone:AVAILABLE:2:]]"}},
	}
	for _, c := range cases {
		resp, err := f.svc.GetBulkPresence(ctx, c.req)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if resp.Status != c.want.status || list(resp) != c.want.list {
			t.Errorf("%s: %v %s, want %v %s", c.name, resp.Status, list(resp), c.want.status, c.want.list)
		}
		if resp.Status != integration.NoError && resp.StatusDetails == "" {
			t.Errorf("%s: no statusDetails for %v", c.name, resp.Status)
		}
	}
	if _, err := f.svc.GetBulkPresence(ctx, BulkPresenceRequest{EntityID: "site1", EntityToken: "nope", EntityJIDs: []string{"bob@example.com"}}); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("invalid token: %v", err)
	}
}
