#!/usr/bin/env bash
# e2e.sh is the body of `make e2e`: it runs the hypotheses against a real
# inference engine nobody here wrote — Ollama built from the Go module proxy,
# serving the tiny random-weight llama model on a free loopback port — and
# leaves the run directory behind.
#
#   scripts/ollama/e2e.sh          build (or reuse), generate, serve, test
#
# Environment:
#   E2E_RUN_DIR     run directory (default reports/e2e-<UTC timestamp>)
#   E2E_TEST_CMD    the test command (default below)
#   HYPOBENCH_SUITE suite for the run (default tiny-cpu)
#   and serve.sh's and build.sh's variables.
#
# Budget on an idle 2-core machine: cold ~10 min (the Ollama build dominates),
# warm < 3 min. The server is stopped by PID on any exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

run=${E2E_RUN_DIR:-$root/reports/e2e-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$run"
run=$(cd "$run" && pwd)
echo "e2e: run directory $run" >&2

start=$(date +%s)
OLLAMA_BIN=${OLLAMA_BIN:-$("$here/build.sh")}
export OLLAMA_BIN
echo "e2e: ollama ready after $(($(date +%s) - start))s" >&2

# Stop the server by PID whatever happens, and drop the copy of the model
# blob (72 MB) so run directories stay small; logs stay.
trap '"$here/serve.sh" stop "$run/server"; rm -rf "$run/server/models" "$run/server/home"' EXIT
url=$("$here/serve.sh" start "$run/server")
echo "e2e: serving at $url after $(($(date +%s) - start))s" >&2

# The real-engine checks (hypotheses/e2e_test.go): the tiny suite scaled for
# a CPU engine, H1 and H2 gated, H4 reported as found (H3 too with
# HYPOBENCH_E2E_H3=1: ~18 minutes on 2 cores), prefix caching
# shown both ways. The designs are scaled to fit a few minutes: prompts up to
# 400 repetitions (~1200 tokens on this character-level vocabulary) and
# outputs up to 128 tokens.
default_cmd="go test ./hypotheses/ -run '^TestRealEngine\$' -count=1 -v -timeout 40m"
export HYPOBENCH_E2E=1
export HYPOBENCH_REQUESTS=${HYPOBENCH_REQUESTS:-6}
export HYPOBENCH_PROMPT_LADDER=${HYPOBENCH_PROMPT_LADDER:-40,100,200,300,400}
export HYPOBENCH_OUTPUT_LADDER=${HYPOBENCH_OUTPUT_LADDER:-1,8,32,64,128}
export HYPOBENCH_CONCURRENCY=${HYPOBENCH_CONCURRENCY:-1,2,4}
E2E_TEST_CMD=${E2E_TEST_CMD:-$default_cmd}

export HYPOBENCH_TARGET=$url
export HYPOBENCH_MODEL=${TINY_MODEL_NAME:-tiny}
export HYPOBENCH_SUITE=${HYPOBENCH_SUITE:-tiny-cpu}
export HYPOBENCH_RUN_DIR=${HYPOBENCH_RUN_DIR:-$run}
echo "e2e: $E2E_TEST_CMD" >&2
set +e
bash -c "$E2E_TEST_CMD" 2>&1 | tee "$run/test.log"
status=$? # pipefail: the test command's status unless tee failed
set -e
echo "e2e: finished in $(($(date +%s) - start))s with status $status; run directory $run" >&2
exit "$status"
