package xml

import (
	"bytes"
	"slices"
)

// Attr is an attribute as written, with its value unescaped. Name keeps
// its prefix ("xml:lang", "xmlns:foo"); the default namespace
// declaration is not an Attr but the element's Space.
type Attr struct {
	Name  string
	Value string
}

// Element is one XML element with its namespace resolved.
type Element struct {
	Space    string // namespace URI
	Name     string // local name, without prefix
	Attrs    []Attr
	Children []*Element
	// Text is the character data directly inside the element, concatenated.
	Text string
	// Inner, when not nil, holds the exact bytes received between the
	// start and end tags of a top-level element. WriteTo copies it
	// verbatim instead of serializing Children and Text, so routing a
	// stanza never re-serializes its payload. The mutators below reset
	// it; code that edits Children or Text directly must set it to nil.
	Inner []byte
}

// NewElement returns an element with the given namespace, name and attributes.
func NewElement(space, name string, attrs ...Attr) *Element {
	return &Element{Space: space, Name: name, Attrs: attrs}
}

// Attr returns the value of the named attribute, "" when absent.
func (e *Element) Attr(name string) string {
	for i := range e.Attrs {
		if e.Attrs[i].Name == name {
			return e.Attrs[i].Value
		}
	}
	return ""
}

// HasAttr reports whether the attribute is present.
func (e *Element) HasAttr(name string) bool {
	for i := range e.Attrs {
		if e.Attrs[i].Name == name {
			return true
		}
	}
	return false
}

// SetAttr sets or adds an attribute. It does not touch Inner.
func (e *Element) SetAttr(name, value string) {
	for i := range e.Attrs {
		if e.Attrs[i].Name == name {
			e.Attrs[i].Value = value
			return
		}
	}
	e.Attrs = append(e.Attrs, Attr{Name: name, Value: value})
}

// RemoveAttr removes an attribute.
func (e *Element) RemoveAttr(name string) {
	e.Attrs = slices.DeleteFunc(e.Attrs, func(a Attr) bool { return a.Name == name })
}

// Child returns the first child with that namespace ("" matches any)
// and local name, or nil.
func (e *Element) Child(space, name string) *Element {
	for _, c := range e.Children {
		if c.Name == name && (space == "" || c.Space == space) {
			return c
		}
	}
	return nil
}

// ChildrenNamed returns every child with that namespace ("" matches
// any) and local name.
func (e *Element) ChildrenNamed(space, name string) []*Element {
	var out []*Element
	for _, c := range e.Children {
		if c.Name == name && (space == "" || c.Space == space) {
			out = append(out, c)
		}
	}
	return out
}

// AddChild appends c and returns e for chaining.
func (e *Element) AddChild(c *Element) *Element {
	e.Children = append(e.Children, c)
	e.Inner = nil
	return e
}

// RemoveChildren removes every child with that namespace ("" matches
// any) and local name.
func (e *Element) RemoveChildren(space, name string) {
	e.Children = slices.DeleteFunc(e.Children, func(c *Element) bool {
		return c.Name == name && (space == "" || c.Space == space)
	})
	e.Inner = nil
}

// SetText replaces the character data and returns e for chaining.
func (e *Element) SetText(s string) *Element {
	e.Text = s
	e.Inner = nil
	return e
}

// Copy returns a deep copy.
func (e *Element) Copy() *Element {
	c := &Element{Space: e.Space, Name: e.Name, Text: e.Text,
		Attrs: slices.Clone(e.Attrs), Inner: slices.Clone(e.Inner)}
	if len(e.Children) > 0 {
		c.Children = make([]*Element, len(e.Children))
		for i, ch := range e.Children {
			c.Children[i] = ch.Copy()
		}
	}
	return c
}

// WriteTo serializes e where parentSpace is the namespace in scope: an
// xmlns attribute is written only where the namespace changes.
func (e *Element) WriteTo(w *bytes.Buffer, parentSpace string) {
	w.WriteByte('<')
	w.WriteString(e.Name)
	if e.Space != parentSpace {
		w.WriteString(" xmlns='")
		EscapeAttr(w, e.Space)
		w.WriteByte('\'')
	}
	for _, a := range e.Attrs {
		w.WriteByte(' ')
		w.WriteString(a.Name)
		w.WriteString("='")
		EscapeAttr(w, a.Value)
		w.WriteByte('\'')
	}
	if e.Inner != nil {
		if len(e.Inner) == 0 {
			w.WriteString("/>")
			return
		}
		w.WriteByte('>')
		w.Write(e.Inner)
	} else {
		if e.Text == "" && len(e.Children) == 0 {
			w.WriteString("/>")
			return
		}
		w.WriteByte('>')
		EscapeText(w, e.Text)
		for _, c := range e.Children {
			c.WriteTo(w, e.Space)
		}
	}
	w.WriteString("</")
	w.WriteString(e.Name)
	w.WriteByte('>')
}

// SerializeInner serializes e's Text and Children once into Inner, so
// that every later WriteTo of e, or of a copy that changes only its
// attributes (stanza.WithAddress), writes its own start tag and copies
// the payload verbatim: a message sent to many recipients (a room's
// reflected message) is serialized once, not once per recipient.
// Children and Text stay as they are for readers; like any element with
// Inner, e must not be edited afterwards without resetting Inner.
func (e *Element) SerializeInner() {
	var b bytes.Buffer
	EscapeText(&b, e.Text)
	for _, c := range e.Children {
		c.WriteTo(&b, e.Space)
	}
	e.Inner = b.Bytes()
	if e.Inner == nil {
		e.Inner = []byte{}
	}
}

// Bytes serializes e like WriteTo into a new slice.
func (e *Element) Bytes(parentSpace string) []byte {
	var b bytes.Buffer
	b.Grow(e.Size())
	e.WriteTo(&b, parentSpace)
	return b.Bytes()
}

// String serializes e with no namespace in scope (logs, tests).
func (e *Element) String() string {
	return string(e.Bytes(""))
}

// Size estimates the bytes of e's serialization without serializing it
// (character escaping is not counted): what a queue holding e charges.
func (e *Element) Size() int {
	n := 2*len(e.Name) + len(e.Space) + 16 + len(e.Inner)
	for _, a := range e.Attrs {
		n += len(a.Name) + len(a.Value) + 4
	}
	if e.Inner == nil {
		n += len(e.Text)
		for _, c := range e.Children {
			n += c.Size()
		}
	}
	return n
}
