#!/usr/bin/env bash
# Installs what the test suite drives when it is missing:
#   - Debian packages: real third-party XMPP clients (python3-slixmpp and
#     python3-aiohttp for its HTTP upload,
#     python3-aioxmpp, go-sendxmpp), the SOAP clients zeep (python3-zeep) and
#     JAX-WS (jaxws, default-jdk-headless), the CalDAV server Radicale
#     (python3-radicale, for the calendar agent's polling), the browser for
#     test/browser (chromium), PostgreSQL's binaries for store/postgres
#     (postgresql), and the servers the federation tests talk to (prosody
#     with lua-unbound, ejabberd), which the tests start themselves with
#     their own configuration: they are installed without starting their
#     system services;
#   - test/browser's npm packages (playwright-core, @xmpp/client,
#     strophe.js, converse.js), with `npm ci` from its package-lock.json.
# Needs root (or passwordless sudo) to install Debian packages; otherwise it
# says exactly what to install and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
/usr/bin/python3 -c 'import slixmpp' 2>/dev/null || missing+=(python3-slixmpp)
# slixmpp's XEP-0363 plugin uploads with aiohttp (test/e2e upload scenario).
/usr/bin/python3 -c 'import aiohttp' 2>/dev/null || missing+=(python3-aiohttp)
/usr/bin/python3 -c 'import aioxmpp' 2>/dev/null || missing+=(python3-aioxmpp)
/usr/bin/python3 -c 'import zeep' 2>/dev/null || missing+=(python3-zeep)
# test/e2e's conference tests validate the Instant Conference answers against their schemas.
/usr/bin/python3 -c 'import lxml.etree' 2>/dev/null || missing+=(python3-lxml)
command -v wsimport >/dev/null 2>&1 || missing+=(jaxws)
command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)
command -v go-sendxmpp >/dev/null 2>&1 || missing+=(go-sendxmpp)
/usr/bin/python3 -c 'import radicale' 2>/dev/null || missing+=(python3-radicale)
# docs/integration.md's and docs/conferences.md's shell walkthroughs, run as written by test/e2e.
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v jq >/dev/null 2>&1 || missing+=(jq)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# PostgreSQL: the store's tests start their own server from these binaries
# (internal/pgtest: initdb and pg_ctl in a temporary directory, on a
# loopback port); the system service is neither needed nor used.
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || missing+=(postgresql)
# test/e2e federation: Prosody (lua-unbound lets it use the test's DNS
# server) and ejabberd.
command -v prosody >/dev/null 2>&1 || missing+=(prosody)
dpkg -s lua-unbound >/dev/null 2>&1 || missing+=(lua-unbound)
command -v ejabberdctl >/dev/null 2>&1 || missing+=(ejabberd)

if [ ${#missing[@]} -gt 0 ]; then
  echo "test-deps: installing missing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    sudo=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
  else
    echo "test-deps: cannot install ${missing[*]}: not root and no passwordless sudo." >&2
    echo "test-deps: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Servers installed for the tests must not start as system services
  # (the tests run their own instances): a policy-rc.d that refuses every
  # start, for the length of the install, unless one is already there.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\n# parley test-deps: no service starts during this install\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    trap '$sudo rm -f "$policy"' EXIT
  fi
  if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/parley-test-deps.log 2>&1; then
    $sudo apt-get update >>/tmp/parley-test-deps.log 2>&1 || true
    if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/parley-test-deps.log 2>&1; then
      echo "test-deps: apt-get install ${missing[*]} failed; see /tmp/parley-test-deps.log" >&2
      tail -20 /tmp/parley-test-deps.log >&2
      exit 1
    fi
  fi
  echo "test-deps: installed ${missing[*]}"
fi

# test/browser: npm ci when node_modules is missing or older than the lock file.
browser=test/browser
if [ ! -f "$browser/node_modules/.package-lock.json" ] ||
   [ "$browser/package-lock.json" -nt "$browser/node_modules/.package-lock.json" ]; then
  node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if ! command -v npm >/dev/null 2>&1 || [ "$node_major" -lt 20 ]; then
    echo "test-deps: $browser needs node >= 20 and npm to install its packages (found node major ${node_major}, npm $(command -v npm || echo none))." >&2
    echo "test-deps: install them, then run: (cd $browser && npm ci)" >&2
    exit 1
  fi
  echo "test-deps: npm ci in $browser"
  if ! (cd "$browser" && npm ci --no-audit --no-fund) >/tmp/parley-test-deps-npm.log 2>&1; then
    echo "test-deps: npm ci in $browser failed; see /tmp/parley-test-deps-npm.log" >&2
    tail -20 /tmp/parley-test-deps-npm.log >&2
    exit 1
  fi
  echo "test-deps: installed $browser/node_modules"
fi
