package stream

import (
	"errors"
	"net"
	"os"

	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Condition is a stream error condition (RFC 6120 §4.9.3). A stream
// error is unrecoverable: the stream is closed after it.
type Condition string

// The conditions Parley sends.
const (
	BadFormat             Condition = "bad-format"
	Conflict              Condition = "conflict"
	ConnectionTimeout     Condition = "connection-timeout"
	HostUnknown           Condition = "host-unknown"
	ImproperAddressing    Condition = "improper-addressing"
	InternalServerError   Condition = "internal-server-error"
	InvalidFrom           Condition = "invalid-from"
	InvalidNamespace      Condition = "invalid-namespace"
	InvalidXML            Condition = "invalid-xml"
	NotAuthorized         Condition = "not-authorized"
	NotWellFormed         Condition = "not-well-formed"
	PolicyViolation       Condition = "policy-violation"
	ResourceConstraint    Condition = "resource-constraint"
	RestrictedXML         Condition = "restricted-xml"
	SeeOtherHost          Condition = "see-other-host"
	SystemShutdown        Condition = "system-shutdown"
	UnsupportedStanzaType Condition = "unsupported-stanza-type"
	UnsupportedVersion    Condition = "unsupported-version"
	UnsupportedEncoding   Condition = "unsupported-encoding"
	UndefinedCondition    Condition = "undefined-condition"
	UnsupportedFeature    Condition = "unsupported-feature"
)

// Error is a stream error with an optional text, usable as a Go error.
type Error struct {
	Condition Condition
	Text      string
	// Host is where <see-other-host/> sends the client (host or
	// host:port, RFC 6120 §4.9.3.19): the condition element's content.
	Host string
}

// SeeOther asks the client to reconnect to host (a node of a cluster
// that stops).
func SeeOther(host, text string) *Error {
	return &Error{Condition: SeeOtherHost, Text: text, Host: host}
}

func (e *Error) Error() string {
	if e.Text == "" {
		return "stream error: " + string(e.Condition)
	}
	return "stream error: " + string(e.Condition) + ": " + e.Text
}

// Element builds the <stream:error/> element.
func (e *Error) Element() *xml.Element {
	el := xml.NewElement(ns.Stream, "error")
	cond := xml.NewElement(ns.Streams, string(e.Condition))
	if e.Host != "" {
		cond.SetText(e.Host)
	}
	el.AddChild(cond)
	if e.Text != "" {
		el.AddChild(xml.NewElement(ns.Streams, "text").SetText(e.Text))
	}
	return el
}

// Errorf is shorthand for &Error{cond, text}.
func Errorf(cond Condition, text string) *Error { return &Error{Condition: cond, Text: text} }

// ReadError turns an error of xml.Decoder into the stream error a
// receiving entity sends for it (RFC 6120 §4.9.3); xml.ErrStreamClosed
// and I/O errors other than timeouts come back unchanged.
func ReadError(err error) error {
	switch {
	case errors.Is(err, xml.ErrStreamClosed):
		return err
	case errors.Is(err, xml.ErrRestrictedXML):
		return Errorf(RestrictedXML, "")
	case errors.Is(err, xml.ErrTooLarge):
		return Errorf(PolicyViolation, "stanza too large")
	case errors.Is(err, xml.ErrTooDeep):
		return Errorf(PolicyViolation, "stanza too deeply nested or too many attributes")
	case errors.Is(err, xml.ErrNotWellFormed):
		return Errorf(NotWellFormed, "")
	}
	var ne net.Error
	if errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return Errorf(ConnectionTimeout, "")
	}
	return err
}
