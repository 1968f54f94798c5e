package xml

import (
	"bytes"
	"unicode/utf8"
)

// EscapeText writes s as XML character data. Characters XML cannot
// carry (most control characters, invalid UTF-8, U+FFFE, U+FFFF) are
// written as U+FFFD, so the output is always well-formed.
func EscapeText(w *bytes.Buffer, s string) { escape(w, s, false) }

// EscapeAttr writes s as an attribute value delimited by apostrophes.
// Whitespace other than space is written as character references so
// that attribute-value normalization keeps it. Characters XML cannot
// carry are written as U+FFFD.
func EscapeAttr(w *bytes.Buffer, s string) { escape(w, s, true) }

// escapeFlags marks the bytes escape must look at: 1 in character
// data, 2 in attribute values.
var escapeFlags = func() (f [256]uint8) {
	for c := range 256 {
		switch {
		case c == '&' || c == '<' || c == '>' || c == '\r' || c >= utf8.RuneSelf || (c < 0x20 && c != '\n' && c != '\t'):
			f[c] = 1 | 2
		case c == '\'' || c == '"' || c == '\n' || c == '\t':
			f[c] = 2
		}
	}
	return f
}()

func escape(w *bytes.Buffer, s string, attr bool) {
	mask := uint8(1)
	if attr {
		mask = 2
	}
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if escapeFlags[c]&mask == 0 {
			i++
			continue
		}
		size := 1
		var esc string
		switch {
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '\r':
			esc = "&#xD;"
		case attr && c == '\'':
			esc = "&apos;"
		case attr && c == '"':
			esc = "&quot;"
		case attr && c == '\n':
			esc = "&#xA;"
		case attr && c == '\t':
			esc = "&#x9;"
		case c < 0x20 && c != '\n' && c != '\t':
			esc = "\uFFFD"
		case c >= utf8.RuneSelf:
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			if (r == utf8.RuneError && size == 1) || !isXMLChar(r) {
				esc = "\uFFFD"
			}
		}
		if esc == "" {
			i += size
			continue
		}
		w.WriteString(s[last:i])
		w.WriteString(esc)
		i += size
		last = i
	}
	w.WriteString(s[last:])
}

// unescape decodes character data or an attribute value: the five
// predefined entities and character references. Other entities are
// restricted XML; raw '<' and invalid characters are not well-formed.
// Raw line ends (CR LF, CR) become LF; attr then applies attribute-value
// normalization of whitespace.
func unescape(b []byte, attr bool) (string, error) {
	ws, err := scanChars(b)
	if err != nil {
		return "", err
	}
	amp := bytes.IndexByte(b, '&')
	if amp < 0 && !attr && (!ws || bytes.IndexByte(b, '\r') < 0) {
		return string(b), nil
	}
	if amp < 0 && !ws {
		return intern(b), nil // an attribute value
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '&':
			end := bytes.IndexByte(b[i:], ';')
			if end < 0 {
				return "", errorf(ErrNotWellFormed, "unterminated entity reference")
			}
			ref := b[i+1 : i+end]
			r, err := entity(ref)
			if err != nil {
				return "", err
			}
			out = utf8.AppendRune(out, r)
			i += end + 1
		case c == '\r' && i+1 < len(b) && b[i+1] == '\n':
			i++ // CR LF is one line end: the LF follows
		case c == '\r' && !attr:
			out = append(out, '\n')
			i++
		case attr && (c == '\t' || c == '\n' || c == '\r'):
			out = append(out, ' ')
			i++
		default:
			out = append(out, c)
			i++
		}
	}
	return string(out), nil
}

func entity(ref []byte) (rune, error) {
	switch string(ref) {
	case "lt":
		return '<', nil
	case "gt":
		return '>', nil
	case "amp":
		return '&', nil
	case "quot":
		return '"', nil
	case "apos":
		return '\'', nil
	}
	if len(ref) < 2 || ref[0] != '#' {
		if len(ref) > 0 && isNameBytes(ref) {
			return 0, errorf(ErrRestrictedXML, "entity &%s; is not allowed", ref)
		}
		return 0, errorf(ErrNotWellFormed, "bad entity reference")
	}
	var n rune
	digits := ref[1:]
	base := rune(10)
	if digits[0] == 'x' {
		base, digits = 16, digits[1:]
	}
	if len(digits) == 0 || len(digits) > 8 {
		return 0, errorf(ErrNotWellFormed, "bad character reference")
	}
	for _, d := range digits {
		var v rune
		switch {
		case d >= '0' && d <= '9':
			v = rune(d - '0')
		case base == 16 && d >= 'a' && d <= 'f':
			v = rune(d-'a') + 10
		case base == 16 && d >= 'A' && d <= 'F':
			v = rune(d-'A') + 10
		default:
			return 0, errorf(ErrNotWellFormed, "bad character reference")
		}
		n = n*base + v
	}
	if !isXMLChar(n) {
		return 0, errorf(ErrNotWellFormed, "character reference to an invalid character")
	}
	return n, nil
}

// isXMLChar is the XML 1.0 Char production.
func isXMLChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// checkChars verifies UTF-8 and the XML Char production.
func checkChars(b []byte) error {
	_, err := scanChars(b)
	return err
}

// scanChars is checkChars that also reports white space other than
// space (tab, LF, CR), which unescape has to normalize.
func scanChars(b []byte) (ws bool, err error) {
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			if c < 0x20 {
				if c != '\t' && c != '\n' && c != '\r' {
					return false, errorf(ErrNotWellFormed, "invalid character 0x%02x", c)
				}
				ws = true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return false, errorf(ErrNotWellFormed, "invalid UTF-8")
		}
		if !isXMLChar(r) {
			return false, errorf(ErrNotWellFormed, "invalid character U+%04X", r)
		}
		i += size
	}
	return ws, nil
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

func isNameByte(c byte) bool {
	return isNameStart(c) || c >= '0' && c <= '9' || c == '-' || c == '.'
}

func isNameBytes(b []byte) bool {
	if len(b) == 0 || !isNameStart(b[0]) {
		return false
	}
	ascii := true
	for _, c := range b[1:] {
		if !isNameByte(c) {
			return false
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	return (ascii && b[0] < utf8.RuneSelf) || checkChars(b) == nil // valid UTF-8 and XML characters (no U+FFFE)
}

// isQName checks a name against Namespaces in XML: a name with at most
// one colon, which neither starts nor ends it, and a local part that
// starts like a name.
func isQName(b []byte) bool {
	if !isNameBytes(b) {
		return false
	}
	c := bytes.IndexByte(b, ':')
	return c < 0 || (c > 0 && c < len(b)-1 && isNameStart(b[c+1]) && bytes.IndexByte(b[c+1:], ':') < 0)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
