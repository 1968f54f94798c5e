#!/usr/bin/env bash
# Installs the Debian packages the test suite drives (real third-party
# XMPP clients) when they are missing. Needs root (or passwordless sudo)
# to install; otherwise it says exactly what to install and fails.
set -euo pipefail

missing=()
/usr/bin/python3 -c 'import slixmpp' 2>/dev/null || missing+=(python3-slixmpp)
command -v go-sendxmpp >/dev/null 2>&1 || missing+=(go-sendxmpp)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

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
if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/parley-test-deps.log 2>&1; then
  $sudo apt-get update >>/tmp/parley-test-deps.log 2>&1 || true
  if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/parley-test-deps.log 2>&1; then
    echo "test-deps: apt-get install ${missing[*]} failed; see /tmp/parley-test-deps.log" >&2
    tail -20 /tmp/parley-test-deps.log >&2
    exit 1
  fi
fi
echo "test-deps: installed ${missing[*]}"
