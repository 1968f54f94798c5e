package xml

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

const (
	nsClient     = "jabber:client"
	nsStream     = "http://etherx.jabber.org/streams"
	nsChatStates = "http://jabber.org/protocol/chatstates"
	nsRoster     = "jabber:iq:roster"
)

// E builds an element for expectations: attrs are name, value pairs.
func E(space, name string, attrs ...string) *Element {
	el := NewElement(space, name)
	for i := 0; i+1 < len(attrs); i += 2 {
		el.SetAttr(attrs[i], attrs[i+1])
	}
	return el
}

// treeDiff compares Space, Name, Attrs (in any order), Text and
// Children recursively; Inner is a representation and is not compared.
// It returns "" when the trees are equal, else where they differ.
func treeDiff(a, b *Element) string {
	return diffAt("/", a, b)
}

func diffAt(path string, a, b *Element) string {
	path += a.Name
	switch {
	case a.Space != b.Space || a.Name != b.Name:
		return fmt.Sprintf("%s: {%s}%s vs {%s}%s", path, a.Space, a.Name, b.Space, b.Name)
	case a.Text != b.Text:
		return fmt.Sprintf("%s: text %q vs %q", path, a.Text, b.Text)
	case len(a.Attrs) != len(b.Attrs):
		return fmt.Sprintf("%s: attrs %q vs %q", path, a.Attrs, b.Attrs)
	case len(a.Children) != len(b.Children):
		return fmt.Sprintf("%s: %d vs %d children", path, len(a.Children), len(b.Children))
	}
	for _, at := range a.Attrs {
		if !b.HasAttr(at.Name) || b.Attr(at.Name) != at.Value {
			return fmt.Sprintf("%s: attr %s=%q vs %q", path, at.Name, at.Value, b.Attr(at.Name))
		}
	}
	for i := range a.Children {
		if d := diffAt(path+"/", a.Children[i], b.Children[i]); d != "" {
			return d
		}
	}
	return ""
}

// checkRoundTrip serializes el (Inner where kept) and, separately, its
// tree alone, plus every descendant on its own, and parses each back:
// all must give el's tree again.
func checkRoundTrip(t testing.TB, el *Element, parentSpace string) {
	t.Helper()
	lim := Limits{MaxStanzaBytes: 4 << 20, MaxDepth: 128, MaxAttrs: 256}
	check := func(what string, e *Element, space string) {
		t.Helper()
		b := e.Bytes(space)
		again, err := ParseElement(b, space, lim)
		if err != nil {
			t.Fatalf("%s: re-parse of %q: %v", what, b, err)
		}
		if d := treeDiff(e, again); d != "" {
			t.Fatalf("%s: %q re-parsed differs: %s", what, b, d)
		}
	}
	check("element", el, parentSpace)
	tree := el.Copy()
	clearInner(tree)
	check("tree", tree, parentSpace)
	var walk func(e *Element)
	walk = func(e *Element) {
		for _, c := range e.Children {
			check("child "+c.Name, c, e.Space)
			walk(c)
		}
	}
	walk(el)
}

func clearInner(e *Element) {
	e.Inner = nil
	for _, c := range e.Children {
		clearInner(c)
	}
}

func mustParse(t testing.TB, s, space string) *Element {
	t.Helper()
	el, err := ParseElement([]byte(s), space, DefaultLimits)
	if err != nil {
		t.Fatalf("ParseElement(%q): %v", s, err)
	}
	return el
}

// roundTripInputs cover namespaces, prefixes, escaping and mixed content.
var roundTripInputs = []string{
	"<message/>",
	"<message to='a@b' from=\"c@d/r\" type='chat' id='x'><body>hi</body></message>",
	"<message><body>a &amp; b &lt; c &gt; d &apos;&quot; &#x263A;&#65;&#10;</body></message>",
	"<message><body><![CDATA[<html> & ]]]]><![CDATA[>]]></body></message>",
	"<message><body>text<![CDATA[&amp;]]>more</body></message>",
	"<presence><show>dnd</show><status xml:lang='en'>busy</status><priority>-1</priority></presence>",
	"<iq type='result' id='r'><query xmlns='jabber:iq:roster' ver='1'><item jid='a@b' name='A &amp; B'><group>G1</group><group>G2</group></item></query></iq>",
	"<iq type='set'><x:query xmlns:x='urn:q'><x:item x:a='1' b='2'/><plain>p</plain></x:query></iq>",
	"<p:msg xmlns:p='urn:p'><body>default ns child</body></p:msg>",
	"<p:msg xmlns:p='urn:p' xmlns='urn:d'><b/><p:c>t</p:c></p:msg>",
	"<p:msg xmlns:p='urn:p' xmlns='urn:p'><b/></p:msg>",
	"<a xmlns:p='u1'><p:b/><c xmlns:p='u2'><p:d p:x='1'>d</p:d></c><p:e>e</p:e></a>",
	"<a xmlns:p='u1'><b p:attr='v'><c>deep</c></b></a>",
	"<a xmlns='urn:a'><b xmlns=''><c/></b><d xmlns='urn:d'/></a>",
	"<a v='tab&#9;nl&#xA;cr&#xD;' w='raw\ttab\nnl'>x</a>",
	"<a>mixed<b/>content<c>inner</c>tail</a>",
	"<a>\n  <b>  spaced  </b>\n</a>",
	"<a>cr\r\nlf</a>",
	"<a>ünïcødé ☺ 𝄞</a>",
	"<a x='&gt;&lt;&amp;' y=\"'\" z='\"'/>",
	"<message><x xmlns='jabber:x:data' type='form'><field var='a'><value>1</value></field></x></message>",
	"<message><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' to='x'><body>f</body></message></forwarded></message>",
}

