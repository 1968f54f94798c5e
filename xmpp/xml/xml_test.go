package xml

import (
	"errors"
	"io"
	"strings"
	"testing"
)

const header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>"

const stanzas = `<message to='bob@example.com' id='a1' type="chat"><body>Hello &amp; welcome &lt;3 &#x263A; &#65;</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>
 <presence><show>away</show><status>a &gt; b</status><priority>5</priority></presence>
<iq type='get' id='q'><query xmlns='jabber:iq:roster' ver='x>y'><item jid='a@b' xmlns:x='urn:x' x:flag='1'><group>G</group></item></query></iq>
<message><body><![CDATA[<not markup> & raw]]></body><x:data xmlns:x='urn:data'>d</x:data></message>`

// oneByte returns one byte per Read.
type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func decodeAll(t *testing.T, r io.Reader) []*Element {
	t.Helper()
	d := NewDecoder(r, DefaultLimits)
	h, err := d.ReadHeader()
	if err != nil {
		t.Fatalf("header: %v", err)
	}
	if h.Space != "http://etherx.jabber.org/streams" || h.Name != "stream" || h.Attr("to") != "example.com" || d.DefaultNamespace() != "jabber:client" {
		t.Fatalf("header %+v ns %q", h, d.DefaultNamespace())
	}
	var out []*Element
	for {
		el, err := d.Next()
		if errors.Is(err, ErrStreamClosed) {
			return out
		}
		if err != nil {
			t.Fatalf("next after %d elements: %v", len(out), err)
		}
		out = append(out, el)
	}
}

func TestDecodeStreamWholeAndByteByByte(t *testing.T) {
	input := header + stanzas + " \n</stream:stream>"
	whole := decodeAll(t, strings.NewReader(input))
	split := decodeAll(t, oneByte{strings.NewReader(input)})
	if len(whole) != 4 || len(split) != 4 {
		t.Fatalf("got %d and %d elements", len(whole), len(split))
	}
	for i := range whole {
		if !equal(whole[i], split[i]) {
			t.Fatalf("element %d differs:\n%s\n%s", i, whole[i], split[i])
		}
	}
	m := whole[0]
	if m.Space != "jabber:client" || m.Attr("type") != "chat" || m.Child("", "body").Text != "Hello & welcome <3 ☺ A" {
		t.Fatalf("message: %+v body %q", m, m.Child("", "body").Text)
	}
	if m.Child("http://jabber.org/protocol/chatstates", "active") == nil {
		t.Fatal("chat state namespace")
	}
	if got := whole[2].Child("jabber:iq:roster", "query"); got == nil || got.Attr("ver") != "x>y" || got.Children[0].Attr("x:flag") != "1" {
		t.Fatalf("iq: %s", whole[2])
	}
	last := whole[3]
	if last.Child("", "body").Text != "<not markup> & raw" || last.Child("urn:data", "data") == nil {
		t.Fatalf("cdata/prefix: %s", last)
	}
}

func TestInnerIsReceivedBytesAndRoundTrips(t *testing.T) {
	els := decodeAll(t, strings.NewReader(header+stanzas+"</stream:stream>"))
	if got := string(els[1].Inner); got != "<show>away</show><status>a &gt; b</status><priority>5</priority>" {
		t.Fatalf("inner %q", got)
	}
	for _, el := range els {
		el.SetAttr("from", "alice@example.com/x")
		if el.Inner == nil {
			t.Fatalf("SetAttr must keep Inner: %s", el)
		}
		b := el.Bytes("jabber:client")
		again, err := ParseElement(b, "jabber:client", DefaultLimits)
		if err != nil {
			t.Fatalf("reparse %s: %v", b, err)
		}
		if !equal(el, again) {
			t.Fatalf("round trip:\n%s\n%s", el, again)
		}
	}
	m := els[0]
	m.AddChild(NewElement("urn:x", "extra"))
	if m.Inner != nil {
		t.Fatal("AddChild must clear Inner")
	}
	c := els[1].Copy()
	c.Children[0].Text = "changed"
	if els[1].Children[0].Text != "away" {
		t.Fatal("Copy is not deep")
	}
}

