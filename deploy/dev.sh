#!/usr/bin/env bash
# deploy/dev.sh: one-command set-up for flamedex on a Debian machine.
#
#   deploy/dev.sh serve   install what is missing, build, serve on
#                         http://127.0.0.1:8080 with the database in var/
#   deploy/dev.sh check   same set-up, then every test, each through its
#                         make target (README.md, "Build by hand"):
#                           build-asan/ (gcc, ASan+UBSan):  make check-unit,
#                             make check-api (tests/api against go tool
#                             pprof, tests/leaks)
#                           build-tsan/ (gcc, TSan):        make check-api-tsan
#                             (tests/api, the server under ThreadSanitizer)
#                           build/ (gcc, no sanitizers):    make check-api-pg
#                             (all of tests/api again, on PostgreSQL: a
#                             throwaway cluster,
#                             every server with --auth-file and an admin
#                             token on every request, and several replicas
#                             on one database; skipped with CHECK_AUTH=0),
#                             make check-e2e (headless Chromium, node tests)
#                           build-fuzz/ (clang, libFuzzer+ASan+UBSan):
#                             make fuzz (crash replay, FUZZ_SECONDS per target)
#                         ends with "N passed, M failed" and fails when any
#                         part failed
#   deploy/dev.sh fuzz    set-up, then make fuzz in build-fuzz/
#   deploy/dev.sh build   set-up and build only
#
# Every build directory is configured with --enable-werror (-Werror).
#
# Environment: FLAMEDEX_LISTEN (serve address), JOBS (make -j, and fuzz
# targets run at once), FUZZ_SECONDS (per fuzz target, default 60),
# CHECK_AUTH (0 skips the second API run, with --auth-file on PostgreSQL).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}

BUILD_PKGS="build-essential autoconf automake libtool pkg-config libmicrohttpd-dev
 libprotobuf-c-dev protobuf-c-compiler zlib1g-dev libsqlite3-dev libre2-dev g++ check curl"
# the scraper: its YAML configuration and its HTTP client (scrape_config.c, scrape.c)
BUILD_PKGS="$BUILD_PKGS libyaml-dev libcurl4-openssl-dev"
# Graphviz: the call graph's SVG layout (server/view_graph.c)
BUILD_PKGS="$BUILD_PKGS libgraphviz-dev"
# libpq: the PostgreSQL backend (server/db_pg.c, store_pg.c)
BUILD_PKGS="$BUILD_PKGS libpq-dev"
TEST_PKGS="golang-go golang-github-google-pprof-dev python3 python3-pytest chromium openssl"
# strace: tests/api/test_disk.py checks that --sync full fsyncs before a 201
TEST_PKGS="$TEST_PKGS strace"
# PostgreSQL 15: check-api-pg starts a throwaway cluster (tests/lib/pgcluster.py)
TEST_PKGS="$TEST_PKGS postgresql"
# libclang-rt-dev pulls in libclang-rt-14-dev on Debian 12, which ships
# libFuzzer (libclang_rt.fuzzer-x86_64.a); llvm gives ASan llvm-symbolizer.
FUZZ_PKGS="clang libclang-rt-dev llvm"

log() { printf '\n== %s\n' "$*"; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_missing() {
	local missing=()
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing: ${missing[*]}"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
}

install_node() {
	# Node.js may come from Debian or from elsewhere; only install when absent.
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		install_missing nodejs npm
	fi
}

# configure_dir DIR [configure args...]: an out-of-tree build directory,
# configured again when configure, the arguments or the installed packages
# change (a package installed since, e.g. python3-pytest by `check` after
# `serve`, changes what configure finds).
configure_dir() {
	local dir=$1
	shift
	if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
		log "autoreconf"
		autoreconf -fi >/dev/null
	fi
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] || [ configure -nt "$dir/Makefile" ] ||
		{ [ -f /var/lib/dpkg/status ] && [ /var/lib/dpkg/status -nt "$dir/Makefile" ]; } ||
		[ "$(cat "$dir/.dev-configure-args" 2>/dev/null)" != "$*" ]; then
		log "configure $dir $*"
		rm -f "$dir/.dev-configure-args"
		(cd "$dir" && "$ROOT/configure" -q "$@")
		echo "$*" >"$dir/.dev-configure-args"
	fi
}

# build DIR [configure args...]: configure and make.
build() {
	configure_dir "$@"
	log "make -C $1"
	make -s -C "$1" -j"$JOBS"
}

# Totals of deploy/dev.sh check. Each part adds what its runner counted;
# a part whose make target failed with nothing counted as failed adds one.
passed=0 failed=0 status=0
tally() { # tally PART RC PASSED FAILED LOG
	passed=$((passed + $3))
	failed=$((failed + $4))
	if [ "$2" != 0 ]; then
		status=1
		if [ "$4" = 0 ]; then
			failed=$((failed + 1))
			echo "$1: failed with nothing counted as failed; the end of $5:"
			tail -40 "$5"
		fi
	fi
}

