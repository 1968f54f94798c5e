package stanza

import (
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Condition is a defined stanza error condition (RFC 6120 §8.3.3) with
// the error type the RFC recommends for it.
type Condition struct {
	Name string
	Type string // auth, cancel, continue, modify, wait
}

// The conditions Parley uses.
var (
	BadRequest            = Condition{"bad-request", "modify"}
	Conflict              = Condition{"conflict", "cancel"}
	FeatureNotImplemented = Condition{"feature-not-implemented", "cancel"}
	Forbidden             = Condition{"forbidden", "auth"}
	InternalServerError   = Condition{"internal-server-error", "cancel"}
	ItemNotFound          = Condition{"item-not-found", "cancel"}
	JIDMalformed          = Condition{"jid-malformed", "modify"}
	NotAcceptable         = Condition{"not-acceptable", "modify"}
	NotAllowed            = Condition{"not-allowed", "cancel"}
	NotAuthorized         = Condition{"not-authorized", "auth"}
	PolicyViolation       = Condition{"policy-violation", "modify"}
	RecipientUnavailable  = Condition{"recipient-unavailable", "wait"}
	RemoteServerNotFound  = Condition{"remote-server-not-found", "cancel"}
	RemoteServerTimeout   = Condition{"remote-server-timeout", "wait"}
	ResourceConstraint    = Condition{"resource-constraint", "wait"}
	ServiceUnavailable    = Condition{"service-unavailable", "cancel"}
	UnexpectedRequest     = Condition{"unexpected-request", "wait"}
)

// Error builds the error response to el (RFC 6120 §8.3.1): same kind and
// id, from and to swapped, type='error', with the condition and an
// optional human-readable text. The original payload is not echoed.
func Error(el *xml.Element, cond Condition, text string) *xml.Element {
	reply := xml.NewElement(ns.Client, el.Name)
	setAttrs(reply, "type", "error", "id", el.Attr("id"), "from", el.Attr("to"), "to", el.Attr("from"))
	e := xml.NewElement(ns.Client, "error", xml.Attr{Name: "type", Value: cond.Type})
	e.AddChild(xml.NewElement(ns.Stanzas, cond.Name))
	if text != "" {
		e.AddChild(xml.NewElement(ns.Stanzas, "text").SetText(text))
	}
	reply.AddChild(e)
	return reply
}

// CanReplyWithError reports whether an error may be sent in reply to el:
// never to an error, and never to an iq result (RFC 6120 §8.3.1).
func CanReplyWithError(el *xml.Element) bool {
	t := el.Attr("type")
	return t != "error" && !(el.Name == IQ && t == "result")
}
