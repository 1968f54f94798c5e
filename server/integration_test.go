package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/integration/configuration"
	"github.com/parley-im/parley/internal/xmpptest"
)

// binding calls one operation over SOAP or JSON and decodes its result
// into out (the service layer's own types: they carry the seed's names
// for both encodings).
type binding string

const (
	soapB binding = "soap"
	jsonB binding = "json"
)

// callErr is a failed call as the client sees it: a SOAP fault or a JSON
// error object.
type callErr struct {
	HTTP   int
	Fault  string // soap:Client, soap:Server (SOAP only)
	Status int    // the seed's status code in the detail / body
	Msg    string
}

func (e *callErr) String() string {
	if e == nil {
		return "<ok>"
	}
	return fmt.Sprintf("%d %s status %d: %s", e.HTTP, e.Fault, e.Status, e.Msg)
}

type itest struct {
	t    *testing.T
	srv  *xmpptest.Server
	base string
}

func newITest(t *testing.T, opts ...xmpptest.Options) *itest {
	srv := xmpptest.RunServer(t, opts...)
	return &itest{t: t, srv: srv, base: "http://" + srv.Addr("http").String()}
}

// site provisions a site through the store (the same store the server
// uses) with the given policies; returns its ID and key.
func (it *itest) site(id string, policies ...string) (string, string) {
	it.t.Helper()
	a, err := auth.New(auth.Options{Store: it.srv.Store()})
	if err != nil {
		it.t.Fatal(err)
	}
	s, key, err := a.CreateSite(context.Background(), id, "site "+id, auth.SettingsForPolicies(policies))
	if err != nil {
		it.t.Fatal(err)
	}
	return s.ID, key
}

func (it *itest) call(b binding, svc, op string, out any, params ...any) *callErr {
	it.t.Helper()
	if b == jsonB {
		body := map[string]any{}
		for i, p := range params {
			body[fmt.Sprintf("param%d", i)] = p
		}
		data, _ := json.Marshal(body)
		resp, err := http.Post(it.base+"/api/v1/"+svc+"/"+op, "application/json", bytes.NewReader(data))
		if err != nil {
			it.t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			var e struct {
				Error  string
				Status int
			}
			if err := json.Unmarshal(raw, &e); err != nil {
				it.t.Fatalf("%s: %d, not a JSON error: %s", op, resp.StatusCode, raw)
			}
			return &callErr{HTTP: resp.StatusCode, Status: e.Status, Msg: e.Error}
		}
		if err := json.Unmarshal(raw, out); err != nil {
			it.t.Fatalf("%s: %v in %s", op, err, raw)
		}
		return nil
	}
	var env bytes.Buffer
	env.WriteString(`<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><ns:` + op + ` xmlns:ns="urn:parley-im:imtapp:ws">`)
	enc := xml.NewEncoder(&env)
	for i, p := range params {
		if p == nil {
			continue
		}
		if err := enc.EncodeElement(p, xml.StartElement{Name: xml.Name{Local: fmt.Sprintf("param%d", i)}}); err != nil {
			it.t.Fatal(err)
		}
	}
	enc.Flush()
	env.WriteString(`</ns:` + op + `></S:Body></S:Envelope>`)
	resp, err := http.Post(it.base+"/imtapp/ws/"+svc, "text/xml; charset=utf-8", &env)
	if err != nil {
		it.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var f struct {
		Code   string `xml:"Body>Fault>faultcode"`
		Msg    string `xml:"Body>Fault>faultstring"`
		Status int    `xml:"Body>Fault>detail>error>status"`
	}
	if err := xml.Unmarshal(raw, &f); err != nil {
		it.t.Fatalf("%s: not XML: %v %s", op, err, raw)
	}
	if f.Code != "" {
		if resp.StatusCode != 500 {
			it.t.Fatalf("%s: fault with HTTP %d", op, resp.StatusCode)
		}
		return &callErr{HTTP: resp.StatusCode, Fault: f.Code, Status: f.Status, Msg: f.Msg}
	}
	if resp.StatusCode != 200 {
		it.t.Fatalf("%s: HTTP %d without a fault: %s", op, resp.StatusCode, raw)
	}
	// The result is the one child of <opResponse>: <return>.
	d := xml.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := d.Token()
		if err != nil {
			it.t.Fatalf("%s: no <return> in %s", op, raw)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "return" {
			if err := d.DecodeElement(out, &se); err != nil {
				it.t.Fatalf("%s: %v in %s", op, err, raw)
			}
			return nil
		}
	}
}

// tokenArray is requestMultipleTokens' result in both encodings.
type tokenArray []auth.TokenObject

func (a *tokenArray) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var w struct {
		Items []auth.TokenObject `xml:"item"`
	}
	if err := d.DecodeElement(&w, &start); err != nil {
		return err
	}
	*a = w.Items
	return nil
}

