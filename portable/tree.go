package portable

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Namespaces of the format and of what it carries.
const (
	nsPIE     = "urn:xmpp:pie:0"
	nsPIEOld  = "http://www.xmpp.org/extensions/xep-0227.html#ns" // before XEP-0227 1.0; still read
	nsSCRAM   = "urn:xmpp:pie:0#scram"
	nsXI      = "http://www.w3.org/2001/XInclude"
	nsRoster  = "jabber:iq:roster"
	nsClient  = "jabber:client"
	nsVCard   = "vcard-temp"
	nsDelay   = "urn:xmpp:delay"
	nsXMLAttr = "http://www.w3.org/XML/1998/namespace"
)

// Limits on the input, against files that are hostile or broken rather
// than big: a real user element is kilobytes.
const (
	maxDepth     = 64       // element nesting inside one <user/>
	maxUserBytes = 32 << 20 // one <user/> element, offline messages included
	maxIncludes  = 8        // XInclude nesting
)

// node is one element of the small tree a <user/> element is read into.
// Children are *node or string (character data).
type node struct {
	name     xml.Name
	attrs    []xml.Attr // without namespace declarations
	children []any
	pos      pos
}

// pos is a place in an input file, for messages.
type pos struct {
	file      string
	line, col int
}

func (p pos) String() string { return fmt.Sprintf("%s:%d:%d", p.file, p.line, p.col) }

func (n *node) attr(local string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

func (n *node) attrValue(local string) string { v, _ := n.attr(local); return v }

func (n *node) setAttr(local, value string) {
	for i, a := range n.attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			n.attrs[i].Value = value
			return
		}
	}
	n.attrs = append(n.attrs, xml.Attr{Name: xml.Name{Local: local}, Value: value})
}

// elements returns the child elements.
func (n *node) elements() []*node {
	var out []*node
	for _, c := range n.children {
		if e, ok := c.(*node); ok {
			out = append(out, e)
		}
	}
	return out
}

// child returns the first child element with that name, or nil.
func (n *node) child(space, local string) *node {
	for _, c := range n.children {
		if e, ok := c.(*node); ok && e.name.Space == space && e.name.Local == local {
			return e
		}
	}
	return nil
}

