/*
 * config.h: run-time configuration, read once at start and then read-only.
 *
 * Every flag has an environment variable (FLAMEDEX_LISTEN, FLAMEDEX_DB,
 * FLAMEDEX_WEB, FLAMEDEX_MAX_BODY, FLAMEDEX_MAX_INFLATED,
 * FLAMEDEX_CACHE_BYTES, FLAMEDEX_MAX_INFLIGHT, FLAMEDEX_MAX_CONNS); flags win over the
 * environment, which wins over the defaults.
 */
#ifndef FDX_CONFIG_H
#define FDX_CONFIG_H

#include <stddef.h>

struct config {
	char listen[256];
	char db[1024];
	char web[1024];
	size_t max_body;
	size_t max_inflated;
	size_t cache_bytes;
	size_t max_inflight;
	unsigned max_conns;
};

extern struct config cfg;

/* Parse argv; returns 0 to run, 1 when --help/--version printed, -1 on error. */
int config_load(int argc, char **argv);

#endif
