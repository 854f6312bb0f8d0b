/*
 * config.c: flags and environment (see config.h).
 */
#include "autoconfig.h"
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "limits.h"

#ifndef FDX_WEBDIR
#define FDX_WEBDIR "web"
#endif

struct config cfg;

enum kind {
	K_STR,   /* a path or an address */
	K_SIZE,  /* bytes: a number with an optional k/m/g suffix (powers of 1024) */
	K_UINT,  /* a plain number */
	K_SECS,  /* seconds, with an optional s/m/h/d suffix */
};

/* One flag; its environment variable is FLAMEDEX_ and the name upper-cased
 * with '-' as '_'. */
struct opt {
	const char *name;
	enum kind kind;
	size_t off;                   /* of the field in struct config */
	size_t cap;                   /* K_STR: size of the field */
	unsigned long long min, max;  /* K_SIZE, K_UINT */
	const char *arg;
	const char *help;
};

#define F_STR(f) K_STR, offsetof(struct config, f), sizeof(((struct config *)0)->f), 0, 0
#define F_SIZE(f, lo) K_SIZE, offsetof(struct config, f), 0, lo, SIZE_MAX
#define F_UINT(f, lo, hi) K_UINT, offsetof(struct config, f), 0, lo, hi

static const struct opt opts[] = {
	{ "listen", F_STR(listen), "HOST:PORT", "address to serve on" },
	{ "db", F_STR(db), "FILE|URI",
	  "the database: a file path (SQLite), or PostgreSQL as postgresql://user@host:5432/db or \"host=... dbname=...\"" },
	{ "db-pool", F_UINT(db_pool, 1, FDX_MAX_DB_POOL), "N",
	  "PostgreSQL connections this process keeps at most (SQLite: unused)" },
	{ "web", F_STR(web), "DIR", "static web assets" },
	{ "max-body", F_SIZE(max_body, 1), "BYTES", "largest upload body" },
	{ "max-inflated", F_SIZE(max_inflated, 1), "BYTES", "largest profile after gunzip" },
	{ "cache-bytes", F_SIZE(cache_bytes, 1), "BYTES", "decoded profiles kept in memory" },
	{ "max-inflight", F_SIZE(max_inflight, 1), "BYTES",
	  "the memory account: what all requests hold at once (bodies, decoded profiles outside the cache, views, replies); beyond it 429/503 busy" },
	{ "max-conns", F_UINT(max_conns, 1, 100000), "N",
	  "simultaneous connections, counting those still sending headers" },
	{ "max-conns-per-ip", F_UINT(max_conns_per_ip, 0, 100000), "N",
	  "connections from one client address (0: no limit; behind a proxy, all come from it)" },
	{ "header-timeout", F_UINT(header_timeout_s, 1, 3600), "SECONDS",
	  "from accept to a complete request line and headers (a total, not an idle time)" },
	{ "keepalive-timeout", F_UINT(keepalive_s, 1, 3600), "SECONDS",
	  "an idle kept-alive connection waits this long for its next request (TLS)" },
	{ "min-rate", F_SIZE(min_rate, 0), "BYTES",
	  "slowest average rate per second of a body or a reply, once it has run for --header-timeout (0: none)" },
	{ "max-request-time", F_UINT(request_time_s, 0, 86400), "SECONDS",
	  "a request's handler is stopped with a 503 after this long (0: never)" },
	{ "workers", F_UINT(workers, 0, 1024), "N", "handler threads (0: 4 per CPU, at least 8)" },
	{ "max-request-work", F_SIZE(request_work, 0), "UNITS",
	  "a request's handler is stopped with a 503 after this many work units (polls of its loops; 0: never)" },
	{ "max-heavy", F_UINT(max_heavy, 0, 1024), "N",
	  "views, diffs and leak analyses running at once (0: no limit); the others wait --heavy-wait" },
	{ "heavy-wait", F_UINT(heavy_wait_s, 0, 3600), "SECONDS",
	  "how long a heavy request waits for a slot (and a leak analysis for its memory) before a 503 busy with Retry-After" },
	{ "tls-cert", F_STR(tls_cert), "FILE", "serve HTTPS with this PEM certificate (chain) and --tls-key" },
	{ "tls-key", F_STR(tls_key), "FILE", "the PEM private key of --tls-cert (unencrypted)" },
	/* access (origin.c, auth.c, session.c; docs/SECURITY.md) */
	{ "public-url", F_STR(public_url), "URL",
	  "the scheme://host[:port] people open: its origin may write, its host is answered" },
	{ "allowed-hosts", F_STR(allowed_hosts), "LIST",
	  "more Host names to answer, comma-separated; \"*\" = any (on a loopback --listen only IP literals, localhost and these are answered)" },
	{ "auth-file", F_STR(auth_file), "FILE",
	  "tokens, \"ROLE NAME SHA256HEX\" a line; the API then wants one; SIGHUP reloads it" },
	{ "session-ttl", K_SECS, offsetof(struct config, session_ttl_s), 0, 1, 10ULL * 366 * 86400, "SECONDS",
	  "how long a sign-in lasts (s/m/h/d suffixes)" },
	{ "metrics-role", F_STR(metrics_role), "ROLE", "what GET /metrics needs: open, read, write or admin" },
	{ "auth-failures", F_UINT(auth_failures, 1, 1000000), "N",
	  "failed token attempts a client address may make a minute before 429" },
	/* storage (db.h) */
	{ "sync", F_STR(sync), "full|normal",
	  "full: a 201 survives a power cut (fsync per commit); normal: faster, may lose the last uploads on power loss" },
	{ "series-storage", F_STR(series_storage), "off|labelled|all",
	  "which uploads share their series' dictionary (series.h): labelled (default): those with profile labels" },
	{ "answers-min-nodes", F_UINT(answers_min_nodes, 0, 1000000000), "N",
	  "keep the page's first views of a profile in the database only when its stack trie has this many nodes (smaller ones view cold in milliseconds; 0: every profile)" },
	{ "max-db-bytes", F_SIZE(max_db_bytes, 0), "BYTES",
	  "cap on the database's size; beyond it uploads get 507 (0: none, the disk is the cap)" },
	{ "disk-reserve", F_SIZE(disk_reserve, 0), "BYTES",
	  "space kept in DB-reserve beside the database so a DELETE works on a full disk (0: none)" },
	/* scraping and retention (scrape.h, docs/SCRAPE.md) */
	{ "config", F_STR(scrape_config), "FILE",
	  "scrape configuration (YAML, Parca's scrape_configs; docs/SCRAPE.md); SIGHUP reloads it" },
	{ "retention", K_SECS, offsetof(struct config, retention_s), 0, 0, 10ULL * 366 * 86400, "DURATION",
	  "delete scraped profiles older than this (s/m/h/d suffixes; 0: keep them)" },
	{ "retention-bytes", F_SIZE(retention_bytes, 0), "BYTES",
	  "delete the oldest scraped profiles while the stored ones take more than this (0: no cap)" },
	{ "retention-uploads", K_SECS, offsetof(struct config, retention_uploads_s), 0, 0, 10ULL * 366 * 86400,
	  "DURATION", "delete uploaded profiles older than this too (0: uploads are kept)" },
	{ "downsample-after", K_SECS, offsetof(struct config, downsample_after_s), 0, 0, FDX_DOWNSAMPLE_MAX_AGE_S,
	  "DURATION", "merge scraped profiles older than this into one per series and --downsample-step (0: never; the --config file's downsample: wins)" },
	{ "downsample-step", K_SECS, offsetof(struct config, downsample_step_s), 0, 0, FDX_DOWNSAMPLE_MAX_STEP_S,
	  "DURATION", "the span of one downsampled profile, buckets aligned to the epoch (0: 1h)" },
	{ "downsample-retention", K_SECS, offsetof(struct config, downsample_retention_s), 0, 0,
	  FDX_DOWNSAMPLE_MAX_AGE_S, "DURATION", "delete downsampled profiles older than this (0: keep them)" },
	/* selections (selection.h) */
	{ "max-selection", F_UINT(max_selection, 1, FDX_MAX_SELECTION), "N",
	  "profiles one merge, series side or diff side may take; more is a 400 selection_too_large" },
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static void env_name(const char *name, char *out, size_t cap)
{
	size_t o = (size_t)snprintf(out, cap, "FLAMEDEX_");
	for (; *name && o + 1 < cap; name++)
		out[o++] = *name == '-' ? '_' : (char)toupper((unsigned char)*name);
	out[o] = '\0';
}

static void usage(FILE *f, const struct config *def)
{
	fprintf(f, "usage: flamedex [options]\n");
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct opt *o = &opts[i];
		const char *field = (const char *)def + o->off;
		char flag[64], env[64], dflt[1100];
		snprintf(flag, sizeof(flag), "--%s %s", o->name, o->arg);
		env_name(o->name, env, sizeof(env));
		if (o->kind == K_STR)
			snprintf(dflt, sizeof(dflt), "%s", *field ? field : "none");
		else if (o->kind == K_SIZE)
			snprintf(dflt, sizeof(dflt), "%zu", *(const size_t *)(const void *)field);
		else
			snprintf(dflt, sizeof(dflt), "%u", *(const unsigned *)(const void *)field);
		fprintf(f, "  %-26s %s\n  %-26s (default %s; %s)\n", flag, o->help, "", dflt, env);
	}
	fprintf(f, "  --help, --version\n"
	           "       flamedex token ROLE NAME   print a new token and its auth file line\n"
	           "SIGTERM or SIGINT: stop accepting, stop the work in flight, close the database and exit\n"
	           "within %d s; a second signal exits at once.\n",
	        FDX_STOP_TIMEOUT_S);
}

