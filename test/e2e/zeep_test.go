package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// requireZeep skips (or, under CI or PARLEY_E2E_REQUIRED, fails) when
// Debian's python3-zeep is missing.
func requireZeep(t *testing.T) {
	t.Helper()
	if out, err := exec.Command(python, "-c", "import zeep").CombinedOutput(); err != nil {
		msg := "python3-zeep missing (" + strings.TrimSpace(string(out)) + "); make test-deps installs it"
		if os.Getenv("CI") != "" || os.Getenv(requiredEnv) != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// integrationConfig writes a parley.toml with the bulk limits the
// integration tests check, and returns its path.
func integrationConfig(t *testing.T, maxRequest, maxResponse int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "parley.toml")
	toml := "[integration]\nmax_request_size = " + strconv.Itoa(maxRequest) + "\nmax_response_size = " + strconv.Itoa(maxResponse) + "\n"
	if err := os.WriteFile(path, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// createSite makes a site with the real CLI, `parley site create --name
// NAME --policies P,Q --json`, which prints {"site_id", "auth_key"}.
func createSite(t *testing.T, dataDir, name string, policies ...string) (id, key string) {
	t.Helper()
	out, err := parleyCmd(t, dataDir, "site", "create", "--name", name, "--policies", strings.Join(policies, ","), "--json")
	if err != nil {
		t.Fatalf("parley site create: %v\n%s", err, out)
	}
	var s struct {
		SiteID  string `json:"site_id"`
		AuthKey string `json:"auth_key"`
	}
	if err := json.Unmarshal([]byte(lastLine(out)), &s); err != nil || s.SiteID == "" || s.AuthKey == "" {
		t.Fatalf("parley site create --json printed %q (%v)", out, err)
	}
	return s.SiteID, s.AuthKey
}

// TestZeepIntegrationServices: Python zeep loads the WSDL of each
// integration service from the running server and calls every
// operation, following the seed's chapter-4 flow first (createSession,
// PRESENCE token, K1, presence URL), then every error path. alice is
// online (slixmpp) in dnd with a status message; bob is offline.
func TestZeepIntegrationServices(t *testing.T) {
	requireZeep(t)
	const maxRequest, maxResponse = 3, 2
	dir := t.TempDir()
	addUsers(t, dir, "alice", "bob")
	siteID, siteKey := createSite(t, dir, "zeep shop", "PRESENCE", "PROXY")
	srv := startServer(t, "parley", dir, "--config", integrationConfig(t, maxRequest, maxResponse))
	hold := startHold(t, srv, "presence_hold.py", "--user", "alice", "--resource", "desk",
		"--show", "dnd", "--status", "in a meeting", "--priority", "5")
	hold.waitFor("alice online", "online")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, filepath.Join("clients", "zeep_flow.py"),
		"--base", "http://"+srv.http, "--site-id", siteID, "--site-key", siteKey,
		"--presentity", "alice@localhost", "--resource", "desk", "--show", "DND", "--status", "in a meeting",
		"--other", "bob@localhost", "--password", "secret",
		"--max-request", strconv.Itoa(maxRequest), "--max-response", strconv.Itoa(maxResponse))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var checks []string
	done := false
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var e event
		if json.Unmarshal([]byte(line), &e) != nil {
			continue
		}
		switch e.get("event") {
		case "check":
			checks = append(checks, e.get("name"))
		case "done":
			done = true
		}
	}
	if err != nil || !done {
		t.Fatalf("zeep_flow.py: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	// The script checks each result itself; here, that none was skipped.
	for _, want := range []string{"createSession", "requestToken PRESENCE", "presence URL IMG", "presence URL JS",
		"presence URL JS with an MD5 K1", "getTokenStatus VALID", "requestMultipleTokens", "requestTokenForCredentials",
		"requestMultipleTokens over max_request_size: 1011", "getConfiguration by namespace and property",
		"getConfiguration with an invalid token: 1032", "getPresence default resource", "getBulkPresence",
		"getBulkPresence over max_request_size: 1011", "getBulkPresence over max_response_size: 1012",
		"getBulkPresence with a bad JID: 1010", "endSession", "after endSession, the presence token is INVALID",
		"the presence URL of an ended token shows offline"} {
		found := false
		for _, c := range checks {
			found = found || c == want
		}
		if !found {
			t.Errorf("zeep_flow.py did not check %q", want)
		}
	}
	t.Logf("zeep: %d checks passed", len(checks))
}
