package xml

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// Seed corpora are in testdata/fuzz/<Name>/; failures found by fuzzing
// are kept there.

var fuzzLimits = Limits{MaxStanzaBytes: 64 << 10, MaxDepth: 16, MaxAttrs: 16}

// fuzzHeader is fixed and valid: FuzzDecoder's input follows it.
const fuzzHeader = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>"

type decoded struct {
	els []*Element
	err error
}

func decodeFuzz(t *testing.T, data []byte, chunk int) decoded {
	r := chunked{bytes.NewReader(append([]byte(fuzzHeader), data...)), chunk}
	d := NewDecoder(r, fuzzLimits)
	if _, err := d.ReadHeader(); err != nil {
		t.Fatalf("valid header refused: %v", err)
	}
	var out decoded
	for {
		el, err := d.Next()
		if err != nil {
			out.err = err
			if _, again := d.Next(); again != err {
				t.Fatalf("error not sticky: %v then %v", err, again)
			}
			return out
		}
		out.els = append(out.els, el)
	}
}

func checkSentinel(t *testing.T, err error) {
	t.Helper()
	for _, s := range []error{ErrNotWellFormed, ErrRestrictedXML, ErrTooLarge, ErrTooDeep, ErrStreamClosed} {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error outside the sentinels: %v", err)
}

// FuzzDecoder feeds arbitrary bytes after a valid stream header. The
// decoder must not panic; reading a byte at a time must give what one
// large read gives; every element must keep its exact received bytes as
// Inner and serialize (WriteTo with jabber:client) to the same tree.
func FuzzDecoder(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		whole := decodeFuzz(t, data, len(data)+len(fuzzHeader))
		split := decodeFuzz(t, data, 1)
		if len(whole.els) != len(split.els) {
			t.Fatalf("%d elements from one read, %d from one-byte reads (%v, %v)", len(whole.els), len(split.els), whole.err, split.err)
		}
		for i, el := range whole.els {
			if d := treeDiff(el, split.els[i]); d != "" || !bytes.Equal(el.Inner, split.els[i].Inner) {
				t.Fatalf("element %d differs with one-byte reads: %s (Inner %q vs %q)", i, d, el.Inner, split.els[i].Inner)
			}
			if el.Inner != nil && !bytes.Contains(data, el.Inner) {
				t.Fatalf("Inner %q is not from the input", el.Inner)
			}
			checkRoundTrip(t, el, nsClient)
		}
		// The size limit may trip at a different point (one large read
		// scans further before it is checked); every other error must
		// be the same.
		if !errors.Is(whole.err, io.EOF) {
			checkSentinel(t, whole.err)
		}
		if !errors.Is(whole.err, ErrTooLarge) && !errors.Is(split.err, ErrTooLarge) && whole.err.Error() != split.err.Error() {
			t.Fatalf("one read: %v; one-byte reads: %v", whole.err, split.err)
		}
	})
}

// FuzzParseElement parses arbitrary bytes as one element: no panic,
// errors from the sentinels, and on success serialize → parse → equal.
func FuzzParseElement(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		// Any string escapes to something that parses back: itself when
		// XML can carry it.
		built := NewElement("urn:x", "x", Attr{Name: "a", Value: string(data)}).SetText(string(data))
		back, err := ParseElement(built.Bytes(""), "", Limits{MaxStanzaBytes: 16*len(data) + 64})
		if err != nil {
			t.Fatalf("escaped %q: %v", data, err)
		}
		if checkChars(data) == nil && (back.Text != string(data) || back.Attr("a") != string(data)) {
			t.Fatalf("escaped %q: text %q attr %q", data, back.Text, back.Attr("a"))
		}

		el, err := ParseElement(data, nsClient, fuzzLimits)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		checkRoundTrip(t, el, nsClient)
		if el.Inner != nil && !bytes.Contains(data, el.Inner) {
			t.Fatalf("Inner %q is not from the input", el.Inner)
		}
	})
}

// pollReader reads like a polled socket: chunks of the sizes plan
// gives, each followed by a would-block error (a timeout, as
// internal/netpoll's), and then the next chunk.
type pollReader struct {
	r       io.Reader
	plan    []byte
	i       int
	blocked bool
}

func (p *pollReader) Read(b []byte) (int, error) {
	if !p.blocked {
		p.blocked = true
		return 0, timeoutError{}
	}
	p.blocked = false
	n := 1
	if len(p.plan) > 0 {
		n = int(p.plan[p.i%len(p.plan)])%64 + 1
		p.i++
	}
	return p.r.Read(b[:min(len(b), n)])
}

// FuzzDecoderNonBlocking checks the polled mode (SetNonBlocking, used
// for parked c2s connections): input arriving in arbitrary chunks with
// a would-block between every two must decode to exactly what one large
// blocking read gives, with the same final error.
func FuzzDecoderNonBlocking(f *testing.F) {
	f.Add([]byte("<message to='a@b'><body>hi</body></message><presence/>"), []byte{3, 60, 1})
	f.Add([]byte("<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq></stream:stream>"), []byte{0})
	f.Fuzz(func(t *testing.T, data, plan []byte) {
		whole := decodeFuzz(t, data, len(data)+len(fuzzHeader))
		r := &pollReader{r: bytes.NewReader(append([]byte(fuzzHeader), data...)), plan: plan, blocked: true}
		d := NewDecoder(r, fuzzLimits)
		for {
			_, err := d.ReadHeader()
			if err == nil {
				break
			}
			if !isTimeout(err) {
				t.Fatalf("valid header refused: %v", err)
			}
		}
		d.SetNonBlocking(true)
		var els []*Element
		var err error
		// Every would-block follows a read of at least one byte, or the
		// end of the input: more of them than input bytes is a loop.
		blocks, bound := 0, len(fuzzHeader)+len(data)+16
		for {
			var el *Element
			el, err = d.Next()
			if err != nil && isTimeout(err) {
				if blocks++; blocks > bound {
					t.Fatalf("%d would-blocks for %d bytes of input: the decoder makes no progress", blocks, len(data))
				}
				continue // would block: the poller wakes the session, which reads again
			}
			if err != nil {
				break
			}
			els = append(els, el)
		}
		if len(els) != len(whole.els) {
			t.Fatalf("%d elements polled, %d from one read (%v, %v)", len(els), len(whole.els), err, whole.err)
		}
		for i, el := range whole.els {
			if d := treeDiff(el, els[i]); d != "" || !bytes.Equal(el.Inner, els[i].Inner) {
				t.Fatalf("element %d differs when polled: %s", i, d)
			}
		}
		if !errors.Is(whole.err, ErrTooLarge) && !errors.Is(err, ErrTooLarge) && whole.err.Error() != err.Error() {
			t.Fatalf("one read: %v; polled: %v", whole.err, err)
		}
	})
}