/* A number; sizes accept a k/m/g suffix (powers of 1024), seconds an
 * s/m/h/d suffix. */
static int parse_size(const char *s, enum kind kind, unsigned long long *out)
{
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -1;
	static const char size_units[] = "kKmMgG", secs_units[] = "smhd";
	static const unsigned long long size_muls[] = { 1024ULL, 1024ULL, 1024ULL * 1024, 1024ULL * 1024,
	                                                1024ULL * 1024 * 1024, 1024ULL * 1024 * 1024 };
	static const unsigned long long secs_muls[] = { 1, 60, 3600, 86400 };
	const char *units = kind == K_SIZE ? size_units : kind == K_SECS ? secs_units : "";
	const unsigned long long *muls = kind == K_SIZE ? size_muls : secs_muls;
	unsigned long long mul = 1;
	const char *u = *end ? strchr(units, *end) : NULL;
	if (u) {
		mul = muls[u - units];
		end++;
	}
	if (*end || v > ~0ULL / mul)
		return -1;
	*out = v * mul;
	return 0;
}

static int set(const struct opt *o, const char *val)
{
	char *field = (char *)&cfg + o->off;
	if (o->kind == K_STR) {
		if (strlen(val) >= o->cap) {
			fprintf(stderr, "flamedex: --%s is longer than %zu bytes\n", o->name, o->cap - 1);
			return -1;
		}
		memcpy(field, val, strlen(val) + 1);
		return 0;
	}
	unsigned long long v;
	if (parse_size(val, o->kind, &v) < 0 || v < o->min || v > o->max) {
		fprintf(stderr, "flamedex: bad value for --%s: %s (a number from %llu to %llu%s)\n", o->name, val,
		        o->min, o->max, o->kind == K_SIZE ? ", k/m/g allowed" : o->kind == K_SECS ? ", s/m/h/d allowed" : "");
		return -1;
	}
	if (o->kind == K_SIZE)
		*(size_t *)(void *)field = (size_t)v;
	else
		*(unsigned *)(void *)field = (unsigned)v;
	return 0;
}

