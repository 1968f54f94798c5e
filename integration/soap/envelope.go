package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"

	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/api"
)

// Namespaces of SOAP 1.1 and of what SOAP 1.2 would send instead.
const (
	envNS   = "http://schemas.xmlsoap.org/soap/envelope/"
	env12NS = "http://www.w3.org/2003/05/soap-envelope"
	xsiNS   = "http://www.w3.org/2001/XMLSchema-instance"
)

// maxDepth bounds element nesting in a request: the deepest described
// type (getBulkPresence) needs 6 levels below Envelope.
const maxDepth = 32

// fault is a decoding or dispatch failure reported as a SOAP fault.
type fault struct {
	code   string // Client, Server, VersionMismatch, MustUnderstand
	msg    string
	status integration.Status // for the detail; NoError for none
}

func (f *fault) Error() string { return f.msg }

func clientFault(format string, args ...any) *fault {
	return &fault{code: "Client", msg: fmt.Sprintf(format, args...), status: integration.ServiceInputError}
}

// depthLimiter refuses documents nested deeper than maxDepth and DTDs
// (no entity tricks reach encoding/xml's strict mode, but a DOCTYPE has
// no business in a SOAP message: SOAP 1.1 section 3).
type depthLimiter struct {
	d     *xml.Decoder
	depth int
}

var errTooDeep = errors.New("elements nested too deeply")

func (l *depthLimiter) Token() (xml.Token, error) {
	t, err := l.d.Token()
	if err != nil {
		return nil, err
	}
	switch t.(type) {
	case xml.StartElement:
		l.depth++
		if l.depth > maxDepth {
			return nil, errTooDeep
		}
	case xml.EndElement:
		l.depth--
	case xml.Directive:
		return nil, errors.New("a SOAP message must not contain a DTD")
	}
	return t, nil
}

// request is a decoded call.
type request struct {
	op   *api.Operation
	args []reflect.Value
}

// decodeEnvelope reads one SOAP 1.1 RPC request for svc from data:
// Envelope, optional Header, Body holding the operation element whose
// children are the parameters param0..N. It never panics; anything else
// is a *fault.
func decodeEnvelope(data []byte, svc *api.Service) (*request, error) {
	raw := xml.NewDecoder(bytes.NewReader(data))
	raw.Strict = true
	d := xml.NewTokenDecoder(&depthLimiter{d: raw})

	env, err := nextStart(d)
	if err != nil {
		return nil, clientFault("not a SOAP envelope: %v", err)
	}
	if env.Name.Local == "Envelope" && env.Name.Space == env12NS {
		return nil, &fault{code: "VersionMismatch", msg: "SOAP 1.2 is not supported: send a SOAP 1.1 envelope (" + envNS + ")"}
	}
	if env.Name.Local != "Envelope" || env.Name.Space != envNS {
		return nil, clientFault("not a SOAP 1.1 envelope: the root element is {%s}%s", env.Name.Space, env.Name.Local)
	}
	el, err := nextStart(d)
	if err != nil {
		return nil, clientFault("envelope without a Body: %v", err)
	}
	if el.Name.Space == envNS && el.Name.Local == "Header" {
		if err := checkHeader(d); err != nil {
			return nil, err
		}
		if el, err = nextStart(d); err != nil {
			return nil, clientFault("envelope without a Body: %v", err)
		}
	}
	if el.Name.Space != envNS || el.Name.Local != "Body" {
		return nil, clientFault("expected the SOAP Body, found {%s}%s", el.Name.Space, el.Name.Local)
	}
	opEl, err := nextStart(d)
	if err != nil {
		return nil, clientFault("empty SOAP Body: %v", err)
	}
	op := svc.Operation(opEl.Name.Local)
	if op == nil {
		return nil, clientFault("%s has no operation %q", svc.Name, opEl.Name.Local)
	}
	req := &request{op: op, args: make([]reflect.Value, len(op.Params))}
	if err := decodeParams(d, req); err != nil {
		return nil, err
	}
	// What follows the operation: the ends of Body and Envelope, and
	// nothing else but whitespace, comments and processing instructions.
	for ends := 0; ; {
		t, err := d.Token()
		if err == io.EOF {
			if ends != 2 {
				return nil, clientFault("truncated envelope")
			}
			break
		}
		if err != nil {
			return nil, clientFault("malformed envelope: %v", err)
		}
		switch t := t.(type) {
		case xml.EndElement:
			ends++
		case xml.StartElement:
			return nil, clientFault("unexpected element {%s}%s after the operation", t.Name.Space, t.Name.Local)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, clientFault("unexpected text after the operation")
			}
		}
	}
	for i, p := range op.Params {
		if !req.args[i].IsValid() {
			req.args[i] = reflect.Zero(p.Type) // absent: the seed's null
		}
	}
	return req, nil
}

// nextStart returns the next start element, skipping whitespace,
// comments and processing instructions; text or an end tag is an error.
func nextStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		t, err := d.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return xml.StartElement{}, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, fmt.Errorf("unexpected end of {%s}%s", t.Name.Space, t.Name.Local)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return xml.StartElement{}, errors.New("unexpected text")
			}
		}
	}
}

