package xml

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

const streamHeader = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " +
	"xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0' xml:lang='en'>"

// streamStanzas are sent after streamHeader, with whitespace keepalives
// between them; wantStanzas are their trees and wantInner their inner bytes.
var streamStanzas = []string{
	`<message to='bob@example.com' id="m1" type='chat'><body>Hello &amp; welcome &lt;3 &#x263A;&#65;</body>` +
		`<active xmlns='http://jabber.org/protocol/chatstates'/></message>`,
	`<presence xml:lang='de'><show>away</show><status>Im Büro &gt; 5 &quot;Min&quot;</status><priority>5</priority></presence>`,
	`<iq type='get' id='r1'><query xmlns='jabber:iq:roster' ver="v>1"><item jid='a@b' name="Ann &apos;A&apos;" subscription='both'>` +
		`<group>Friends</group></item></query></iq>`,
	`<message id='c1'><body><![CDATA[<b>bold</b> & ]]]]><![CDATA[>]]></body></message>`,
	`<message id='p1'><x:data xmlns:x='urn:example:data' x:kind='k'><x:v>1</x:v><plain/></x:data></message>`,
	`<presence/>`,
}

var keepalives = []string{"\n", " ", "\r\n\t ", "", " \n\n "}

func wantStanzas() []*Element {
	return []*Element{
		E(nsClient, "message", "to", "bob@example.com", "id", "m1", "type", "chat").
			AddChild(E(nsClient, "body").SetText("Hello & welcome <3 ☺A")).
			AddChild(E(nsChatStates, "active")),
		E(nsClient, "presence", "xml:lang", "de").
			AddChild(E(nsClient, "show").SetText("away")).
			AddChild(E(nsClient, "status").SetText(`Im Büro > 5 "Min"`)).
			AddChild(E(nsClient, "priority").SetText("5")),
		E(nsClient, "iq", "type", "get", "id", "r1").AddChild(
			E(nsRoster, "query", "ver", "v>1").AddChild(
				E(nsRoster, "item", "jid", "a@b", "name", "Ann 'A'", "subscription", "both").AddChild(
					E(nsRoster, "group").SetText("Friends")))),
		E(nsClient, "message", "id", "c1").AddChild(E(nsClient, "body").SetText("<b>bold</b> & ]]>")),
		E(nsClient, "message", "id", "p1").AddChild(
			E("urn:example:data", "data", "xmlns:x", "urn:example:data", "x:kind", "k").
				AddChild(E("urn:example:data", "v").SetText("1")).
				AddChild(E(nsClient, "plain"))),
		E(nsClient, "presence"),
	}
}

func streamInput() string {
	var b strings.Builder
	b.WriteString(streamHeader)
	for i, s := range streamStanzas {
		b.WriteString(keepalives[i%len(keepalives)])
		b.WriteString(s)
	}
	b.WriteString(" \n</stream:stream>")
	return b.String()
}

// innerOf returns the bytes between the start and end tags of stanza s
// (whose own attributes hold no '>').
func innerOf(s string) string {
	if strings.HasSuffix(s, "/>") && strings.Count(s, "<") == 1 {
		return ""
	}
	return s[strings.IndexByte(s, '>')+1 : strings.LastIndexByte(s, '<')]
}

// chunked returns at most n bytes per Read.
type chunked struct {
	r io.Reader
	n int
}

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var _ net.Error = timeoutError{}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// script returns its pieces in order, failing with a timeout for each
// nil piece and with io.EOF at the end. It records the largest buffer a
// timeout was returned for: what a decoder holds while blocked.
type script struct {
	pieces     [][]byte
	blockedCap int
}

func (s *script) Read(p []byte) (int, error) {
	for len(s.pieces) > 0 && s.pieces[0] != nil && len(s.pieces[0]) == 0 {
		s.pieces = s.pieces[1:]
	}
	if len(s.pieces) == 0 {
		return 0, io.EOF
	}
	if s.pieces[0] == nil {
		s.pieces = s.pieces[1:]
		s.blockedCap = max(s.blockedCap, len(p))
		return 0, timeoutError{}
	}
	n := copy(p, s.pieces[0])
	s.pieces[0] = s.pieces[0][n:]
	return n, nil
}

