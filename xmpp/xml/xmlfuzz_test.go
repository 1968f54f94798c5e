package xml

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecoder feeds arbitrary bytes after a valid stream header: the
// decoder must never panic, and every element it returns must serialize
// and parse back to the same tree.
func FuzzDecoder(f *testing.F) {
	for _, s := range []string{
		stanzas,
		"<message><body>x</body></message>",
		"<presence/>",
		"<iq type='get' id='1'><query xmlns='jabber:iq:roster'/></iq>",
		"<message><![CDATA[a]]></message>",
		"<a xmlns:p='urn:p' p:x='1'><p:b/></a>",
		"<a><stream:x/></a>",
		"<a>&lt;&#65;&#x42;</a>",
		"<a><!-- no --></a>",
		"<a b='1' b='2'/>",
		"</stream:stream>",
		"  \n <a/>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(bytes.NewReader(append([]byte(header), data...)), Limits{MaxStanzaBytes: 64 << 10, MaxDepth: 16, MaxAttrs: 16})
		if _, err := d.ReadHeader(); err != nil {
			t.Fatalf("valid header refused: %v", err)
		}
		for i := 0; i < 100; i++ {
			el, err := d.Next()
			if err != nil {
				return
			}
			roundTrip(t, el)
		}
	})
}

// FuzzParseElement parses arbitrary bytes as one element.
func FuzzParseElement(f *testing.F) {
	for _, s := range []string{
		"<message to='a@b'><body>hi</body></message>",
		"<a xmlns='urn:a'><b xmlns='urn:b'>t</b>u</a>",
		"<a x='&amp;&apos;'/>",
		"<a><![CDATA[<>]]></a>",
		"<a:b xmlns:a='urn:a'/>",
		"<a>",
		"<a/><b/>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		el, err := ParseElement(data, "jabber:client", Limits{MaxStanzaBytes: 64 << 10, MaxDepth: 16, MaxAttrs: 16})
		if err != nil {
			if !errors.Is(err, ErrNotWellFormed) && !errors.Is(err, ErrRestrictedXML) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrTooDeep) {
				t.Fatalf("error outside the sentinels: %v", err)
			}
			return
		}
		roundTrip(t, el)
	})
}

func roundTrip(t *testing.T, el *Element) {
	t.Helper()
	lim := Limits{MaxStanzaBytes: 1 << 20, MaxDepth: 64, MaxAttrs: 64}
	b := el.Bytes("jabber:client")
	again, err := ParseElement(b, "jabber:client", lim)
	if err != nil {
		t.Fatalf("re-parse of %q: %v", b, err)
	}
	if !equal(el, again) {
		t.Fatalf("round trip changed the tree:\n%q\n%q", el.String(), again.String())
	}
	// The tree alone (without Inner) must serialize to the same tree too.
	tree := el.Copy()
	clearInner(tree)
	b2 := tree.Bytes("jabber:client")
	again2, err := ParseElement(b2, "jabber:client", lim)
	if err != nil {
		t.Fatalf("re-parse of tree %q: %v", b2, err)
	}
	if !equal(el, again2) && !mixedContent(el) {
		t.Fatalf("tree serialization changed the tree:\n%q\n%q", el.String(), again2.String())
	}
}

func clearInner(e *Element) {
	e.Inner = nil
	for _, c := range e.Children {
		clearInner(c)
	}
}

// mixedContent reports text interleaved with children, whose order the
// tree does not keep (Inner does).
func mixedContent(e *Element) bool {
	if e.Text != "" && len(e.Children) > 0 {
		return true
	}
	for _, c := range e.Children {
		if mixedContent(c) {
			return true
		}
	}
	return false
}
