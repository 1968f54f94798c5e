package blocking

import (
	"testing"

	"github.com/parley-im/parley/xmpp/jid"
)

// XEP-0191 §4, XEP-0016's matching order.
func TestMatches(t *testing.T) {
	cases := []struct {
		item, j string
		want    bool
	}{
		{"romeo@montague.net/orchard", "romeo@montague.net/orchard", true},
		{"romeo@montague.net/orchard", "romeo@montague.net/garden", false},
		{"romeo@montague.net/orchard", "romeo@montague.net", false},
		{"romeo@montague.net", "romeo@montague.net", true},
		{"romeo@montague.net", "romeo@montague.net/any", true},
		{"romeo@montague.net", "juliet@montague.net", false},
		{"montague.net/bot", "montague.net/bot", true},
		{"montague.net/bot", "romeo@montague.net/bot", false},
		{"montague.net", "montague.net", true},
		{"montague.net", "romeo@montague.net/orchard", true},
		{"montague.net", "chat.montague.net", true},
		{"montague.net", "room@chat.montague.net/nick", true},
		{"montague.net", "evilmontague.net", false},
		{"montague.net", "capulet.com", false},
	}
	for _, c := range cases {
		if got := Matches(jid.MustParse(c.item), jid.MustParse(c.j)); got != c.want {
			t.Errorf("Matches(%s, %s) = %v, want %v", c.item, c.j, got, c.want)
		}
	}
}

func BenchmarkBlocks(b *testing.B) {
	s := New(Config{})
	var list []jid.JID
	for _, j := range []string{"a@x.example", "b@x.example", "spam.example", "c@y.example/r"} {
		list = append(list, jid.MustParse(j))
	}
	s.lists["alice@localhost"] = list
	other := jid.MustParse("bob@localhost/phone")
	for b.Loop() {
		if s.Blocks("alice@localhost", other) || s.Blocks("bob@localhost", other) {
			b.Fatal("blocked")
		}
	}
}
