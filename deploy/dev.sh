#!/usr/bin/env bash
# deploy/dev.sh: one-command set-up for flamedex on a Debian machine.
#
#   deploy/dev.sh serve   install what is missing, build, serve on
#                         http://127.0.0.1:8080 with the database in var/
#   deploy/dev.sh check   same set-up, then every test: unit tests under
#                         ASan/UBSan, API tests against go tool pprof,
#                         browser tests in headless Chromium
#   deploy/dev.sh build   set-up and build only
#
# Environment: FLAMEDEX_LISTEN (serve address), JOBS (make -j).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

BUILD_PKGS="build-essential autoconf automake libtool pkg-config libmicrohttpd-dev
 libprotobuf-c-dev protobuf-c-compiler zlib1g-dev libsqlite3-dev libpcre2-dev check curl"
TEST_PKGS="golang-go golang-github-google-pprof-dev python3 python3-pytest chromium"

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

# build DIR [configure args...]: out-of-tree build.
build() {
	local dir=$1
	shift
	if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
		log "autoreconf"
		autoreconf -fi >/dev/null
	fi
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] || [ configure -nt "$dir/Makefile" ]; then
		log "configure $dir $*"
		(cd "$dir" && "$ROOT/configure" -q "$@")
	fi
	log "make -C $dir"
	make -s -C "$dir" -j"$JOBS"
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
	install_missing $BUILD_PKGS $TEST_PKGS
	install_node
	build build --enable-werror
	build build-asan --enable-sanitizers --enable-werror
	export FLAMEDEX_BIN="$ROOT/build-asan/server/flamedex"
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	passed=0 failed=0 status=0

	log "unit tests (Check, ASan+UBSan)"
	if make -s -C build-asan check -j"$JOBS" >/tmp/flamedex-unit.log 2>&1; then :; else status=1; fi
	cat build-asan/tests/unit/test_units.log 2>/dev/null | grep -E '^[0-9]+%|Checks' || true
	p=$(grep -ho '^# PASS: *[0-9]*' build-asan/test-suite.log /tmp/flamedex-unit.log 2>/dev/null | grep -o '[0-9]*' | head -1 || true)
	u=$(grep -ho 'Checks: [0-9]*, Failures: [0-9]*, Errors: [0-9]*' build-asan/tests/unit/test_units.log 2>/dev/null | head -1 || true)
	if [ -n "$u" ]; then
		set -- $(echo "$u" | grep -o '[0-9]*')
		passed=$((passed + $1 - $2 - $3)); failed=$((failed + $2 + $3))
	elif [ "$status" != 0 ]; then
		failed=$((failed + 1)); cat /tmp/flamedex-unit.log
	fi

	log "API tests (pytest, against go tool pprof; server built with ASan+UBSan)"
	if /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/api $(ls -d tests/leaks 2>/dev/null) 2>&1 | tee /tmp/flamedex-api.log; then :; else status=1; fi
	line=$(grep -E '[0-9]+ (passed|failed)' /tmp/flamedex-api.log | tail -1 || true)
	n=$(echo "$line" | grep -o '[0-9]* passed' | grep -o '[0-9]*' || true); passed=$((passed + ${n:-0}))
	n=$(echo "$line" | grep -o '[0-9]* failed' | grep -o '[0-9]*' || true); failed=$((failed + ${n:-0}))
	n=$(echo "$line" | grep -o '[0-9]* error' | grep -o '[0-9]*' || true); failed=$((failed + ${n:-0}))

	if [ -f tests/e2e/package.json ]; then
		log "browser tests (headless Chromium via playwright-core)"
		(cd tests/e2e && { [ -f package-lock.json ] && npm ci --no-audit --no-fund --silent || npm install --no-audit --no-fund --silent; })
		export FLAMEDEX_BIN_E2E="$ROOT/build/server/flamedex"
		if FLAMEDEX_BIN="$ROOT/build/server/flamedex" node --test tests/e2e/ 2>&1 | tee /tmp/flamedex-e2e.log; then :; else status=1; fi
		n=$(grep -E '^# pass [0-9]+' /tmp/flamedex-e2e.log | grep -o '[0-9]*' | tail -1 || true); passed=$((passed + ${n:-0}))
		n=$(grep -E '^# fail [0-9]+' /tmp/flamedex-e2e.log | grep -o '[0-9]*' | tail -1 || true); failed=$((failed + ${n:-0}))
	fi

	if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
	echo
	echo "$passed passed, $failed failed"
	exit "$status"
	;;
*)
	echo "usage: deploy/dev.sh serve|check|build" >&2
	exit 2
	;;
esac
