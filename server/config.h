/*
 * config.h: run-time configuration, read once at start and then read-only.
 *
 * Every flag has an environment variable named after it (--max-body is
 * FLAMEDEX_MAX_BODY, --tls-cert is FLAMEDEX_TLS_CERT, ...); flags win over
 * the environment, which wins over the defaults (server/limits.h).
 * `flamedex --help` lists them all with their defaults.
 *
 * Access flags (access.h, auth.h, docs/SECURITY.md): --public-url,
 * --allowed-hosts, --auth-file, --session-ttl, --metrics-role and
 * --auth-failures. Their values are only stored here; origin.c and auth.c
 * check them at start (origin_init, auth_init).
 */
#ifndef FDX_CONFIG_H
#define FDX_CONFIG_H

#include <stddef.h>

struct config {
	char listen[256];
	char db[1024];               /* a path (SQLite) or a PostgreSQL conninfo (store.h) */
	unsigned db_pool;            /* PostgreSQL connections at most (db_pg.h) */
	char web[1024];
	size_t max_body;
	size_t max_inflated;
	size_t cache_bytes;
	size_t max_inflight;
	/* connections (server/conn.h) */
	unsigned max_conns;
	unsigned max_conns_per_ip;   /* 0: no per-address limit */
	unsigned header_timeout_s;
	unsigned keepalive_s;
	size_t min_rate;             /* bytes per second */
	/* requests */
	unsigned request_time_s;     /* a handler's time budget; 0: none */
	unsigned workers;            /* handler threads; 0: 4 per CPU, at least 8 */
	size_t request_work;         /* a handler's work-unit budget (work.h); 0: none */
	unsigned max_heavy;          /* heavy requests at once (heavy.h); 0: no limit */
	unsigned heavy_wait_s;       /* how long one waits for a slot */
	/* TLS: both or neither (PEM files) */
	char tls_cert[1024];
	char tls_key[1024];

	/* access (config.c's access block) */
	char public_url[256];        /* "" or scheme://host[:port] people use */
	char allowed_hosts[1024];    /* "" or host names, comma-separated; "*" = any */
	char auth_file[1024];        /* "" = no tokens, no sign-in */
	unsigned session_ttl_s;      /* a sign-in lasts this long */
	char metrics_role[8];        /* what GET /metrics needs: "open" or a role */
	unsigned auth_failures;      /* failed token attempts per client address a minute */

	/* storage (db.h) */
	char sync[8];                /* "full" or "normal" */
	char series_storage[16];     /* "off", "labelled" or "all" (series.h) */
	unsigned answers_min_nodes;  /* view answers kept for profiles this big (answers.h); 0: all */
	size_t max_db_bytes;         /* 0: no cap */
	size_t disk_reserve;         /* bytes of DB-reserve; 0: none */

	/* scraping and retention (scrape.h) */
	char scrape_config[1024];    /* "" = no scraping */
	unsigned retention_s;        /* scraped profiles older than this go; 0: kept */
	size_t retention_bytes;      /* cap on the stored profiles' bytes; 0: none */
	unsigned retention_uploads_s; /* uploads older than this go too; 0: kept */
	/* downsampling (downsample.h): the --config file's downsample: wins */
	unsigned downsample_after_s;  /* 0: no downsampling */
	unsigned downsample_step_s;   /* 0: 1h */
	unsigned downsample_retention_s; /* 0: downsampled profiles are kept */
	/* selections (selection.h) */
	unsigned max_selection;      /* profiles one selection may name */
};

extern struct config cfg;

/* Parse argv; returns 0 to run, 1 when --help/--version printed, -1 on error. */
int config_load(int argc, char **argv);

#endif
