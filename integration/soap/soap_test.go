package soap

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/api"
	"github.com/parley-im/parley/integration/auth"
)

var errBadPassword = errors.New("bad password")

// testService exercises every shape the descriptions use: strings,
// structs with repeated fields, optional struct/string/bool parameters,
// an array parameter and an array result, dateTime and long fields.
func testService() *api.Service {
	return &api.Service{
		Name: "TestService",
		Doc:  "a service for the binding's tests",
		MapError: func(err error) *api.Error {
			if errors.Is(err, errBadPassword) {
				return &api.Error{Code: api.Unauthenticated, Status: integration.NotAuthorized, Message: "invalid credentials"}
			}
			return nil
		},
		Operations: []*api.Operation{
			api.NewOperation("createSession", "creates a session",
				func(ctx context.Context, id, secret, kind string) (*auth.TokenObject, error) {
					switch secret {
					case "bad":
						return nil, errBadPassword
					case "boom":
						return nil, errors.New("database on fire at /var/lib/secret")
					case "slow":
						<-ctx.Done()
						return nil, ctx.Err()
					}
					return &auth.TokenObject{Token: "1_" + id + "_" + kind, TokenAttributes: []integration.AdhocAttribute{integration.Attr("TOKENID", "1"), integration.Attr("EXPIRY_TIME", "2030-01-01T00:00:00Z")}}, nil
				}, "id", "secret", "USER or SITE"),
			api.NewOperation("requestToken", "",
				func(ctx context.Context, id, tok string, props auth.TokenProperties, pol *auth.PolicyObject) (*auth.TokenObject, error) {
					n := "nil"
					if pol != nil {
						n = "policy"
						if v, ok := integration.LookupAttr(pol.PolicyArray, "K"); ok {
							n += ":" + v
						}
					}
					proxy, _ := integration.LookupAttr(props.TokenAttributes, "PROXY_USER")
					return &auth.TokenObject{Token: props.TokenPolicy + "|" + proxy + "|" + n, TokenIndex: id + tok}, nil
				}),
			api.NewOperation("requestMultipleTokens", "",
				func(ctx context.Context, id, tok string, props auth.TokenProperties, pols []auth.PolicyObject) ([]auth.TokenObject, error) {
					out := []auth.TokenObject{}
					for i := range pols {
						out = append(out, auth.TokenObject{Token: props.TokenPolicy + string(rune('a'+i))})
					}
					return out, nil
				}),
			api.NewOperation("getPresence", "",
				func(ctx context.Context, id, tok, jid string, res *string, all *bool) (*api.PresentityStatus, error) {
					r := api.PresentityResource{Priority: 5, Show: "AVAILABLE", LastModifiedDate: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
					if res != nil {
						r.ResourceName = "res:" + *res
					}
					if all != nil && *all {
						r.Status = "all"
					}
					return &api.PresentityStatus{UserJID: jid, AllResources: []api.PresentityResource{r}}, nil
				}),
			api.NewOperation("getBulkPresence", "",
				func(ctx context.Context, req api.BulkPresenceRequest) (*api.BulkPresenceResponse, error) {
					resp := &api.BulkPresenceResponse{StatusCode: int(integration.NoError), StatusMessage: "NO_ERROR"}
					if len(req.EntityJIDs) > 2 {
						return &api.BulkPresenceResponse{StatusCode: int(integration.RequestSizeExceeded), StatusMessage: "REQUEST_SIZE_EXCEEDED"}, nil
					}
					for _, j := range req.EntityJIDs {
						resp.PresentityStatusList = append(resp.PresentityStatusList, api.PresentityStatus{UserJID: j})
					}
					return resp, nil
				}),
		},
	}
}

func newTestServer(t *testing.T, cfg Config) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	New(cfg, testService()).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func envelope(body string) string {
	return `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="urn:parley-im:imtapp:ws"><soapenv:Body>` + body + `</soapenv:Body></soapenv:Envelope>`
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "text/xml; charset=utf-8", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// parsedFault is a fault read back from a response.
type parsedFault struct {
	Code   string `xml:"Body>Fault>faultcode"`
	String string `xml:"Body>Fault>faultstring"`
	Status int    `xml:"Body>Fault>detail>error>status"`
	Name   string `xml:"Body>Fault>detail>error>statusName"`
}

func readFault(t *testing.T, status int, body string) parsedFault {
	t.Helper()
	if status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500 for a fault; body %s", status, body)
	}
	var f parsedFault
	if err := xml.Unmarshal([]byte(body), &f); err != nil || f.Code == "" {
		t.Fatalf("not a fault (%v): %s", err, body)
	}
	return f
}

func TestCallAndResponse(t *testing.T) {
	srv := newTestServer(t, Config{})
	url := srv.URL + "/imtapp/ws/TestService"
	code, body := post(t, url, envelope(`<t:createSession><param0>site1</param0><param1>key</param1><param2>SITE</param2></t:createSession>`))
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var resp struct {
		Return auth.TokenObject `xml:"Body>createSessionResponse>return"`
	}
	if err := xml.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Return.Token != "1_site1_SITE" || len(resp.Return.TokenAttributes) != 2 {
		t.Fatalf("got %+v from %s", resp.Return, body)
	}
	if v, _ := integration.LookupAttr(resp.Return.TokenAttributes, "EXPIRY_TIME"); v != "2030-01-01T00:00:00Z" {
		t.Fatalf("EXPIRY_TIME %q", v)
	}

	// Optional struct absent, then present; repeated fields inside.
	code, body = post(t, url, envelope(`<t:requestToken><param0>a</param0><param1>b</param1><param2><tokenPolicy>PROXY::GUESTCHAT</tokenPolicy><tokenAttributes><name>PROXY_USER</name><value>bob</value></tokenAttributes></param2></t:requestToken>`))
	if code != 200 || !strings.Contains(body, "<token>PROXY::GUESTCHAT|bob|nil</token>") || !strings.Contains(body, "<tokenIndex>ab</tokenIndex>") {
		t.Fatalf("requestToken without param3: %d %s", code, body)
	}
	code, body = post(t, url, envelope(`<t:requestToken><param0>a</param0><param1>b</param1><param2><tokenPolicy>PRESENCE</tokenPolicy></param2><param3><policyArray><name>k</name><value>v</value></policyArray></param3></t:requestToken>`))
	if code != 200 || !strings.Contains(body, "<token>PRESENCE||policy:v</token>") {
		t.Fatalf("requestToken with param3: %d %s", code, body)
	}
	// xsi:nil is the seed's null.
	code, body = post(t, url, envelope(`<t:requestToken xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><param0>a</param0><param1>b</param1><param2><tokenPolicy>PRESENCE</tokenPolicy></param2><param3 xsi:nil="true"/></t:requestToken>`))
	if code != 200 || !strings.Contains(body, "<token>PRESENCE||nil</token>") {
		t.Fatalf("requestToken with nil param3: %d %s", code, body)
	}

	// Array parameter and array result.
	code, body = post(t, url, envelope(`<t:requestMultipleTokens><param0>a</param0><param1>b</param1><param2><tokenPolicy>P</tokenPolicy></param2><param3><item/><item><policyArray><name>x</name></policyArray></item></param3></t:requestMultipleTokens>`))
	var multi struct {
		Items []auth.TokenObject `xml:"Body>requestMultipleTokensResponse>return>item"`
	}
	if err := xml.Unmarshal([]byte(body), &multi); err != nil || code != 200 || len(multi.Items) != 2 || multi.Items[1].Token != "Pb" {
		t.Fatalf("requestMultipleTokens: %d %v %s", code, err, body)
	}

	// Optional string and boolean; long and dateTime in the result.
	code, body = post(t, url, envelope(`<t:getPresence><param0>a</param0><param1>b</param1><param2>bob@localhost</param2><param3>phone</param3><param4>true</param4></t:getPresence>`))
	for _, want := range []string{"<userJID>bob@localhost</userJID>", "<resourceName>res:phone</resourceName>", "<status>all</status>", "<priority>5</priority>", "<lastModifiedDate>2026-01-02T03:04:05Z</lastModifiedDate>"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("getPresence: want %s in %d %s", want, code, body)
		}
	}

	// A status code in the result is a normal response, not a fault.
	code, body = post(t, url, envelope(`<t:getBulkPresence><param0><entityJIDs>a</entityJIDs><entityJIDs>b</entityJIDs><entityJIDs>c</entityJIDs></param0></t:getBulkPresence>`))
	if code != 200 || !strings.Contains(body, "<statusCode>1011</statusCode>") {
		t.Fatalf("getBulkPresence: %d %s", code, body)
	}
}