// policyArray is requestMultipleTokens' param3 in both encodings.
type policyArray []auth.PolicyObject

func (a policyArray) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(struct {
		Items []auth.PolicyObject `xml:"item"`
	}{a}, start)
}

func attr(obj auth.TokenObject, name string) string {
	for _, a := range obj.TokenAttributes {
		if a.Name == name && a.Value != nil {
			return *a.Value
		}
	}
	return ""
}

// expectErr checks a failure: SOAP soap:Client (or Server) fault with the
// status in its detail, or JSON httpStatus with the status in the body.
func expectErr(t *testing.T, b binding, what string, e *callErr, httpStatus, status int) {
	t.Helper()
	if e == nil {
		t.Fatalf("%s: succeeded, want an error", what)
	}
	wantFault := "soap:Client"
	if httpStatus >= 500 {
		wantFault = "soap:Server"
	}
	if b == soapB && (e.Fault != wantFault || e.Status != status) {
		t.Fatalf("%s: %s, want %s with status %d", what, e, wantFault, status)
	}
	if b == jsonB && (e.HTTP != httpStatus || e.Status != status) {
		t.Fatalf("%s: %s, want HTTP %d with status %d", what, e, httpStatus, status)
	}
	if e.Msg == "" || strings.Contains(e.Msg, "goroutine") {
		t.Fatalf("%s: message %q", what, e.Msg)
	}
}

