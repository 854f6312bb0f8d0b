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
#   BENCH_SCALING=0  skip the scaled copies of the random shape
#   BENCH_NAV=0    skip the browser part (bench/nav.mjs: navigation to a drawn
#                  flame graph beside go tool pprof -http and speedscope; it
#                  skips itself with a message when node, chromium or the npm
#                  packages of tests/e2e and bench/nav are missing)
#   BENCH_NAV_RUNS flamedex runs per file in it (default 3; pprof 2, speedscope 1)
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

# The hard shapes of issue 12 (bench/gen/hard.go), and the random one at
# 1/4, 1/2 and 2 times its size for the scaling table (BENCH_SCALING=0
# skips those).
for shape in random deep traces; do
	f=$out/$shape.pb.gz
	if [[ ! -s $f || $gen -nt $f ]]; then
		echo "bench: generating $f"
		"$gen" -shape "$shape" -out "$f"
	fi
done
scaled=()
if [[ ${BENCH_SCALING:-1} != 0 ]]; then
	for x in 0.25 0.5 2; do
		f=$out/random-x$x.pb.gz
		if [[ ! -s $f || $gen -nt $f ]]; then
			echo "bench: generating $f"
			"$gen" -shape random -scale "$x" -out "$f"
		fi
		scaled+=("$f")
	done
fi

# The decode floor: gunzip + one walk over every varint (bench/floor.c).
floor=$out/floor
if [[ ! -x $floor || $root/bench/floor.c -nt $floor ]]; then
	cc -O2 -o "$floor" "$root/bench/floor.c" -lz
fi

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
	strip "$out/random.pb.gz" "$out/random-nolabels.pb.gz"
	strip "$out/traces.pb.gz" "$out/traces-nolabels.pb.gz"
	files=("$out/mid.pb.gz" "$out/large.pb.gz" "$out/large-nolabels.pb.gz"
		"$out/random.pb.gz" "$out/random-nolabels.pb.gz" "$out/deep.pb.gz"
		"$out/traces.pb.gz" "$out/traces-nolabels.pb.gz")
	apm=/work/shared/corpus/apm-server/default.pgo@fd94d0ec
	if [[ -f $apm ]]; then
		strip "$apm" "$out/apm-nolabels.pb.gz"
		files+=("$apm" "$out/apm-nolabels.pb.gz")
	fi
	heap=/work/shared/corpus/pyroscope/heap
	[[ -f $heap ]] && files+=("$heap")
	# The largest real proto files of the corpus (MANIFEST.tsv), 4 of them.
	manifest=/work/shared/corpus/MANIFEST.tsv
	if [[ -f $manifest ]]; then
		while IFS= read -r p; do
			[[ -f /work/shared/corpus/$p && /work/shared/corpus/$p != "$apm" ]] && files+=("/work/shared/corpus/$p")
		done < <(awk -F'\t' 'NR > 1 && $7 == "proto" && $5 > 100000 { print $5 "\t" $1 }' "$manifest" |
			sort -rn | head -5 | cut -f2)
	fi
	files+=("${scaled[@]}")
fi

keep=()
[[ ${BENCH_KEEP:-} == 1 ]] && keep=(--keep)
status=0
python3 "$root/bench/bench.py" --bin "$bin" --web "$root/web" --out "$out" \
	--pprof-runs "${BENCH_PPROF_RUNS:-3}" --floor "$floor" "${keep[@]}" "${files[@]}" || status=$?

# Navigation to a drawn flame graph in headless Chromium (issue 12): the
# large shapes and the largest real files, beside go tool pprof -http and
# speedscope. Optional: it says why when it cannot run.
if [[ ${BENCH_NAV:-1} != 0 ]]; then
	if ! command -v node >/dev/null; then
		echo "bench nav: skipped: node not found"
	else
		nav=()
		if (($# > 0)); then
			nav=("$@")
		else
			nav=("$out/large.pb.gz" "$out/random.pb.gz")
			[[ -f ${apm:-} ]] && nav+=("$apm")
			for p in pprof/large.cpu pyroscope/ingesters.pb.gz; do
				[[ -f /work/shared/corpus/$p ]] && nav+=("/work/shared/corpus/$p")
			done
		fi
		r=${BENCH_NAV_RUNS:-3}
		FLAMEDEX_BIN=$bin FLAMEDEX_WEB=$root/web node "$root/bench/nav.mjs" --runs "$r" \
			--pprof-runs 2 --speedscope-runs 1 --json "$out/nav.json" "${nav[@]}" || status=$?
	fi
fi
exit "$status"
