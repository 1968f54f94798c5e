package muc

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// multiForm is a submitted form whose fields may have several values.
func multiForm(fields map[string][]string) *xml.Element {
	x := xml.NewElement(ns.DataForms, "x", xml.Attr{Name: "type", Value: "submit"})
	for k, vs := range fields {
		x.AddChild(field(k, "", "", vs...))
	}
	return x
}

func formValues(x *xml.Element, name string) []string {
	for _, f := range x.ChildrenNamed(ns.DataForms, "field") {
		if f.Attr("var") == name {
			out := []string{}
			for _, v := range f.ChildrenNamed(ns.DataForms, "value") {
				out = append(out, v.Text)
			}
			return out
		}
	}
	return nil
}

// TestRoleListFields: muc#roomconfig_presencebroadcast and
// muc#roomconfig_getmemberlist take role names (or their labels), each
// once, in any order; an empty list is kept as a choice; anything else
// is refused.
func TestRoleListFields(t *testing.T) {
	cur := defaultConfig(20)
	for _, tc := range []struct {
		values []string
		want   []string
	}{
		{[]string{"visitor", "moderator"}, []string{"moderator", "visitor"}},
		{[]string{"Participant", " moderator ", "moderator"}, []string{"moderator", "participant"}},
		{[]string{}, []string{}},
		{[]string{""}, []string{}},
	} {
		for _, name := range []string{"muc#roomconfig_presencebroadcast", "muc#roomconfig_getmemberlist"} {
			ch, bad := parseConfig(cur, multiForm(map[string][]string{name: tc.values}), maxHistoryLength)
			if bad != "" {
				t.Fatalf("%s %q: %s", name, tc.values, bad)
			}
			got := ch.cfg.PresenceBroadcast
			if name == "muc#roomconfig_getmemberlist" {
				got = ch.cfg.GetMemberList
			}
			if got == nil || !slices.Equal(got, tc.want) {
				t.Errorf("%s %q: %#v, want %#v", name, tc.values, got, tc.want)
			}
		}
	}
	for _, vs := range [][]string{{"owner"}, {"none"}, {"moderator", "robots"}} {
		if _, bad := parseConfig(cur, multiForm(map[string][]string{"muc#roomconfig_presencebroadcast": vs}), maxHistoryLength); bad == "" {
			t.Errorf("presencebroadcast %q accepted", vs)
		}
		if _, bad := parseConfig(cur, multiForm(map[string][]string{"muc#roomconfig_getmemberlist": vs}), maxHistoryLength); bad == "" {
			t.Errorf("getmemberlist %q accepted", vs)
		}
	}
	// A form without the fields changes nothing.
	ch, _ := parseConfig(cur, multiForm(map[string][]string{"muc#roomconfig_roomname": {"x"}}), maxHistoryLength)
	if !slices.Equal(ch.cfg.PresenceBroadcast, allRoles) || !slices.Equal(ch.cfg.GetMemberList, []string{"moderator"}) {
		t.Fatalf("untouched role lists: %+v", ch.cfg)
	}
}

func TestParseLang(t *testing.T) {
	for v, want := range map[string]string{"en": "en", " de ": "de", "pt-br": "pt-BR", "zh-Hant": "zh-Hant", "": ""} {
		ch, bad := parseConfig(defaultConfig(20), form(map[string]string{"muc#roomconfig_lang": v}), maxHistoryLength)
		if bad != "" || ch.cfg.Lang != want {
			t.Errorf("lang %q: %q %q, want %q", v, ch.cfg.Lang, bad, want)
		}
	}
	for _, v := range []string{"english please", "e", "en_US!", strings.Repeat("a", 40)} {
		if _, bad := parseConfig(defaultConfig(20), form(map[string]string{"muc#roomconfig_lang": v}), maxHistoryLength); bad == "" {
			t.Errorf("lang %q accepted", v)
		}
	}
}

