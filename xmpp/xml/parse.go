package xml

import (
	"bytes"
)

// nsDecl is one prefix declaration in scope.
type nsDecl struct {
	prefix, uri string
	depth       int // element depth that declared it; 0 is the stream header
}

// parser builds an Element tree from one complete element held in raw.
// Inner fields are sub-slices of raw, which the caller owns exclusively
// (one allocation per stanza for all of them).
type parser struct {
	raw    []byte
	pos    int
	lim    Limits
	decls  []nsDecl // stack of prefix declarations (stream-level first)
	frames []frame
}

type frame struct {
	el       *Element
	qname    []byte
	depth    int
	outerUse bool // uses a prefix declared outside itself: Inner not portable
	defSpace string
}

func (p *parser) fail(sentinel error, what string) error {
	return errorf(sentinel, "%s at offset %d", what, p.pos)
}

// parse parses the element at raw[0:], which must be complete.
func (p *parser) parse(defSpace string, baseDepth int) (*Element, error) {
	var root *Element
	for {
		// At p.pos we are at '<' of a start tag or in content.
		if len(p.frames) == 0 {
			el, selfClosed, err := p.startTag(defSpace, baseDepth+1)
			if err != nil {
				return nil, err
			}
			root = el
			if selfClosed {
				p.pop()
				root.Inner = p.raw[p.pos:p.pos:p.pos]
				return root, nil
			}
			continue
		}
		if err := p.content(&p.frames[len(p.frames)-1]); err != nil {
			return nil, err
		}
		if len(p.frames) == 0 {
			return root, nil
		}
	}
}

// content reads the content of the innermost open element until its end
// tag, descending into children.
func (p *parser) content(f *frame) error {
	start := p.pos
	var text []byte
	textParts := 0
	for {
		lt := bytes.IndexByte(p.raw[p.pos:], '<')
		if lt < 0 {
			return p.fail(ErrNotWellFormed, "unterminated element")
		}
		if lt > 0 {
			chunk := p.raw[p.pos : p.pos+lt]
			if bytes.IndexByte(chunk, '>') >= 0 && bytes.Contains(chunk, []byte("]]>")) {
				return p.fail(ErrNotWellFormed, "']]>' in character data")
			}
			text = appendText(text, chunk, &textParts)
			p.pos += lt
		}
		rest := p.raw[p.pos:]
		switch {
		case bytes.HasPrefix(rest, []byte("</")):
			end := bytes.IndexByte(rest, '>')
			if end < 0 {
				return p.fail(ErrNotWellFormed, "unterminated end tag")
			}
			name := bytes.TrimRight(rest[2:end], " \t\r\n")
			if !bytes.Equal(name, f.qname) {
				return p.fail(ErrNotWellFormed, "mismatched end tag")
			}
			s, err := unescape(text, false)
			if err != nil {
				return err
			}
			f.el.Text = s
			if !f.outerUse {
				f.el.Inner = p.raw[start:p.pos:p.pos]
			}
			p.pos += end + 1
			p.pop()
			return nil
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			end := bytes.Index(rest, []byte("]]>"))
			if end < 0 {
				return p.fail(ErrNotWellFormed, "unterminated CDATA section")
			}
			cdata := rest[9:end]
			if err := checkChars(cdata); err != nil {
				return err
			}
			// CDATA is literal: escape it so the common unescape path
			// below reproduces it exactly.
			var b bytes.Buffer
			EscapeText(&b, string(cdata))
			text = appendText(text, b.Bytes(), &textParts)
			p.pos += end + 3
		case bytes.HasPrefix(rest, []byte("<!")), bytes.HasPrefix(rest, []byte("<?")):
			return p.fail(ErrRestrictedXML, "comments, DTDs and processing instructions are not allowed")
		default:
			if len(p.frames) >= p.lim.MaxDepth {
				return p.fail(ErrTooDeep, "elements nested too deeply")
			}
			el, selfClosed, err := p.startTag(f.defSpace, f.depth+1)
			if err != nil {
				return err
			}
			f = &p.frames[len(p.frames)-2] // startTag pushed a frame
			f.el.Children = append(f.el.Children, el)
			if selfClosed {
				p.pop()
				f = &p.frames[len(p.frames)-1]
				el.Inner = p.raw[p.pos:p.pos:p.pos]
				continue
			}
			if err := p.content(&p.frames[len(p.frames)-1]); err != nil {
				return err
			}
			f = &p.frames[len(p.frames)-1]
		}
	}
}