// checkHeader skips the Header, refusing any entry that must be
// understood: this service understands none (SOAP 1.1 section 4.2.3).
func checkHeader(d *xml.Decoder) error {
	for depth := 1; depth > 0; {
		t, err := d.Token()
		if err != nil {
			return clientFault("malformed SOAP Header: %v", err)
		}
		switch t := t.(type) {
		case xml.StartElement:
			if depth == 1 {
				for _, a := range t.Attr {
					if a.Name.Space == envNS && a.Name.Local == "mustUnderstand" && a.Value == "1" {
						return &fault{code: "MustUnderstand", msg: fmt.Sprintf("header {%s}%s is not understood", t.Name.Space, t.Name.Local)}
					}
				}
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

// decodeParams reads the operation element's children up to its end.
func decodeParams(d *xml.Decoder, req *request) error {
	for {
		t, err := d.Token()
		if err != nil {
			return clientFault("malformed %s request: %v", req.op.Name, err)
		}
		switch t := t.(type) {
		case xml.EndElement:
			return nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return clientFault("unexpected text in %s", req.op.Name)
			}
		case xml.StartElement:
			i := paramIndex(req.op, t.Name.Local)
			if i < 0 {
				return clientFault("%s has no parameter %q", req.op.Name, t.Name.Local)
			}
			if req.args[i].IsValid() {
				return clientFault("%s: parameter %s given twice", req.op.Name, t.Name.Local)
			}
			v, err := decodeParam(d, t, req.op.Params[i])
			if err != nil {
				return clientFault("%s: bad %s: %v", req.op.Name, t.Name.Local, err)
			}
			req.args[i] = v
		}
	}
}

func paramIndex(op *api.Operation, name string) int {
	for i, p := range op.Params {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// decodeParam decodes one parameter element into a value of p.Type.
func decodeParam(d *xml.Decoder, start xml.StartElement, p api.Param) (reflect.Value, error) {
	if isNil(start) {
		if err := d.Skip(); err != nil {
			return reflect.Value{}, err
		}
		return reflect.Zero(p.Type), nil
	}
	desc, err := api.Describe(p.Elem())
	if err != nil {
		return reflect.Value{}, err
	}
	ptr := reflect.New(p.Elem())
	if desc.Kind == api.Array {
		if err := decodeArray(d, ptr.Elem()); err != nil {
			return reflect.Value{}, err
		}
	} else if err := d.DecodeElement(ptr.Interface(), &start); err != nil {
		return reflect.Value{}, err
	}
	if p.Optional {
		return ptr, nil
	}
	return ptr.Elem(), nil
}

// decodeArray appends each <item> child to the slice s.
func decodeArray(d *xml.Decoder, s reflect.Value) error {
	for {
		t, err := d.Token()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.EndElement:
			return nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return errors.New("unexpected text in an array")
			}
		case xml.StartElement:
			if t.Name.Local != "item" {
				return fmt.Errorf("array element %q: want item", t.Name.Local)
			}
			item := reflect.New(s.Type().Elem())
			if err := d.DecodeElement(item.Interface(), &t); err != nil {
				return err
			}
			s.Set(reflect.Append(s, item.Elem()))
		}
	}
}

func isNil(start xml.StartElement) bool {
	for _, a := range start.Attr {
		if a.Name.Space == xsiNS && a.Name.Local == "nil" && (a.Value == "true" || a.Value == "1") {
			return true
		}
	}
	return false
}

// encodeResponse writes the RPC response envelope for op's result.
func encodeResponse(w *bytes.Buffer, tns string, op *api.Operation, result any) error {
	w.WriteString(xml.Header)
	w.WriteString(`<soap:Envelope xmlns:soap="` + envNS + `"><soap:Body><tns:` + op.Name + `Response xmlns:tns="` + tns + `">`)
	if result != nil {
		enc := xml.NewEncoder(w)
		start := xml.StartElement{Name: xml.Name{Local: "return"}}
		v := reflect.ValueOf(result)
		if v.Kind() == reflect.Slice {
			if err := enc.EncodeToken(start); err != nil {
				return err
			}
			for i := range v.Len() {
				if err := enc.EncodeElement(v.Index(i).Interface(), xml.StartElement{Name: xml.Name{Local: "item"}}); err != nil {
					return err
				}
			}
			if err := enc.EncodeToken(start.End()); err != nil {
				return err
			}
		} else if err := enc.EncodeElement(result, start); err != nil {
			return err
		}
		if err := enc.Flush(); err != nil {
			return err
		}
	}
	w.WriteString(`</tns:` + op.Name + `Response></soap:Body></soap:Envelope>`)
	return nil
}

// encodeFault writes a SOAP 1.1 fault. The detail carries the seed's
// status code and name when there is one.
func encodeFault(w *bytes.Buffer, tns string, f *fault) {
	w.WriteString(xml.Header)
	w.WriteString(`<soap:Envelope xmlns:soap="` + envNS + `"><soap:Body><soap:Fault><faultcode>soap:` + f.code + `</faultcode><faultstring>`)
	xml.EscapeText(w, []byte(f.msg))
	w.WriteString(`</faultstring>`)
	if f.status != integration.NoError {
		fmt.Fprintf(w, `<detail><tns:error xmlns:tns="%s"><status>%d</status><statusName>%s</statusName></tns:error></detail>`, tns, int(f.status), f.status)
	}
	w.WriteString(`</soap:Fault></soap:Body></soap:Envelope>`)
}