// TestIntegrationAuthentication runs every Authentication operation and
// its error paths over both bindings against a running server.
func TestIntegrationAuthentication(t *testing.T) {
	it := newITest(t, func(c *config.Config) { c.Integration.MaxRequestSize = 3 })
	it.srv.AddUser("alice@localhost", "secret")
	siteID, key := it.site("shop", "PRESENCE", "PROXY")
	plainID, plainKey := it.site("plain") // SESSION only
	const svc = "AuthenticationService"
	for _, b := range []binding{soapB, jsonB} {
		t.Run(string(b), func(t *testing.T) {
			// createSession (chapter 4, step 1).
			var session auth.TokenObject
			if e := it.call(b, svc, "createSession", &session, siteID, key, "SITE"); e != nil {
				t.Fatalf("createSession: %s", e)
			}
			if session.Token == "" || !strings.HasPrefix(session.Token, attr(session, "TOKENID")+"_") || attr(session, "EXPIRY_TIME") == "" {
				t.Fatalf("session token %+v", session)
			}
			// requestToken for PRESENCE with the session token and a null
			// PolicyObject (chapter 4, step 2).
			var pres auth.TokenObject
			if e := it.call(b, svc, "requestToken", &pres, siteID, session.Token, auth.TokenProperties{TokenPolicy: "PRESENCE"}, nil); e != nil {
				t.Fatalf("requestToken: %s", e)
			}
			if pres.Token == session.Token || attr(pres, "TOKENID") == "" {
				t.Fatalf("presence token %+v", pres)
			}
			var st auth.TokenObject
			if e := it.call(b, svc, "getTokenStatus", &st, siteID, pres.Token); e != nil || attr(st, "STATUS") != "VALID" || attr(st, "TOKEN_POLICY") != "PRESENCE" {
				t.Fatalf("getTokenStatus: %s %+v", e, st)
			}
			// PROXY needs PROXY_USER.
			var proxy auth.TokenObject
			e := it.call(b, svc, "requestToken", &proxy, siteID, session.Token, auth.TokenProperties{TokenPolicy: "PROXY::PRESENCE"}, nil)
			expectErr(t, b, "PROXY without PROXY_USER", e, 400, 1010)
			if e := it.call(b, svc, "requestToken", &proxy, siteID, session.Token,
				auth.TokenProperties{TokenPolicy: "PROXY::PRESENCE", TokenAttributes: []integration.AdhocAttribute{integration.Attr("PROXY_USER", "guest1")}}, nil); e != nil {
				t.Fatalf("PROXY with PROXY_USER: %s", e)
			}
			// requestMultipleTokens: one per PolicyObject, in order.
			var many tokenArray
			pols := policyArray{{}, {PolicyArray: []integration.AdhocAttribute{integration.Attr("TOKEN_POLICY", "PRESENCE")}}}
			if e := it.call(b, svc, "requestMultipleTokens", &many, siteID, session.Token, auth.TokenProperties{TokenPolicy: "PRESENCE"}, pols); e != nil || len(many) != 2 || many[0].TokenIndex != "0" || many[1].TokenIndex != "1" {
				t.Fatalf("requestMultipleTokens: %s %+v", e, many)
			}
			e = it.call(b, svc, "requestMultipleTokens", &many, siteID, session.Token, auth.TokenProperties{TokenPolicy: "PRESENCE"}, policyArray{{}, {}, {}, {}})
			expectErr(t, b, "requestMultipleTokens over max_request_size", e, 400, 1011)
			// requestTokenForCredentials with the key and with the token.
			var viaKey, viaTok auth.TokenObject
			if e := it.call(b, svc, "requestTokenForCredentials", &viaKey,
				auth.CredentialObject{CredentialType: "PASSWORD", EntityType: "SITE", EntityCredential: key, EntityID: siteID},
				auth.TokenProperties{TokenPolicy: "PRESENCE"}, nil); e != nil || viaKey.Token == "" {
				t.Fatalf("requestTokenForCredentials PASSWORD: %s", e)
			}
			if e := it.call(b, svc, "requestTokenForCredentials", &viaTok,
				auth.CredentialObject{CredentialType: "TOKEN", EntityType: "SITE", EntityCredential: session.Token, EntityID: siteID},
				auth.TokenProperties{TokenPolicy: "PRESENCE"}, nil); e != nil || viaTok.Token == "" {
				t.Fatalf("requestTokenForCredentials TOKEN: %s", e)
			}
			e = it.call(b, svc, "requestTokenForCredentials", &viaTok,
				auth.CredentialObject{CredentialType: "KERBEROS", EntityType: "SITE", EntityCredential: key, EntityID: siteID},
				auth.TokenProperties{TokenPolicy: "PRESENCE"}, nil)
			expectErr(t, b, "unknown credential type", e, 400, 1010)

			// endSession by another entity is refused; by its owner it
			// ends the session and, transitively, its children.
			var ended auth.TokenObject
			e = it.call(b, svc, "endSession", &ended, plainID, session.Token)
			expectErr(t, b, "endSession of another site's token", e, 403, 1032)
			if e := it.call(b, svc, "endSession", &ended, siteID, session.Token); e != nil || ended.Token != session.Token {
				t.Fatalf("endSession: %s %+v", e, ended)
			}
			for _, child := range []auth.TokenObject{session, pres, proxy, many[0], many[1], viaTok} {
				st = auth.TokenObject{} // XML decoding appends to slices
				if e := it.call(b, svc, "getTokenStatus", &st, siteID, child.Token); e != nil || attr(st, "STATUS") != "INVALID" {
					t.Fatalf("after endSession, %s: %s %+v", child.Token, e, st)
				}
			}
			// A token obtained with the key is no child of the session.
			st = auth.TokenObject{}
			if e := it.call(b, svc, "getTokenStatus", &st, siteID, viaKey.Token); e != nil || attr(st, "STATUS") != "VALID" {
				t.Fatalf("independent token after endSession: %s %+v", e, st)
			}
			e = it.call(b, svc, "requestToken", &pres, siteID, session.Token, auth.TokenProperties{TokenPolicy: "PRESENCE"}, nil)
			expectErr(t, b, "requestToken with an ended session", e, 401, 1032)

			// Credentials and authorization.
			e = it.call(b, svc, "createSession", &session, siteID, "not-the-key", "SITE")
			expectErr(t, b, "wrong site key", e, 401, 1032)
			e = it.call(b, svc, "createSession", &session, siteID, key, "ROBOT")
			expectErr(t, b, "unknown entity type", e, 400, 1010)
			var plain auth.TokenObject
			if e := it.call(b, svc, "createSession", &plain, plainID, plainKey, "SITE"); e != nil {
				t.Fatalf("createSession plain: %s", e)
			}
			e = it.call(b, svc, "requestToken", &pres, plainID, plain.Token, auth.TokenProperties{TokenPolicy: "PRESENCE"}, nil)
			expectErr(t, b, "PRESENCE for a site without auth_presence_enabled", e, 403, 1032)

			// Users authenticate with their XMPP account.
			var user auth.TokenObject
			if e := it.call(b, svc, "createSession", &user, "alice@localhost", "secret", "USER"); e != nil {
				t.Fatalf("createSession USER: %s", e)
			}
			e = it.call(b, svc, "createSession", &user, "alice@localhost", "wrong", "USER")
			expectErr(t, b, "wrong password", e, 401, 1032)
		})
	}
}