func TestStreamPrefixInsideStanzaDropsInner(t *testing.T) {
	els := decodeAll(t, strings.NewReader(header+"<message><stream:x/><body>b</body></message></stream:stream>"))
	if els[0].Inner != nil {
		t.Fatal("Inner kept although it depends on the stream's prefix declaration")
	}
	if els[0].Child("http://etherx.jabber.org/streams", "x") == nil {
		t.Fatalf("tree: %s", els[0])
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		in   string
		want error
	}{
		{"<message><!-- c --></message>", ErrRestrictedXML},
		{"<!-- c -->", ErrRestrictedXML},
		{"<?pi x?>", ErrRestrictedXML},
		{"<!DOCTYPE x>", ErrRestrictedXML},
		{"<message><body>&foo;</body></message>", ErrRestrictedXML},
		{"<message><body>&#0;</body></message>", ErrNotWellFormed},
		{"<message><body>&#xD800;</body></message>", ErrNotWellFormed},
		{"<message><body>\xff</body></message>", ErrNotWellFormed},
		{"<message><body>\x01</body></message>", ErrNotWellFormed},
		{"<message to='a<b'/>", ErrNotWellFormed},
		{"<message to='a' to='b'/>", ErrNotWellFormed},
		{"<message><body>x</bdy></message>", ErrNotWellFormed},
		{"<message to=a/>", ErrNotWellFormed},
		{"text", ErrNotWellFormed},
		{"<foo:bar/>", ErrNotWellFormed},
		{"</message>", ErrNotWellFormed},
	}
	for _, tc := range cases {
		d := NewDecoder(strings.NewReader(header+tc.in+"</stream:stream>"), DefaultLimits)
		if _, err := d.ReadHeader(); err != nil {
			t.Fatal(err)
		}
		_, err := d.Next()
		if !errors.Is(err, tc.want) {
			t.Errorf("%q: got %v, want %v", tc.in, err, tc.want)
		}
		if _, again := d.Next(); !errors.Is(again, tc.want) {
			t.Errorf("%q: error not sticky: %v", tc.in, again)
		}
	}
}

func TestHeaderErrors(t *testing.T) {
	cases := map[string]error{
		"<?xml version='1.0' encoding='ISO-8859-1'?><stream:stream xmlns:stream='s'>": ErrNotWellFormed,
		"<!DOCTYPE stream><stream:stream>":                                            ErrRestrictedXML,
		"<?php x ?>":                                                                  ErrRestrictedXML,
		"<stream:stream xmlns:stream='s'/>":                                           ErrNotWellFormed,
		"hello":                                                                       ErrNotWellFormed,
	}
	for in, want := range cases {
		_, err := NewDecoder(strings.NewReader(in), DefaultLimits).ReadHeader()
		if !errors.Is(err, want) {
			t.Errorf("%q: got %v, want %v", in, err, want)
		}
	}
}

func TestLimits(t *testing.T) {
	lim := Limits{MaxStanzaBytes: 4096, MaxDepth: 4, MaxAttrs: 5}
	big := "<message><body>" + strings.Repeat("x", 5000) + "</body></message>"
	cases := []struct {
		in   string
		want error
	}{
		{big, ErrTooLarge},
		{"<message><body>" + strings.Repeat("x", 10000), ErrTooLarge}, // never completes
		{"<a><b><c><d><e/></d></c></b></a>", ErrTooDeep},
		{"<a u='0' v='9' w='1' x='2' y='3' z='4'/>", ErrTooDeep},
	}
	for _, tc := range cases {
		d := NewDecoder(strings.NewReader(header+tc.in), lim)
		d.ReadHeader()
		if _, err := d.Next(); !errors.Is(err, tc.want) {
			t.Errorf("%.40q: got %v, want %v", tc.in, err, tc.want)
		}
	}
}

