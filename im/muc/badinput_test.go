package muc

import (
	"context"
	"strings"
	"testing"

	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Malformed or hostile stanzas get an error (or nothing) and never
// break the service.
func TestBadInput(t *testing.T) {
	c := &capture{got: map[string][]*xml.Element{}}
	s := New(Config{Domains: []string{"conference.x"}, Store: memory.New(), Send: c.send, MessagesPerSecond: 1000})
	ctx := context.Background()
	s.Receive(ctx, presence("o@x/r", "r@conference.x/o", "")) // an instant room owned by o
	parse := func(raw string) *xml.Element {
		el, err := xml.ParseElement([]byte(raw), ns.Client, xml.DefaultLimits)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		return el
	}
	for _, tc := range []struct{ raw, want string }{
		{`<iq type='get' id='1' from='o@x/r' to='r@conference.x'/>`, "bad-request"},
		{`<iq type='get' id='2' from='o@x/r' to='r@conference.x'><a xmlns='x'/><b xmlns='y'/></iq>`, "bad-request"},
		{`<iq type='get' id='3' from='o@x/r' to='r@conference.x'><query xmlns='urn:unknown'/></iq>`, "service-unavailable"},
		{`<iq type='set' id='4' from='o@x/r' to='r@conference.x'><query xmlns='` + NSAdmin + `'/></iq>`, "bad-request"},
		{`<iq type='set' id='5' from='o@x/r' to='r@conference.x'><query xmlns='` + NSAdmin + `'><item/></query></iq>`, "bad-request"},
		{`<iq type='set' id='6' from='o@x/r' to='r@conference.x'><query xmlns='` + NSAdmin + `'><item affiliation='member' jid='@@'/></query></iq>`, "bad-request"},
		{`<iq type='get' id='7' from='o@x/r' to='r@conference.x'><query xmlns='` + NSAdmin + `'><item affiliation='none'/></query></iq>`, "bad-request"},
		{`<iq type='set' id='8' from='o@x/r' to='r@conference.x'><query xmlns='` + NSOwner + `'/></iq>`, "bad-request"},
		{`<iq type='set' id='9' from='o@x/r' to='r@conference.x'><query xmlns='` + NSOwner + `'><x xmlns='jabber:x:data' type='result'/></query></iq>`, "bad-request"},
		{`<iq type='set' id='10' from='o@x/r' to='r@conference.x'><query xmlns='` + NSOwner + `'><destroy jid='a@@b'/></query></iq>`, "bad-request"},
		{`<iq type='set' id='11' from='o@x/r' to='r@conference.x'><query xmlns='` + NSOwner + `'><x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_roomowners'><value>@@</value></field></x></query></iq>`, "not-acceptable"},
		{`<iq type='set' id='12' from='o@x/r' to='r@conference.x'><query xmlns='urn:xmpp:mam:2'/></iq>`, "service-unavailable"},
		{`<iq type='get' id='13' from='o@x/r' to='r@conference.x'><query xmlns='` + ns.DiscoInfo + `' node='nope'/></iq>`, "item-not-found"},
		{`<iq type='get' id='14' from='o@x/r' to='conference.x'><query xmlns='urn:unknown'/></iq>`, "service-unavailable"},
		{`<iq type='get' id='15' from='o@x/r' to='other.domain'><query xmlns='urn:unknown'/></iq>`, "bad-request"},
		{`<message id='16' from='o@x/r' to='r@conference.x'><x xmlns='` + NSUser + `'><invite/></x></message>`, "bad-request"},
		{`<message id='17' from='o@x/r' to='r@conference.x'><x xmlns='` + NSUser + `'><decline to='@@'/></x></message>`, "bad-request"},
		{`<message id='18' from='o@x/r' to='r@conference.x'><body>normal</body></message>`, "bad-request"},
		{`<message id='19' from='o@x/r' to='r@conference.x'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>` + NSRequest + `</value></field><field var='muc#role'><value>moderator</value></field></x></message>`, "bad-request"},
		{`<message id='20' from='o@x/r' to='conference.x'><body>to the service</body></message>`, "not-acceptable"},
		{`<presence id='21' from='o@x/r' to='r@conference.x/o'><x xmlns='` + NS + `'><history maxstanzas='-5' seconds='x' since='yesterday' maxchars='a lot'/></x></presence>`, ""},
		{`<presence id='22' type='probe' from='o@x/r' to='r@conference.x/o'/>`, ""},
		{`<presence id='23' type='error' from='z@x/r' to='r@conference.x/z'/>`, ""},
		{`<iq type='result' id='24' from='o@x/r' to='r@conference.x/nobody'/>`, ""},
	} {
		c.mu.Lock()
		c.got = map[string][]*xml.Element{}
		c.mu.Unlock()
		el := parse(tc.raw)
		s.Receive(ctx, el)
		c.mu.Lock()
		got := c.got[el.Attr("from")]
		c.mu.Unlock()
		if tc.want == "" {
			for _, g := range got {
				if g.Attr("type") == "error" {
					t.Errorf("%s: unexpected error %s", tc.raw, g)
				}
			}
			continue
		}
		found := false
		for _, g := range got {
			if g.Attr("type") == "error" && strings.Contains(g.String(), "<"+tc.want+" ") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: got %v, want %s", tc.raw, got, tc.want)
		}
	}
	// The room still works.
	m := parse(`<message type='groupchat' from='o@x/r' to='r@conference.x'><body>still here</body></message>`)
	s.Receive(ctx, m)
	c.mu.Lock()
	defer c.mu.Unlock()
	if got := c.got["o@x/r"]; len(got) == 0 || !strings.Contains(got[len(got)-1].String(), "still here") {
		t.Fatalf("room after bad input: %v", got)
	}
}