static void defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:8080");
	snprintf(c->db, sizeof(c->db), "var/flamedex.db");
	c->db_pool = FDX_DB_POOL_DEFAULT;
	snprintf(c->web, sizeof(c->web), "%s", FDX_WEBDIR);
	c->max_body = FDX_DEFAULT_MAX_BODY;
	c->max_inflated = FDX_DEFAULT_MAX_INFLATED;
	c->cache_bytes = FDX_DEFAULT_CACHE_BYTES;
	c->max_inflight = FDX_DEFAULT_MAX_INFLIGHT;
	c->max_conns = FDX_DEFAULT_MAX_CONNS;
	c->max_conns_per_ip = FDX_DEFAULT_MAX_CONNS_PER_IP;
	c->header_timeout_s = FDX_DEFAULT_HEADER_TIMEOUT_S;
	c->keepalive_s = FDX_DEFAULT_KEEPALIVE_S;
	c->min_rate = FDX_DEFAULT_MIN_RATE;
	c->request_time_s = FDX_DEFAULT_REQUEST_TIME_S;
	c->workers = FDX_DEFAULT_WORKERS;
	c->request_work = FDX_DEFAULT_REQUEST_WORK;
	c->max_heavy = FDX_DEFAULT_MAX_HEAVY;
	c->heavy_wait_s = FDX_DEFAULT_HEAVY_WAIT_S;
	c->session_ttl_s = AUTH_DEFAULT_SESSION_TTL_S;
	snprintf(c->metrics_role, sizeof(c->metrics_role), "read");
	c->auth_failures = AUTH_DEFAULT_FAILURES;
	snprintf(c->sync, sizeof(c->sync), "full");
	snprintf(c->series_storage, sizeof(c->series_storage), "labelled");
	c->answers_min_nodes = FDX_DEFAULT_ANSWERS_MIN_NODES;
	c->disk_reserve = FDX_DEFAULT_DISK_RESERVE;
	c->max_selection = FDX_MAX_SELECTION;
}

