// Package stream writes the framing of an XMPP stream (RFC 6120 §4):
// the stream header, features and stream errors. Reading is done by
// package xml's Decoder.
package stream

import (
	"bytes"

	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Header is what a receiving entity announces in its response header.
type Header struct {
	From    string
	To      string
	ID      string
	Content string // content namespace: ns.Client or ns.Server
	Lang    string
	// Dialback declares the db: prefix (XEP-0220) on a server stream.
	Dialback bool
}

// AppendHeader writes the XML declaration and the <stream:stream> start
// tag (never closed: the stream stays open) to b.
func AppendHeader(b *bytes.Buffer, h Header) {
	b.WriteString("<?xml version='1.0'?><stream:stream xmlns='")
	xml.EscapeAttr(b, h.Content)
	b.WriteString("' xmlns:stream='" + ns.Stream + "' version='1.0'")
	if h.Dialback {
		b.WriteString(" xmlns:db='" + ns.Dialback + "'")
	}
	attr(b, "from", h.From)
	attr(b, "to", h.To)
	attr(b, "id", h.ID)
	attr(b, "xml:lang", h.Lang)
	b.WriteString(">")
}

func attr(b *bytes.Buffer, name, value string) {
	if value == "" {
		return
	}
	b.WriteString(" " + name + "='")
	xml.EscapeAttr(b, value)
	b.WriteString("'")
}

// Close is the stream end tag.
const Close = "</stream:stream>"

// Features builds a <stream:features/> element holding children.
func Features(children ...*xml.Element) *xml.Element {
	f := xml.NewElement(ns.Stream, "features")
	for _, c := range children {
		f.AddChild(c)
	}
	return f
}

// AppendElement writes a stream-level element (features, error) with
// the stream: prefix the header declared, and its children relative to
// the content namespace.
func AppendElement(b *bytes.Buffer, el *xml.Element, content string) {
	if el.Space == ns.Stream {
		// Written by hand to keep the conventional stream: prefix.
		b.WriteString("<stream:" + el.Name)
		if content != ns.Client {
			// Standalone (WebSocket message, BOSH body child): no
			// stream header declares the prefix.
			attr(b, "xmlns:stream", ns.Stream)
		}
		for _, a := range el.Attrs {
			attr(b, a.Name, a.Value)
		}
		b.WriteString(">")
		for _, c := range el.Children {
			c.WriteTo(b, content)
		}
		b.WriteString("</stream:" + el.Name + ">")
		return
	}
	el.WriteTo(b, content)
}
