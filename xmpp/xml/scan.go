package xml

import "bytes"

// scanState frames one top-level element incrementally: it finds where
// the element ends without building anything, and keeps its progress
// across reads so a stanza arriving in many pieces is scanned once.
type scanState struct {
	off   int // bytes already scanned, from the element's start (so buffer compaction does not move it)
	depth int
}

// run scans b (starting at the element's '<') from where it stopped and
// returns the element's length once complete, 0 if more input is needed.
func (s *scanState) run(b []byte, lim Limits) (int, error) {
	i := s.off
	for {
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
			end := bytes.IndexByte(b[i:], '>')
			if end < 0 {
				s.off = i
				return 0, nil
			}
			i += end + 1
			s.depth--
			if s.depth == 0 {
				return i, nil
			}
			if s.depth < 0 {
				return 0, errorf(ErrNotWellFormed, "unexpected end tag")
			}
		case '!':
			if len(b)-i < 9 {
				if bytes.HasPrefix([]byte("<![CDATA["), b[i:]) {
					s.off = i
					return 0, nil
				}
				return 0, errorf(ErrRestrictedXML, "comments and DTDs are not allowed")
			}
			if !bytes.HasPrefix(b[i:], []byte("<![CDATA[")) || s.depth == 0 {
				return 0, errorf(ErrRestrictedXML, "comments and DTDs are not allowed")
			}
			end := bytes.Index(b[i+9:], []byte("]]>"))
			if end < 0 {
				s.off = i
				return 0, nil
			}
			i += 9 + end + 3
		case '?':
			return 0, errorf(ErrRestrictedXML, "processing instructions are not allowed")
		default:
			end := tagEnd(b[i:])
			if end < 0 {
				s.off = i
				return 0, nil
			}
			selfClosed := b[i+end-1] == '/'
			i += end + 1
			if !selfClosed {
				s.depth++
				if s.depth > lim.MaxDepth {
					return 0, errorf(ErrTooDeep, "elements nested more than %d deep", lim.MaxDepth)
				}
			} else if s.depth == 0 {
				return i, nil
			}
		}
	}
}

// frameElement returns the length of the complete element at b[0].
func frameElement(b []byte, lim Limits) (int, error) {
	if len(b) == 0 || b[0] != '<' {
		return 0, errorf(ErrNotWellFormed, "expected an element")
	}
	var s scanState
	n, err := s.run(b, lim)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, errorf(ErrNotWellFormed, "incomplete element")
	}
	return n, nil
}
