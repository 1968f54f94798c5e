package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/store/sqlite"
)

// runSite runs `parley site ARGS --data-dir dir` in-process and returns
// its output.
func runSite(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	root := &cobra.Command{Use: "parley", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(siteCmd())
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append(append([]string{"site"}, args...), "--data-dir", dir))
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func mustRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := runSite(t, dir, args...)
	if err != nil {
		t.Fatalf("parley site %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// session opens the data directory's store and tries createSession
// with a site's key.
func session(t *testing.T, dir, id, key string) error {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := auth.New(auth.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.CreateSession(ctx, id, key, "SITE")
	return err
}

func TestSiteCLI(t *testing.T) {
	dir := t.TempDir()
	out := mustRun(t, dir, "create", "--name", "Vision Corp", "--policies", "PRESENCE,GUESTCHAT", "--json")
	// Exactly {"site_id": "...", "auth_key": "..."}.
	if !regexp.MustCompile(`^\{"site_id": "[0-9]{9}", "auth_key": "[A-Za-z0-9]{43}"\}\n$`).MatchString(out) {
		t.Fatalf("create --json printed %q", out)
	}
	var created struct {
		SiteID  string `json:"site_id"`
		AuthKey string `json:"auth_key"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatal(err)
	}
	if err := session(t, dir, created.SiteID, created.AuthKey); err != nil {
		t.Fatalf("createSession with the printed key: %v", err)
	}

	// The key is never shown again.
	for _, args := range [][]string{{"list"}, {"list", "--json"}, {"show", created.SiteID}, {"show", created.SiteID, "--json"}} {
		if out := mustRun(t, dir, args...); strings.Contains(out, created.AuthKey) {
			t.Fatalf("%v shows the key", args)
		}
	}
	out = mustRun(t, dir, "show", created.SiteID, "--json")
	var shown struct {
		ID       string          `json:"site_id"`
		Name     string          `json:"name"`
		Policies []string        `json:"policies"`
		Settings map[string]bool `json:"settings"`
		Tokens   int             `json:"tokens"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatalf("show --json: %v\n%s", err, out)
	}
	if shown.Name != "Vision Corp" || strings.Join(shown.Policies, ",") != "SESSION,PRESENCE,GUESTCHAT" || shown.Tokens != 1 ||
		!shown.Settings["auth_presence_enabled"] || shown.Settings["auth_proxy_enabled"] {
		t.Fatalf("show: %+v", shown)
	}

	// Text create with a chosen ID, then list.
	out = mustRun(t, dir, "create", "--name", "Intranet", "--id", "12345")
	if !strings.Contains(out, "site ID:            12345") || !strings.Contains(out, "may obtain: SESSION") {
		t.Fatalf("create printed %q", out)
	}
	out = mustRun(t, dir, "list")
	if !strings.Contains(out, "12345") || !strings.Contains(out, "Intranet") || !strings.Contains(out, created.SiteID) || !strings.Contains(out, "SESSION,PRESENCE,GUESTCHAT") {
		t.Fatalf("list printed %q", out)
	}

	// set: a setting, the name, policies.
	mustRun(t, dir, "set", "12345", "auth_proxy_enabled=true", "conference_key_required=true", "--name", "Intranet 2")
	out = mustRun(t, dir, "show", "12345")
	for _, want := range []string{"name:     Intranet 2", "auth_proxy_enabled = true", "conference_key_required = true", "policies: SESSION, PROXY"} {
		if !strings.Contains(out, want) {
			t.Fatalf("show after set lacks %q:\n%s", want, out)
		}
	}
	mustRun(t, dir, "set", "12345", "--policies", "PRESENCE")
	if out := mustRun(t, dir, "show", "12345"); !strings.Contains(out, "policies: SESSION, PRESENCE\n") || !strings.Contains(out, "conference_key_required = true") {
		t.Fatalf("show after --policies:\n%s", out)
	}

	// rotate-key: the old key stops working, the new one works.
	out = mustRun(t, dir, "rotate-key", created.SiteID, "--json")
	var rotated struct {
		SiteID  string `json:"site_id"`
		AuthKey string `json:"auth_key"`
	}
	if err := json.Unmarshal([]byte(out), &rotated); err != nil || rotated.SiteID != created.SiteID || rotated.AuthKey == created.AuthKey {
		t.Fatalf("rotate-key printed %q (%v)", out, err)
	}
	if err := session(t, dir, created.SiteID, created.AuthKey); !errors.Is(err, auth.ErrAuthFailed) {
		t.Fatalf("old key after rotation: %v", err)
	}
	if err := session(t, dir, created.SiteID, rotated.AuthKey); err != nil {
		t.Fatalf("new key: %v", err)
	}

	// delete.
	mustRun(t, dir, "delete", created.SiteID)
	if err := session(t, dir, created.SiteID, rotated.AuthKey); !errors.Is(err, auth.ErrAuthFailed) {
		t.Fatalf("key of a deleted site: %v", err)
	}

	// Errors are clear and change nothing.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"create"}, "--name is required"},
		{[]string{"create", "--name", "x", "--policies", "PRESENCE,TELEPATHY"}, "unknown policy"},
		{[]string{"create", "--name", "x", "--id", "12345"}, "already exists"},
		{[]string{"create", "--name", "x", "--id", "a@b"}, "site ID"},
		{[]string{"show", "404"}, "no such site"},
		{[]string{"delete", created.SiteID}, "no such site"},
		{[]string{"rotate-key", "404"}, "no such site"},
		{[]string{"set", "12345", "auth_fly_enabled=true"}, "unknown setting"},
		{[]string{"set", "12345", "auth_proxy_enabled=maybe"}, "SETTING=true"},
		{[]string{"set", "12345"}, "nothing to change"},
	} {
		_, err := runSite(t, dir, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one saying %q", c.args, err, c.want)
		}
	}
}
