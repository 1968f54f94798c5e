package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"testing"
)

// FuzzDecodeEnvelope: the decoder never panics, answers every input with
// a request or a *fault, and accepts only documents whose root is a
// SOAP 1.1 Envelope.
func FuzzDecodeEnvelope(f *testing.F) {
	svc := testService()
	for _, s := range []string{
		envelope(`<t:createSession><param0>a</param0><param1>b</param1><param2>SITE</param2></t:createSession>`),
		envelope(`<t:requestMultipleTokens><param2><tokenPolicy>P</tokenPolicy></param2><param3><item><policyArray><name>x</name></policyArray></item></param3></t:requestMultipleTokens>`),
		envelope(`<t:getPresence xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><param3 xsi:nil="true"/><param4>1</param4></t:getPresence>`),
		envelope(`<t:getBulkPresence><param0><entityJIDs>a</entityJIDs><allResources>true</allResources></param0></t:getBulkPresence>`),
		`<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><h xmlns="urn:h" e:mustUnderstand="1"/></e:Header><e:Body/></e:Envelope>`,
		`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>`,
		`<!DOCTYPE x><x/>`,
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := decodeEnvelope(data, svc)
		if err != nil {
			var ft *fault
			if !errors.As(err, &ft) || ft.msg == "" {
				t.Fatalf("error %v is not a fault with a message", err)
			}
			if req != nil {
				t.Fatal("both a request and an error")
			}
			return
		}
		if req.op == nil || len(req.args) != len(req.op.Params) {
			t.Fatalf("accepted without an operation or with %d args", len(req.args))
		}
		for i, a := range req.args {
			if !a.IsValid() || a.Type() != req.op.Params[i].Type {
				t.Fatalf("arg %d has the wrong type", i)
			}
		}
		// Accepted: the root element must be a SOAP 1.1 Envelope.
		d := xml.NewDecoder(bytes.NewReader(data))
		for {
			tok, err := d.Token()
			if err != nil {
				t.Fatalf("accepted a document without a root element: %v", err)
			}
			if se, ok := tok.(xml.StartElement); ok {
				if se.Name.Space != envNS || se.Name.Local != "Envelope" {
					t.Fatalf("accepted root {%s}%s", se.Name.Space, se.Name.Local)
				}
				return
			}
		}
	})
}
