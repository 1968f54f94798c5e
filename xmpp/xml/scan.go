package xml

import "bytes"

// scanState frames one top-level element incrementally: it finds where
// the element ends without building anything, and keeps its progress
// across reads so a stanza arriving in many pieces is scanned once.
type scanState struct {
	off   int // bytes already scanned, from the element's start (so buffer compaction does not move it)
	depth int
	in    byte // construct that off is inside: 0 (content), '<' (start tag), '/' (end tag), '[' (CDATA section)
	quote byte // in a start tag: the open attribute value's quote, 0 if none
	tags  int  // start tags seen: the element count, to allocate them at once
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
				if end < 0 {
					s.off, s.quote = len(b), q
					return 0, nil
				}
				i = end + 1
				s.in, s.quote = 0, 0
				if b[end-1] != '/' {
					s.depth++
					if s.depth > lim.MaxDepth {
						return 0, errorf(ErrTooDeep, "elements nested more than %d deep", lim.MaxDepth)
					}
				} else if s.depth == 0 {
					return i, nil
				}
			case '/':
				end := bytes.IndexByte(b[i:], '>')
				if end < 0 {
					s.off = len(b)
					return 0, nil
				}
				i += end + 1
				s.in = 0
				s.depth--
				if s.depth == 0 {
					return i, nil
				}
				if s.depth < 0 {
					return 0, errorf(ErrNotWellFormed, "unexpected end tag")
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