func TestRoundTrip(t *testing.T) {
	for _, s := range roundTripInputs {
		t.Run("", func(t *testing.T) {
			for _, space := range []string{nsClient, "jabber:server", ""} {
				el := mustParse(t, s, space)
				checkRoundTrip(t, el, space)
				// Written for another stream, it keeps its namespace.
				other, err := ParseElement(el.Bytes("urn:other"), "urn:other", DefaultLimits)
				if err != nil {
					t.Fatal(err)
				}
				if d := treeDiff(el, other); d != "" {
					t.Fatalf("%q in another namespace: %s", s, d)
				}
			}
		})
	}
}

func TestParsedTree(t *testing.T) {
	el := mustParse(t, "<iq type='set' xml:lang='en'><x:query xmlns:x='urn:q'><x:item x:a='1' b='&lt;'/><plain/></x:query></iq>", nsClient)
	want := E(nsClient, "iq", "type", "set", "xml:lang", "en").AddChild(
		E("urn:q", "query", "xmlns:x", "urn:q").
			// The declaration of an attribute's prefix is copied onto
			// the element, so that it serializes on its own.
			AddChild(E("urn:q", "item", "xmlns:x", "urn:q", "x:a", "1", "b", "<")).
			AddChild(E(nsClient, "plain")))
	if d := treeDiff(el, want); d != "" {
		t.Fatal(d)
	}
	if el.Attr("xml:lang") != "en" {
		t.Fatal("xml:lang not kept by name")
	}
}

func TestInnerIsExactReceivedBytes(t *testing.T) {
	const inner = "<body>a &amp; b</body>\n <x:y xmlns:x='urn:x' a=\"1\"><![CDATA[<c>]]></x:y>"
	el := mustParse(t, "<message to='a@b'>"+inner+"</message>", nsClient)
	if string(el.Inner) != inner {
		t.Fatalf("Inner %q", el.Inner)
	}
	if empty := mustParse(t, "<presence/>", nsClient); empty.Inner == nil || len(empty.Inner) != 0 {
		t.Fatalf("self-closed Inner %q (nil: %v)", empty.Inner, empty.Inner == nil)
	}
	if want := "<message to='a@b'>" + inner + "</message>"; string(el.Bytes(nsClient)) != want {
		t.Fatalf("WriteTo %q", el.Bytes(nsClient))
	}
}

func TestMutatorsAndInner(t *testing.T) {
	const s = "<message to='a@b'><body>hi</body><active xmlns='" + nsChatStates + "'/></message>"
	el := mustParse(t, s, nsClient)
	el.SetAttr("from", "c@d/r")
	el.SetAttr("to", "e@f")
	if el.Inner == nil {
		t.Fatal("SetAttr cleared Inner")
	}
	if got, want := string(el.Bytes(nsClient)), "<message to='e@f' from='c@d/r'><body>hi</body><active xmlns='"+nsChatStates+"'/></message>"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	el.RemoveAttr("from")
	if el.HasAttr("from") || el.Attr("to") != "e@f" {
		t.Fatal("RemoveAttr")
	}

	for name, mutate := range map[string]func(*Element){
		"AddChild":       func(e *Element) { e.AddChild(E("urn:x", "x")) },
		"SetText":        func(e *Element) { e.SetText("t") },
		"RemoveChildren": func(e *Element) { e.RemoveChildren(nsChatStates, "active") },
	} {
		e := mustParse(t, s, nsClient)
		mutate(e)
		if e.Inner != nil {
			t.Fatalf("%s kept Inner", name)
		}
		checkRoundTrip(t, e, nsClient)
		back := mustParse(t, string(e.Bytes(nsClient)), nsClient)
		if d := treeDiff(e, back); d != "" {
			t.Fatalf("%s: %s", name, d)
		}
	}
	e := mustParse(t, s, nsClient)
	e.RemoveChildren("", "body")
	if e.Child("", "body") != nil || e.Child(nsChatStates, "active") == nil || len(e.Children) != 1 {
		t.Fatalf("RemoveChildren: %s", e)
	}
}