// TestIntegrationConfiguration: getConfiguration over both bindings:
// fullnames and namespace + property, public and entity entries, live
// values, service URLs from the request, Table 3-16's status codes.
func TestIntegrationConfiguration(t *testing.T) {
	it := newITest(t, func(c *config.Config) { c.Integration.AdminEmail = "ops@example.com" })
	siteID, key := it.site("cfg", "PRESENCE")
	otherID, _ := it.site("other")
	for _, b := range []binding{soapB, jsonB} {
		t.Run(string(b), func(t *testing.T) {
			var session auth.TokenObject
			if e := it.call(b, "AuthenticationService", "createSession", &session, siteID, key, "SITE"); e != nil {
				t.Fatal(e)
			}
			get := func(req configuration.GetConfigurationRequest) configuration.GetConfigurationResponse {
				t.Helper()
				var resp configuration.GetConfigurationResponse
				if e := it.call(b, "ConfigurationService", "getConfiguration", &resp, req); e != nil {
					t.Fatalf("getConfiguration: %s", e)
				}
				return resp
			}
			values := func(resp configuration.GetConfigurationResponse) map[string]*string {
				m := map[string]*string{}
				for _, p := range resp.Properties {
					m[p.Name] = p.Value
				}
				return m
			}
			resp := get(configuration.GetConfigurationRequest{EntityID: siteID, EntityToken: session.Token,
				Properties: []string{"rtc.application.admin_email", "rtc.application.auth_presence_enabled", "rtc.application.auth_proxy_enabled", "rtc.application.current_server_time", "rtc.nothing.here"}})
			v := values(resp)
			if resp.StatusCode != 0 || *v["rtc.application.admin_email"] != "ops@example.com" || *v["rtc.application.auth_presence_enabled"] != "true" ||
				*v["rtc.application.auth_proxy_enabled"] != "false" || v["rtc.application.current_server_time"] == nil || v["rtc.nothing.here"] != nil ||
				!strings.Contains(resp.StatusDetails, "rtc.nothing.here") {
				t.Fatalf("by fullname: %+v", resp)
			}
			// Namespace + property, both ways of the seed's example; the
			// endpoint is served here, at the URL the client used.
			for _, q := range []struct{ ns, prop string }{
				{"rtc.servicecatalog.authenticationservice", "versions"},
				{"rtc.servicecatalog", "authenticationservice.versions"},
			} {
				r := get(configuration.GetConfigurationRequest{EntityID: siteID, EntityToken: session.Token, Namespace: q.ns, Properties: []string{q.prop}})
				if r.StatusCode != 0 || len(r.Properties) != 1 || r.Properties[0].Value == nil || *r.Properties[0].Value == "" {
					t.Fatalf("%s / %s: %+v", q.ns, q.prop, r)
				}
			}
			r := get(configuration.GetConfigurationRequest{EntityID: siteID, EntityToken: session.Token, Namespace: "rtc.servicecatalog", Properties: []string{"service_home", "authenticationservice.url.wsdl"}})
			v = values(r)
			home := *v["service_home"]
			if home != it.base+"/imtapp/ws/" {
				t.Fatalf("service_home %q, want %s/imtapp/ws/", home, it.base)
			}
			wsdl, err := http.Get(home + *v["authenticationservice.url.wsdl"])
			if err != nil {
				t.Fatal(err)
			}
			wsdlBody, _ := io.ReadAll(wsdl.Body)
			wsdl.Body.Close()
			if wsdl.StatusCode != 200 || !bytes.Contains(wsdlBody, []byte(`<soap:address location="`+it.base+`/imtapp/ws/AuthenticationService"/>`)) {
				t.Fatalf("the WSDL the directory points at: %d %s", wsdl.StatusCode, wsdlBody)
			}
			// Status codes of Table 3-16.
			if r := get(configuration.GetConfigurationRequest{EntityID: siteID, EntityToken: "123_nope", Properties: []string{"rtc.application.token_life"}}); r.StatusCode != 1032 {
				t.Fatalf("invalid token: %+v", r)
			}
			if r := get(configuration.GetConfigurationRequest{EntityID: otherID, EntityToken: session.Token, Properties: []string{"rtc.application.token_life"}}); r.StatusCode != 4 {
				t.Fatalf("another site's ID: %+v", r)
			}
			if r := get(configuration.GetConfigurationRequest{EntityID: siteID, EntityToken: session.Token, Properties: []string{"rtc.application.token_life"}}); *values(r)["rtc.application.token_life"] != "3600" {
				t.Fatalf("token_life: %+v", r)
			}
		})
	}
}