// TestConfigFormNewFields: the owner form shows the role lists (current
// values among the options) and the language.
func TestConfigFormNewFields(t *testing.T) {
	cfg := defaultConfig(20)
	r := &Room{jid: jid.MustParse("r@conference.x"), st: newState(cfg, "")}
	x := r.configForm()
	if got := formValues(x, "muc#roomconfig_presencebroadcast"); !slices.Equal(got, allRoles) {
		t.Errorf("default presencebroadcast %v", got)
	}
	if got := formValues(x, "muc#roomconfig_getmemberlist"); !slices.Equal(got, []string{"moderator"}) {
		t.Errorf("default getmemberlist %v", got)
	}
	if got := formValues(x, "muc#roomconfig_lang"); len(got) != 1 || got[0] != "" {
		t.Errorf("default lang %v", got)
	}
	r.st.Config.PresenceBroadcast, r.st.Config.GetMemberList, r.st.Config.Lang = []string{}, []string{"participant", "visitor"}, "fr"
	x = r.configForm()
	if got := formValues(x, "muc#roomconfig_presencebroadcast"); len(got) != 0 {
		t.Errorf("empty presencebroadcast shown as %v", got)
	}
	if got := formValues(x, "muc#roomconfig_getmemberlist"); !slices.Equal(got, []string{"participant", "visitor"}) {
		t.Errorf("getmemberlist %v", got)
	}
	if got := formValues(x, "muc#roomconfig_lang"); !slices.Equal(got, []string{"fr"}) {
		t.Errorf("lang %v", got)
	}
	for _, f := range x.ChildrenNamed(ns.DataForms, "field") {
		if f.Attr("type") != "list-multi" {
			continue
		}
		var opts []string
		for _, o := range f.ChildrenNamed(ns.DataForms, "option") {
			opts = append(opts, o.Child(ns.DataForms, "value").Text)
		}
		for _, v := range formValues(x, f.Attr("var")) {
			if !slices.Contains(opts, v) {
				t.Errorf("%s has value %q, not one of its options %v", f.Attr("var"), v, opts)
			}
		}
	}
}

