package xml

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// checkStreamError decodes in after the stream header and wants Next
// to fail with want (after any elements before the error), and to keep
// failing with it.
func checkStreamError(t *testing.T, in string, lim Limits, want error) {
	t.Helper()
	for _, n := range []int{1, 1 << 20} {
		d := NewDecoder(chunked{strings.NewReader(streamHeader + in + "</stream:stream>"), n}, lim)
		if _, err := d.ReadHeader(); err != nil {
			t.Fatal(err)
		}
		var err error
		for err == nil {
			_, err = d.Next()
		}
		if !errors.Is(err, want) {
			t.Errorf("%.60q (%d-byte reads): got %v; want %v", in, n, err, want)
			continue
		}
		if _, again := d.Next(); again != err {
			t.Errorf("%.60q: error not sticky: %v then %v", in, err, again)
		}
	}
}

var restricted = []string{
	"<message><!-- c --></message>",
	"<message><body>a<!---->b</body></message>",
	"<message><?pi x?></message>",
	"<message><!DOCTYPE x></message>",
	"<message><!ENTITY x 'y'></message>",
	"<message><body>&foo;</body></message>",
	"<message><body>&nbsp;</body></message>",
	"<message><body>&averyveryverylongentityname;</body></message>",
	"<message to='&foo;'/>",
}

var notWellFormed = []string{
	// characters
	"<message><body>&#0;</body></message>",
	"<message><body>&#xD800;</body></message>",
	"<message><body>&#xFFFE;</body></message>",
	"<message><body>&#x110000;</body></message>",
	"<message><body>&#xFFFFFFFF;</body></message>",
	"<message><body>&#;&#x;</body></message>",
	"<message><body>&#12a;</body></message>",
	"<message><body>\xff</body></message>",
	"<message><body>\xed\xa0\x80</body></message>", // UTF-8 encoded surrogate
	"<message><body>\xef\xbf\xbe</body></message>", // U+FFFE
	"<message><body>\x01</body></message>",
	"<message><body>\x00</body></message>",
	"<message to='a\x0bb'/>",
	"<message to='\xc3'/>",
	"<message><![CDATA[\x02]]></message>",
	// references
	"<message><body>a & b</body></message>",
	"<message><body>&amp</body></message>",
	"<message><body>&<b/>amp;</body></message>",
	"<message><body>&<![CDATA[lt;]]></body></message>",
	"<message><body>&#x3<![CDATA[C;]]></body></message>",
	"<message to='a&b'/>",
	// markup
	"<message><body>a ]]> b</body></message>",
	"<message to='a<b'/>",
	"<message to='a' to='b'/>",
	"<message xmlns='a' xmlns='b'/>",
	"<message><body>x</bdy></message>",
	"<message><body>x</body></message >x</message>",
	"<message to=a/>",
	"<message to/>",
	"<message to='a'from='b'/>",
	"<message/ >",
	"<message to='a' / >",
	"< message/>",
	"<1message/>",
	"<-message/>",
	"<mes\xefsage/>",
	"<message\xef\xbf\xbf/>",
	"<message \xef\xbf\xbf='1'/>",
	"<message><a:/></message>",
	"<message><:a/></message>",
	"<message xmlns:a='u'><a:b:c/></message>",
	// stream level
	"text",
	"<message/>text<presence/>",
	"</message>",
	"<![CDATA[x]]>",
	// namespaces
	"<foo:bar/>",
	"<message><foo:bar/></message>",
	"<message foo:x='1'/>",
	"<message><a xmlns:p='u'/><p:b/></message>",
	"<message xmlns:p=''/>",
	"<message xmlns:xmlns='u'/>",
	"<message xmlns:xml='u'/>",
	"<message><xmlns:a/></message>",
}

func TestRestrictedXML(t *testing.T) {
	for _, in := range restricted {
		checkStreamError(t, in, DefaultLimits, ErrRestrictedXML)
		if _, err := ParseElement([]byte(in), nsClient, DefaultLimits); !errors.Is(err, ErrRestrictedXML) {
			t.Errorf("ParseElement(%q): %v", in, err)
		}
	}
	// At stream level too.
	for _, in := range []string{"<!-- c --><message/>", "<?pi x?>", "<!DOCTYPE x>", "<!--"} {
		checkStreamError(t, in, DefaultLimits, ErrRestrictedXML)
	}
}

func TestNotWellFormed(t *testing.T) {
	for _, in := range notWellFormed {
		checkStreamError(t, in, DefaultLimits, ErrNotWellFormed)
		if strings.HasPrefix(in, "<message") {
			if _, err := ParseElement([]byte(in), nsClient, DefaultLimits); !errors.Is(err, ErrNotWellFormed) {
				t.Errorf("ParseElement(%q): %v", in, err)
			}
		}
	}
	// The unexpected end tag of another stream.
	checkStreamError(t, "</stream>", DefaultLimits, ErrNotWellFormed)
}

