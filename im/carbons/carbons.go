// Package carbons implements XEP-0280 message carbons
// (urn:xmpp:carbons:2): a user's resources that enable carbons get a
// copy of every eligible one-to-one message the account sends or
// receives on its other resources, so a conversation follows the user
// from phone to laptop.
package carbons

import (
	"context"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Service keeps each resource's carbons setting in the router and
// makes the copies.
type Service struct {
	router router.Router
}

// New returns the service.
func New(r router.Router) *Service { return &Service{router: r} }

// HandleIQ answers <enable/> and <disable/> (an im.IQFunc, registered
// for the account: the IQ carries no 'to').
func (c *Service) HandleIQ(_ context.Context, s router.Session, iq *xml.Element) {
	if iq.Attr("type") != "set" {
		s.Deliver(stanza.Error(iq, stanza.BadRequest, "carbons are enabled and disabled with an iq set"))
		return
	}
	c.router.SetCarbons(s, iq.Children[0].Name == "enable")
	s.Deliver(stanza.Result(iq))
}

// Eligible reports whether a message is copied (XEP-0280 §6): chat
// messages, and normal messages with a body, unless marked private or
// no-copy (XEP-0334).
func Eligible(el *xml.Element) bool {
	switch stanza.Type(el) {
	case "chat":
	case "normal":
		if el.Child(ns.Client, "body") == nil {
			return false
		}
	default:
		return false
	}
	return el.Child(ns.Carbons, "private") == nil && el.Child(ns.Hints, "no-copy") == nil
}

// Sent copies a message that from sent to the account's other resources
// with carbons enabled.
func (c *Service) Sent(el *xml.Element, from jid.JID) {
	if !Eligible(el) {
		return
	}
	c.copyTo(el, from.Bare().String(), "sent", func(s router.Session) bool { return s.JID() == from })
}

// Received copies a message delivered to some of bare's resources to
// its other resources with carbons enabled.
func (c *Service) Received(el *xml.Element, bare string, deliveredTo []router.Session) {
	if !Eligible(el) {
		return
	}
	c.copyTo(el, bare, "received", func(s router.Session) bool {
		for _, d := range deliveredTo {
			if d == s {
				return true
			}
		}
		return false
	})
}

func (c *Service) copyTo(el *xml.Element, bare, direction string, skip func(router.Session) bool) {
	for _, res := range c.router.Resources(bare) {
		if !res.Carbons || skip(res.Session) {
			continue
		}
		res.Session.Deliver(wrap(el, bare, res.Session.JID().String(), direction))
	}
}

// wrap builds <message from=bare to=resource><sent|received><forwarded>
// original</forwarded></sent|received></message>.
func wrap(el *xml.Element, bare, to, direction string) *xml.Element {
	fwd := xml.NewElement(ns.Forward, "forwarded").AddChild(el)
	return xml.NewElement(ns.Client, "message",
		xml.Attr{Name: "from", Value: bare},
		xml.Attr{Name: "to", Value: to},
		xml.Attr{Name: "type", Value: stanza.Type(el)}).
		AddChild(xml.NewElement(ns.Carbons, direction).AddChild(fwd))
}