// TestStoredRoleListsAndLang: the settings survive the store; a room
// stored before they existed decodes with the old behaviour (everyone's
// presence broadcast, no role may read the member list, no language);
// an empty presence list stays empty rather than becoming the default.
func TestStoredRoleListsAndLang(t *testing.T) {
	old := []byte(`{"version":1,"config":{"name":"Old","persistent":true,"whois":"moderators","history_length":20},"occupant_key":"` +
		strings.Repeat("A", 43) + `="}`)
	st, err := decodeState(old)
	if err != nil {
		t.Fatal(err)
	}
	c := st.Config
	for _, role := range []Role{Moderator, Participant, Visitor} {
		if !c.broadcasts(role) {
			t.Errorf("old room does not broadcast %s", role)
		}
		if c.mayGetMemberList(role) {
			t.Errorf("old room lets %s read the member list", role)
		}
	}
	if c.Lang != "" {
		t.Errorf("old room lang %q", c.Lang)
	}

	st = newState(defaultConfig(20), "a@x")
	st.Config.PresenceBroadcast, st.Config.GetMemberList, st.Config.Lang = []string{}, []string{"visitor"}, "en"
	again, err := decodeState(st.encode())
	if err != nil {
		t.Fatal(err)
	}
	c = again.Config
	if c.PresenceBroadcast == nil || len(c.PresenceBroadcast) != 0 || c.broadcasts(Moderator) {
		t.Errorf("empty presence list after the store: %#v", c.PresenceBroadcast)
	}
	if !c.mayGetMemberList(Visitor) || c.mayGetMemberList(Moderator) || c.mayGetMemberList(NoRole) || c.Lang != "en" {
		t.Errorf("after the store: %+v", c)
	}
	var raw struct{ Config map[string]any }
	if err := json.Unmarshal(st.encode(), &raw); err != nil || raw.Config["lang"] != "en" {
		t.Errorf("stored JSON: %v %v", raw, err)
	}

	// Rooms from the command line get the defaults of new rooms.
	r, err := NewPersistentRoom(jid.MustParse("cli@conference.x"), RoomOptions{Lang: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	info, err := DecodeRoom(r)
	if err != nil || info.Config.Lang != "de" || !slices.Equal(info.Config.PresenceBroadcast, allRoles) ||
		!slices.Equal(info.Config.GetMemberList, []string{"moderator"}) {
		t.Fatalf("CLI room: %+v %v", info.Config, err)
	}
	if _, err := NewPersistentRoom(jid.MustParse("cli@conference.x"), RoomOptions{Lang: "not a language"}); err == nil {
		t.Fatal("CLI room with a bad language accepted")
	}
}

// A room made moderated while visitors' presence is not broadcast: the
// participants who become visitors leave the others' lists (unavailable,
// role none) but not their own; kicking a hidden visitor tells only the
// visitor.
func TestHiddenVisitorsModeratedAndKicked(t *testing.T) {
	c := &capture{got: map[string][]*xml.Element{}}
	s := New(Config{Domains: []string{"conference.x"}, Store: memory.New(), Send: c.send})
	ctx := context.Background()
	s.Receive(ctx, presence("o@x/r", "r@conference.x/o", "")) // an instant room owned by o
	owner := func(fields string) {
		t.Helper()
		el, err := xml.ParseElement([]byte(`<iq type='set' id='c' from='o@x/r' to='r@conference.x'><query xmlns='`+NSOwner+
			`'><x xmlns='jabber:x:data' type='submit'>`+fields+`</x></query></iq>`), ns.Client, xml.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		s.Receive(ctx, el)
	}
	owner(`<field var='muc#roomconfig_presencebroadcast'><value>moderator</value><value>participant</value></field>`)
	s.Receive(ctx, presence("u@x/r", "r@conference.x/u", "", xml.NewElement(NS, "x")))
	s.Receive(ctx, presence("v@x/r", "r@conference.x/v", "", xml.NewElement(NS, "x")))
	got := func(to string) []*xml.Element {
		c.mu.Lock()
		defer c.mu.Unlock()
		return slices.Clone(c.got[to])
	}
	presencesFrom := func(els []*xml.Element, from string) []*xml.Element {
		var out []*xml.Element
		for _, el := range els {
			if el.Name == "presence" && el.Attr("from") == from {
				out = append(out, el)
			}
		}
		return out
	}
	if n := len(presencesFrom(got("o@x/r"), "r@conference.x/u")); n != 1 {
		t.Fatalf("the owner got %d presences of participant u, want its join", n)
	}
	before := len(got("o@x/r"))
	owner(`<field var='muc#roomconfig_moderatedroom'><value>1</value></field>`)
	after := got("o@x/r")[before:]
	for _, nick := range []string{"u", "v"} {
		ps := presencesFrom(after, "r@conference.x/"+nick)
		if len(ps) != 1 || ps[0].Attr("type") != "unavailable" || !strings.Contains(ps[0].String(), "role='none'") {
			t.Fatalf("the owner's view of %s made a visitor: %v", nick, ps)
		}
	}
	if ps := presencesFrom(got("u@x/r"), "r@conference.x/u"); ps[len(ps)-1].Attr("type") != "" || !strings.Contains(ps[len(ps)-1].String(), "role='visitor'") {
		t.Fatalf("u's own presence as a visitor: %s", ps[len(ps)-1])
	}

	vBefore := len(got("v@x/r"))
	el, _ := xml.ParseElement([]byte(`<iq type='set' id='k' from='o@x/r' to='r@conference.x'><query xmlns='`+NSAdmin+
		`'><item nick='u' role='none'/></query></iq>`), ns.Client, xml.DefaultLimits)
	s.Receive(ctx, el)
	if extra := got("v@x/r")[vBefore:]; len(extra) != 0 {
		t.Fatalf("hidden visitor v told of hidden visitor u's kick: %v", extra)
	}
	if ps := presencesFrom(got("u@x/r"), "r@conference.x/u"); !strings.Contains(ps[len(ps)-1].String(), "code='307'") {
		t.Fatalf("u's own kick: %s", ps[len(ps)-1])
	}
}
