#!/usr/bin/env bash
# Runs every native fuzz target in the module for FUZZTIME each (default 30s;
# e.g. `make fuzz FUZZTIME=1000000x` for a million executions per target)
# and prints the execution count each reached.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${1:-30s}"
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		echo "== $pkg $target ($fuzztime)"
		go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" 2>&1 | grep -E 'execs|PASS|FAIL|ok|panic' | tail -3
	done
done
