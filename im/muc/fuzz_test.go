package muc

import (
	"context"
	"testing"

	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// FuzzReceive feeds arbitrary stanzas (addressed by the fuzzer) to a
// service with a configured room: nothing may panic.
func FuzzReceive(f *testing.F) {
	for _, seed := range []string{
		`<presence from='u@x/r' to='r@conference.x/u'><x xmlns='` + NS + `'><history maxstanzas='1'/><password>p</password></x></presence>`,
		`<message type='groupchat' from='o@x/r' to='r@conference.x'><body>hi</body></message>`,
		`<message type='groupchat' from='o@x/r' to='r@conference.x'><subject>s</subject></message>`,
		`<iq type='set' id='1' from='o@x/r' to='r@conference.x'><query xmlns='` + NSAdmin + `'><item nick='u' role='none'/></query></iq>`,
		`<iq type='set' id='1' from='o@x/r' to='r@conference.x'><query xmlns='` + NSOwner + `'><x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_persistentroom'><value>1</value></field></x></query></iq>`,
		`<message from='o@x/r' to='r@conference.x'><x xmlns='` + NSUser + `'><invite to='u@x'/></x></message>`,
		`<iq type='set' id='1' from='o@x/r' to='r@conference.x'><query xmlns='` + NSOwner + `'><x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_presencebroadcast'><value>moderator</value></field><field var='muc#roomconfig_getmemberlist'><value>visitor</value></field><field var='muc#roomconfig_lang'><value>en</value></field></x></query></iq>`,
		`<iq type='set' id='2' from='o@x/r' to='r@conference.x'><query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>1</max></set></query></iq>`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		el, err := xml.ParseElement([]byte(raw), ns.Client, xml.DefaultLimits)
		if err != nil {
			return
		}
		s := New(Config{Domains: []string{"conference.x"}, Store: memory.New(), Send: func(context.Context, *xml.Element) {}, MessagesPerSecond: 100})
		ctx := context.Background()
		s.Receive(ctx, presence("o@x/r", "r@conference.x/o", ""))
		s.Receive(ctx, el)
		s.Receive(ctx, el) // twice: joins become updates, creations become joins
		s.Stop(ctx)
	})
}
