package entitytime

import (
	"context"
	"testing"
	"time"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

type sess struct{ got *xml.Element }

func (s *sess) JID() jid.JID            { return jid.MustParse("a@localhost/r") }
func (s *sess) Deliver(el *xml.Element) { s.got = el }
func (s *sess) Close(*stream.Error)     {}

// XEP-0202 §4: the offset of the server's zone and the time in UTC.
func TestHandler(t *testing.T) {
	at := time.Date(2030, 3, 4, 5, 6, 7, 890_000_000, time.FixedZone("X", -(3*3600+30*60)))
	h := Handler(func() time.Time { return at })
	s := &sess{}
	h(context.Background(), s, stanza.NewIQ("get", "t1", "a@localhost/r", "localhost", xml.NewElement(ns.Time, "time")))
	tm := s.got.Child(ns.Time, "time")
	if tm == nil || tm.Child(ns.Time, "tzo").Text != "-03:30" || tm.Child(ns.Time, "utc").Text != "2030-03-04T08:36:07.890Z" {
		t.Fatalf("answer %s", s.got)
	}
}