func TestChildLookup(t *testing.T) {
	el := mustParse(t, "<m><a xmlns='u1'>1</a><a>2</a><a xmlns='u1'>3</a></m>", nsClient)
	if el.Child("", "a").Text != "1" || el.Child(nsClient, "a").Text != "2" || el.Child("u2", "a") != nil {
		t.Fatal("Child")
	}
	if n := len(el.ChildrenNamed("u1", "a")); n != 2 {
		t.Fatalf("ChildrenNamed u1: %d", n)
	}
	if n := len(el.ChildrenNamed("", "a")); n != 3 {
		t.Fatalf("ChildrenNamed any: %d", n)
	}
}

func TestCopyIsDeep(t *testing.T) {
	orig := mustParse(t, "<message to='a'><body>hi</body><x xmlns='urn:x'><y>z</y></x></message>", nsClient)
	before := string(orig.Bytes(nsClient))
	ref := orig.Copy()
	c := orig.Copy()
	if d := treeDiff(orig, c); d != "" || !bytes.Equal(c.Inner, orig.Inner) {
		t.Fatalf("copy differs: %s", d)
	}
	c.SetAttr("to", "b")
	c.Attrs[0].Name = "renamed"
	c.Inner[1] = 'X'
	c.Children[0].Text = "changed"
	c.Children[1].Children[0].SetAttr("new", "1")
	c.Children[1].Children = append(c.Children[1].Children, E("", "more"))
	c.Children[0] = E("", "replaced")
	if d := treeDiff(orig, ref); d != "" {
		t.Fatalf("original changed: %s", d)
	}
	if after := string(orig.Bytes(nsClient)); after != before {
		t.Fatalf("original serializes as %s, was %s", after, before)
	}
}