func newScript(parts ...string) *script {
	s := &script{}
	for _, p := range parts {
		if p == "" {
			s.pieces = append(s.pieces, nil)
		} else {
			s.pieces = append(s.pieces, []byte(p))
		}
	}
	return s
}

// decodeStream reads the header and every element, retrying after
// timeouts, until the stream ends or fails.
func decodeStream(t testing.TB, r io.Reader, lim Limits) (els []*Element, timeouts int, err error) {
	t.Helper()
	d := NewDecoder(r, lim)
	for {
		_, err = d.ReadHeader()
		if !isTimeout(err) {
			break
		}
		timeouts++
	}
	if err != nil {
		return nil, timeouts, fmt.Errorf("header: %w", err)
	}
	for {
		el, err := d.Next()
		switch {
		case isTimeout(err):
			timeouts++
		case err != nil:
			return els, timeouts, err
		default:
			els = append(els, el)
		}
	}
}

func checkStanzas(t *testing.T, what string, got []*Element, err error) {
	t.Helper()
	if !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("%s: stream ended with %v after %d elements", what, err, len(got))
	}
	want := wantStanzas()
	if len(got) != len(want) {
		t.Fatalf("%s: %d elements, want %d", what, len(got), len(want))
	}
	for i := range want {
		if d := treeDiff(got[i], want[i]); d != "" {
			t.Fatalf("%s: stanza %d: %s", what, i, d)
		}
		if inner := innerOf(streamStanzas[i]); got[i].Inner == nil || string(got[i].Inner) != inner {
			t.Fatalf("%s: stanza %d Inner %q, want %q", what, i, got[i].Inner, inner)
		}
		checkRoundTrip(t, got[i], nsClient)
	}
}

func TestDecodeSplitReads(t *testing.T) {
	input := streamInput()
	whole, _, err := decodeStream(t, strings.NewReader(input), DefaultLimits)
	checkStanzas(t, "whole", whole, err)
	for _, n := range []int{1, 2, 3, 5, 7, 64, 255, 511, 512, 513, 4096} {
		els, _, err := decodeStream(t, chunked{strings.NewReader(input), n}, DefaultLimits)
		checkStanzas(t, fmt.Sprintf("%d-byte reads", n), els, err)
	}
}

func TestResumeAfterTimeout(t *testing.T) {
	input := streamInput()
	start := len(streamHeader)
	// One timeout inside a stanza and one between stanzas, at every
	// offset of the first two stanzas.
	between := strings.Index(input, streamStanzas[3])
	for at := start; at < between; at++ {
		r := newScript(input[:at], "", input[at:between], "", input[between:])
		els, timeouts, err := decodeStream(t, r, DefaultLimits)
		checkStanzas(t, fmt.Sprintf("timeout at %d", at), els, err)
		if timeouts != 2 {
			t.Fatalf("timeout at %d: %d timeouts seen", at, timeouts)
		}
	}
	// Timeouts within the header, with one-byte reads.
	r := newScript(input[:10], "", input[10:50], "", input[50:])
	els, timeouts, err := decodeStream(t, chunked{r, 1}, DefaultLimits)
	checkStanzas(t, "header timeouts", els, err)
	if timeouts != 2 {
		t.Fatalf("%d timeouts seen", timeouts)
	}
}

func TestStreamClosedIsSticky(t *testing.T) {
	d := NewDecoder(strings.NewReader(streamHeader+"<presence/></stream:stream ><message/>"), DefaultLimits)
	if _, err := d.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := d.Next(); !errors.Is(err, ErrStreamClosed) {
			t.Fatalf("got %v", err)
		}
	}
}

