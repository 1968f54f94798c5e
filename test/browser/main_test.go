// Package browser tests Parley's browser transports, XMPP over WebSocket
// (RFC 7395, /xmpp-websocket) and BOSH (XEP-0206, /http-bind), with real web
// XMPP clients in a real browser: Debian's Chromium, headless, driven by npm
// playwright-core (driver.mjs), runs the test pages in pages/, which log in
// with @xmpp/client or strophe.js, while a slixmpp client on TCP (Debian
// python3-slixmpp) exchanges subscriptions, presence and messages with them.
//
// The server under test is the parley binary built from this checkout, or,
// with PARLEY_BROWSER_TARGET=prosody, a Prosody (prosody/prosody.cfg.lua),
// which proves the suite itself against a known-good implementation.
//
// Without Chromium, node, the npm packages (npm ci in this directory) or
// slixmpp the package skips itself, unless CI or PARLEY_E2E_REQUIRED is set:
// then it fails (make test-deps installs them). README.md has the rest.
package browser

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
	requiredEnv = "PARLEY_E2E_REQUIRED"

	// Environment knobs (see README.md).
	targetEnv       = "PARLEY_BROWSER_TARGET"    // parley (default) or prosody
	chromiumEnv     = "PARLEY_BROWSER_CHROMIUM"  // default /usr/bin/chromium
	artifactsEnv    = "PARLEY_BROWSER_ARTIFACTS" // default ./artifacts
	serveArgsEnv    = "PARLEY_BROWSER_SERVE_ARGS"
	wsPathEnv       = "PARLEY_BROWSER_WS_PATH"       // default /xmpp-websocket
	boshPathEnv     = "PARLEY_BROWSER_BOSH_PATH"     // default /http-bind
	binEnv          = "PARLEY_BROWSER_BIN"           // a parley binary to test instead of building one
	chromiumArgsEnv = "PARLEY_BROWSER_CHROMIUM_ARGS" // extra Chromium flags, space-separated
)

var (
	// target is "parley" or "prosody".
	target string
	// parleyBin is the binary TestMain builds from this checkout.
	parleyBin string
	// chromiumPath is the browser playwright-core launches.
	chromiumPath string
	// pkgDir is this package's directory (pages/, driver.mjs, node_modules/).
	pkgDir string
	// hasHTTPTLSListen: this parley has an HTTPS listener (serve
	// --http-tls-listen), which the tests then put on a loopback port too.
	hasHTTPTLSListen bool
	// hasNATSListen: this parley embeds a NATS server (serve
	// --nats-listen); the tests give it a free port, never the default.
	hasNATSListen bool
)

// The browser bundles the pages load, as served under /lib/.
var bundles = map[string]string{
	"xmpp.min.js":         "node_modules/@xmpp/client/dist/xmpp.min.js",
	"xmpp.min.js.map":     "node_modules/@xmpp/client/dist/xmpp.min.js.map",
	"strophe.umd.min.js":  "node_modules/strophe.js/dist/strophe.umd.min.js",
	"strophe.umd.min.map": "node_modules/strophe.js/dist/strophe.umd.min.js.map",
}

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	var err error
	if pkgDir, err = os.Getwd(); err != nil {
		fmt.Fprintln(os.Stderr, "browser:", err)
		return 1
	}
	target = os.Getenv(targetEnv)
	switch target {
	case "":
		target = "parley"
	case "parley", "prosody":
	default:
		fmt.Fprintf(os.Stderr, "browser: %s=%q: want parley or prosody\n", targetEnv, target)
		return 1
	}
	chromiumPath = os.Getenv(chromiumEnv)
	if chromiumPath == "" {
		chromiumPath = "/usr/bin/chromium"
	}
	if missing := missingTools(); len(missing) > 0 {
		msg := "browser: missing " + strings.Join(missing, "; ")
		if os.Getenv("CI") != "" || os.Getenv(requiredEnv) != "" {
			fmt.Fprintf(os.Stderr, "%s\nFAIL: CI or %s is set, so the browser tests must run (make test-deps installs the tools)\n", msg, requiredEnv)
			return 1
		}
		fmt.Fprintf(os.Stderr, "%s\nSKIP: browser tests skipped (make test-deps installs the tools; set %s=1 to make this an error)\n", msg, requiredEnv)
		return 0
	}
	if target == "prosody" {
		for _, tool := range []string{"prosody", "prosodyctl"} {
			if _, err := exec.LookPath(tool); err != nil {
				fmt.Fprintf(os.Stderr, "browser: %s=prosody but %s is not on PATH (apt-get install prosody)\n", targetEnv, tool)
				return 1
			}
		}
		fmt.Fprintln(os.Stderr, "browser: testing against Prosody, not Parley")
		return m.Run()
	}

	if parleyBin = os.Getenv(binEnv); parleyBin != "" {
		fmt.Fprintf(os.Stderr, "browser: testing %s=%s, not a build of this checkout\n", binEnv, parleyBin)
	} else {
		dir, err := os.MkdirTemp("", "parley-browser-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, "browser:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		parleyBin = filepath.Join(dir, "parley")
		build := exec.Command("go", "build", "-o", parleyBin, "./cmd/parley")
		build.Dir = filepath.Join(pkgDir, "..", "..")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "browser: go build ./cmd/parley in %s: %v\n%s", build.Dir, err, out)
			return 1
		}
	}
	help, _ := exec.Command(parleyBin, "serve", "--help").CombinedOutput()
	hasHTTPTLSListen = strings.Contains(string(help), "--http-tls-listen")
	hasNATSListen = strings.Contains(string(help), "--nats-listen")
	return m.Run()
}

// missingTools names each piece of third-party software that is missing.
func missingTools() []string {
	var missing []string
	if out, err := exec.Command(python, "-c", "import slixmpp").CombinedOutput(); err != nil {
		missing = append(missing, fmt.Sprintf("python3-slixmpp (%s -c 'import slixmpp': %v %s)", python, err, strings.TrimSpace(string(out))))
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = append(missing, fmt.Sprintf("chromium (%v; apt-get install chromium)", err))
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node (not on PATH)")
	}
	need := []string{"node_modules/playwright-core/package.json"}
	for _, path := range bundles {
		need = append(need, path)
	}
	for _, path := range need {
		if _, err := os.Stat(filepath.Join(pkgDir, path)); err != nil {
			missing = append(missing, fmt.Sprintf("test/browser/%s (run npm ci in test/browser)", path))
			break
		}
	}
	return missing
}
