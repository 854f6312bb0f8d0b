/*
 * config.c: flags and environment (see config.h).
 */
#include "autoconfig.h"
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
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

static void access_usage(FILE *f);

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: flamedex [options]\n"
	        "  --listen HOST:PORT     address to serve on (default 127.0.0.1:8080; FLAMEDEX_LISTEN)\n"
	        "  --db FILE              SQLite database (default var/flamedex.db; FLAMEDEX_DB)\n"
	        "  --web DIR              static web assets (default %s; FLAMEDEX_WEB)\n"
	        "  --max-body BYTES       largest upload body (default %u; FLAMEDEX_MAX_BODY)\n"
	        "  --max-inflated BYTES   largest profile after gunzip (default %u; FLAMEDEX_MAX_INFLATED)\n"
	        "  --cache-bytes BYTES    decoded profiles kept in memory (default %u; FLAMEDEX_CACHE_BYTES)\n"
	        "  --max-inflight BYTES   bodies and inflated profiles held by all requests at once\n"
	        "                         (default %u; FLAMEDEX_MAX_INFLIGHT); beyond it uploads get 429\n"
	        "  --max-conns N          simultaneous connections (default %u; FLAMEDEX_MAX_CONNS)\n",
	        FDX_WEBDIR, FDX_DEFAULT_MAX_BODY, FDX_DEFAULT_MAX_INFLATED, FDX_DEFAULT_CACHE_BYTES,
	        FDX_DEFAULT_MAX_INFLIGHT, FDX_DEFAULT_MAX_CONNS);
	access_usage(f);
	fprintf(f, "  --help, --version\n"
	           "       flamedex token ROLE NAME   print a new token and its auth file line\n");
}

/* A number, then optionally one of the characters of units, which
 * multiplies it by the matching muls entry. 0, or -1 (not such a number,
 * or it overflows). */