func TestReadHeader(t *testing.T) {
	const attrs = " xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0' xml:lang='en'>"
	for _, in := range []string{
		"<stream:stream" + attrs,
		"<?xml version='1.0'?><stream:stream" + attrs,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<stream:stream" + attrs,
		"<?xml version='1.0' encoding='utf-8' ?>\n  <stream:stream" + attrs,
		"<stream:stream\n" + attrs,
	} {
		for _, n := range []int{1, 4096} {
			d := NewDecoder(chunked{strings.NewReader(in + "<message/></stream:stream>"), n}, DefaultLimits)
			h, err := d.ReadHeader()
			if err != nil {
				t.Fatalf("%q: %v", in, err)
			}
			want := E(nsStream, "stream", "xmlns:stream", nsStream, "to", "example.com", "version", "1.0", "xml:lang", "en")
			if diff := treeDiff(h, want); diff != "" || h.Inner != nil {
				t.Fatalf("%q: %s (Inner %q)", in, diff, h.Inner)
			}
			if d.DefaultNamespace() != nsClient {
				t.Fatalf("%q: default namespace %q", in, d.DefaultNamespace())
			}
			if el, err := d.Next(); err != nil || el.Space != nsClient || el.Name != "message" {
				t.Fatalf("%q: first stanza %v %v", in, el, err)
			}
			if _, err := d.Next(); !errors.Is(err, ErrStreamClosed) {
				t.Fatalf("%q: end: %v", in, err)
			}
		}
	}

	// Another prefix, no default namespace.
	d := NewDecoder(strings.NewReader("<s:stream xmlns:s='"+nsStream+"'><s:error><x/></s:error></s:stream>"), DefaultLimits)
	if h, err := d.ReadHeader(); err != nil || h.Space != nsStream || d.DefaultNamespace() != "" {
		t.Fatalf("%v %v %q", h, err, d.DefaultNamespace())
	}
	el, err := d.Next()
	if err != nil || el.Space != nsStream || el.Children[0].Space != "" || el.Inner != nil {
		t.Fatalf("%v %v", el, err)
	}
	if _, err := d.Next(); !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("end: %v", err)
	}

	// A header larger than a small stanza limit still fits headerMax.
	big := "<stream:stream xmlns:stream='" + nsStream + "' id='" + strings.Repeat("i", 6000) + "'>"
	if _, err := NewDecoder(strings.NewReader(big), Limits{MaxStanzaBytes: 100}).ReadHeader(); err != nil {
		t.Fatalf("large header, small limit: %v", err)
	}
}

func TestReadHeaderErrors(t *testing.T) {
	const ok = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client'>"
	cases := []struct {
		in   string
		want error
	}{
		{"<?xml version='1.0' encoding='ISO-8859-1'?>" + ok, ErrNotWellFormed},
		{"<?xml version='1.0' encoding=\"UTF-16\"?>" + ok, ErrNotWellFormed},
		{"<!-- hello -->" + ok, ErrRestrictedXML},
		{"<?xml version='1.0'?><!-- hello -->" + ok, ErrRestrictedXML},
		{"<!DOCTYPE stream>" + ok, ErrRestrictedXML},
		{"<?php echo 1 ?>" + ok, ErrRestrictedXML},
		{"<?xml-stylesheet href='a'?>" + ok, ErrRestrictedXML},
		{"<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>", ErrNotWellFormed},
		{"<stream:stream xmlns='jabber:client'>", ErrNotWellFormed}, // unbound prefix
		{"<stream:stream xmlns:stream='s' to='a' to='b'>", ErrNotWellFormed},
		{"<stream:stream xmlns:stream='s' to=a>", ErrNotWellFormed},
		{"hello" + ok, ErrNotWellFormed},
		{"</stream:stream>", ErrNotWellFormed},
		{"<stream:stream xmlns:stream='s' a='" + strings.Repeat("x", headerMax) + "'>", ErrTooLarge},
	}
	for _, tc := range cases {
		d := NewDecoder(strings.NewReader(tc.in), DefaultLimits)
		_, err := d.ReadHeader()
		if !errors.Is(err, tc.want) {
			t.Errorf("%.60q: got %v, want %v", tc.in, err, tc.want)
		}
		if _, again := d.ReadHeader(); !errors.Is(again, tc.want) {
			t.Errorf("%.60q: error not sticky: %v", tc.in, again)
		}
	}
}

