// Package e2e runs the built parley binary, as a separate process on
// loopback ports with a fresh data directory, against real third-party XMPP
// software: Debian's python3-slixmpp and python3-aioxmpp (scenario scripts
// in clients/), go-sendxmpp, and the CalDAV server Radicale
// (python3-radicale). Accounts are made with the real `parley user` command.
//
// Without slixmpp, aioxmpp, Radicale or go-sendxmpp the package skips itself, unless CI or
// PARLEY_E2E_REQUIRED is set: then it fails (make test installs them).
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	python      = "/usr/bin/python3" // Debian's, the one with python3-slixmpp
	goSendxmpp  = "go-sendxmpp"
	requiredEnv = "PARLEY_E2E_REQUIRED"
)

// parleyBin is the binary TestMain builds from this checkout.
var parleyBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if missing := missingTools(); len(missing) > 0 {
		msg := "e2e: missing " + strings.Join(missing, "; ")
		if os.Getenv("CI") != "" || os.Getenv(requiredEnv) != "" {
			fmt.Fprintf(os.Stderr, "%s\nFAIL: CI or %s is set, so the end-to-end tests must run (make test-deps installs the tools)\n", msg, requiredEnv)
			return 1
		}
		fmt.Fprintf(os.Stderr, "%s\nSKIP: end-to-end tests skipped (make test-deps installs the tools; set %s=1 to make this an error)\n", msg, requiredEnv)
		return 0
	}
	dir, err := os.MkdirTemp("", "parley-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	parleyBin = filepath.Join(dir, "parley")
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	build := exec.Command("go", "build", "-o", parleyBin, "./cmd/parley")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/parley in %s: %v\n%s", root, err, out)
		return 1
	}
	return m.Run()
}

// missingTools names each third-party client that is not installed.
func missingTools() []string {
	var missing []string
	if out, err := exec.Command(python, "-c", "import slixmpp").CombinedOutput(); err != nil {
		missing = append(missing, fmt.Sprintf("python3-slixmpp (%s -c 'import slixmpp': %v %s)", python, err, strings.TrimSpace(string(out))))
	}
	if out, err := exec.Command(python, "-c", "import aioxmpp").CombinedOutput(); err != nil {
		missing = append(missing, fmt.Sprintf("python3-aioxmpp (%s -c 'import aioxmpp': %v %s)", python, err, strings.TrimSpace(string(out))))
	}
	if out, err := exec.Command(python, "-c", "import radicale").CombinedOutput(); err != nil {
		missing = append(missing, fmt.Sprintf("python3-radicale (%s -c 'import radicale': %v %s)", python, err, strings.TrimSpace(string(out))))
	}
	if _, err := exec.LookPath(goSendxmpp); err != nil {
		missing = append(missing, "go-sendxmpp (not on PATH)")
	}
	return missing
}
