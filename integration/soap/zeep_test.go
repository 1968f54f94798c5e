package soap

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"
)

// TestZeep has Python zeep (Debian python3-zeep) build a client from the
// generated WSDL and call every operation shape: the style choice
// (RPC/literal, ArrayOf<T> items, optional parts) is checked against a
// real SOAP stack, not only against our own decoder.
func TestZeep(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import zeep").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3-zeep is missing (make test-deps installs it): %v", err)
		}
		t.Skipf("python3-zeep is missing: %v", err)
	}
	srv := newTestServer(t, Config{})
	out, err := exec.Command(python, "testdata/zeep_smoke.py", srv.URL+"/imtapp/ws/TestService?WSDL").CombinedOutput()
	if err != nil {
		t.Fatalf("zeep: %v\n%s", err, out)
	}
	var got struct {
		CreateSession struct {
			Token           string
			TokenAttributes []struct{ Name, Value string }
		}
		RequestTokenNull      string   `json:"requestToken_null"`
		RequestTokenPolicy    string   `json:"requestToken_policy"`
		RequestMultipleTokens []string `json:"requestMultipleTokens"`
		GetPresence           struct {
			UserJID      string
			AllResources []struct {
				Priority         int64
				ResourceName     string
				Status           string
				LastModifiedDate string
			}
		}
		GetPresenceDefaults struct {
			AllResources []struct{ ResourceName, Status string }
		} `json:"getPresence_defaults"`
		GetBulkPresenceBig int      `json:"getBulkPresence_big"`
		GetBulkPresence    []string `json:"getBulkPresence"`
		Fault              *struct{ Code, Message string }
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("zeep output: %v\n%s", err, out)
	}
	t.Logf("zeep: %s", out)
	if got.CreateSession.Token != "1_site1_SITE" || len(got.CreateSession.TokenAttributes) != 2 || got.CreateSession.TokenAttributes[0].Name != "TOKENID" {
		t.Errorf("createSession: %+v", got.CreateSession)
	}
	if got.RequestTokenNull != "PROXY::GUESTCHAT|bob|nil" || got.RequestTokenPolicy != "PRESENCE||policy:v" {
		t.Errorf("requestToken: %q %q", got.RequestTokenNull, got.RequestTokenPolicy)
	}
	if len(got.RequestMultipleTokens) != 2 || got.RequestMultipleTokens[1] != "Pb" {
		t.Errorf("requestMultipleTokens: %v", got.RequestMultipleTokens)
	}
	if p := got.GetPresence; p.UserJID != "bob@localhost" || len(p.AllResources) != 1 || p.AllResources[0].Priority != 5 || p.AllResources[0].ResourceName != "res:phone" || p.AllResources[0].Status != "all" || p.AllResources[0].LastModifiedDate != "2026-01-02 03:04:05+00:00" {
		t.Errorf("getPresence: %+v", p)
	}
	if r := got.GetPresenceDefaults.AllResources; len(r) != 1 || r[0].ResourceName != "" || r[0].Status != "" {
		t.Errorf("getPresence without param3/param4: %+v", r)
	}
	if got.GetBulkPresenceBig != 1011 || len(got.GetBulkPresence) != 2 {
		t.Errorf("getBulkPresence: %d %v", got.GetBulkPresenceBig, got.GetBulkPresence)
	}
	if got.Fault == nil || got.Fault.Code != "soap:Client" || got.Fault.Message != "invalid credentials" {
		t.Errorf("fault: %+v", got.Fault)
	}
}