int config_load(int argc, char **argv)
{
	struct config def;
	defaults(&def);
	cfg = def;
	for (size_t i = 0; i < N_OPTS; i++) {
		char env[64];
		env_name(opts[i].name, env, sizeof(env));
		const char *v = getenv(env);
		if (v && *v && set(&opts[i], v) < 0)
			return -1;
	}
	struct option longopts[N_OPTS + 3];
	for (size_t i = 0; i < N_OPTS; i++)
		longopts[i] = (struct option){ opts[i].name, required_argument, NULL, 0 };
	longopts[N_OPTS] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[N_OPTS + 1] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[N_OPTS + 2] = (struct option){ NULL, 0, NULL, 0 };
	int idx, c;
	while ((c = getopt_long(argc, argv, "hV", longopts, &idx)) != -1) {
		if (c == 'h') {
			usage(stdout, &def);
			return 1;
		}
		if (c == 'V') {
			printf("flamedex %s\n", PACKAGE_VERSION);
			return 1;
		}
		if (c != 0) {
			usage(stderr, &def);
			return -1;
		}
		if (set(&opts[idx], optarg) < 0)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "flamedex: unexpected argument: %s\n", argv[optind]);
		usage(stderr, &def);
		return -1;
	}
	if (strcmp(cfg.series_storage, "off") != 0 && strcmp(cfg.series_storage, "labelled") != 0 &&
	    strcmp(cfg.series_storage, "all") != 0) {
		fprintf(stderr, "flamedex: bad value for --series-storage: %s (off, labelled or all)\n", cfg.series_storage);
		return -1;
	}
	if (strcmp(cfg.sync, "full") != 0 && strcmp(cfg.sync, "normal") != 0) {
		fprintf(stderr, "flamedex: bad value for --sync: %s (full or normal)\n", cfg.sync);
		return -1;
	}
	if (strcmp(cfg.metrics_role, "open") != 0 && auth_role_parse(cfg.metrics_role) == AUTH_NONE) {
		fprintf(stderr, "flamedex: bad value for --metrics-role: %s (open, read, write or admin)\n",
		        cfg.metrics_role);
		return -1;
	}
	if (!cfg.tls_cert[0] != !cfg.tls_key[0]) {
		fprintf(stderr, "flamedex: --tls-cert and --tls-key go together\n");
		return -1;
	}
	return 0;
}