func TestStreamPrefixInsideStanza(t *testing.T) {
	const in = "<message stream:a='1'><stream:error><text>t</text></stream:error><body>b</body></message>"
	_, el, err := decodeOne(in, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if el.Inner != nil {
		t.Fatalf("Inner %q kept although it depends on the stream's prefix declaration", el.Inner)
	}
	want := E(nsClient, "message", "xmlns:stream", nsStream, "stream:a", "1").
		AddChild(E(nsStream, "error").AddChild(E(nsClient, "text").SetText("t"))).
		AddChild(E(nsClient, "body").SetText("b"))
	if d := treeDiff(el, want); d != "" {
		t.Fatal(d)
	}
	checkRoundTrip(t, el, nsClient)
}

func TestNamespaces(t *testing.T) {
	const in = "<iq xml:lang='fr'><query xmlns='urn:q'><item><x:y xmlns:x='urn:x'><z/><x:w x:a='1'/></x:y></item></query>" +
		"<p:r xmlns:p='urn:p1'><p:s xmlns:p='urn:p2'><p:t/></p:s><p:u/></p:r><body xml:lang='en'>b</body></iq>"
	_, el, err := decodeOne(in, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	want := E(nsClient, "iq", "xml:lang", "fr").
		AddChild(E("urn:q", "query").AddChild(E("urn:q", "item").AddChild(
			E("urn:x", "y", "xmlns:x", "urn:x").
				AddChild(E("urn:q", "z")).
				AddChild(E("urn:x", "w", "xmlns:x", "urn:x", "x:a", "1"))))).
		AddChild(E("urn:p1", "r", "xmlns:p", "urn:p1").
			AddChild(E("urn:p2", "s", "xmlns:p", "urn:p2").AddChild(E("urn:p2", "t"))).
			AddChild(E("urn:p1", "u"))).
		AddChild(E(nsClient, "body", "xml:lang", "en").SetText("b"))
	if d := treeDiff(el, want); d != "" {
		t.Fatal(d)
	}
	if string(el.Inner) != innerOf(in) {
		t.Fatalf("Inner %q", el.Inner)
	}
	checkRoundTrip(t, el, nsClient)
}

func TestLimits(t *testing.T) {
	lim := Limits{MaxStanzaBytes: 4096, MaxDepth: 4, MaxAttrs: 5}
	exactly := func(n int) string {
		const open, close = "<message><body>", "</body></message>"
		return open + strings.Repeat("x", n-len(open)-len(close)) + close
	}
	for _, in := range []string{
		exactly(4096),
		"<a><b><c><d/></c></b></a>",
		"<a><b><c><d></d></c></b></a>",
		"<a u='0' v='9' w='1' x='2' y='3'/>",
		"<a xmlns:p='u' p:v='9' w='1' x='2' y='3'><b u='0' v='9' w='1' x='2' y='3'/></a>",
	} {
		if _, _, err := decodeOne(in, lim); err != nil {
			t.Errorf("%.40q: %v", in, err)
		}
		if _, err := ParseElement([]byte(in), "", lim); err != nil {
			t.Errorf("ParseElement(%.40q): %v", in, err)
		}
	}
	cases := []struct {
		in   string
		want error
	}{
		{exactly(4097), ErrTooLarge},                                     // complete, in one read
		{"<message><body>" + strings.Repeat("x", 10000), ErrTooLarge},    // never completes
		{"<message to='" + strings.Repeat("x", 10000), ErrTooLarge},      // inside a tag
		{"<message><![CDATA[" + strings.Repeat("x", 10000), ErrTooLarge}, // inside CDATA
		{"<a><b><c><d><e/></d></c></b></a>", ErrTooDeep},
		{"<a><b><c><d><e></e></d></c></b></a>", ErrTooDeep},
		{"<a><b><c><d><e>" + strings.Repeat("<f>", 1000), ErrTooDeep},
		{"<a u='0' v='9' w='1' x='2' y='3' z='4'/>", ErrTooDeep},
		{"<a><b xmlns='u' xmlns:a='b' v='9' w='1' x='2' y='3'/></a>", ErrTooDeep},
	}
	for _, tc := range cases {
		checkStreamError(t, tc.in, lim, tc.want)
		// Arriving in one read and buffered whole: the limit still holds.
		d := NewDecoder(strings.NewReader(streamHeader+tc.in+strings.Repeat(" ", 20000)), lim)
		d.ReadHeader()
		if _, err := d.Next(); !errors.Is(err, tc.want) {
			t.Errorf("%.40q buffered whole: %v", tc.in, err)
		}
		if strings.HasPrefix(tc.in, "<a") {
			if _, err := ParseElement([]byte(tc.in), "", lim); !errors.Is(err, tc.want) {
				t.Errorf("ParseElement(%.40q): %v", tc.in, err)
			}
		}
	}
}

func TestDefaultLimits(t *testing.T) {
	d := NewDecoder(strings.NewReader(""), Limits{})
	if d.lim != DefaultLimits {
		t.Fatalf("zero limits: %+v", d.lim)
	}
	d = NewDecoder(strings.NewReader(""), Limits{MaxDepth: 3})
	if d.lim.MaxDepth != 3 || d.lim.MaxStanzaBytes != DefaultLimits.MaxStanzaBytes || d.lim.MaxAttrs != DefaultLimits.MaxAttrs {
		t.Fatalf("partial limits: %+v", d.lim)
	}
}

// A malformed stanza fails as soon as its bad byte arrives, not when
// (if ever) the element would be complete: the reader times out after
// the bad part, and Next must report not-well-formed instead.
func TestMalformedFailsBeforeTheElementEnds(t *testing.T) {
	deep := strings.Repeat("<a>", 12)
	for _, parts := range [][]string{
		{"<message to='x'><body>oops</mess>"},
		{"<message to='x'><body>oops</me", "ss>"},
		{"<message><body>oops</body ", "x>"},
		{"<message>" + deep + "</a></a></b>"},
		{"<message>" + deep + strings.Repeat("</a>", 12) + "<x></y>"},
		{"<message><p:a xmlns:p='u'></a>"},
		{"<message to='x' <body>"},
		{"<message to='a<b'>"},
		{"<message><body>x</bo<dy>"},
		{"<message><body>x</", "<"},
	} {
		pieces := append(append([]string{}, parts...), "") // then a timeout
		d := NewDecoder(newScript(append([]string{streamHeader}, pieces...)...), DefaultLimits)
		if _, err := d.ReadHeader(); err != nil {
			t.Fatal(err)
		}
		_, err := d.Next()
		if !errors.Is(err, ErrNotWellFormed) {
			t.Errorf("%q: got %v, want not-well-formed before the element ends", parts, err)
		}
	}
	// Well-formed nesting deeper than the scanner's inline name stack.
	in := "<message>" + deep + "<b/>" + strings.Repeat("</a>", 12) + "</message>"
	if _, el, err := decodeOne(in, DefaultLimits); err != nil || el.Name != "message" {
		t.Fatalf("%q: %v", in, err)
	}
	// A '<' inside the stream header.
	d := NewDecoder(newScript("<stream:stream xmlns='jabber:client' <x>", ""), DefaultLimits)
	if _, err := d.ReadHeader(); !errors.Is(err, ErrNotWellFormed) {
		t.Fatalf("'<' in the stream header: %v", err)
	}
}

// Namespace declarations in scope are capped (MaxNamespaces), and
// resolution stays right past the linear-scan threshold: shadowing, and
// the outer declaration back in scope after the inner element ends.
func TestNamespaceDeclarations(t *testing.T) {
	decls := func(from, n int) string {
		var b strings.Builder
		for i := from; i < from+n; i++ {
			fmt.Fprintf(&b, " xmlns:p%d='urn:p%d'", i, i)
		}
		return b.String()
	}
	lim := Limits{MaxNamespaces: 12}
	in := "<message" + decls(0, 6) + "><a" + decls(6, 5) + "><p3:b xmlns:p3='urn:inner'/><p10:c/></a><p3:d/><p0:e p5:x='1'/></message>"
	el, err := ParseElement([]byte(in), nsClient, lim)
	if err != nil {
		t.Fatal(err)
	}
	a := el.Children[0]
	if got := []string{a.Children[0].Space, a.Children[1].Space, el.Children[1].Space, el.Children[2].Space}; strings.Join(got, " ") != "urn:inner urn:p10 urn:p3 urn:p0" {
		t.Fatalf("resolved %q", got)
	}
	if el.Children[2].Attr("p5:x") != "1" {
		t.Fatalf("prefixed attribute: %s", el.Children[2])
	}
	checkRoundTrip(t, el, nsClient)
	// Thirteen in scope are one too many; thirteen in turn are fine.
	if _, err := ParseElement([]byte("<message"+decls(0, 12)+"><a xmlns:q='u'/></message>"), nsClient, lim); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("13 declarations in scope: %v", err)
	}
	if _, err := ParseElement([]byte("<message"+decls(0, 11)+"><a xmlns:q='u'/><b xmlns:q='v'/></message>"), nsClient, lim); err != nil {
		t.Fatalf("12 in scope at a time: %v", err)
	}
	// The stream header's declarations do not count.
	checkStreamError(t, "<message"+decls(0, 65)+"/>", DefaultLimits, ErrTooDeep)
	if _, el, err := decodeOne("<message"+decls(0, 64)+"><stream:x/></message>", DefaultLimits); err != nil || el.Children[0].Space != "http://etherx.jabber.org/streams" {
		t.Fatalf("64 declarations and the stream prefix: %v", err)
	}
}
