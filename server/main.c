/*
 * main.c: flamedex, a self-hosted explorer for Go pprof profiles.
 *
 * Reads the configuration, opens the store, serves HTTP until SIGTERM or
 * SIGINT, then stops within FDX_STOP_TIMEOUT_S: stops accepting, stops the
 * work in flight, lets the replies go out, closes the database and exits
 * 0. When handlers are still running at that deadline, or on a second
 * signal, it exits 1 at once without closing the database (SQLite's WAL
 * leaves it consistent; the next start recovers it).
 * SIGHUP reloads the tokens of --auth-file and the scrape configuration
 * of --config (scrape.h); main waits for it with the stop signals. `flamedex token ROLE NAME` prints a new token and exits
 * (auth.h).
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "auth.h"
#include "budget.h"
#include "heavy.h"
#include "import_speedscope.h"
#include "config.h"
#include "findex.h"
#include "ingest.h"
#include "db.h"
#include "http.h"
#include "limits.h"
#include "router.h"
#include "scrape.h"
#include "store.h"
#include "series.h"
#include "util.h"
#include "work.h"

/* Room for the connections: raise the soft fd limit to the hard one (at
 * most 65536), and lower --max-conns when even that is short (SQLite, the
 * web files and the listening socket need some too). */
static void fit_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	rlim_t want = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = want;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < (rlim_t)cfg.max_conns + 128) {
		unsigned fit = rl.rlim_cur > 256 ? (unsigned)(rl.rlim_cur - 128) : 128;
		util_log("level=warn msg=\"--max-conns lowered to fit the fd limit\" max_conns=%u fd_limit=%llu", fit,
		         (unsigned long long)rl.rlim_cur);
		cfg.max_conns = fit;
	}
}

static double stop_deadline;
static atomic_int stop_result = 1; /* 1: running; 0: stopped cleanly; -1: could not */

/* The first signal's work, on its own thread so that main can still
 * answer a second signal. */
static void *stopper(void *arg)
{
	(void)arg;
	scrape_stop();   /* no new profiles once stopping; transfers in flight abort */
	int rc = http_stop(stop_deadline);
	if (rc == 0)
		store_shutdown();
	atomic_store(&stop_result, rc);
	return NULL;
}

/* Create the parent directory of the database file when missing. */
/* store.h's raw decoder: a stored original read back as at its upload
 * (a profile.proto: no options, the same --max-inflated). */
static struct prof *decode_stored(const uint8_t *data, size_t n, int *status)
{
	struct ingest_opts io = { .speedscope_profile = IMPORT_SPEEDSCOPE_DEFAULT };
	struct decode_err err;
	const char *format = NULL;
	struct prof *p = ingest_decode_opts(data, n, cfg.max_inflated, &io, &format, &err);
	if (!p)
		*status = err.status;
	return p;
}

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
	sigaddset(&set, SIGHUP);   /* reloads (below) */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	fit_fd_limit();
	/* Big blocks straight from and back to the kernel, so that the
	 * process's RSS follows the memory account (budget.h) down as well as
	 * up; see FDX_MMAP_THRESHOLD. */
	mallopt(M_MMAP_THRESHOLD, FDX_MMAP_THRESHOLD);
	budget_init(cfg.max_inflight);
	work_set_max_units(cfg.request_work);
	heavy_init(cfg.max_heavy, cfg.heavy_wait_s * 1000);
	if (access_init() < 0)   /* tokens (SIGHUP reloads them), Host and Origin rules */
		return 1;
	if (!store_db_is_pg(cfg.db))
		ensure_parent_dir(cfg.db);
	db_configure(&(struct db_opts){ .sync_full = strcmp(cfg.sync, "full") == 0,
	                                .max_bytes = cfg.max_db_bytes,
	                                .reserve_bytes = cfg.disk_reserve });
	series_set_mode((enum series_mode)series_mode_parse(cfg.series_storage));
	if (store_init(cfg.db, cfg.cache_bytes, cfg.db_pool) < 0) {
		fprintf(stderr, "flamedex: cannot open database %s\n", store_db_is_pg(cfg.db) ? "(PostgreSQL)" : cfg.db);
		access_shutdown();
		return 1;
	}
	store_set_raw_decoder(decode_stored);
	/* profiles stored before the function index (migration 007) */
	long indexed = findex_rebuild();
	if (indexed < 0)
		util_log("level=error msg=\"function index rebuild stopped\"");
	else if (indexed > 0)
		util_log("level=info msg=\"indexed stored profiles\" n=%ld", indexed);
	/* profiles stored before their format was kept (migration 010) */
	long formats = store_format_backfill(ingest_format_of, 65536);
	if (formats < 0)
		util_log("level=error msg=\"format backfill stopped\"");
	else if (formats > 0)
		util_log("level=info msg=\"named the format of stored profiles\" n=%ld", formats);
	if (scrape_start() < 0) {   /* --config, --retention (scrape.h) */
		scrape_stop();
		store_shutdown();
		access_shutdown();
		return 1;
	}
	if (http_start(router_dispatch, router_admit) < 0) {
		scrape_stop();
		store_shutdown();
		access_shutdown();
		return 1;
	}
	/* a conninfo may hold a password: name the backend, not the string */
	util_log("level=info msg=listening url=%s://%s db=%s backend=%s web=%s max_body=%zu max_inflated=%zu",
	         cfg.tls_cert[0] ? "https" : "http", cfg.listen, store_db_is_pg(cfg.db) ? "postgresql" : cfg.db,
	         store_backend_name(), cfg.web, cfg.max_body, cfg.max_inflated);
	int sig = 0;
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		if (cfg.auth_file[0])
			auth_reload();
		scrape_reload();
	}
	util_log("level=info msg=stopping signal=%d timeout_s=%d", sig, FDX_STOP_TIMEOUT_S);
	struct budget_stats bs;
	budget_stats(&bs);
	struct heavy_stats hs;
	heavy_stats(&hs);
	util_log("level=info msg=\"memory account\" limit=%zu peak=%zu used=%zu refused=%llu heavy_admitted=%llu "
	         "heavy_refused=%llu reserved=%llu waited=%llu", bs.limit, bs.peak, bs.used, bs.refused, hs.admitted,
	         hs.refused, bs.reserved, bs.waited);
	stop_deadline = util_mono_ms() + FDX_STOP_TIMEOUT_S * 1000.0;
	pthread_t th;
	if (pthread_create(&th, NULL, stopper, NULL) != 0) {
		util_log("level=error msg=\"cannot stop cleanly\"");
		_exit(1);
	}
	for (;;) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig > 0 && sig != SIGHUP) {
			util_log("level=warn msg=\"second signal: exiting at once\" signal=%d", sig);
			_exit(1);
		}
		if (atomic_load(&stop_result) <= 0)
			break;
		if (util_mono_ms() > stop_deadline + 1000) {
			util_log("level=error msg=\"did not stop in time: exiting\"");
			_exit(1);
		}
	}
	pthread_join(th, NULL);
	if (atomic_load(&stop_result) < 0) {
		util_log("level=error msg=\"work did not stop in time: exiting without closing the database\"");
		_exit(1);
	}
	access_shutdown();
	util_log("level=info msg=stopped");
	return 0;
}
