#!/usr/bin/env bash
# tests/fuzz/run.sh: the fuzz run behind `make fuzz` (see README.md).
#
#   run.sh --src SRCDIR --work WORKDIR [--seconds N] [--jobs J] TARGET...
#
# For each libFuzzer TARGET binary (NAME = its file name):
#   replay  run every input of SRCDIR/tests/fuzz/crashes/ once: each is an
#           input that once crashed a target, and none may crash any now;
#   fuzz    fuzz for N seconds (default 60; 0 skips this step), stopping
#           at the first crash, from WORKDIR/work/NAME/corpus (kept between
#           runs; new inputs go there) and the seeds:
#           SRCDIR/tests/fuzz/seeds/NAME/ and, for the decoders, the crash
#           inputs and the files under tests/data smaller than 64 KiB.
# J targets run at a time (default 1). Each check prints one line,
# "PASS: NAME replay|fuzz (...)", "FAIL: ..." (followed by the end of its
# log) or "SKIP: ..."; the exit status is 1 when any check failed. A
# missing or empty crash directory or seed set is a failure.
set -uo pipefail

src= work= seconds=60 jobs=1
while [ $# -gt 0 ]; do
	case $1 in
	--src) src=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ -z "$src" ] || [ -z "$work" ] || [ $# -eq 0 ]; then
	echo "usage: run.sh --src SRCDIR --work WORKDIR [--seconds N] [--jobs J] TARGET..." >&2
	exit 2
fi
case $seconds in ''|*[!0-9]*) echo "run.sh: --seconds wants a whole number, not '$seconds'" >&2; exit 2 ;; esac
case $jobs in ''|0|*[!0-9]*) echo "run.sh: --jobs wants a positive number, not '$jobs'" >&2; exit 2 ;; esac

crashes=$src/tests/fuzz/crashes
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Options every run shares: no input may take a minute (a hang), nor
# 2 GiB; inputs are at most 64 KiB, as small profiles and query strings.
common=(-timeout=60 -rss_limit_mb=2048 -max_len=65536)

# check NAME BIN: both checks of one target; writes DIR/result and DIR/*.log.
check() {
	local name=$1 bin=$2 dir=$work/work/$1
	mkdir -p "$dir/corpus" "$dir/artifacts"
	rm -rf "$dir/seeds" "$dir/result"
	mkdir -p "$dir/seeds"

	local inputs=()
	[ -d "$crashes" ] && mapfile -t inputs < <(find "$crashes" -type f | sort)
	if [ ${#inputs[@]} -eq 0 ]; then
		echo "FAIL: $name replay ($crashes is missing or empty)" >>"$dir/result"
		return
	fi
	if ! "$bin" "${common[@]}" -artifact_prefix="$dir/artifacts/replay-" "${inputs[@]}" >"$dir/replay.log" 2>&1; then
		local which
		which=$(grep -o 'Running: .*' "$dir/replay.log" | tail -1 | sed 's/^Running: //')
		echo "FAIL: $name replay (${which:-a crash input} fails again; log $dir/replay.log)" >>"$dir/result"
		return
	fi
	echo "PASS: $name replay (${#inputs[@]} crash inputs)" >>"$dir/result"
	if [ "$seconds" = 0 ]; then
		echo "SKIP: $name fuzz (0 seconds asked for)" >>"$dir/result"
		return
	fi

	local seeddirs=()
	if [ -d "$src/tests/fuzz/seeds/$name" ]; then
		seeddirs+=("$src/tests/fuzz/seeds/$name")
	fi
	case $name in
	fuzz_pprof|fuzz_textdump)
		# Copied flat, under names that keep their origin.
		find "$src/tests/data" "$crashes" -type f -size -64k ! -name MANIFEST.tsv ! -name README.md 2>/dev/null |
		while read -r f; do
			cp "$f" "$dir/seeds/$(echo "${f#"$src"/tests/}" | tr '/@' '__')"
		done
		seeddirs+=("$dir/seeds")
		;;
	esac
	local nseeds=0
	[ ${#seeddirs[@]} -gt 0 ] && nseeds=$(find "${seeddirs[@]}" -type f | wc -l)
	if [ "$nseeds" -eq 0 ]; then
		echo "FAIL: $name fuzz (no seeds: tests/fuzz/seeds/$name/ is missing or empty)" >>"$dir/result"
		return
	fi
	rm -f "$dir"/artifacts/crash-* "$dir"/artifacts/leak-* "$dir"/artifacts/timeout-* "$dir"/artifacts/oom-*
	if "$bin" "${common[@]}" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/" "$dir/corpus" "${seeddirs[@]}" >"$dir/fuzz.log" 2>&1; then
		local runs cov corp
		runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$dir/fuzz.log" | grep -o '[0-9]*$')
		cov=$(grep -o 'cov: [0-9]*' "$dir/fuzz.log" | tail -1 | grep -o '[0-9]*$')
		corp=$(grep -o 'corp: [0-9]*' "$dir/fuzz.log" | tail -1 | grep -o '[0-9]*$')
		echo "PASS: $name fuzz (${seconds} s, ${runs:-?} runs, $nseeds seeds, corpus ${corp:-?}, coverage ${cov:-?})" >>"$dir/result"
	else
		local art
		art=$(ls -t "$dir"/artifacts/{crash,leak,timeout,oom}-* 2>/dev/null | head -1)
		echo "FAIL: $name fuzz (${art:+input $art; replay with $bin $art; }log $dir/fuzz.log)" >>"$dir/result"
	fi
}

names=() pids=()
for bin in "$@"; do
	name=$(basename "$bin")
	name=${name%.exe}
	if [ ! -x "$bin" ]; then
		mkdir -p "$work/work/$name"
		echo "FAIL: $name (no executable at $bin)" >"$work/work/$name/result"
		names+=("$name")
		continue
	fi
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	echo "$name: replaying the crash inputs, then fuzzing for ${seconds} s (logs in $work/work/$name/)"
	check "$name" "$bin" &
	names+=("$name")
done
wait

status=0
for name in "${names[@]}"; do
	dir=$work/work/$name
	if [ ! -s "$dir/result" ]; then
		echo "FAIL: $name (no result)"
		status=1
		continue
	fi
	while read -r line; do
		echo "$line"
		case $line in
		FAIL:*)
			status=1
			log=$(echo "$line" | grep -o 'log [^ )]*' | sed 's/^log //')
			if [ -n "$log" ] && [ -f "$log" ]; then
				echo "---- end of $log"
				grep -v '^#[0-9]' "$log" | tail -40
				echo "----"
			fi
			;;
		esac
	done <"$dir/result"
done
exit $status