// text returns the concatenated character data directly inside n.
func (n *node) text() string {
	var b strings.Builder
	for _, c := range n.children {
		if s, ok := c.(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

// decoder wraps encoding/xml with positions and limits.
type decoder struct {
	d    *xml.Decoder
	file string
}

func newDecoder(r io.Reader, file string) *decoder {
	d := xml.NewDecoder(r)
	d.Strict = true
	d.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "utf8") {
			return input, nil
		}
		return nil, fmt.Errorf("unsupported encoding %q (only UTF-8)", charset)
	}
	return &decoder{d: d, file: file}
}

func (d *decoder) pos() pos {
	l, c := d.d.InputPos()
	return pos{d.file, l, c}
}

// errorf returns an error located at the decoder's position.
func (d *decoder) errorf(format string, args ...any) error {
	return &Error{Pos: d.pos().String(), Err: fmt.Errorf(format, args...)}
}

// token returns the next token, with syntax errors located. Comments,
// processing instructions and directives are skipped.
func (d *decoder) token() (xml.Token, error) {
	for {
		t, err := d.d.Token()
		if err == io.EOF {
			return nil, err
		}
		if err != nil {
			var se *xml.SyntaxError
			if asSyntax(err, &se) {
				return nil, &Error{Pos: pos{d.file, se.Line, 0}.String(), Err: fmt.Errorf("%w: %s", ErrSyntax, se.Msg)}
			}
			return nil, d.errorf("%w: %v", ErrSyntax, err)
		}
		switch t.(type) {
		case xml.Comment, xml.ProcInst, xml.Directive:
			continue
		}
		return t, nil
	}
}

// tree reads the element whose start tag was just returned into a node.
func (d *decoder) tree(start xml.StartElement) (*node, error) {
	begin := d.d.InputOffset()
	root := &node{name: start.Name, attrs: cleanAttrs(start.Attr), pos: d.pos()}
	stack := []*node{root}
	for len(stack) > 0 {
		if d.d.InputOffset()-begin > maxUserBytes {
			return nil, d.errorf("%w: element <%s/> longer than %d bytes", ErrLimit, start.Name.Local, maxUserBytes)
		}
		t, err := d.token()
		if err == io.EOF {
			return nil, d.errorf("%w: unexpected end of file inside <%s/>", ErrSyntax, stack[len(stack)-1].name.Local)
		}
		if err != nil {
			return nil, err
		}
		top := stack[len(stack)-1]
		switch t := t.(type) {
		case xml.StartElement:
			if len(stack) >= maxDepth {
				return nil, d.errorf("%w: elements nested deeper than %d", ErrLimit, maxDepth)
			}
			n := &node{name: t.Name, attrs: cleanAttrs(t.Attr), pos: d.pos()}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if k := len(top.children); k > 0 {
				if s, ok := top.children[k-1].(string); ok {
					top.children[k-1] = s + string(t)
					continue
				}
			}
			top.children = append(top.children, string(t))
		}
	}
	return root, nil
}

// skip consumes the rest of the element whose start tag was just read.
func (d *decoder) skip() error {
	for depth := 1; depth > 0; {
		t, err := d.token()
		if err == io.EOF {
			return d.errorf("%w: unexpected end of file", ErrSyntax)
		}
		if err != nil {
			return err
		}
		switch t.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

// cleanAttrs drops namespace declarations: the writer declares what it
// needs itself.
func cleanAttrs(attrs []xml.Attr) []xml.Attr {
	out := make([]xml.Attr, 0, len(attrs))
	for _, a := range attrs {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		out = append(out, a)
	}
	return out
}

// parseFragment reads one serialized element (as the store keeps it) into
// a node; parentNS is the default namespace in scope where it was
// serialized (jabber:client for stanzas).
func parseFragment(b []byte, parentNS string) (*node, error) {
	var in bytes.Buffer
	in.WriteString("<w xmlns='")
	escapeAttr(&in, parentNS)
	in.WriteString("'>")
	in.Write(b)
	in.WriteString("</w>")
	d := newDecoder(&in, "stored")
	t, err := d.token()
	if err != nil {
		return nil, err
	}
	w, err := d.tree(t.(xml.StartElement))
	if err != nil {
		return nil, err
	}
	els := w.elements()
	if len(els) != 1 {
		return nil, fmt.Errorf("%w: stored data holds %d elements, want 1", ErrSyntax, len(els))
	}
	return els[0], nil
}

// write serializes n where parentNS is the default namespace in scope.
// Attributes in other namespaces than xml: get prefixes declared on the
// element itself.
func (n *node) write(w *bytes.Buffer, parentNS string) {
	w.WriteByte('<')
	w.WriteString(n.name.Local)
	if n.name.Space != parentNS {
		w.WriteString(" xmlns='")
		escapeAttr(w, n.name.Space)
		w.WriteByte('\'')
	}
	prefixes := 0
	for _, a := range n.attrs {
		w.WriteByte(' ')
		switch a.Name.Space {
		case "":
		case nsXMLAttr, "xml":
			w.WriteString("xml:")
		default:
			prefixes++
			fmt.Fprintf(w, "xmlns:a%d='", prefixes)
			escapeAttr(w, a.Name.Space)
			fmt.Fprintf(w, "' a%d:", prefixes)
		}
		w.WriteString(a.Name.Local)
		w.WriteString("='")
		escapeAttr(w, a.Value)
		w.WriteByte('\'')
	}
	if len(n.children) == 0 {
		w.WriteString("/>")
		return
	}
	w.WriteByte('>')
	for _, c := range n.children {
		switch c := c.(type) {
		case string:
			escapeText(w, c)
		case *node:
			c.write(w, n.name.Space)
		}
	}
	w.WriteString("</")
	w.WriteString(n.name.Local)
	w.WriteByte('>')
}

// bytes serializes n on its own.
func (n *node) bytes(parentNS string) []byte {
	var b bytes.Buffer
	n.write(&b, parentNS)
	return b.Bytes()
}

func escapeText(w *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			w.WriteString("&amp;")
		case '<':
			w.WriteString("&lt;")
		case '>':
			w.WriteString("&gt;")
		case '\r':
			w.WriteString("&#xD;")
		default:
			w.WriteByte(c)
		}
	}
}

func escapeAttr(w *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			w.WriteString("&amp;")
		case '<':
			w.WriteString("&lt;")
		case '>':
			w.WriteString("&gt;")
		case '\'':
			w.WriteString("&apos;")
		case '"':
			w.WriteString("&quot;")
		case '\t':
			w.WriteString("&#x9;")
		case '\n':
			w.WriteString("&#xA;")
		case '\r':
			w.WriteString("&#xD;")
		default:
			w.WriteByte(c)
		}
	}
}