# count PATTERN LOG: the number in the last line of LOG matching PATTERN.
count() {
	grep -Eo "$1" "$2" | tail -1 | grep -Eo '[0-9]+' | head -1 || true
}

# pytest_part PART DIR TARGET [MAKE ARGS...]: a pytest make target, tallied
# as PART (its log is $logs/PART.log); $wrap, if set, runs make.
pytest_part() {
	local rc=0 n f e
	${wrap:-} make -s -C "$2" "$3" "${@:4}" 2>&1 | tee "$logs/$1.log" || rc=$?
	n=$(count '[0-9]+ passed' "$logs/$1.log"); f=$(count '[0-9]+ failed' "$logs/$1.log")
	e=$(count '[0-9]+ errors?' "$logs/$1.log")
	tally "$1" "$rc" "${n:-0}" $((${f:-0} + ${e:-0})) "$logs/$1.log"
}

cmd=${1:-}
case "$cmd" in
serve)
	install_missing $BUILD_PKGS
	build build --enable-werror
	mkdir -p var
	listen=${FLAMEDEX_LISTEN:-127.0.0.1:8080}
	log "serving on http://$listen (database var/flamedex.db)"
	exec build/server/flamedex --listen "$listen" --db var/flamedex.db --web web
	;;
build)
	install_missing $BUILD_PKGS
	build build --enable-werror
	;;
check)
	install_missing $BUILD_PKGS $TEST_PKGS $FUZZ_PKGS
	install_node
	build build --enable-werror
	build build-asan --enable-sanitizers --enable-werror
	build build-tsan --enable-tsan --enable-werror
	configure_dir build-fuzz CC=clang CXX=clang++ --enable-fuzzing --enable-werror
	logs=$(mktemp -d /tmp/flamedex-check.XXXXXX)

	log "unit tests: make check-unit in build-asan (ASan+UBSan)"
	rc=0; make -s -C build-asan check-unit -j"$JOBS" 2>&1 | tee "$logs/unit.log" || rc=$?
	n=$(count 'Checks: [0-9]+' "$logs/unit.log"); f=$(count 'Failures: [0-9]+' "$logs/unit.log")
	e=$(count 'Errors: [0-9]+' "$logs/unit.log")
	tally unit "$rc" $((${n:-0} - ${f:-0} - ${e:-0})) $((${f:-0} + ${e:-0})) "$logs/unit.log"

	log "API tests: make check-api in build-asan (pytest against go tool pprof; server with ASan+UBSan)"
	pytest_part api build-asan check-api

	# about 5 minutes on 2 CPUs (test_oracle 3 of them)
	log "API tests under ThreadSanitizer: make check-api-tsan in build-tsan"
	tsan_wrap=
	if ! build-tsan/server/flamedex --version >/dev/null 2>&1; then
		# gcc 12's TSan cannot place its shadow memory when the kernel
		# randomises more than 28 bits of mmap addresses: run without ASLR
		tsan_wrap="setarch $(uname -m) -R"
	fi
	wrap=$tsan_wrap pytest_part api-tsan build-tsan check-api-tsan

	if [ "${CHECK_AUTH:-1}" != 0 ]; then
		log "API tests on PostgreSQL with --auth-file: make check-api-pg in build (all of tests/api, replicas)"
		pytest_part api-pg build check-api-pg
	fi

	log "browser tests: make check-e2e in build (headless Chromium via playwright-core)"
	rc=0; make -s -C build check-e2e 2>&1 | tee "$logs/e2e.log" || rc=$?
	n=$(count '^# pass [0-9]+' "$logs/e2e.log"); f=$(count '^# fail [0-9]+' "$logs/e2e.log")
	tally e2e "$rc" "${n:-0}" "${f:-0}" "$logs/e2e.log"

	log "fuzzing: make fuzz in build-fuzz (libFuzzer, ASan+UBSan; crash replay, then $FUZZ_SECONDS s a target)"
	rc=0; make -s -C build-fuzz fuzz FUZZ_SECONDS="$FUZZ_SECONDS" FUZZ_JOBS="$JOBS" -j"$JOBS" 2>&1 |
		tee "$logs/fuzz.log" || rc=$?
	tally fuzz "$rc" "$(grep -c '^PASS: ' "$logs/fuzz.log" || true)" \
		"$(grep -c '^FAIL: ' "$logs/fuzz.log" || true)" "$logs/fuzz.log"

	echo
	echo "logs in $logs"
	echo "$passed passed, $failed failed"
	exit "$status"
	;;
fuzz)
	install_missing $BUILD_PKGS $FUZZ_PKGS
	configure_dir build-fuzz CC=clang CXX=clang++ --enable-fuzzing --enable-werror
	exec make -s -C build-fuzz fuzz FUZZ_SECONDS="$FUZZ_SECONDS" FUZZ_JOBS="$JOBS" -j"$JOBS"
	;;
*)
	echo "usage: deploy/dev.sh serve|check|fuzz|build" >&2
	exit 2
	;;
esac