func TestBuiltElementSerialization(t *testing.T) {
	el := E(nsClient, "message", "to", "bob@example.com", "type", "chat").
		AddChild(E(nsClient, "body").SetText("a < b & c > d\r\n")).
		AddChild(E(nsChatStates, "active")).
		AddChild(E("", "empty-ns"))
	const want = "<message to='bob@example.com' type='chat'><body>a &lt; b &amp; c &gt; d&#xD;\n</body>" +
		"<active xmlns='" + nsChatStates + "'/><empty-ns xmlns=''/></message>"
	if got := string(el.Bytes(nsClient)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if got := el.String(); !strings.HasPrefix(got, "<message xmlns='jabber:client' ") {
		t.Fatalf("String: %s", got)
	}
	checkRoundTrip(t, el, nsClient)
}

func TestEscapingRoundTrip(t *testing.T) {
	for _, s := range []string{
		"", "plain", "&", "<", ">", "'", "\"", "\t", "\n", "\r", "\r\n", "]]>",
		"a&b<c>d'e\"f", " tab\there\nnew\rline ", "&amp; &lt; not entities",
		"ünïcødé ☺ 𝄞 日本語", "\u0085\u2028\uFFFD",
	} {
		el := NewElement("urn:t", "x", Attr{Name: "v", Value: s}).SetText(s)
		for _, b := range [][]byte{el.Bytes(""), el.Bytes("urn:t")} {
			back, err := ParseElement(b, "urn:t", DefaultLimits)
			if err != nil {
				t.Fatalf("%q: %v", s, err)
			}
			if back.Attr("v") != s || back.Text != s {
				t.Fatalf("%q via %q: attr %q text %q", s, b, back.Attr("v"), back.Text)
			}
		}
		var text, attr bytes.Buffer
		EscapeText(&text, s)
		EscapeAttr(&attr, s)
		if strings.ContainsAny(text.String(), "<\r") || strings.Contains(text.String(), "]]>") ||
			strings.ContainsAny(attr.String(), "<'\"\t\n\r") {
			t.Fatalf("%q: unescaped text %q attr %q", s, text.String(), attr.String())
		}
	}
}

func TestEscapingInvalidCharacters(t *testing.T) {
	// Text set by code may hold what XML cannot carry: it is replaced,
	// never written as is (which would break the peer's stream).
	const in = "a\x00b\x1fc\xffd\uFFFEe\xed\xa0\x80f\tg\n"
	const want = "a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFD\uFFFD\uFFFDf\tg\n"
	el := NewElement("", "x", Attr{Name: "v", Value: in}).SetText(in)
	back, err := ParseElement(el.Bytes(""), "", DefaultLimits)
	if err != nil {
		t.Fatalf("%q: %v", el.Bytes(""), err)
	}
	if back.Text != want || back.Attr("v") != want {
		t.Fatalf("text %q attr %q", back.Text, back.Attr("v"))
	}
}

func TestAttributeNormalization(t *testing.T) {
	cases := map[string]string{
		"<x v='a\tb\nc\rd'/>":        "a b c d",
		"<x v='a&#xA;b&#9;c&#13;'/>": "a\nb\tc\r",
		"<x v='&#x20;&#32; '/>":      "   ",
		"<x v=\"it's\"/>":            "it's",
		"<x v='say \"hi\"'/>":        "say \"hi\"",
		"<x v='a>b'/>":               "a>b",
		"<x v='a\r\nb\rc'/>":         "a b c",
	}
	for in, want := range cases {
		if got := mustParse(t, in, "").Attr("v"); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestLineEndNormalization(t *testing.T) {
	// XML 1.0 §2.11: raw CR LF and lone CR are read as LF, in CDATA
	// sections too; a character reference keeps a CR.
	cases := map[string]string{
		"<x>a\r\nb\rc\n</x>":                      "a\nb\nc\n",
		"<x>a\r<y/>\nb</x>":                       "a\n\nb",
		"<x>a\r<![CDATA[\nb\r\n\r]]>\nc&#xD;</x>": "a\n\nb\n\n\nc\r",
		"<x>&#13;&#10;\r\n</x>":                   "\r\n\n",
	}
	for in, want := range cases {
		el := mustParse(t, in, "")
		if el.Text != want {
			t.Errorf("%q: got %q, want %q", in, el.Text, want)
		}
		checkRoundTrip(t, el, "")
	}
}

func TestParseElement(t *testing.T) {
	el, err := ParseElement([]byte(" \r\n\t<a xmlns='urn:a'><b/>t</a>\n "), nsClient, DefaultLimits)
	if err != nil || el.Space != "urn:a" || el.Child("urn:a", "b") == nil || el.Text != "t" {
		t.Fatalf("%v %v", el, err)
	}
	if el := mustParse(t, "<a><b/></a>", nsClient); el.Space != nsClient || el.Children[0].Space != nsClient {
		t.Fatalf("default namespace not applied: %s", el)
	}
	for _, in := range []string{
		"", "   ", "text", "<a/><b/>", "<a/>text", "<a></a><!-- c -->", "<a/>\x00",
		"<a>", "<a><b/>", "<a><b></b>", "<a b='1'", "<a><![CDATA[x", "<a>&amp",
		"\f<a/>", "<a/>\v", "\u00a0<a/>", "\ufeff<a/>",
	} {
		if _, err := ParseElement([]byte(in), nsClient, DefaultLimits); !errors.Is(err, ErrNotWellFormed) && !errors.Is(err, ErrRestrictedXML) {
			t.Errorf("%q: got %v", in, err)
		}
	}
	if _, err := ParseElement([]byte("<a>"+strings.Repeat("x", 100)+"</a>"), "", Limits{MaxStanzaBytes: 50}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("limit: %v", err)
	}
}

// SerializeInner must not change what an element serializes to, nor
// what a copy with other attributes does.
func TestSerializeInner(t *testing.T) {
	for _, src := range []string{
		"<message xmlns='jabber:client' to='a@b'><body>x &amp; &lt;y&gt;</body><x xmlns='urn:other'><i a='&apos;'/></x></message>",
		"<message xmlns='jabber:client'/>",
		"<message xmlns='jabber:client'>text only</message>",
	} {
		el, err := ParseElement([]byte(src), "", Limits{MaxStanzaBytes: 1 << 16, MaxDepth: 16, MaxAttrs: 16})
		if err != nil {
			t.Fatal(err)
		}
		el.Inner = nil
		want := el.String()
		ref := *el
		ref.Attrs = []Attr{{Name: "to", Value: "c@d"}}
		wantCopy := string(ref.Bytes("jabber:server"))
		el.SerializeInner()
		if got := el.String(); got != want {
			t.Errorf("after SerializeInner: %s, want %s", got, want)
		}
		c := *el
		c.Attrs = []Attr{{Name: "to", Value: "c@d"}}
		if got := string(c.Bytes("jabber:server")); got != wantCopy {
			t.Errorf("copy: %s, want %s", got, wantCopy)
		}
	}
}
