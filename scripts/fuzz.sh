#!/usr/bin/env bash
# Runs every Go fuzz target in the module for FUZZTIME each (default 5s).
# The seed corpora in testdata/fuzz also run as plain tests in `go test`.
set -euo pipefail
FUZZTIME=${FUZZTIME:-5s}
cd "$(dirname "$0")/.."
status=0
while IFS= read -r file; do
  dir=$(dirname "${file#./}")
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$file" | awk '{print $2}'); do
    echo "fuzz: $target in ./$dir for $FUZZTIME"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "./$dir" >/tmp/parley-fuzz.log 2>&1; then
      echo "fuzz: $target FAILED" >&2
      tail -30 /tmp/parley-fuzz.log >&2
      status=1
    fi
  done
done < <(grep -rl --include='*_test.go' -E '^func Fuzz' . | sort)
exit $status
