#!/usr/bin/env bash
# bench/gate/make_profiles.sh: run tests/progs/gateprof many times into
# $GATE_OUT (default bench/out/gate): NULL same-code runs (null-NN.K.pb.gz)
# and PLANTED runs with -plant 20 (planted-NN.K.pb.gz), interleaved so that
# a run stopped early still has both kinds. Each run does WORK units (550:
# about 120 CPU seconds, ~30,000 samples at 250 Hz) cut into CHUNKS
# consecutive profiles. Runs already on disk are kept. Niced: the machine
# is shared. START numbers the runs from START (two instances with
# different STARTs fill the same directory without meeting).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${GATE_OUT:-$root/bench/out/gate}
NULL=${NULL:-11} PLANTED=${PLANTED:-6} WORK=${WORK:-550} CHUNKS=${CHUNKS:-10} HZ=${HZ:-250} START=${START:-0}
mkdir -p "$out"
export GO111MODULE=off GOFLAGS= GOCACHE=${GOCACHE:-$out/.gocache}
(cd "$root/tests/progs" && go build -o "$out/gateprof.$START" ./gateprof)
run() { # run KIND N PLANT
	local base
	base=$(printf '%s/%s-%02d' "$out" "$1" "$2")
	[[ -s $base.$((CHUNKS - 1)).pb.gz ]] && return 0
	echo "gate bench: $base ($(date -u +%T))"
	nice -n 19 "$out/gateprof.$START" -hz "$HZ" -work "$WORK" -chunks "$CHUNKS" -workers 2 -plant "$3" "$base.tmp.pb.gz" 2>/dev/null
	for ((k = 0; k < CHUNKS; k++)); do mv "$base.tmp.$k.pb.gz" "$base.$k.pb.gz"; done
}
for ((i = 0; i < NULL || i < PLANTED; i++)); do
	((i < NULL)) && run null $((START + i)) 0
	((i < PLANTED)) && run planted $((START + i)) 20
done
echo "gate bench: done ($(date -u +%T))"