static int parse_suffixed(const char *s, const char *units, const unsigned long long *muls,
                          unsigned long long *out)
{
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -1;
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

/* Sizes accept a plain number or a k/m/g suffix (powers of 1024). */
static int parse_size(const char *s, size_t *out)
{
	static const unsigned long long muls[] = { 1024ULL, 1024ULL, 1024ULL * 1024, 1024ULL * 1024,
		                                   1024ULL * 1024 * 1024, 1024ULL * 1024 * 1024 };
	unsigned long long v;
	if (parse_suffixed(s, "kKmMgG", muls, &v) < 0 || v > SIZE_MAX)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* ---- access flags (docs/SECURITY.md) ------------------------------------ */

#define ACCESS_OPTS \
	{ "public-url", required_argument, NULL, 0 }, \
	{ "allowed-hosts", required_argument, NULL, 0 }, \
	{ "auth-file", required_argument, NULL, 0 }, \
	{ "session-ttl", required_argument, NULL, 0 }, \
	{ "metrics-role", required_argument, NULL, 0 }, \
	{ "auth-failures", required_argument, NULL, 0 },

static const char *const access_names[] = { "public-url", "allowed-hosts", "auth-file", "session-ttl",
	                                    "metrics-role", "auth-failures" };
static const char *const access_envs[] = { "FLAMEDEX_PUBLIC_URL", "FLAMEDEX_ALLOWED_HOSTS",
	                                   "FLAMEDEX_AUTH_FILE", "FLAMEDEX_SESSION_TTL",
	                                   "FLAMEDEX_METRICS_ROLE", "FLAMEDEX_AUTH_FAILURES" };

static void access_usage(FILE *f)
{
	fprintf(f,
	        "  --public-url URL       the scheme://host[:port] people open (FLAMEDEX_PUBLIC_URL): its\n"
	        "                         origin may write, its host is allowed\n"
	        "  --allowed-hosts LIST   more Host names to answer, comma-separated; \"*\" = any\n"
	        "                         (FLAMEDEX_ALLOWED_HOSTS); on a loopback --listen only\n"
	        "                         IP literals, localhost and these are answered\n"
	        "  --auth-file FILE       tokens, \"ROLE NAME SHA256HEX\" a line; the API then wants one\n"
	        "                         (FLAMEDEX_AUTH_FILE); SIGHUP reloads it\n"
	        "  --session-ttl SECONDS  how long a sign-in lasts (default %u; s/m/h/d suffixes;\n"
	        "                         FLAMEDEX_SESSION_TTL)\n"
	        "  --metrics-role ROLE    what GET /metrics needs: open, read, write or admin (default\n"
	        "                         read; FLAMEDEX_METRICS_ROLE)\n"
	        "  --auth-failures N      failed token attempts a client address may make a minute\n"
	        "                         before 429 (default %u; FLAMEDEX_AUTH_FAILURES)\n",
	        AUTH_DEFAULT_SESSION_TTL_S, AUTH_DEFAULT_FAILURES);
}

/* Seconds, with an optional s, m, h or d suffix; 1 to 10 years. */
static int parse_seconds(const char *s, unsigned *out)
{
	static const unsigned long long muls[] = { 1, 60, 3600, 86400 };
	unsigned long long v;
	if (parse_suffixed(s, "smhd", muls, &v) < 0 || v == 0 || v > 10ULL * 366 * 86400)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static bool copy_str(char *dst, size_t cap, const char *val)
{
	size_t n = strlen(val);
	if (n >= cap)
		return false;
	memcpy(dst, val, n + 1);
	return true;
}

/* 0 set, -1 bad value, 1 not an access flag. */
static int access_set(const char *name, const char *val)
{
	size_t i = 0;
	while (i < sizeof(access_names) / sizeof(access_names[0]) && strcmp(name, access_names[i]) != 0)
		i++;
	if (i == sizeof(access_names) / sizeof(access_names[0]))
		return 1;
	bool ok;
	if (!strcmp(name, "public-url"))
		ok = copy_str(cfg.public_url, sizeof(cfg.public_url), val);
	else if (!strcmp(name, "allowed-hosts"))
		ok = copy_str(cfg.allowed_hosts, sizeof(cfg.allowed_hosts), val);
	else if (!strcmp(name, "auth-file"))
		ok = copy_str(cfg.auth_file, sizeof(cfg.auth_file), val);
	else if (!strcmp(name, "session-ttl"))
		ok = parse_seconds(val, &cfg.session_ttl_s) == 0;
	else if (!strcmp(name, "metrics-role"))
		ok = (!strcmp(val, "open") || auth_role_parse(val) != AUTH_NONE) &&
		     copy_str(cfg.metrics_role, sizeof(cfg.metrics_role), val);
	else {
		unsigned long long v;
		ok = parse_suffixed(val, "", NULL, &v) == 0 && v >= 1 && v <= 1000000;
		if (ok)
			cfg.auth_failures = (unsigned)v;
	}
	if (!ok) {
		fprintf(stderr, "flamedex: bad value for %s: %s\n", name, val);
		return -1;
	}
	return 0;
}

static int set(const char *name, const char *val)
{
	size_t sz;
	int a = access_set(name, val);
	if (a <= 0)
		return a;
	if (!strcmp(name, "listen"))
		snprintf(cfg.listen, sizeof(cfg.listen), "%s", val);
	else if (!strcmp(name, "db"))
		snprintf(cfg.db, sizeof(cfg.db), "%s", val);
	else if (!strcmp(name, "web"))
		snprintf(cfg.web, sizeof(cfg.web), "%s", val);
	else if (parse_size(val, &sz) < 0 || sz == 0) {
		fprintf(stderr, "flamedex: bad value for %s: %s\n", name, val);
		return -1;
	} else if (!strcmp(name, "max-body"))
		cfg.max_body = sz;
	else if (!strcmp(name, "max-inflated"))
		cfg.max_inflated = sz;
	else if (!strcmp(name, "cache-bytes"))
		cfg.cache_bytes = sz;
	else if (!strcmp(name, "max-inflight"))
		cfg.max_inflight = sz;
	else if (!strcmp(name, "max-conns"))
		cfg.max_conns = sz > 10000 ? 10000 : (unsigned)sz;
	return 0;
}

int config_load(int argc, char **argv)
{
	snprintf(cfg.listen, sizeof(cfg.listen), "127.0.0.1:8080");
	snprintf(cfg.db, sizeof(cfg.db), "var/flamedex.db");
	snprintf(cfg.web, sizeof(cfg.web), "%s", FDX_WEBDIR);
	cfg.max_body = FDX_DEFAULT_MAX_BODY;
	cfg.max_inflated = FDX_DEFAULT_MAX_INFLATED;
	cfg.cache_bytes = FDX_DEFAULT_CACHE_BYTES;
	cfg.max_inflight = FDX_DEFAULT_MAX_INFLIGHT;
	cfg.max_conns = FDX_DEFAULT_MAX_CONNS;
	cfg.session_ttl_s = AUTH_DEFAULT_SESSION_TTL_S;
	snprintf(cfg.metrics_role, sizeof(cfg.metrics_role), "read");
	cfg.auth_failures = AUTH_DEFAULT_FAILURES;

	static const char *const names[] = { "listen", "db", "web", "max-body", "max-inflated",
	                                     "cache-bytes", "max-conns", "max-inflight" };
	static const char *const envs[] = { "FLAMEDEX_LISTEN", "FLAMEDEX_DB", "FLAMEDEX_WEB",
	                                    "FLAMEDEX_MAX_BODY", "FLAMEDEX_MAX_INFLATED",
	                                    "FLAMEDEX_CACHE_BYTES", "FLAMEDEX_MAX_CONNS",
	                                    "FLAMEDEX_MAX_INFLIGHT" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = getenv(envs[i]);
		if (v && *v && set(names[i], v) < 0)
			return -1;
	}
	for (size_t i = 0; i < sizeof(access_names) / sizeof(access_names[0]); i++) {
		const char *v = getenv(access_envs[i]);
		if (v && *v && access_set(access_names[i], v) < 0)
			return -1;
	}
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 0 },
		{ "db", required_argument, NULL, 0 },
		{ "web", required_argument, NULL, 0 },
		{ "max-body", required_argument, NULL, 0 },
		{ "max-inflated", required_argument, NULL, 0 },
		{ "cache-bytes", required_argument, NULL, 0 },
		{ "max-conns", required_argument, NULL, 0 },
		{ "max-inflight", required_argument, NULL, 0 },
		ACCESS_OPTS
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int idx, c;
	while ((c = getopt_long(argc, argv, "hV", opts, &idx)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == 'V') {
			printf("flamedex %s\n", PACKAGE_VERSION);
			return 1;
		}
		if (c != 0) {
			usage(stderr);
			return -1;
		}
		if (set(opts[idx].name, optarg) < 0)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "flamedex: unexpected argument: %s\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}