// appendText accumulates character data without copying when there is
// a single chunk.
func appendText(text, chunk []byte, parts *int) []byte {
	*parts++
	if *parts == 1 {
		return chunk
	}
	if *parts == 2 {
		return append(append(make([]byte, 0, len(text)+len(chunk)), text...), chunk...)
	}
	return append(text, chunk...)
}

func (p *parser) pop() {
	f := p.frames[len(p.frames)-1]
	p.frames = p.frames[:len(p.frames)-1]
	for len(p.decls) > 0 && p.decls[len(p.decls)-1].depth >= f.depth {
		p.decls = p.decls[:len(p.decls)-1]
	}
}

// startTag parses a start tag at p.pos and pushes a frame for it; the
// caller pops it at the end tag, or at once for an empty element.
func (p *parser) startTag(defSpace string, depth int) (*Element, bool, error) {
	rest := p.raw[p.pos:]
	if len(rest) < 2 || rest[0] != '<' {
		return nil, false, p.fail(ErrNotWellFormed, "expected a start tag")
	}
	i := 1
	for i < len(rest) && isNameByte(rest[i]) {
		i++
	}
	qname := rest[1:i]
	if !isQName(qname) {
		return nil, false, p.fail(ErrNotWellFormed, "invalid element name")
	}
	el := &Element{}
	type rawAttr struct{ name, value []byte }
	var attrsBuf [8]rawAttr
	attrs := attrsBuf[:0]
	selfClosed := false
	for {
		j := i
		for i < len(rest) && isSpace(rest[i]) {
			i++
		}
		if i >= len(rest) {
			return nil, false, p.fail(ErrNotWellFormed, "unterminated start tag")
		}
		if rest[i] == '>' {
			i++
			break
		}
		if rest[i] == '/' {
			if i+1 >= len(rest) || rest[i+1] != '>' {
				return nil, false, p.fail(ErrNotWellFormed, "bad empty-element tag")
			}
			i += 2
			selfClosed = true
			break
		}
		if i == j {
			return nil, false, p.fail(ErrNotWellFormed, "attributes must be separated by white space")
		}
		ns := i
		for i < len(rest) && isNameByte(rest[i]) {
			i++
		}
		name := rest[ns:i]
		if !isQName(name) {
			return nil, false, p.fail(ErrNotWellFormed, "invalid attribute name")
		}
		for i < len(rest) && isSpace(rest[i]) {
			i++
		}
		if i >= len(rest) || rest[i] != '=' {
			return nil, false, p.fail(ErrNotWellFormed, "attribute without value")
		}
		i++
		for i < len(rest) && isSpace(rest[i]) {
			i++
		}
		if i >= len(rest) || (rest[i] != '\'' && rest[i] != '"') {
			return nil, false, p.fail(ErrNotWellFormed, "unquoted attribute value")
		}
		q := rest[i]
		end := bytes.IndexByte(rest[i+1:], q)
		if end < 0 {
			return nil, false, p.fail(ErrNotWellFormed, "unterminated attribute value")
		}
		value := rest[i+1 : i+1+end]
		if bytes.IndexByte(value, '<') >= 0 {
			return nil, false, p.fail(ErrNotWellFormed, "'<' in attribute value")
		}
		i += end + 2
		for _, a := range attrs {
			if bytes.Equal(a.name, name) {
				return nil, false, p.fail(ErrNotWellFormed, "duplicate attribute")
			}
		}
		if len(attrs) >= p.lim.MaxAttrs {
			return nil, false, p.fail(ErrTooDeep, "too many attributes")
		}
		attrs = append(attrs, rawAttr{name, value})
	}
	p.pos += i

	// Namespace declarations first, then resolution.
	space := defSpace
	f := frame{el: el, qname: qname, depth: depth}
	if len(attrs) > 0 {
		el.Attrs = make([]Attr, 0, len(attrs))
	}
	for _, a := range attrs {
		switch {
		case string(a.name) == "xmlns":
			v, err := unescape(a.value, true)
			if err != nil {
				return nil, false, err
			}
			space = v
		case bytes.HasPrefix(a.name, []byte("xmlns:")):
			v, err := unescape(a.value, true)
			if err != nil {
				return nil, false, err
			}
			prefix := string(a.name[6:])
			if v == "" || prefix == "xml" || prefix == "xmlns" {
				return nil, false, p.fail(ErrNotWellFormed, "invalid namespace declaration")
			}
			p.decls = append(p.decls, nsDecl{prefix: prefix, uri: v, depth: depth})
			el.Attrs = append(el.Attrs, Attr{Name: string(a.name), Value: v})
		}
	}
	f.defSpace = space
	p.frames = append(p.frames, f)
	for _, a := range attrs {
		if string(a.name) == "xmlns" || bytes.HasPrefix(a.name, []byte("xmlns:")) {
			continue
		}
		if c := bytes.IndexByte(a.name, ':'); c >= 0 {
			prefix := string(a.name[:c])
			if prefix != "xml" {
				uri, declDepth, ok := p.resolve(prefix)
				if !ok {
					return nil, false, p.fail(ErrNotWellFormed, "unbound attribute prefix")
				}
				if declDepth < depth && !el.HasAttr("xmlns:"+prefix) {
					// Keep the declaration with the attribute so the element
					// serializes on its own.
					el.Attrs = append(el.Attrs, Attr{Name: "xmlns:" + prefix, Value: uri})
					p.markOuter(declDepth)
				}
			}
		}
		v, err := unescape(a.value, true)
		if err != nil {
			return nil, false, err
		}
		el.Attrs = append(el.Attrs, Attr{Name: string(a.name), Value: v})
	}
	if c := bytes.IndexByte(qname, ':'); c >= 0 {
		prefix := string(qname[:c])
		uri, declDepth, ok := p.resolve(prefix)
		if !ok {
			return nil, false, p.fail(ErrNotWellFormed, "unbound element prefix")
		}
		el.Space = uri
		el.Name = string(qname[c+1:])
		if declDepth < depth {
			p.markOuter(declDepth)
		}
	} else {
		el.Space = space
		el.Name = string(qname)
	}
	return el, selfClosed, nil
}

