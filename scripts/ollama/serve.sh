#!/usr/bin/env bash
# serve.sh starts and stops an Ollama server that serves the tiny
# random-weight llama model (gguf.TinyLlama) as "tiny", for e2e runs.
#
# Usage:
#   scripts/ollama/serve.sh start DIR   build or reuse Ollama, generate the
#                                       model, start the server; prints the
#                                       base URL, writes DIR/url and DIR/pid
#   scripts/ollama/serve.sh stop DIR    stop the server whose PID is DIR/pid
#
# Environment:
#   OLLAMA_BIN       binary to run (default: scripts/ollama/build.sh's)
#   HYPOBENCH_BIN    hypobench binary (default: go run ./cmd/hypobench)
#   TINY_MODEL_FLAGS flags of `hypobench gguf` (default: 8 layers, hidden
#                    512, FFN 1536, vocab 8192, seed 1)
#   TINY_MODEL_NAME  model name to create (default tiny)
#   OLLAMA_NUM_PARALLEL  concurrent sequences (default 4; Ollama's own
#                    default of 1 would queue requests serially)
#
# The server listens on 127.0.0.1:0 and the port the kernel picked is read
# from its log, so there is no race for a free port. OLLAMA_MODELS and HOME
# live in DIR, so nothing outside it is read or written; the server runs in
# its own session so stop can reap the runner subprocess with it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${HYPOBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hypobench}

log() { printf 'ollama-serve: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[[ $# -eq 2 ]] || die "usage: $0 start|stop DIR"
cmd=$1
dir=$2

stop() {
	[[ -f $dir/pid ]] || { log "no $dir/pid; nothing to stop"; return 0; }
	local pid
	pid=$(cat "$dir/pid")
	if ! kill -0 "$pid" 2>/dev/null; then
		log "server $pid already gone"
		rm -f "$dir/pid"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "server $pid ignored SIGTERM for 10s; killing its process group"
		kill -KILL -- "-$pid" 2>/dev/null || true
	fi
	# The runner subprocess shares the server's process group.
	kill -KILL -- "-$pid" 2>/dev/null || true
	rm -f "$dir/pid"
	log "stopped server $pid"
}

start() {
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	[[ ! -f $dir/pid ]] || die "$dir/pid exists: a server may be running; stop it first"
	local bin=${OLLAMA_BIN:-}
	if [[ -z $bin ]]; then
		bin=$("$here/build.sh")
	fi

	# The model is a pure function of its flags: cache it by their hash.
	local flags=${TINY_MODEL_FLAGS:---layers 8 --hidden 512 --ffn 1536 --vocab 8192 --seed 1}
	local name=${TINY_MODEL_NAME:-tiny}
	local gen_hash
	gen_hash=$( (printf '%s\n' "$flags"; find "$root/gguf" -maxdepth 1 -name '*.go' ! -name '*_test.go' | sort | xargs cat; cat "$root/cmd/hypobench/gguf.go") | sha256sum | cut -c1-12)
	local model=$cache/ollama/models/tiny-$gen_hash.gguf
	if [[ ! -f $model ]]; then
		mkdir -p "$(dirname "$model")"
		log "generating $model ($flags)"
		# shellcheck disable=SC2086 # flags are words
		if [[ -n ${HYPOBENCH_BIN:-} ]]; then
			"$HYPOBENCH_BIN" gguf $flags --out "$model" >&2
		else
			(cd "$root" && go run ./cmd/hypobench gguf $flags --out "$model" >&2)
		fi
	fi

	mkdir -p "$dir/home" "$dir/models"
	: >"$dir/ollama.log"
	log "starting $bin serve (log $dir/ollama.log)"
	HOME=$dir/home OLLAMA_MODELS=$dir/models OLLAMA_HOST=127.0.0.1:0 \
		OLLAMA_NUM_PARALLEL=${OLLAMA_NUM_PARALLEL:-4} OLLAMA_KEEP_ALIVE=-1 \
		OLLAMA_CONTEXT_LENGTH=4096 OLLAMA_NOPRUNE=1 \
		setsid "$bin" serve >>"$dir/ollama.log" 2>&1 </dev/null &
	local pid=$!
	echo "$pid" >"$dir/pid"

	local addr=""
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || { tail -20 "$dir/ollama.log" >&2; rm -f "$dir/pid"; die "server exited during start"; }
		addr=$(sed -n 's/.*Listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$dir/ollama.log" | head -1)
		if [[ -n $addr ]] && curl -fsS "http://$addr/" >/dev/null 2>&1; then
			break
		fi
		addr=""
		sleep 0.1
	done
	[[ -n $addr ]] || { stop; die "server not ready after 30s"; }
	local url=http://$addr
	echo "$url" >"$dir/url"

	printf 'FROM %s\nTEMPLATE """{{ .Prompt }}"""\nPARAMETER num_ctx 4096\n' "$model" >"$dir/Modelfile"
	if ! HOME=$dir/home OLLAMA_HOST=$addr "$bin" create "$name" -f "$dir/Modelfile" >"$dir/create.log" 2>&1; then
		cat "$dir/create.log" >&2
		stop
		die "ollama create failed"
	fi
	# An empty prompt loads the model, so the first measured request does
	# not pay for it; keep_alive -1 keeps it loaded.
	if ! curl -fsS "$url/api/generate" -d "{\"model\":\"$name\",\"prompt\":\"\",\"keep_alive\":-1}" >"$dir/load.json"; then
		tail -20 "$dir/ollama.log" >&2
		stop
		die "loading $name failed"
	fi
	log "serving $name at $url (pid $pid)"
	echo "$url"
}

case $cmd in
start) start ;;
stop) stop ;;
*) die "usage: $0 start|stop DIR" ;;
esac
