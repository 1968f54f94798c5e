package muc

import (
	"slices"
	"testing"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
)

// TestConfigFormListValues: every list-single field of the owner form
// offers its current value among its options, and no option has an empty
// value. Form renderers submit what their list shows: Converse.js's
// configuration dialog submitted the label "None" of an option whose value
// was empty, which the room refused (found by test/browser's
// TestConverseMUC), and a limit missing from the options would be replaced
// by whatever the list shows first.
func TestConfigFormListValues(t *testing.T) {
	for _, maxUsers := range []int{0, 20, 25} {
		cfg := defaultConfig(20)
		cfg.MaxUsers = maxUsers
		r := &Room{jid: jid.MustParse("r@conference.x"), st: newState(cfg, "")}
		for _, f := range r.configForm().ChildrenNamed(ns.DataForms, "field") {
			if f.Attr("type") != "list-single" {
				continue
			}
			var opts []string
			for _, o := range f.ChildrenNamed(ns.DataForms, "option") {
				v := o.Child(ns.DataForms, "value")
				if v == nil || v.Text == "" {
					t.Errorf("max users %d: %s offers option %q with an empty value", maxUsers, f.Attr("var"), o.Attr("label"))
					continue
				}
				opts = append(opts, v.Text)
			}
			cur := f.Child(ns.DataForms, "value")
			if cur == nil || !slices.Contains(opts, cur.Text) {
				t.Errorf("max users %d: %s has value %v, not one of its options %v", maxUsers, f.Attr("var"), cur, opts)
			}
		}
	}
}

// TestParseMaxUsers: no limit is the option's value "none", its label
// "None", an empty value or 0; anything else must be a number.
func TestParseMaxUsers(t *testing.T) {
	cur := defaultConfig(20)
	cur.MaxUsers = 30
	for v, want := range map[string]int{"none": 0, "None": 0, "": 0, "0": 0, "50": 50, "25": 25} {
		ch, bad := parseConfig(cur, form(map[string]string{"muc#roomconfig_maxusers": v}), maxHistoryLength)
		if bad != "" || ch.cfg.MaxUsers != want {
			t.Errorf("maxusers %q: %d %q, want %d", v, ch.cfg.MaxUsers, bad, want)
		}
	}
	for _, v := range []string{"many", "-1", "nobody"} {
		if _, bad := parseConfig(cur, form(map[string]string{"muc#roomconfig_maxusers": v}), maxHistoryLength); bad == "" {
			t.Errorf("maxusers %q accepted", v)
		}
	}
}