// timeoutOnce fails one Read with a timeout at a chosen offset.
type timeoutOnce struct {
	data  []byte
	at    int
	fired bool
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func (r *timeoutOnce) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := len(r.data)
	if !r.fired && r.at < n {
		n = r.at
		if n == 0 {
			r.fired = true
			return 0, timeoutErr{}
		}
	}
	n = min(n, len(p))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	r.at -= n
	return n, nil
}

func TestResumeAfterTimeout(t *testing.T) {
	input := header + stanzas + "</stream:stream>"
	for _, at := range []int{len(header) + 30, len(header) + 170, len(input) - 5} {
		d := NewDecoder(&timeoutOnce{data: []byte(input), at: at}, DefaultLimits)
		if _, err := d.ReadHeader(); err != nil {
			t.Fatal(err)
		}
		var n, timeouts int
		for {
			_, err := d.Next()
			if errors.Is(err, ErrStreamClosed) {
				break
			}
			if _, ok := err.(timeoutErr); ok {
				timeouts++
				continue
			}
			if err != nil {
				t.Fatalf("at %d: %v", at, err)
			}
			n++
		}
		if n != 4 || timeouts != 1 {
			t.Fatalf("at %d: %d elements, %d timeouts", at, n, timeouts)
		}
	}
}

func TestIdleDecoderDropsGrownBuffer(t *testing.T) {
	big := "<message><body>" + strings.Repeat("x", 100<<10) + "</body></message>"
	d := NewDecoder(strings.NewReader(header+big+"<presence/>"), DefaultLimits)
	d.ReadHeader()
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	d.Next() // EOF: the decoder is idle now
	if len(d.buf) > smallSize || d.pooled != nil {
		t.Fatalf("idle decoder holds a %d-byte buffer (pooled: %v)", len(d.buf), d.pooled != nil)
	}
}

func TestEscapingRoundTrip(t *testing.T) {
	for _, s := range []string{"plain", "a&b<c>d'e\"f", "tab\there\nnew\rline", "ünïcødé ☺ 𝄞"} {
		el := NewElement("urn:t", "x", Attr{Name: "v", Value: s}).SetText(s)
		back, err := ParseElement(el.Bytes(""), "", DefaultLimits)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if back.Attr("v") != s || back.Text != s {
			t.Fatalf("%q: attr %q text %q", s, back.Attr("v"), back.Text)
		}
	}
	// Raw whitespace in an attribute value is normalized to spaces.
	el, err := ParseElement([]byte("<x v='a\tb\nc'/>"), "", DefaultLimits)
	if err != nil || el.Attr("v") != "a b c" {
		t.Fatalf("normalization: %q %v", el.Attr("v"), err)
	}
}

func TestParseElement(t *testing.T) {
	if _, err := ParseElement([]byte("<a/><b/>"), "", DefaultLimits); err == nil {
		t.Fatal("trailing element accepted")
	}
	if _, err := ParseElement([]byte("<a><b/>"), "", DefaultLimits); err == nil {
		t.Fatal("incomplete element accepted")
	}
	el, err := ParseElement([]byte(" <a xmlns='urn:a'><b/>t</a> "), "jabber:client", DefaultLimits)
	if err != nil || el.Space != "urn:a" || el.Child("urn:a", "b") == nil || el.Text != "t" {
		t.Fatalf("%v %v", el, err)
	}
}

// equal compares trees (Inner is not compared: it is a representation).
func equal(a, b *Element) bool {
	if a.Space != b.Space || a.Name != b.Name || a.Text != b.Text || len(a.Attrs) != len(b.Attrs) || len(a.Children) != len(b.Children) {
		return false
	}
	for _, at := range a.Attrs {
		if !b.HasAttr(at.Name) || b.Attr(at.Name) != at.Value {
			return false
		}
	}
	for i := range a.Children {
		if !equal(a.Children[i], b.Children[i]) {
			return false
		}
	}
	return true
}