// TestIntegrationDocuments: each service's WSDL names the address the
// client used (or a trusted proxy's), and the OpenAPI document lists
// every operation.
func TestIntegrationDocuments(t *testing.T) {
	it := newITest(t, func(c *config.Config) { c.HTTP.TrustedProxies = []string{"127.0.0.1/32"} })
	for _, svc := range []string{"AuthenticationService", "ConfigurationService", "PresenceService"} {
		req, _ := http.NewRequest("GET", it.base+"/imtapp/ws/"+svc+"?WSDL", nil)
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("X-Forwarded-Host", "rtc.example.com")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Contains(body, []byte(`location="https://rtc.example.com/imtapp/ws/`+svc+`"`)) {
			t.Fatalf("%s WSDL behind a trusted proxy: %s", svc, body)
		}
		// A forged host is not taken as is.
		req.Header.Set("X-Forwarded-Host", `evil"><x`)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(body, []byte("evil")) {
			t.Fatalf("forged X-Forwarded-Host taken: %s", body)
		}
	}
	resp, err := http.Get(it.base + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var doc struct {
		Paths map[string]any
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	// A real validator where the machine has one (the image's pyenv
	// Python ships openapi-spec-validator; Debian's Python does not).
	if py, err := exec.LookPath("python3"); err == nil && exec.Command(py, "-c", "import openapi_spec_validator").Run() == nil {
		f := filepath.Join(t.TempDir(), "openapi.json")
		os.WriteFile(f, raw, 0o644)
		out, err := exec.Command(py, "-c", "import json,sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print('valid')", f).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "valid") {
			t.Fatalf("openapi-spec-validator: %v\n%s", err, out)
		}
	}
	for _, p := range []string{"/AuthenticationService/createSession", "/AuthenticationService/requestToken", "/AuthenticationService/requestMultipleTokens",
		"/AuthenticationService/requestTokenForCredentials", "/AuthenticationService/endSession", "/AuthenticationService/getTokenStatus", "/ConfigurationService/getConfiguration",
		"/PresenceService/getPresence", "/PresenceService/getBulkPresence"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("OpenAPI lacks %s", p)
		}
	}
}

// TestIntegrationDisabled: integration.enabled = false serves none of it.
func TestIntegrationDisabled(t *testing.T) {
	it := newITest(t, func(c *config.Config) { c.Integration.Enabled = false })
	for _, path := range []string{"/imtapp/ws/AuthenticationService?WSDL", "/api/v1/openapi.json"} {
		resp, err := http.Get(it.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("%s: %d with the services disabled", path, resp.StatusCode)
		}
	}
}