// resolve finds the innermost declaration of prefix.
func (p *parser) resolve(prefix string) (uri string, depth int, ok bool) {
	for i := len(p.decls) - 1; i >= 0; i-- {
		if p.decls[i].prefix == prefix {
			return p.decls[i].uri, p.decls[i].depth, true
		}
	}
	return "", 0, false
}

// markOuter records that the open elements deeper than declDepth depend
// on a declaration outside them, so their Inner is not portable.
func (p *parser) markOuter(declDepth int) {
	for i := len(p.frames) - 1; i >= 0 && p.frames[i].depth > declDepth; i-- {
		p.frames[i].outerUse = true
	}
}

// ParseElement parses one complete element, such as a WebSocket frame
// or a stanza loaded from storage. defaultSpace is the namespace in
// scope around it.
func ParseElement(b []byte, defaultSpace string, lim Limits) (*Element, error) {
	lim = lim.withDefaults()
	b = bytes.TrimSpace(b)
	if len(b) > lim.MaxStanzaBytes {
		return nil, errorf(ErrTooLarge, "%d bytes", len(b))
	}
	n, err := frameElement(b, lim)
	if err != nil {
		return nil, err
	}
	if n != len(b) {
		return nil, errorf(ErrNotWellFormed, "content after the element")
	}
	raw := bytes.Clone(b)
	p := parser{raw: raw, lim: lim}
	return p.parse(defaultSpace, 0)
}
