package jsonapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/api"
	"github.com/parley-im/parley/integration/auth"
)

var errBadPassword = errors.New("bad password")

func testService() *api.Service {
	return &api.Service{
		Name: "TestService",
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
						return nil, errors.New("disk /var/lib/secret failed")
					case "forbidden":
						return nil, &api.Error{Code: api.Forbidden, Status: integration.NotAuthorized, Message: "site may not"}
					case "slow":
						<-ctx.Done()
						return nil, ctx.Err()
					}
					return &auth.TokenObject{Token: id + "/" + kind, TokenAttributes: []integration.AdhocAttribute{integration.Attr("TOKENID", "7")}}, nil
				}, "user name or site ID", "password or site key", "USER or SITE"),
			api.NewOperation("requestMultipleTokens", "",
				func(ctx context.Context, id, tok string, props auth.TokenProperties, pols []auth.PolicyObject) ([]auth.TokenObject, error) {
					out := []auth.TokenObject{}
					for range pols {
						out = append(out, auth.TokenObject{Token: props.TokenPolicy})
					}
					return out, nil
				}),
			api.NewOperation("getPresence", "",
				func(ctx context.Context, id, tok, jid string, res *string, all *bool) (*api.PresentityStatus, error) {
					r := api.PresentityResource{Priority: 1, LastModifiedDate: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
					if res != nil {
						r.ResourceName = *res
					}
					if all != nil && *all {
						r.Status = "all"
					}
					return &api.PresentityStatus{UserJID: jid, AllResources: []api.PresentityResource{r}}, nil
				}),
		},
	}
}

func newServer(t *testing.T, cfg Config) *httptest.Server {
	mux := http.NewServeMux()
	New(cfg, testService()).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url, ctype, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestCalls(t *testing.T) {
	srv := newServer(t, Config{})
	base := srv.URL + "/api/v1/TestService/"
	code, body := do(t, "POST", base+"createSession", "application/json", `{"param0": "site1", "param1": "key", "param2": "SITE"}`)
	var tok auth.TokenObject
	if code != 200 || json.Unmarshal([]byte(body), &tok) != nil || tok.Token != "site1/SITE" {
		t.Fatalf("createSession: %d %s", code, body)
	}
	if v, _ := integration.LookupAttr(tok.TokenAttributes, "TOKENID"); v != "7" {
		t.Fatalf("TOKENID %q", v)
	}
	code, body = do(t, "POST", base+"requestMultipleTokens", "application/json; charset=utf-8", `{"param2": {"tokenPolicy": "PRESENCE"}, "param3": [{}, {"policyArray": [{"name": "a", "value": null}]}]}`)
	var toks []auth.TokenObject
	if code != 200 || json.Unmarshal([]byte(body), &toks) != nil || len(toks) != 2 || toks[1].Token != "PRESENCE" {
		t.Fatalf("requestMultipleTokens: %d %s", code, body)
	}
	code, body = do(t, "POST", base+"getPresence", "application/json", `{"param2": "bob@localhost", "param3": "phone", "param4": true}`)
	if code != 200 || !strings.Contains(body, `"resourceName": "phone"`) || !strings.Contains(body, `"status": "all"`) || !strings.Contains(body, `"lastModifiedDate": "2026-01-02T03:04:05Z"`) {
		t.Fatalf("getPresence: %d %s", code, body)
	}
	code, body = do(t, "POST", base+"getPresence", "application/json", `{"param2": "bob@localhost", "param3": null}`)
	if code != 200 || !strings.Contains(body, `"resourceName": ""`) {
		t.Fatalf("getPresence with null: %d %s", code, body)
	}
}

func TestErrors(t *testing.T) {
	srv := newServer(t, Config{MaxRequestBytes: 512, Timeout: 50 * time.Millisecond})
	base := srv.URL + "/api/v1/TestService/"
	cases := []struct {
		name, method, path, ctype, body string
		code, status                    int
		inError                         string
	}{
		{"bad json", "POST", "createSession", "application/json", `{"param0": `, 400, 1010, "JSON object"},
		{"not an object", "POST", "createSession", "application/json", `[1]`, 400, 1010, "JSON object"},
		{"null body", "POST", "createSession", "application/json", `null`, 400, 1010, "not null"},
		{"unknown parameter", "POST", "createSession", "application/json", `{"param7": 1}`, 400, 1010, `no parameter "param7"`},
		{"wrong type", "POST", "createSession", "application/json", `{"param0": 5}`, 400, 1010, "bad param0"},
		{"unknown field", "POST", "requestMultipleTokens", "application/json", `{"param2": {"policy": "x"}}`, 400, 1010, "unknown field"},
		{"form post", "POST", "createSession", "application/x-www-form-urlencoded", `param0=a`, 415, 1010, "application/json"},
		{"too large", "POST", "createSession", "application/json", `{"param0": "` + strings.Repeat("x", 600) + `"}`, 413, 1011, "larger than 512 bytes"},
		{"unknown operation", "POST", "nope", "application/json", `{}`, 404, 0, `no operation "nope"`},
		{"GET", "GET", "createSession", "", ``, 405, 0, "POST"},
		{"unauthenticated", "POST", "createSession", "application/json", `{"param1": "bad"}`, 401, 1032, "invalid credentials"},
		{"forbidden", "POST", "createSession", "application/json", `{"param1": "forbidden"}`, 403, 1032, "site may not"},
		{"internal", "POST", "createSession", "application/json", `{"param1": "boom"}`, 500, 1090, "internal error"},
		{"timeout", "POST", "createSession", "application/json", `{"param1": "slow"}`, 503, 0, "timed out"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := do(t, c.method, base+c.path, c.ctype, c.body)
			var e errorBody
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("not JSON: %s", body)
			}
			if code != c.code || e.Status != c.status || !strings.Contains(e.Error, c.inError) {
				t.Fatalf("got %d %+v, want %d status %d containing %q", code, e, c.code, c.status, c.inError)
			}
			if c.status != 0 && e.StatusName != integration.Status(c.status).String() {
				t.Fatalf("statusName %q", e.StatusName)
			}
			if strings.Contains(body, "/var/lib/secret") || strings.Contains(body, "goroutine") {
				t.Fatalf("leaks internals: %s", body)
			}
		})
	}
	if code, body := do(t, "POST", srv.URL+"/api/v1/Nope/x", "application/json", "{}"); code != 404 || !strings.Contains(body, "no such service") {
		t.Fatalf("unknown service: %d %s", code, body)
	}
	if code, _ := do(t, "GET", srv.URL+"/api/v1/", "", ""); code != 404 {
		t.Fatalf("GET /api/v1/: %d", code)
	}
}

