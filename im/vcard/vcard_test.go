package vcard

import (
	"testing"

	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

func parsePresence(t testing.TB, s string) *xml.Element {
	t.Helper()
	el, err := xml.ParseElement([]byte(s), ns.Client, xml.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return el
}

func photoOf(p *xml.Element) (string, bool) {
	x := p.Child(ns.VCardUpdate, "x")
	if x == nil || x.Child(ns.VCardUpdate, "photo") == nil {
		return "", false
	}
	return x.Child(ns.VCardUpdate, "photo").Text, true
}

// XEP-0398 §4: the server writes the hash into presence without one, and
// over an update element without a photo or with another hash; an empty
// photo from the client stays.
func TestStamp(t *testing.T) {
	const h = "0123456789abcdef0123456789abcdef01234567"
	cases := []struct {
		in    string
		want  string
		same  bool
		force bool
	}{
		{in: "<presence><show>away</show></presence>", want: h},
		{in: "<presence><x xmlns='vcard-temp:x:update'/></presence>", want: h},
		{in: "<presence><x xmlns='vcard-temp:x:update'><photo>ffff</photo></x></presence>", want: h},
		{in: "<presence><x xmlns='vcard-temp:x:update'><photo/></x></presence>", want: "", same: true},
		{in: "<presence><x xmlns='vcard-temp:x:update'><photo>" + h + "</photo></x></presence>", want: h, same: true},
		{in: "<presence><x xmlns='vcard-temp:x:update'><photo/></x></presence>", want: h, force: true},
	}
	for _, c := range cases {
		p := parsePresence(t, c.in)
		got := stamp(p, h, c.force)
		if ph, ok := photoOf(got); !ok || ph != c.want || (got == p) != c.same {
			t.Errorf("stamp(%s, force %v) = %s", c.in, c.force, got)
		}
		if got != p && len(got.ChildrenNamed(ns.VCardUpdate, "x")) != 1 {
			t.Errorf("stamp(%s) has several update elements: %s", c.in, got)
		}
	}
	// The client's other children stay, and the original is not changed.
	p := parsePresence(t, "<presence><show>dnd</show><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'/></presence>")
	got := stamp(p, h, false)
	if got.Child("", "show") == nil || got.Child(ns.Caps, "c") == nil || p.Child(ns.VCardUpdate, "x") != nil {
		t.Errorf("stamp lost a child or changed its input: %s (input now %s)", got, p)
	}
}

func BenchmarkStampPresence(b *testing.B) {
	const h = "0123456789abcdef0123456789abcdef01234567"
	p := parsePresence(b, "<presence><show>away</show><status>out</status><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'/></presence>")
	stamped := stamp(p, h, false)
	b.Run("adds", func(b *testing.B) {
		for b.Loop() {
			stamp(p, h, false)
		}
	})
	b.Run("already", func(b *testing.B) {
		for b.Loop() {
			stamp(stamped, h, false)
		}
	})
}
