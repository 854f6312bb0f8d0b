#!/usr/bin/env bash
# flamedex benchmarks: `make bench` (sets FLAMEDEX_BIN), or
#   FLAMEDEX_BIN=build/server/flamedex bash bench/run.sh [PROFILE...]
#
# Generates the synthetic profiles into bench/out/ when missing (bench/gen,
# deterministic), then runs bench/bench.py on them, on a few real corpus
# files when present, and on label-free copies of the large ones. Needs go
# (for the generator and go tool pprof) and python3 (standard library only).
# Prints a table; writes bench/out/results.{json,md}. Never asserts on
# timings: exits 0 unless something crashes.
#
# Environment:
#   FLAMEDEX_BIN   server binary (default build/server/flamedex)
#   BENCH_OUT      output directory (default bench/out)
#   BENCH_PPROF_RUNS  go tool pprof runs per file (default 3; 0 skips)
#   BENCH_KEEP=1   keep the temporary databases
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${FLAMEDEX_BIN:-$root/build/server/flamedex}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
out=${BENCH_OUT:-$root/bench/out}
mkdir -p "$out"

if [[ ! -x $bin ]]; then
	echo "bench: no server binary at $bin (build it first, or set FLAMEDEX_BIN)" >&2
	exit 1
fi
for tool in go python3; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done

# The generator uses github.com/google/pprof/profile from Debian's
# golang-github-google-pprof-dev, found through GOPATH.
export GO111MODULE=off GOPATH=${GOPATH:-/usr/share/gocode} GOFLAGS=
if [[ -z ${HOME:-} || ! -w ${HOME:-/nonexistent} ]]; then
	export GOCACHE=$out/.gocache
fi

gen=$out/gen
if [[ ! -x $gen || $root/bench/gen/main.go -nt $gen ]]; then
	echo "bench: building the generator"
	(cd "$root/bench/gen" && go build -o "$gen" .)
fi
for size in mid large; do
	f=$out/$size.pb.gz
	if [[ ! -s $f || $gen -nt $f ]]; then
		echo "bench: generating $f"
		"$gen" -size "$size" -out "$f"
	fi
done

# The same profiles without sample labels: go tool pprof spends most of its
# -top time on labels when samples carry them, so these give the comparison
# on equal terms.
strip() { # strip IN OUT
	if [[ ! -s $2 || $1 -nt $2 || $gen -nt $2 ]]; then
		echo "bench: writing $2"
		"$gen" -strip-labels "$1" -out "$2"
	fi
}

if (($# > 0)); then
	files=("$@")
else
	strip "$out/large.pb.gz" "$out/large-nolabels.pb.gz"
	files=("$out/mid.pb.gz" "$out/large.pb.gz" "$out/large-nolabels.pb.gz")
	apm=/work/shared/corpus/apm-server/default.pgo@fd94d0ec
	if [[ -f $apm ]]; then
		strip "$apm" "$out/apm-nolabels.pb.gz"
		files+=("$apm" "$out/apm-nolabels.pb.gz")
	fi
	heap=/work/shared/corpus/pyroscope/heap
	[[ -f $heap ]] && files+=("$heap")
fi

keep=()
[[ ${BENCH_KEEP:-} == 1 ]] && keep=(--keep)
status=0
python3 "$root/bench/bench.py" --bin "$bin" --web "$root/web" --out "$out" \
	--pprof-runs "${BENCH_PPROF_RUNS:-3}" "${keep[@]}" "${files[@]}" || status=$?
exit "$status"