func TestFaults(t *testing.T) {
	srv := newTestServer(t, Config{MaxRequestBytes: 4096, Timeout: 50 * time.Millisecond})
	url := srv.URL + "/imtapp/ws/TestService"
	cases := []struct {
		name, body, code, inString string
		status                     int
	}{
		{"not xml", "hello", "soap:Client", "not a SOAP envelope", 1010},
		{"wrong root", `<foo/>`, "soap:Client", "not a SOAP 1.1 envelope", 1010},
		{"soap 1.2", `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>`, "soap:VersionMismatch", "SOAP 1.2", 0},
		{"no body", `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"></e:Envelope>`, "soap:Client", "without a Body", 1010},
		{"empty body", envelope(""), "soap:Client", "empty SOAP Body", 1010},
		{"unknown operation", envelope(`<t:nope/>`), "soap:Client", `TestService has no operation "nope"`, 1010},
		{"unknown parameter", envelope(`<t:createSession><param9>x</param9></t:createSession>`), "soap:Client", `no parameter "param9"`, 1010},
		{"parameter twice", envelope(`<t:createSession><param0>x</param0><param0>y</param0></t:createSession>`), "soap:Client", "given twice", 1010},
		{"bad boolean", envelope(`<t:getPresence><param4>maybe</param4></t:getPresence>`), "soap:Client", "bad param4", 1010},
		{"bad array item", envelope(`<t:requestMultipleTokens><param3><thing/></param3></t:requestMultipleTokens>`), "soap:Client", "want item", 1010},
		{"truncated", envelope(`<t:createSession><param0>x</param0>`)[:150], "soap:Client", "", 1010},
		{"dtd", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>` + envelope(""), "soap:Client", "DTD", 1010},
		{"too deep", envelope(`<t:createSession><param0>` + strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40) + `</param0></t:createSession>`), "soap:Client", "nested too deeply", 1010},
		{"too large", envelope(`<t:createSession><param0>` + strings.Repeat("x", 5000) + `</param0></t:createSession>`), "soap:Client", "larger than 4096 bytes", 1011},
		{"trailing element", envelope(`<t:createSession/>`) + `<x/>`, "soap:Client", "after the operation", 1010},
		{"must understand", `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><h:sec xmlns:h="urn:x" e:mustUnderstand="1"/></e:Header><e:Body><createSession/></e:Body></e:Envelope>`, "soap:MustUnderstand", "not understood", 0},
		{"service error mapped", envelope(`<t:createSession><param1>bad</param1></t:createSession>`), "soap:Client", "invalid credentials", 1032},
		{"internal error hidden", envelope(`<t:createSession><param1>boom</param1></t:createSession>`), "soap:Server", "internal error", 1090},
		{"timeout", envelope(`<t:createSession><param1>slow</param1></t:createSession>`), "soap:Server", "timed out", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := post(t, url, c.body)
			f := readFault(t, code, body)
			if f.Code != c.code || !strings.Contains(f.String, c.inString) || f.Status != c.status {
				t.Fatalf("got %+v, want %s containing %q with status %d", f, c.code, c.inString, c.status)
			}
			if strings.Contains(f.String, "/var/lib/secret") || strings.Contains(f.String, "goroutine") {
				t.Fatalf("fault leaks internals: %q", f.String)
			}
			if c.status != 0 && f.Name != integration.Status(c.status).String() {
				t.Fatalf("status name %q for %d", f.Name, c.status)
			}
		})
	}
	// A header without mustUnderstand is ignored.
	code, body := post(t, url, `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><h:x xmlns:h="urn:x"/></e:Header><e:Body><createSession><param0>s</param0></createSession></e:Body></e:Envelope>`)
	if code != 200 || !strings.Contains(body, "<token>1_s_</token>") {
		t.Fatalf("with a header: %d %s", code, body)
	}
}

func TestWSDLAndPages(t *testing.T) {
	srv := newTestServer(t, Config{})
	for _, q := range []string{"?WSDL", "?wsdl", "?Wsdl="} {
		req, _ := http.NewRequest("GET", srv.URL+"/imtapp/ws/TestService"+q, nil)
		req.Host = "rtc.example.com:8080"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var doc struct {
			Address struct {
				Location string `xml:"location,attr"`
			} `xml:"service>port>address"`
			Binding struct {
				Style string `xml:"style,attr"`
			} `xml:"binding>binding"`
			Messages []struct {
				Name  string `xml:"name,attr"`
				Parts []struct {
					Name string `xml:"name,attr"`
					Type string `xml:"type,attr"`
				} `xml:"part"`
			} `xml:"message"`
		}
		if err := xml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v\n%s", q, err, b)
		}
		if doc.Address.Location != "http://rtc.example.com:8080/imtapp/ws/TestService" || doc.Binding.Style != "rpc" {
			t.Fatalf("%s: address %q style %q", q, doc.Address.Location, doc.Binding.Style)
		}
		found := false
		for _, m := range doc.Messages {
			if m.Name == "requestMultipleTokens" {
				found = len(m.Parts) == 4 && m.Parts[3].Name == "param3" && m.Parts[3].Type == "tns:ArrayOfPolicyObject"
			}
		}
		if !found {
			t.Fatalf("%s: requestMultipleTokens message not described right:\n%s", q, b)
		}
		for _, want := range []string{`<xsd:complexType name="ArrayOfPolicyObject">`, `<xsd:element name="tokenAttributes" type="tns:AdhocAttribute" minOccurs="0" maxOccurs="unbounded"/>`, `<xsd:element name="lastModifiedDate" type="xsd:dateTime" minOccurs="0"/>`, `<xsd:element name="priority" type="xsd:long" minOccurs="0"/>`} {
			if !bytes.Contains(b, []byte(want)) {
				t.Fatalf("%s: WSDL lacks %s", q, want)
			}
		}
	}
	for path, want := range map[string]int{"/imtapp/ws/Nope?WSDL": 404, "/imtapp/ws/": 200, "/imtapp/ws": 200, "/imtapp/ws/testservice": 200} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || (want == 200 && !strings.Contains(string(b), "TestService")) {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
	}
	req, _ := http.NewRequest("PUT", srv.URL+"/imtapp/ws/TestService", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("PUT: %d", resp.StatusCode)
	}
}
