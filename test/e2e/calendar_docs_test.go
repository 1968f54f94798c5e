package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCalendarDocs runs docs/calendar.md as written: its configuration,
// the quick start's publish (scripts/calendar-publish.py), the webhook
// call with curl, the XML example, and the operator's commands, in a
// directory laid out like a checkout (bin/parley, scripts/, ./data)
// whose server runs on free ports; alice is online with slixmpp.
func TestCalendarDocs(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "date"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" || os.Getenv(requiredEnv) != "" {
				t.Fatalf("%s is needed to run the docs' shell snippets", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	work := t.TempDir()
	dir := filepath.Join(work, "data")
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	os.MkdirAll(filepath.Join(work, "bin"), 0o755)
	for link, target := range map[string]string{"bin/parley": parleyBin, "scripts": filepath.Join(root, "scripts")} {
		if err := os.Symlink(target, filepath.Join(work, link)); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(work, "parley.toml")
	if err := os.WriteFile(cfg, []byte(docBlockIn(t, "calendar.md", "config")), 0o600); err != nil {
		t.Fatal(err)
	}
	addUsers(t, dir, "alice")
	userCmd(t, dir, "reminders", "alice@localhost", "on")
	srv := startServer(t, "parley", dir, "--config", cfg)
	alice := startScript(t, srv, startTLS, "calendar_user.py", "--user", "alice", "--until", "report-2026-q1")
	alice.waitFor("alice ready", "ready")
	env := append(hermeticEnv(), "BASE=http://"+srv.http, "TOKEN=change-me-to-a-long-random-token", "NATS_URL=nats://"+srv.nats)

	run := func(name, script string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
		cmd.Dir, cmd.Env = work, env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", name, err, out, stderr.String())
		}
		return string(out)
	}
	items := func(out string) []map[string]any {
		t.Helper()
		var ans struct{ Items []map[string]any }
		if err := json.Unmarshal([]byte(out), &ans); err != nil {
			t.Fatalf("not the agent's JSON answer: %q", out)
		}
		return ans.Items
	}

	// The quick start: one reminder now, one scheduled a minute ahead.
	got := items(run("quickstart", docBlockIn(t, "calendar.md", "quickstart")))
	if len(got) != 2 || got[0]["delivered"] != float64(1) || got[1]["next_alarm"] == nil || got[1]["owner"] != "alice@localhost" {
		t.Fatalf("quick start answered %v", got)
	}
	r := alice.waitFor("the quick start's reminder", "reminder", "uid", "design-review-42@cal.example.com")
	if !strings.HasPrefix(r.get("body"), "Reminder: Design review\nWhen: ") || !strings.Contains(r.get("body"), "Where: Room 4\nLink: https://cal.example.com/events/42") {
		t.Fatalf("body %q", r.get("body"))
	}
	next, _ := time.Parse(time.RFC3339, got[1]["next_alarm"].(string))
	if d := time.Until(next); d < 30*time.Second || d > 61*time.Second {
		t.Fatalf("the stand-up's alarm is at %v, not in a minute", next)
	}

	// The same file with the nats CLI, where it is installed (it is not
	// a Debian package; go install github.com/nats-io/natscli/nats@v0.5.0).
	t.Run("nats-cli", func(t *testing.T) {
		if _, err := exec.LookPath("nats"); err != nil {
			t.Skip("the nats CLI is not installed")
		}
		got := items(run("nats-cli", docBlockIn(t, "calendar.md", "nats-cli")))
		if len(got) != 2 || got[0]["discarded"] != "duplicate" || got[1]["next_alarm"] == nil {
			t.Fatalf("nats request answered %v", got)
		}
	})

	// The XML example, published with the same script.
	xmlFile := filepath.Join(work, "board.xml")
	os.WriteFile(xmlFile, []byte(docBlockIn(t, "calendar.md", "xml")), 0o600)
	got = items(run("xml", "scripts/calendar-publish.py board.xml"))
	if len(got) != 2 || got[0]["next_alarm"] != "2030-03-04T12:30:00Z" || got[1]["next_alarm"] != "2030-03-04T09:00:00Z" ||
		got[0]["owner"] != "alice@localhost" || got[1]["owner"] != "alice@localhost" {
		t.Fatalf("XML example answered %v", got)
	}

	// The operator's commands (./data is the server's data directory).
	out := run("control", docBlockIn(t, "calendar.md", "control"))
	for _, want := range []string{"calendar agent: running since", "calendar agent: stopped", "scheduled alarms: 3 (next "} {
		if !strings.Contains(out, want) {
			t.Errorf("the operator's commands printed no %q:\n%s", want, out)
		}
	}

	// The webhook, with curl; its task has no alarm: due at once.
	got = items(run("webhook", docBlockIn(t, "calendar.md", "webhook")))
	if len(got) != 1 || got[0]["uid"] != "report-2026-q1" || got[0]["delivered"] != float64(1) {
		t.Fatalf("webhook answered %v", got)
	}
	rs := reminderEvents(alice.wait())
	if len(rs) != 2 || rs[1].get("subject") != "Task reminder: Send the quarterly report" || !strings.Contains(rs[1].get("body"), "Due: Tuesday 31 March 2026") {
		t.Fatalf("reminders %v", rs)
	}
}