// TestIntegrationPresence: getPresence and getBulkPresence over both
// bindings for a user whose presence a raw XMPP client sets: default
// resource, a named one, all of them; Table 3-49's limits; a user's
// token limited to its own presence; invalid tokens.
func TestIntegrationPresence(t *testing.T) {
	it := newITest(t, func(c *config.Config) {
		c.Integration.MaxRequestSize = 3
		c.Integration.MaxResponseSize = 2
	})
	it.srv.AddUser("alice@localhost", "secret")
	it.srv.AddUser("bob@localhost", "secret")
	siteID, key := it.site("pres", "PRESENCE")
	plainID, plainKey := it.site("nopres")
	desk := it.srv.Dial()
	desk.Login("alice", "secret", "desk")
	desk.Send("<presence><show>dnd</show><status>in a meeting</status><priority>5</priority></presence>")
	phone := it.srv.Dial()
	phone.Login("alice", "secret", "phone")
	phone.Send("<presence><show>away</show><priority>1</priority></presence>")

	const svc = "PresenceService"
	for _, b := range []binding{soapB, jsonB} {
		t.Run(string(b), func(t *testing.T) {
			var session, pres, plain, user auth.TokenObject
			if e := it.call(b, "AuthenticationService", "createSession", &session, siteID, key, "SITE"); e != nil {
				t.Fatal(e)
			}
			if e := it.call(b, "AuthenticationService", "requestToken", &pres, siteID, session.Token, auth.TokenProperties{TokenPolicy: "PRESENCE"}, nil); e != nil {
				t.Fatal(e)
			}
			if e := it.call(b, "AuthenticationService", "createSession", &plain, plainID, plainKey, "SITE"); e != nil {
				t.Fatal(e)
			}
			if e := it.call(b, "AuthenticationService", "createSession", &user, "bob@localhost", "secret", "USER"); e != nil {
				t.Fatal(e)
			}
			type resource struct {
				ResourceName     string `xml:"resourceName" json:"resourceName"`
				Show             string `xml:"show" json:"show"`
				Status           string `xml:"status" json:"status"`
				Priority         int64  `xml:"priority" json:"priority"`
				LastModifiedDate string `xml:"lastModifiedDate" json:"lastModifiedDate"`
			}
			type presentity struct {
				UserJID      string     `xml:"userJID" json:"userJID"`
				AllResources []resource `xml:"allResources" json:"allResources"`
			}
			get := func(tok string, res, all any) presentity {
				t.Helper()
				var p presentity
				if e := it.call(b, svc, "getPresence", &p, siteID, tok, "alice@localhost", res, all); e != nil {
					t.Fatalf("getPresence: %s", e)
				}
				return p
			}
			xmpptest.WaitFor(t, "both of alice's resources online", func() bool {
				return len(get(pres.Token, nil, true).AllResources) == 2
			})
			// The default resource: the highest priority (desk, dnd).
			p := get(pres.Token, nil, nil)
			if p.UserJID != "alice@localhost" || len(p.AllResources) != 1 || p.AllResources[0].ResourceName != "desk" ||
				p.AllResources[0].Show != "DND" || p.AllResources[0].Status != "in a meeting" || p.AllResources[0].Priority != 5 || p.AllResources[0].LastModifiedDate == "" {
				t.Fatalf("default resource: %+v", p)
			}
			if p := get(session.Token, "phone", nil); len(p.AllResources) != 1 || p.AllResources[0].Show != "AWAY" {
				t.Fatalf("named resource with the SESSION token: %+v", p)
			}
			if p := get(pres.Token, "tablet", true); len(p.AllResources) != 0 {
				t.Fatalf("a resource that is not online: %+v", p)
			}
			var pp presentity
			expectErr(t, b, "invalid token", it.call(b, svc, "getPresence", &pp, siteID, "99_nope", "alice@localhost", nil, nil), 401, 1032)
			expectErr(t, b, "site without presence", it.call(b, svc, "getPresence", &pp, plainID, plain.Token, "alice@localhost", nil, nil), 403, 1032)
			expectErr(t, b, "a user asking for another", it.call(b, svc, "getPresence", &pp, "bob@localhost", user.Token, "alice@localhost", nil, nil), 403, 1032)
			expectErr(t, b, "not a JID", it.call(b, svc, "getPresence", &pp, siteID, pres.Token, "@@", nil, nil), 400, 1010)
			if e := it.call(b, svc, "getPresence", &pp, "bob@localhost", user.Token, "bob@localhost", nil, nil); e != nil || len(pp.AllResources) != 0 {
				t.Fatalf("a user's own (offline) presence: %s %+v", e, pp)
			}

			type bulkResp struct {
				StatusCode           int          `xml:"statusCode" json:"statusCode"`
				StatusMessage        string       `xml:"statusMessage" json:"statusMessage"`
				PresentityStatusList []presentity `xml:"presentityStatusList" json:"presentityStatusList"`
			}
			type bulkReq struct {
				EntityID     string   `xml:"entityID" json:"entityID"`
				EntityToken  string   `xml:"entityToken" json:"entityToken"`
				EntityJIDs   []string `xml:"entityJIDs" json:"entityJIDs"`
				Resources    []string `xml:"resources" json:"resources,omitempty"`
				AllResources *bool    `xml:"allResources" json:"allResources,omitempty"`
			}
			bulk := func(req bulkReq) bulkResp {
				t.Helper()
				var r bulkResp
				if e := it.call(b, svc, "getBulkPresence", &r, req); e != nil {
					t.Fatalf("getBulkPresence: %s", e)
				}
				return r
			}
			r := bulk(bulkReq{EntityID: siteID, EntityToken: pres.Token, EntityJIDs: []string{"alice@localhost", "bob@localhost"}, Resources: []string{"phone", ""}})
			if r.StatusCode != 0 || r.StatusMessage != "NO_ERROR" || len(r.PresentityStatusList) != 2 || r.PresentityStatusList[0].AllResources[0].ResourceName != "phone" || len(r.PresentityStatusList[1].AllResources) != 0 {
				t.Fatalf("bulk: %+v", r)
			}
			yes := true
			if r := bulk(bulkReq{EntityID: siteID, EntityToken: pres.Token, EntityJIDs: []string{"alice@localhost"}, AllResources: &yes}); len(r.PresentityStatusList) != 1 || len(r.PresentityStatusList[0].AllResources) != 2 {
				t.Fatalf("bulk, all resources: %+v", r)
			}
			if r := bulk(bulkReq{EntityID: siteID, EntityToken: pres.Token, EntityJIDs: []string{"a@localhost", "b@localhost", "c@localhost", "d@localhost"}}); r.StatusCode != 1011 || len(r.PresentityStatusList) != 0 {
				t.Fatalf("over max_request_size: %+v", r)
			}
			r = bulk(bulkReq{EntityID: siteID, EntityToken: pres.Token, EntityJIDs: []string{"alice@localhost", "bob@localhost", "carol@localhost"}})
			if r.StatusCode != 1012 || len(r.PresentityStatusList) != 2 || r.PresentityStatusList[1].UserJID != "bob@localhost" {
				t.Fatalf("over max_response_size: %+v", r)
			}
			if r := bulk(bulkReq{EntityID: siteID, EntityToken: pres.Token, EntityJIDs: []string{"not a jid"}}); r.StatusCode != 1010 {
				t.Fatalf("bad JID: %+v", r)
			}
			if r := bulk(bulkReq{EntityID: siteID, EntityToken: pres.Token}); r.StatusCode != 1010 {
				t.Fatalf("no JIDs: %+v", r)
			}
			if r := bulk(bulkReq{EntityID: "bob@localhost", EntityToken: user.Token, EntityJIDs: []string{"alice@localhost"}}); r.StatusCode != 1032 {
				t.Fatalf("a user asking for another: %+v", r)
			}
			if r := bulk(bulkReq{EntityID: plainID, EntityToken: plain.Token, EntityJIDs: []string{"alice@localhost"}}); r.StatusCode != 1032 {
				t.Fatalf("site without presence: %+v", r)
			}
			if r := bulk(bulkReq{EntityID: siteID, EntityToken: "1_bogus", EntityJIDs: []string{"alice@localhost"}}); r.StatusCode != 1032 {
				t.Fatalf("invalid token: %+v", r)
			}
		})
	}
}
