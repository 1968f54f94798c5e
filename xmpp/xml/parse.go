package xml

import (
	"bytes"
	"sync"
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
	decls  []nsDecl           // stack of prefix declarations (stream-level first)
	base   int                // how many of decls are stream-level
	index  map[string][]int32 // prefix -> its entries in decls, innermost last (once decls outgrow a scan)
	frames []frame
	elems  []Element // preallocated elements, one allocation per stanza
}

// scanDecls is how many declarations in scope resolve by a linear scan
// (nearly every stanza: none but the stream's own); past it an index
// keeps resolution at one map lookup, however many are declared.
const scanDecls = 8

// newElement returns the next preallocated element, or a new one.
func (p *parser) newElement() *Element {
	if len(p.elems) == 0 {
		return &Element{}
	}
	el := &p.elems[0]
	p.elems = p.elems[1:]
	return el
}

// framePool holds the parser's stacks of open elements.
var framePool = sync.Pool{New: func() any { s := make([]frame, 0, 8); return &s }}

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
	fp := framePool.Get().(*[]frame)
	p.frames = (*fp)[:0]
	defer func() {
		clear(p.frames[:cap(p.frames)]) // keep no element alive
		*fp = p.frames[:0]
		framePool.Put(fp)
	}()
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
			// Chunks are unescaped together at the end tag: a reference
			// must not be completed by the next chunk ("&<b/>amp;").
			if a := bytes.LastIndexByte(chunk, '&'); a >= 0 && bytes.IndexByte(chunk[a:], ';') < 0 {
				return p.fail(ErrNotWellFormed, "unterminated entity reference")
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
			EscapeText(&b, string(normalizeNewlines(cdata)))
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
			if f.el.Children == nil {
				f.el.Children = make([]*Element, 0, 4)
			}
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
		text = append(make([]byte, 0, len(text)+len(chunk)), text...)
	}
	// A CR ending the previous part was followed by markup, not by an LF
	// this part may start with: it is a line end of its own.
	if n := len(text); n > 0 && text[n-1] == '\r' {
		text[n-1] = '\n'
	}
	return append(text, chunk...)
}

// normalizeNewlines turns CR LF and lone CR into LF (XML 1.0 §2.11).
func normalizeNewlines(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i, c := range b {
		if c == '\r' {
			if i+1 < len(b) && b[i+1] == '\n' {
				continue
			}
			c = '\n'
		}
		out = append(out, c)
	}
	return out
}

func (p *parser) pop() {
	f := p.frames[len(p.frames)-1]
	p.frames = p.frames[:len(p.frames)-1]
	for len(p.decls) > 0 && p.decls[len(p.decls)-1].depth >= f.depth {
		if p.index != nil {
			prefix := p.decls[len(p.decls)-1].prefix
			ix := p.index[prefix]
			p.index[prefix] = ix[:len(ix)-1]
		}
		p.decls = p.decls[:len(p.decls)-1]
	}
}

// declare pushes a prefix declaration of the element at depth.
func (p *parser) declare(prefix, uri string, depth int) error {
	if len(p.decls)-p.base >= p.lim.MaxNamespaces {
		return p.fail(ErrTooDeep, "too many namespace declarations in scope")
	}
	p.decls = append(p.decls, nsDecl{prefix: prefix, uri: uri, depth: depth})
	switch {
	case p.index != nil:
		p.index[prefix] = append(p.index[prefix], int32(len(p.decls)-1))
	case len(p.decls) > scanDecls:
		p.index = make(map[string][]int32, len(p.decls))
		for i, d := range p.decls {
			p.index[d.prefix] = append(p.index[d.prefix], int32(i))
		}
	}
	return nil
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
	el := p.newElement()
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
	n := 0 // attributes other than the default namespace declaration
	for _, a := range attrs {
		if string(a.name) != "xmlns" {
			n++
		}
	}
	if n > 0 {
		el.Attrs = make([]Attr, 0, n)
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
			if err := p.declare(prefix, v, depth); err != nil {
				return nil, false, err
			}
			el.Attrs = append(el.Attrs, Attr{Name: intern(a.name), Value: v})
		}
	}
	f.defSpace = space
	p.frames = append(p.frames, f)
	for _, a := range attrs {
		if string(a.name) == "xmlns" || bytes.HasPrefix(a.name, []byte("xmlns:")) {
			continue
		}
		if c := bytes.IndexByte(a.name, ':'); c >= 0 {
			prefix := a.name[:c]
			if string(prefix) != "xml" {
				uri, declDepth, ok := p.resolve(prefix)
				if !ok {
					return nil, false, p.fail(ErrNotWellFormed, "unbound attribute prefix")
				}
				if declDepth < depth && !el.HasAttr("xmlns:"+string(prefix)) {
					// Keep the declaration with the attribute so the element
					// serializes on its own.
					el.Attrs = append(el.Attrs, Attr{Name: "xmlns:" + string(prefix), Value: uri})
					p.markOuter(declDepth)
				}
			}
		}
		v, err := unescape(a.value, true)
		if err != nil {
			return nil, false, err
		}
		el.Attrs = append(el.Attrs, Attr{Name: intern(a.name), Value: v})
	}
	if c := bytes.IndexByte(qname, ':'); c >= 0 {
		uri, declDepth, ok := p.resolve(qname[:c])
		if !ok {
			return nil, false, p.fail(ErrNotWellFormed, "unbound element prefix")
		}
		el.Space = uri
		el.Name = intern(qname[c+1:])
		if declDepth < depth {
			p.markOuter(declDepth)
		}
		if uri != space {
			// WriteTo writes the element unprefixed with xmlns=Space,
			// which would change the default namespace its content uses.
			p.frames[len(p.frames)-1].outerUse = true
		}
	} else {
		el.Space = space
		el.Name = intern(qname)
	}
	return el, selfClosed, nil
}

// resolve finds the innermost declaration of prefix.
func (p *parser) resolve(prefix []byte) (uri string, depth int, ok bool) {
	if p.index != nil {
		ix := p.index[string(prefix)]
		if len(ix) == 0 {
			return "", 0, false
		}
		d := p.decls[ix[len(ix)-1]]
		return d.uri, d.depth, true
	}
	for i := len(p.decls) - 1; i >= 0; i-- {
		if p.decls[i].prefix == string(prefix) {
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
	b = bytes.Trim(b, " \t\r\n") // XML white space only
	if len(b) > lim.MaxStanzaBytes {
		return nil, errorf(ErrTooLarge, "%d bytes", len(b))
	}
	n, tags, err := frameElement(b, lim)
	if err != nil {
		return nil, err
	}
	if n != len(b) {
		return nil, errorf(ErrNotWellFormed, "content after the element")
	}
	raw := bytes.Clone(b)
	p := parser{raw: raw, lim: lim, elems: make([]Element, tags)}
	return p.parse(defaultSpace, 0)
}
