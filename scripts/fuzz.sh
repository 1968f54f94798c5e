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
    ok=0
    for try in 1 2; do
      if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "./$dir" >/tmp/parley-fuzz.log 2>&1; then
        ok=1
        break
      fi
      # Go's fuzzer can report "context deadline exceeded" when its workers
      # do not stop in time at the end of -fuzztime on a loaded machine;
      # that is not a finding (a real one writes its failing input), so
      # it gets one retry.
      if grep -q 'Failing input written' /tmp/parley-fuzz.log || ! grep -q 'context deadline exceeded' /tmp/parley-fuzz.log; then
        break
      fi
      echo "fuzz: $target stopped late (context deadline exceeded, no failing input); retrying once"
    done
    if [ "$ok" -ne 1 ]; then
      echo "fuzz: $target FAILED" >&2
      tail -30 /tmp/parley-fuzz.log >&2
      status=1
    fi
  done
done < <(grep -rl --include='*_test.go' -E '^func Fuzz' . | sort)
exit $status