func TestOpenAPI(t *testing.T) {
	srv := newServer(t, Config{})
	code, body := do(t, "GET", srv.URL+"/api/v1/openapi.json", "", "")
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Servers []struct{ URL string }
		Paths   map[string]map[string]struct {
			OperationID string `json:"operationId"`
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Properties map[string]any
					}
				}
			} `json:"requestBody"`
		}
		Components struct{ Schemas map[string]any }
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.0.3" || len(doc.Servers) != 1 || doc.Servers[0].URL != srv.URL+"/api/v1" {
		t.Fatalf("header: %+v", doc)
	}
	op, ok := doc.Paths["/TestService/requestMultipleTokens"]["post"]
	if !ok || len(op.RequestBody.Content["application/json"].Schema.Properties) != 4 {
		t.Fatalf("requestMultipleTokens not described: %s", body)
	}
	// Every $ref resolves.
	for _, m := range regexpRefs(body) {
		if _, ok := doc.Components.Schemas[m]; !ok {
			t.Fatalf("dangling $ref %s", m)
		}
	}
	for _, want := range []string{"TokenObject", "AdhocAttribute", "PresentityStatus", "PresentityResource", "TokenProperties", "PolicyObject", "Error"} {
		if _, ok := doc.Components.Schemas[want]; !ok {
			t.Fatalf("no schema %s", want)
		}
	}
	// A real validator, where the machine has one (the image's pyenv
	// Python ships openapi-spec-validator; Debian's does not).
	py, err := exec.LookPath("python3")
	if err != nil || exec.Command(py, "-c", "import openapi_spec_validator").Run() != nil {
		t.Log("openapi-spec-validator not installed; structural checks only")
		return
	}
	f := filepath.Join(t.TempDir(), "openapi.json")
	os.WriteFile(f, []byte(body), 0o644)
	out, err := exec.Command(py, "-c", "import json,sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print('valid')", f).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "valid") {
		t.Fatalf("openapi-spec-validator: %v\n%s", err, out)
	}
}

func regexpRefs(body string) []string {
	var out []string
	for _, part := range strings.Split(body, `"$ref": "#/components/schemas/`)[1:] {
		out = append(out, part[:strings.IndexByte(part, '"')])
	}
	return out
}
