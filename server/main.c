/*
 * main.c: flamedex, a self-hosted explorer for Go pprof profiles.
 *
 * Reads the configuration, opens the store, serves HTTP until SIGTERM or
 * SIGINT, then stops accepting, lets in-flight requests finish and closes
 * the database cleanly. With --auth-file, SIGHUP reloads the tokens (a
 * thread of auth.c waits for it). `flamedex token ROLE NAME` prints a new
 * token and exits (auth.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "access.h"
#include "auth.h"
#include "budget.h"
#include "config.h"
#include "http.h"
#include "router.h"
#include "store.h"
#include "util.h"

/* Create the parent directory of the database file when missing. */
static void ensure_parent_dir(const char *path)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0755);
			*p = '/';
		}
	}
	mkdir(dir, 0755);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "token") == 0)
		return auth_token_main(argc - 1, argv + 1);
	int rc = config_load(argc, argv);
	if (rc != 0)
		return rc > 0 ? 0 : 2;

	/* Block the stop signals in every thread; main waits for them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	budget_init(cfg.max_inflight);
	if (access_init() < 0)   /* tokens (SIGHUP reloads them), Host and Origin rules */
		return 1;
	ensure_parent_dir(cfg.db);
	if (store_init(cfg.db, cfg.cache_bytes) < 0) {
		fprintf(stderr, "flamedex: cannot open database %s\n", cfg.db);
		access_shutdown();
		return 1;
	}
	if (http_start(router_dispatch) < 0) {
		store_shutdown();
		access_shutdown();
		return 1;
	}
	util_log("level=info msg=listening url=http://%s db=%s web=%s max_body=%zu max_inflated=%zu",
	         cfg.listen, cfg.db, cfg.web, cfg.max_body, cfg.max_inflated);
	int sig = 0;
	while (sigwait(&set, &sig) != 0)
		;
	util_log("level=info msg=stopping signal=%d", sig);
	http_stop();
	store_shutdown();
	access_shutdown();
	util_log("level=info msg=stopped");
	return 0;
}
