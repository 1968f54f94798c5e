package portable

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/parley-im/parley/xmpp/jid"
)

// userElem is one <user/> element of the input and the host it is under.
type userElem struct {
	host string // normalized domain
	n    *node
}

// walker reads XEP-0227 files, following XIncludes, and hands each
// <user/> element to fn in document order. Only one user element is in
// memory at a time.
type walker struct {
	fn   func(userElem) error
	warn func(p pos, msg string)
	dir  string // directory of the file given; includes stay inside it
}

func isPIE(space string) bool { return space == nsPIE || space == nsPIEOld }

// walk reads one input file given on the command line.
func (w *walker) walk(path string) error {
	w.dir = filepath.Dir(path)
	return w.file(path, "", 0)
}

// file reads path. host is the host element an XInclude of it sits in
// ("" at the top or under <server-data/>).
func (w *walker) file(path, host string, depth int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return err
	} else if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	return w.stream(f, path, host, depth)
}

// stream reads one document from r; name locates messages and relative
// XIncludes.
func (w *walker) stream(r io.Reader, name, host string, depth int) error {
	d := newDecoder(r, name)
	for {
		t, err := d.token()
		if err == io.EOF {
			return d.errorf("%w: no root element", ErrFormat)
		}
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if err := w.root(d, t, host, depth); err != nil {
				return err
			}
			return w.trailer(d)
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return d.errorf("%w: text before the root element", ErrSyntax)
			}
		}
	}
}

// trailer checks that only white space, comments and processing
// instructions follow the root element.
func (w *walker) trailer(d *decoder) error {
	for {
		t, err := d.token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return d.errorf("%w: text after the root element", ErrSyntax)
			}
		default:
			return d.errorf("%w: content after the root element", ErrSyntax)
		}
	}
}

func (w *walker) root(d *decoder, start xml.StartElement, host string, depth int) error {
	if !isPIE(start.Name.Space) {
		return d.errorf("%w: root element <%s xmlns='%s'/>, want <server-data xmlns='%s'/>", ErrFormat, start.Name.Local, start.Name.Space, nsPIE)
	}
	switch start.Name.Local {
	case "server-data":
		if host != "" {
			return d.errorf("%w: <server-data/> included inside <host/>", ErrFormat)
		}
		return w.children(d, "server-data", func(c xml.StartElement) (bool, error) {
			if isPIE(c.Name.Space) && c.Name.Local == "host" {
				return true, w.host(d, c, depth)
			}
			if c.Name.Space == nsXI && c.Name.Local == "include" {
				return true, w.include(d, c, "", depth)
			}
			return false, nil
		})
	case "host":
		if host != "" {
			return d.errorf("%w: <host/> included inside <host/>", ErrFormat)
		}
		return w.host(d, start, depth)
	case "user":
		if host == "" {
			return d.errorf("%w: <user/> outside of any <host/>", ErrFormat)
		}
		return w.user(d, start, host)
	}
	return d.errorf("%w: unexpected root element <%s/>", ErrFormat, start.Name.Local)
}

// children walks the child elements of the element just started, giving
// each to fn; fn returns false for elements it does not know, which are
// skipped with a warning. Text between them must be white space.
func (w *walker) children(d *decoder, parent string, fn func(xml.StartElement) (bool, error)) error {
	for {
		t, err := d.token()
		if err == io.EOF {
			return d.errorf("%w: unexpected end of file inside <%s/>", ErrSyntax, parent)
		}
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.EndElement:
			return nil
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return d.errorf("%w: unexpected text inside <%s/>", ErrFormat, parent)
			}
		case xml.StartElement:
			ok, err := fn(t)
			if err != nil {
				return err
			}
			if !ok {
				w.warn(d.pos(), fmt.Sprintf("ignored <%s xmlns='%s'/> inside <%s/>", t.Name.Local, t.Name.Space, parent))
				if err := d.skip(); err != nil {
					return err
				}
			}
		}
	}
}

func (w *walker) host(d *decoder, start xml.StartElement, depth int) error {
	raw := ""
	for _, a := range start.Attr {
		if a.Name.Space == "" && a.Name.Local == "jid" {
			raw = a.Value
		}
	}
	j, err := jid.Parse(raw)
	if err != nil || j.Local() != "" || j.Resource() != "" {
		return d.errorf("%w: <host/> needs a jid attribute holding a domain, got %q", ErrFormat, raw)
	}
	host := j.String()
	return w.children(d, "host", func(c xml.StartElement) (bool, error) {
		if isPIE(c.Name.Space) && c.Name.Local == "user" {
			return true, w.user(d, c, host)
		}
		if c.Name.Space == nsXI && c.Name.Local == "include" {
			return true, w.include(d, c, host, depth)
		}
		return false, nil
	})
}

func (w *walker) user(d *decoder, start xml.StartElement, host string) error {
	n, err := d.tree(start)
	if err != nil {
		return err
	}
	return w.fn(userElem{host: host, n: n})
}

// include processes an <xi:include/> (XEP-0227 §5: relative href, no
// parse or xpointer attributes), then skips its content (fallbacks).
func (w *walker) include(d *decoder, start xml.StartElement, host string, depth int) error {
	at := d.pos()
	var href string
	for _, a := range start.Attr {
		switch {
		case a.Name.Space != "":
		case a.Name.Local == "href":
			href = a.Value
		case a.Name.Local == "parse" && a.Value != "xml", a.Name.Local == "xpointer":
			return d.errorf("%w: %s='%s' is not supported", ErrInclude, a.Name.Local, a.Value)
		}
	}
	if err := d.skip(); err != nil {
		return err
	}
	u, err := url.Parse(href)
	if href == "" || err != nil || u.Scheme != "" || u.Host != "" || u.Path == "" || filepath.IsAbs(u.Path) || strings.HasPrefix(u.Path, "/") {
		return &Error{Pos: at.String(), Err: fmt.Errorf("%w: href %q is not a relative file reference", ErrInclude, href)}
	}
	if depth+1 > maxIncludes {
		return &Error{Pos: at.String(), Err: fmt.Errorf("%w: includes nested deeper than %d", ErrLimit, maxIncludes)}
	}
	path := filepath.Join(filepath.Dir(d.file), filepath.FromSlash(u.Path))
	if rel, err := filepath.Rel(w.dir, path); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return &Error{Pos: at.String(), Err: fmt.Errorf("%w: href %q leaves the directory of the file given (%s)", ErrInclude, href, w.dir)}
	}
	if err := w.file(path, host, depth+1); err != nil {
		if e := (*Error)(nil); errors.As(err, &e) {
			return err
		}
		return &Error{Pos: at.String(), Err: fmt.Errorf("%w: %w", ErrInclude, err)}
	}
	return nil
}