func TestReset(t *testing.T) {
	d := NewDecoder(strings.NewReader(streamHeader+"<message/><presence"), DefaultLimits)
	if _, err := d.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	d.Next() // buffers "<presence", then EOF
	// The restarted stream starts afresh: no buffered bytes, no old prefixes.
	d.Reset(strings.NewReader("<stream:stream xmlns:stream='" + nsStream + "' xmlns='jabber:server'><iq/></stream:stream>"))
	if _, err := d.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	if el, err := d.Next(); err != nil || el.Name != "iq" || el.Space != "jabber:server" {
		t.Fatalf("%v %v", el, err)
	}
	if _, err := d.Next(); !errors.Is(err, ErrStreamClosed) {
		t.Fatal(err)
	}
	d.Reset(strings.NewReader("<x:stream xmlns:x='" + nsStream + "'><stream:a/></x:stream>"))
	if _, err := d.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Next(); !errors.Is(err, ErrNotWellFormed) {
		t.Fatalf("old stream: prefix still bound: %v", err)
	}
}

// decodeOne returns the first element (or error) after streamHeader.
func decodeOne(in string, lim Limits) (*Decoder, *Element, error) {
	d := NewDecoder(strings.NewReader(streamHeader+in), lim)
	if _, err := d.ReadHeader(); err != nil {
		return d, nil, err
	}
	el, err := d.Next()
	return d, el, err
}

func TestMemoryIdleDecoder(t *testing.T) {
	big := "<message><body>" + strings.Repeat("x", 100<<10) + "</body></message>"
	for _, tc := range []struct{ name, after, rest string }{
		{"nothing pending", " ", "<presence><status>x</status></presence>"},
		{"next stanza started", "<presence><sta", "tus>x</status></presence>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The big stanza and what follows it arrive in one read; then
			// the peer goes quiet (the timeout stands for a blocked Read).
			r := newScript(streamHeader, big+tc.after, "", tc.rest)
			d := NewDecoder(r, DefaultLimits)
			if _, err := d.ReadHeader(); err != nil {
				t.Fatal(err)
			}
			if el, err := d.Next(); err != nil || len(el.Child("", "body").Text) != 100<<10 {
				t.Fatalf("big stanza: %v", err)
			}
			if _, err := d.Next(); !isTimeout(err) {
				t.Fatalf("want a timeout, got %v", err)
			}
			if r.blockedCap > smallSize || len(d.buf) > smallSize || d.pooled != nil {
				t.Fatalf("blocked reading into %d bytes; holding %d (pooled %v)", r.blockedCap, len(d.buf), d.pooled != nil)
			}
			if el, err := d.Next(); err != nil || el.Child("", "status").Text != "x" {
				t.Fatalf("after idle: %v %v", el, err)
			}
		})
	}
}

func TestSlowStanzaIsScannedOnce(t *testing.T) {
	// A large start tag, CDATA section and end tag arriving a byte per
	// Read must not be rescanned from their start on every read
	// (quadratic: minutes here).
	lim := Limits{MaxStanzaBytes: 1 << 20}
	pad := strings.Repeat("x", 256<<10)
	for _, s := range []string{
		"<a b='" + pad + "'/>",
		"<a><![CDATA[" + pad + "]]></a>",
		"<a><b" + pad + "></b" + pad + "></a>",
	} {
		start := time.Now()
		d := NewDecoder(chunked{strings.NewReader(streamHeader + s), 1}, lim)
		if _, err := d.ReadHeader(); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Next(); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el > 10*time.Second {
			t.Fatalf("%.20q: %v", s, el)
		}
	}
}
