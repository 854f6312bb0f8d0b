#!/usr/bin/env bash
# deploy/replicas.sh [N]: try flamedex replicas on one machine: a
# PostgreSQL cluster of its own (var/replicas/pg, port PG_PORT), N
# replicas (default 3) on 127.0.0.1:8081.. on its database `flamedex`,
# and nginx on 127.0.0.1:8080 with deploy/nginx-replicas.conf.example
# pointed at them. Ctrl-C stops all of it; the data stays in
# var/replicas for the next run (rm -rf var/replicas to start afresh).
# SIGTERM stops it too (a background job ignores SIGINT).
#
# Needs a build (deploy/dev.sh build), Debian's postgresql and nginx.
# PostgreSQL does not run as root: as root the cluster is the postgres
# user's. Environment: FLAMEDEX_BIN, PG_BIN (/usr/lib/postgresql/15/bin),
# PG_PORT (55432), FRONT_PORT (8080), REPLICAS_DIR (var/replicas).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${1:-3}
BIN=${FLAMEDEX_BIN:-build/server/flamedex}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-55432}
FRONT_PORT=${FRONT_PORT:-8080}
DIR=${REPLICAS_DIR:-var/replicas}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
[ -x "$BIN" ] || { echo "replicas.sh: no $BIN (deploy/dev.sh build)" >&2; exit 1; }
[ -x "$PG_BIN/initdb" ] || { echo "replicas.sh: no $PG_BIN/initdb (apt-get install postgresql)" >&2; exit 1; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "replicas.sh: no nginx (apt-get install nginx)" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ ! -d "$DIR/pg" ]; then
	mkdir -p "$DIR/pg" && chmod 700 "$DIR/pg"
	[ "$(id -u)" = 0 ] && chown postgres "$DIR/pg" && chmod 755 "$DIR"
	as_pg "$PG_BIN/initdb" -D "$DIR/pg" -A trust -U postgres -E UTF8 --locale=C >/dev/null
	printf "listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nmax_connections = 200\n" \
		"$PG_PORT" "$DIR/pg" >>"$DIR/pg/postgresql.conf"
fi
as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg" -l "$DIR/pg/server.log" -w start >/dev/null
DB="postgresql://postgres@127.0.0.1:$PG_PORT/flamedex"
"$PG_BIN/psql" -X -q -d "postgresql://postgres@127.0.0.1:$PG_PORT/postgres" -tAc \
	"SELECT 1 FROM pg_database WHERE datname='flamedex'" | grep -q 1 ||
	"$PG_BIN/psql" -X -q -d "postgresql://postgres@127.0.0.1:$PG_PORT/postgres" -c "CREATE DATABASE flamedex"

pids=()
cleanup() {
	trap - INT TERM EXIT
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg" -m fast -w stop >/dev/null || true
}
trap cleanup INT TERM EXIT

upstream=""
for i in $(seq 1 "$N"); do
	port=$((8080 + i))
	"$BIN" --listen "127.0.0.1:$port" --db "$DB" --web web --public-url "http://127.0.0.1:$FRONT_PORT" \
		>"$DIR/replica$i.log" 2>&1 &
	pids+=($!)
	upstream+="    server 127.0.0.1:$port max_fails=2 fail_timeout=5s;\n"
done
mkdir -p "$DIR/nginx"
{
	printf 'pid %s/nginx/nginx.pid;\nerror_log %s/nginx/error.log;\nevents {}\nhttp {\n' "$DIR" "$DIR"
	printf 'access_log %s/nginx/access.log;\nclient_body_temp_path %s/nginx/body;\nproxy_temp_path %s/nginx/proxy;\n' \
		"$DIR" "$DIR" "$DIR"
	sed -e '/^    server 127\.0\.0\.1:808[1-9]/d' -e "s|^    least_conn;|    least_conn;\n$upstream|" \
		-e "s|listen 127.0.0.1:8080;|listen 127.0.0.1:$FRONT_PORT;|" deploy/nginx-replicas.conf.example
	printf '}\n'
} >"$DIR/nginx/nginx.conf"
"$NGINX" -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -g 'daemon off;' &
pids+=($!)
echo "flamedex: $N replicas on $DB behind http://127.0.0.1:$FRONT_PORT (logs in $DIR); Ctrl-C stops"
wait -n "${pids[@]}" || true
