#!/usr/bin/env bash
# Runs every native fuzz target in the module for FUZZTIME each (default 30s;
# e.g. `make fuzz FUZZTIME=1000000x` for a million executions per target)
# and prints the execution count each reached. A second argument keeps only
# the targets whose name matches it (a grep -E pattern), e.g. the
# configuration path for a million executions:
#
#   scripts/fuzz.sh 1000000x FuzzConfig     # or: make fuzz FUZZTIME=1000000x FUZZ=FuzzConfig
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${1:-30s}"
only="${2:-.}"
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u | grep -E "$only" || true); do
		echo "== $pkg $target ($fuzztime)"
		go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" 2>&1 | grep -E 'execs|PASS|FAIL|ok|panic' | tail -3
	done
done
