package xml

import "bytes"

// scanState frames one top-level element incrementally: it finds where
// the element ends without building anything, and keeps its progress
// across reads so a stanza arriving in many pieces is scanned once.
//
// It checks as it goes what would otherwise leave it waiting for an end
// that never comes: every end tag must close the innermost open element
// (a mismatched one, "<body>oops</mess>", is an error the moment its '>'
// arrives) and no '<' may appear inside a tag. Everything else is left
// to the parser, which sees the complete element.
type scanState struct {
	off      int // bytes already scanned, from the element's start (so buffer compaction does not move it)
	depth    int
	in       byte // construct that off is inside: 0 (content), '<' (start tag), '/' (end tag), '[' (CDATA section)
	quote    byte // in a start tag: the open attribute value's quote, 0 if none
	tags     int  // start tags seen: the element count, to allocate them at once
	tagStart int  // offset of the '<' of the tag being scanned
	// open holds where the names of the open elements start (offsets
	// from the element's start), the first few without allocating.
	open [8]int32
	deep []int32 // open[len(open):], for deeper nesting
}

// reset prepares s for the next element (open needs no clearing: depth
// says what is valid), keeping deep's array.
func (s *scanState) reset() {
	s.off, s.depth, s.in, s.quote, s.tags, s.tagStart = 0, 0, 0, 0, 0, 0
	s.deep = s.deep[:0]
}

// push records where the name of the element opened at depth s.depth
// starts.
func (s *scanState) push(off int32) {
	if s.depth < len(s.open) {
		s.open[s.depth] = off
		return
	}
	s.deep = append(s.deep[:s.depth-len(s.open)], off)
}

// innermost returns where the name of the innermost open element starts.
func (s *scanState) innermost() int32 {
	if d := s.depth - 1; d < len(s.open) {
		return s.open[d]
	}
	return s.deep[s.depth-1-len(s.open)]
}

// closes reports whether name (an end tag's) is the name of the start
// tag whose name starts at b[off]: the same bytes, then the end of the
// start tag's name.
func closes(b []byte, off int, name []byte) bool {
	end := off + len(name)
	if end >= len(b) || !bytes.Equal(b[off:end], name) {
		return false
	}
	c := b[end]
	return isSpace(c) || c == '/' || c == '>'
}

// startName returns the name of the start tag whose name starts at
// b[off] (for error messages).
func startName(b []byte, off int) []byte {
	i := off
	for i < len(b) && !isSpace(b[i]) && b[i] != '/' && b[i] != '>' {
		i++
	}
	return b[off:i]
}

// run scans b (starting at the element's '<') from where it stopped and
// returns the element's length once complete, 0 if more input is needed.
func (s *scanState) run(b []byte, lim Limits) (int, error) {
	i := s.off
	for {
		if s.in != 0 {
			// Finish the tag or CDATA section that i is inside, resuming
			// where the previous read stopped rather than at its start.
			switch s.in {
			case '<':
				end, q := tagEndFrom(b, i, s.quote)
				if end == tagBroken {
					return 0, errorf(ErrNotWellFormed, "'<' inside a tag")
				}
				if end < 0 {
					s.off, s.quote = len(b), q
					return 0, nil
				}
				i = end + 1
				s.in, s.quote = 0, 0
				if b[end-1] != '/' {
					if s.depth >= lim.MaxDepth {
						return 0, errorf(ErrTooDeep, "elements nested more than %d deep", lim.MaxDepth)
					}
					s.push(int32(s.tagStart + 1))
					s.depth++
				} else if s.depth == 0 {
					return i, nil
				}
			case '/':
				end := bytes.IndexByte(b[i:], '>')
				if end < 0 {
					if bytes.IndexByte(b[i:], '<') >= 0 {
						return 0, errorf(ErrNotWellFormed, "'<' inside an end tag")
					}
					s.off = len(b)
					return 0, nil
				}
				if bytes.IndexByte(b[i:i+end], '<') >= 0 {
					return 0, errorf(ErrNotWellFormed, "'<' inside an end tag")
				}
				if s.depth == 0 {
					return 0, errorf(ErrNotWellFormed, "unexpected end tag")
				}
				// The name starts after "</", maybe before this read.
				name := b[s.tagStart+2 : i+end]
				if n := len(name); n > 0 && isSpace(name[n-1]) {
					name = bytes.TrimRight(name, " \t\r\n")
				}
				if open := int(s.innermost()); !closes(b, open, name) {
					return 0, errorf(ErrNotWellFormed, "end tag </%s> does not match <%s>", name, startName(b, open))
				}
				i += end + 1
				s.in = 0
				s.depth--
				if s.depth == 0 {
					return i, nil
				}
			case '[':
				end := bytes.Index(b[i:], []byte("]]>"))
				if end < 0 {
					s.off = max(i, len(b)-2) // "]]" may end b
					return 0, nil
				}
				i += end + 3
				s.in = 0
			}
			continue
		}
		if i >= len(b) {
			s.off = i
			return 0, nil
		}
		if b[i] != '<' {
			j := bytes.IndexByte(b[i:], '<')
			if j < 0 {
				s.off = len(b)
				return 0, nil
			}
			i += j
		}
		// b[i] == '<'
		if i+1 >= len(b) {
			s.off = i
			return 0, nil
		}
		s.tagStart = i
		switch b[i+1] {
		case '/':
			s.in = '/'
			i += 2
		case '!':
			if len(b)-i < 9 {
				if bytes.HasPrefix([]byte("<![CDATA["), b[i:]) {
					s.off = i
					return 0, nil
				}
				return 0, errorf(ErrRestrictedXML, "comments and DTDs are not allowed")
			}
			if !bytes.HasPrefix(b[i:], []byte("<![CDATA[")) {
				return 0, errorf(ErrRestrictedXML, "comments and DTDs are not allowed")
			}
			if s.depth == 0 {
				return 0, errorf(ErrNotWellFormed, "character data outside of a stanza")
			}
			s.in = '['
			i += 9
		case '?':
			return 0, errorf(ErrRestrictedXML, "processing instructions are not allowed")
		default:
			s.in = '<'
			s.tags++
			i++
		}
	}
}

// frameElement returns the length of the complete element at b[0] and
// the number of elements in it.
func frameElement(b []byte, lim Limits) (n, tags int, err error) {
	if len(b) == 0 || b[0] != '<' {
		return 0, 0, errorf(ErrNotWellFormed, "expected an element")
	}
	var s scanState
	n, err = s.run(b, lim)
	if err != nil {
		return 0, 0, err
	}
	if n == 0 {
		return 0, 0, errorf(ErrNotWellFormed, "incomplete element")
	}
	return n, s.tags, nil
}
