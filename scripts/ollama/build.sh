#!/usr/bin/env bash
# build.sh builds Ollama from the Go module proxy for the CPU of this machine
# and caches the binary under $HYPOBENCH_CACHE/ollama/<version>-<flags-hash>-<cpu-hash>/.
#
# Usage: scripts/ollama/build.sh            # prints the binary's path on stdout
#   OLLAMA_VERSION  module version to build (default v0.17.4)
#   OLLAMA_CFLAGS   C/C++ optimisation flags (default "-O3 -march=native
#                   -mno-amx-tile -mno-amx-int8 -mno-amx-bf16")
#   HYPOBENCH_CACHE cache root (default ${XDG_CACHE_HOME:-~/.cache}/hypobench, outside
#                   the checkout so fresh clones on the same machine reuse the build)
#
# Why the extra steps: module zips drop vendor/ directories, so the cgo build
# of the vendored llama.cpp misses nlohmann/json, stb_image and miniaudio.
# The first two come from Debian packages unpacked into a project-local
# include directory; miniaudio is replaced by scripts/ollama/include's stub,
# which text models never call. Without -O3 -march=native prefill is 10-17x
# slower, so the binary is keyed by flags and CPU model. AMX is switched off:
# with it, -march=native makes ggml-cpu.cpp call ggml_backend_amx_buffer_type,
# whose amx/ directory has no Go file, so cgo never compiles it and the link
# fails on Sapphire Rapids and later Xeons.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
version=${OLLAMA_VERSION:-v0.17.4}
cflags=${OLLAMA_CFLAGS:--O3 -march=native -mno-amx-tile -mno-amx-int8 -mno-amx-bf16}
cache=${HYPOBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hypobench}

log() { printf 'ollama-build: %s\n' "$*" >&2; }

hash8() { sha256sum | cut -c1-8; }
ldflags="-X github.com/ollama/ollama/version.Version=${version#v}"
flags_hash=$(printf '%s\n%s\n%s\n%s\n' "$cflags" "$ldflags" "$(go env GOVERSION)" "$(sha256sum "$here/include/miniaudio/miniaudio.h" | cut -d' ' -f1)" | hash8)
cpu_hash=$( (grep -m1 '^model name' /proc/cpuinfo || true; grep -m1 '^flags' /proc/cpuinfo || true; uname -m) | hash8)
dir=$cache/ollama/$version-$flags_hash-$cpu_hash
bin=$dir/ollama

mkdir -p "$cache/ollama"
exec 9>"$cache/ollama/.lock"
flock 9

if [[ -x $bin ]] && "$bin" --version >/dev/null 2>&1; then
	log "reusing $bin"
	printf '%s\n' "$bin"
	exit 0
fi

# Third-party headers from Debian packages, unpacked without installing.
inc=$cache/ollama/include
if [[ ! -f $inc/usr/include/nlohmann/json_fwd.hpp || ! -f $inc/usr/include/stb/stb_image.h ]]; then
	debs=$(mktemp -d)
	trap 'rm -rf "$debs"' EXIT
	log "fetching nlohmann-json3-dev and libstb-dev"
	if ! (cd "$debs" && apt-get download nlohmann-json3-dev libstb-dev >&2); then
		log "apt-get download failed; running apt-get update"
		apt-get update >&2
		(cd "$debs" && apt-get download nlohmann-json3-dev libstb-dev >&2)
	fi
	rm -rf "$inc.tmp"
	mkdir -p "$inc.tmp"
	for deb in "$debs"/*.deb; do
		dpkg -x "$deb" "$inc.tmp"
	done
	rm -rf "$inc" "$debs"
	trap - EXIT
	mv "$inc.tmp" "$inc"
fi

log "building github.com/ollama/ollama@$version with '$cflags' into $dir (cold: 5-20 min on 2 cores)"
tmp=$dir.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
env GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOBIN="$tmp" CGO_ENABLED=1 \
	CGO_CPPFLAGS="-I$inc/usr/include -I$here/include" \
	CGO_CFLAGS="$cflags" CGO_CXXFLAGS="$cflags" \
	go install -ldflags="$ldflags" "github.com/ollama/ollama@$version" >&2
rm -rf "$dir"
mv "$tmp" "$dir"
log "built in $(($(date +%s) - start))s: $(du -h "$bin" | cut -f1)"
printf '%s\n' "$bin"
