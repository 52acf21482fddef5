#!/usr/bin/env bash
# measure.sh takes quick hand measurements of a running Ollama server with
# curl: time to first byte of streamed /v1/completions at c=1 for prompts of
# about 40, 400 and 1000 characters (each prompt starts with a unique nonce,
# so the prefix cache cannot help), the same prompt repeated (cache hit),
# and decode speed from /api/generate's eval_count / eval_duration.
# It is a sanity check for people, not a benchmark: hypobench does that.
#
#   scripts/ollama/measure.sh URL [MODEL] [REPS]
set -euo pipefail

url=${1:?usage: $0 URL [MODEL] [REPS]}
model=${2:-tiny}
reps=${3:-5}

text() { # text N: N characters of lowercase words
	awk -v n="$1" -v s="$RANDOM$RANDOM" 'BEGIN { srand(s); for (i = 0; i < n; i++) { c = 97 + int(rand() * 26); if (i % 6 == 5) c = 32; printf "%c", c } }'
}

ttfb() { # ttfb PROMPT: seconds to the first byte of a streamed completion
	curl -fsS -o /dev/null -w '%{time_starttransfer}\n' "$url/v1/completions" \
		-H 'Content-Type: application/json' \
		-d "{\"model\":\"$model\",\"prompt\":\"$1\",\"max_tokens\":4,\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
}

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

for n in 40 400 1000; do
	times=()
	for i in $(seq "$reps"); do
		p="n$RANDOM$RANDOM$i $(text $((n - 12)))"
		times+=("$(ttfb "$p")")
	done
	printf 'ttfb_ms chars=%d nonce: median %.0f  (%s)\n' "$n" \
		"$(printf '%s\n' "${times[@]}" | median | awk '{print $1*1000}')" "${times[*]}"
done

p="fixed $(text 990)"
ttfb "$p" >/dev/null
times=()
for _ in $(seq "$reps"); do times+=("$(ttfb "$p")"); done
printf 'ttfb_ms chars=1000 repeated: median %.0f  (%s)\n' \
	"$(printf '%s\n' "${times[@]}" | median | awk '{print $1*1000}')" "${times[*]}"

for _ in $(seq 3); do
	curl -fsS "$url/api/generate" -d "{\"model\":\"$model\",\"prompt\":\"n$RANDOM hello\",\"stream\":false,\"options\":{\"num_predict\":256}}" |
		sed -n 's/.*"prompt_eval_count":\([0-9]*\).*"eval_count":\([0-9]*\),"eval_duration":\([0-9]*\).*/decode: \2 tokens in \3 ns/p' |
		awk '{printf "%s %.1f tok/s\n", $0, $2/($5/1e9)}'
done
