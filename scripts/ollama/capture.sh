#!/usr/bin/env bash
# capture.sh records raw SSE bodies of a running Ollama server serving the
# tiny model into fixtures/sse/ollama-tiny/ (both endpoints, with and
# without stream_options.include_usage, max_tokens 8), for the openai
# client's replay tests.
#
#   scripts/ollama/capture.sh URL [MODEL] [OUTDIR]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
url=${1:?usage: $0 URL [MODEL] [OUTDIR]}
model=${2:-tiny}
out=${3:-$here/../../fixtures/sse/ollama-tiny}
mkdir -p "$out"

post() { # post PATH BODY FILE
	curl -fsSN "$url$1" -H 'Content-Type: application/json' -d "$2" -o "$3"
	echo "capture: $3 ($(grep -c '^data:' "$3") data lines)" >&2
}

prompt='The quick brown fox jumps over the lazy dog.'
usage='"stream_options":{"include_usage":true},'
post /v1/completions "{\"model\":\"$model\",\"prompt\":\"$prompt\",\"max_tokens\":8,$usage\"stream\":true}" "$out/completions-include-usage.txt"
post /v1/completions "{\"model\":\"$model\",\"prompt\":\"$prompt\",\"max_tokens\":8,\"stream\":true}" "$out/completions-no-usage.txt"
msgs="[{\"role\":\"user\",\"content\":\"$prompt\"}]"
post /v1/chat/completions "{\"model\":\"$model\",\"messages\":$msgs,\"max_tokens\":8,$usage\"stream\":true}" "$out/chat-include-usage.txt"
post /v1/chat/completions "{\"model\":\"$model\",\"messages\":$msgs,\"max_tokens\":8,\"stream\":true}" "$out/chat-no-usage.txt"
