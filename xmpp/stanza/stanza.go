// Package stanza builds and inspects the three XMPP stanza kinds
// (RFC 6120 §8) on top of xml.Element, and the stanza errors of §8.3.
// It holds no server state.
package stanza

import (
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Stanza element names.
const (
	Message  = "message"
	Presence = "presence"
	IQ       = "iq"
)

// IsStanza reports whether el is a message, presence or iq in the
// content namespace of a client or server stream.
func IsStanza(el *xml.Element) bool {
	if el.Space != ns.Client && el.Space != ns.Server && el.Space != "" {
		return false
	}
	switch el.Name {
	case Message, Presence, IQ:
		return true
	}
	return false
}

// Type returns the stanza's type attribute with the RFC's defaults
// applied: "normal" for a message, "available" for a presence.
func Type(el *xml.Element) string {
	t := el.Attr("type")
	if t != "" {
		return t
	}
	switch el.Name {
	case Message:
		return "normal"
	case Presence:
		return "available"
	}
	return ""
}

// WithAddress returns a shallow copy of el with from and to replaced
// ("" removes the attribute). Children and Inner are shared, not copied:
// routed stanzas are treated as immutable once parsed, so one payload
// can be fanned out to many recipients without re-serializing it.
func WithAddress(el *xml.Element, from, to string) *xml.Element {
	c := *el
	c.Attrs = make([]xml.Attr, 0, len(el.Attrs)+2)
	for _, a := range el.Attrs {
		if a.Name != "from" && a.Name != "to" {
			c.Attrs = append(c.Attrs, a)
		}
	}
	if from != "" {
		c.Attrs = append(c.Attrs, xml.Attr{Name: "from", Value: from})
	}
	if to != "" {
		c.Attrs = append(c.Attrs, xml.Attr{Name: "to", Value: to})
	}
	return &c
}

// NewIQ builds an iq stanza.
func NewIQ(typ, id, from, to string, payload ...*xml.Element) *xml.Element {
	el := xml.NewElement(ns.Client, IQ)
	setAttrs(el, "type", typ, "id", id, "from", from, "to", to)
	for _, p := range payload {
		el.AddChild(p)
	}
	return el
}

// Result builds the empty-or-payload result of an iq get/set: from and
// to swapped, same id.
func Result(iq *xml.Element, payload ...*xml.Element) *xml.Element {
	return NewIQ("result", iq.Attr("id"), iq.Attr("to"), iq.Attr("from"), payload...)
}

// NewPresence builds a presence stanza; typ "" means available.
func NewPresence(typ, from, to string) *xml.Element {
	el := xml.NewElement(ns.Client, Presence)
	setAttrs(el, "type", typ, "from", from, "to", to)
	return el
}

// NewMessage builds a message with an optional body.
func NewMessage(typ, from, to, body string) *xml.Element {
	el := xml.NewElement(ns.Client, Message)
	setAttrs(el, "type", typ, "from", from, "to", to)
	if body != "" {
		el.AddChild(xml.NewElement(ns.Client, "body").SetText(body))
	}
	return el
}

func setAttrs(el *xml.Element, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			el.SetAttr(kv[i], kv[i+1])
		}
	}
}

// MapNamespace returns el with every element in namespace from moved to
// namespace to, copying only what it changes. A stanza is in
// jabber:client inside the server, in jabber:server on a server stream
// (RFC 6120 §4.8.3) and in jabber:component:accept on a component
// stream (XEP-0114); received payload bytes (Inner) need no change,
// since their default namespace is inherited from the stanza.
func MapNamespace(el *xml.Element, from, to string) *xml.Element {
	c := *el
	if c.Space == from {
		c.Space = to
	}
	if len(el.Children) > 0 {
		c.Children = make([]*xml.Element, len(el.Children))
		for i, ch := range el.Children {
			c.Children[i] = MapNamespace(ch, from, to)
		}
	}
	return &c
}
