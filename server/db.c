/*
 * db.c: SQLite connections, pool and migrations (see db.h).
 */
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "util.h"

#define POOL_MAX 16
/* Pages db_reclaim frees per incremental_vacuum (1 MiB of 4 KiB pages). */
#define DB_RECLAIM_PAGES 256
#define FDX_STR_(x) #x
#define FDX_STR(x) FDX_STR_(x)

/* Generated from the schema/ migrations by the build (schema/migrations.c). */
extern const char *const fdx_migrations[];
extern const int fdx_n_migrations;

static char *db_path;
static char *reserve_path;   /* db_path "-reserve", NULL for none */
static struct db_opts opts = { .sync_full = 1 };
static sqlite3 *writer;
/* Writer state: WAL pages between checkpoints; whether the last checkpoint
 * failed for want of space (then uploads wait: db_room). */
static int ckpt_pages = 1000;
static int ckpt_stuck;
static long long wal_used;   /* WAL frames not yet all checkpointed */
static long long page_bytes = 4096;
static pthread_mutex_t writer_mu = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static sqlite3 *pool_free[POOL_MAX];
static int pool_nfree, pool_total;

static int exec(sqlite3 *c, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(c, sql, NULL, NULL, &msg) != SQLITE_OK) {
		util_log("level=error msg=\"sql failed\" err=\"%s\"", msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static sqlite3 *open_conn(int flags)
{
	sqlite3 *c = NULL;
	if (sqlite3_open_v2(db_path, &c, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		util_log("level=error msg=\"cannot open database\" path=%s err=\"%s\"", db_path,
		         c ? sqlite3_errmsg(c) : "out of memory");
		sqlite3_close(c);
		return NULL;
	}
	sqlite3_busy_timeout(c, 10000);
	exec(c, "PRAGMA foreign_keys=ON");
	return c;
}

/* A migration starting with this line runs outside a transaction. */
#define NO_TX_MARK "-- flamedex: outside a transaction\n"

static int migrate(sqlite3 *c)
{
	sqlite3_stmt *st;
	int version = 0;
	if (sqlite3_prepare_v2(c, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > fdx_n_migrations) {
		util_log("level=error msg=\"database is newer than this binary\" version=%d", version);
		return -1;
	}
	for (int v = version; v < fdx_n_migrations; v++) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d", v + 1);
		if (strncmp(fdx_migrations[v], NO_TX_MARK, strlen(NO_TX_MARK)) == 0) {
			/* VACUUM cannot run in a transaction; it is atomic itself,
			 * and running it again after a crash is harmless. */
			if (exec(c, fdx_migrations[v]) < 0 || exec(c, pragma) < 0) {
				util_log("level=error msg=\"migration failed\" version=%d hint=\"%s\"", v + 1,
				         "VACUUM needs free space of about twice the database");
				return -1;
			}
			util_log("level=info msg=\"migrated database\" version=%d", v + 1);
			continue;
		}
		if (exec(c, "BEGIN IMMEDIATE") < 0)
			return -1;
		if (exec(c, fdx_migrations[v]) < 0 || exec(c, pragma) < 0) {
			exec(c, "ROLLBACK");
			return -1;
		}
		if (exec(c, "COMMIT") < 0)
			return -1;
		util_log("level=info msg=\"migrated database\" version=%d", v + 1);
	}
	return 0;
}

void db_configure(const struct db_opts *o)
{
	opts = *o;
}

/* ---- the reserve ----------------------------------------------------------
 * A file of opts.reserve_bytes beside the database, written (not sparse)
 * while there is room. Uploads cannot use its space; a write that only
 * frees space (DELETE) may: when it fails for want of space the reserve
 * is truncated and the write tried again, and the reserve is filled again
 * once the space is reclaimed. Only the writer (or db_open) touches it. */

static void reserve_fill(void)
{
	if (!reserve_path || !opts.reserve_bytes)
		return;
	int fd = open(reserve_path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	off_t have = lseek(fd, 0, SEEK_END);
	/* Allocated blocks are what counts, not their bytes: fallocate when
	 * the file system can (fast), else write zeros. */
	if (have >= 0 && (size_t)have < opts.reserve_bytes &&
	    posix_fallocate(fd, have, (off_t)opts.reserve_bytes - have) == 0)
		have = (off_t)opts.reserve_bytes;
	static const char zeros[64 * 1024];
	while (have >= 0 && (size_t)have < opts.reserve_bytes) {
		size_t n = opts.reserve_bytes - (size_t)have;
		ssize_t w = write(fd, zeros, n < sizeof(zeros) ? n : sizeof(zeros));
		if (w <= 0)
			break;   /* ENOSPC: keep what was written */
		have += w;
	}
	if (fsync(fd) < 0 && have > 0)
		util_log("level=warn msg=\"reserve not synced\" err=\"%s\"", strerror(errno));
	close(fd);
	if (have >= 0 && (size_t)have < opts.reserve_bytes)
		util_log("level=warn msg=\"disk full: reserve is short\" path=%s bytes=%lld want=%zu", reserve_path,
		         (long long)have, opts.reserve_bytes);
}

int db_reserve_release(void)
{
	if (!reserve_path)
		return -1;
	int fd = open(reserve_path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	off_t have = lseek(fd, 0, SEEK_END);
	int rc = have > 0 && ftruncate(fd, 0) == 0 ? 0 : -1;
	close(fd);
	if (rc == 0)
		util_log("level=warn msg=\"disk full: reserve released for a delete\" bytes=%lld", (long long)have);
	return rc;
}

void db_reserve_refill(void)
{
	reserve_fill();
}

int db_is_full(sqlite3 *c)
{
	return (sqlite3_errcode(c) & 0xff) == SQLITE_FULL || sqlite3_system_errno(c) == ENOSPC;
}

int db_checkpoint(sqlite3 *c)
{
	int log = 0, done = 0;
	int rc = sqlite3_wal_checkpoint_v2(c, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
	if (rc != SQLITE_OK) {
		if (db_is_full(c))
			ckpt_stuck = 1;
		return -1;
	}
	if (log == done) {
		ckpt_stuck = 0;
		wal_used = 0;
	}
	return log == done ? 0 : 1;
}

/* The writer's WAL hook, after each commit: SQLite's automatic checkpoint,
 * but every ckpt_pages (a quarter of the reserve), and noting when it
 * failed for want of space. */
static int wal_hook(void *arg, sqlite3 *c, const char *name, int frames)
{
	(void)arg;
	(void)name;
	wal_used = frames;
	if (frames >= ckpt_pages)
		db_checkpoint(c);
	return SQLITE_OK;
}

int db_room(sqlite3 *c, size_t bytes)
{
	if (ckpt_stuck)
		db_checkpoint(c);
	if (ckpt_stuck)
		return -1;
	struct statvfs sv;
	if (!db_path || strcmp(db_path, ":memory:") == 0 || statvfs(db_path, &sv) != 0)
		return 0;
	long long avail = (long long)sv.f_bavail * (long long)sv.f_frsize;
	/* The write goes to the WAL first (appended after what is not yet
	 * checkpointed; the file's existing length is reused), then the
	 * checkpoint copies it, and what was waiting, into the database file:
	 * both must fit, or the commit would succeed and its checkpoint fail. */
	char wal_path[1100];
	struct stat ws;
	snprintf(wal_path, sizeof(wal_path), "%s-wal", db_path);
	long long wal = stat(wal_path, &ws) == 0 ? (long long)ws.st_size : 0;
	long long want = (long long)bytes + (long long)bytes / 256 + 8 * page_bytes;
	long long used = wal_used * (page_bytes + 24);
	long long wal_grow = used + want > wal ? used + want - wal : 0;
	long long db_grow = wal_used * page_bytes + want;
	return wal_grow + db_grow <= avail ? 0 : -1;
}

int db_reclaim(sqlite3 *c)
{
	/* A chunk at a time: each moves at most that many pages through the
	 * WAL, and the checkpoint after it truncates the file, so reclaiming
	 * needs little free space of its own. */
	for (int prev = -1;;) {
		sqlite3_stmt *st;
		int freelist = 0;
		if (sqlite3_prepare_v2(c, "PRAGMA freelist_count", -1, &st, NULL) != SQLITE_OK)
			return -1;
		if (sqlite3_step(st) == SQLITE_ROW)
			freelist = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		/* done, or no progress (auto_vacuum off: migration 005 not run) */
		if (freelist == 0 || (prev >= 0 && freelist >= prev))
			break;
		prev = freelist;
		if (exec(c, "PRAGMA incremental_vacuum(" FDX_STR(DB_RECLAIM_PAGES) ")") < 0)
			return -1;
		db_checkpoint(c);
	}
	return db_checkpoint(c) == 0 ? 0 : -1;
}

static long long page_size(sqlite3 *c)
{
	sqlite3_stmt *st;
	long long page = 4096;
	if (sqlite3_prepare_v2(c, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			page = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return page > 0 ? page : 4096;
}

int db_open(const char *path)
{
	db_path = strdup(path);
	if (!db_path)
		return -1;
	if (opts.reserve_bytes && strcmp(path, ":memory:") != 0) {
		size_t n = strlen(path) + sizeof("-reserve");
		reserve_path = malloc(n);
		if (!reserve_path)
			return -1;
		snprintf(reserve_path, n, "%s-reserve", path);
		/* Opening needs a little space (the -shm index, the migrations):
		 * take it from the reserve, then fill the reserve again. */
		db_reserve_release();
	}
	writer = open_conn(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	if (!writer)
		return -1;
	/* auto_vacuum must be set before the first table; migration 005 turns
	 * it on in older databases (VACUUM). */
	exec(writer, "PRAGMA auto_vacuum=INCREMENTAL");
	if (exec(writer, "PRAGMA journal_mode=WAL") < 0 ||
	    exec(writer, opts.sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL") < 0 ||
	    migrate(writer) < 0) {
		db_close();
		return -1;
	}
	if (opts.max_bytes) {
		long long page = page_size(writer);
		char sql[64];
		long long pages = (long long)(opts.max_bytes / (size_t)page);
		snprintf(sql, sizeof(sql), "PRAGMA max_page_count=%lld", pages > 0 ? pages : 1);
		exec(writer, sql);
	}
	if (opts.reserve_bytes) {
		long long page = page_size(writer);
		long long n = (long long)opts.reserve_bytes / 4 / page;
		ckpt_pages = n < 16 ? 16 : n > 1000 ? 1000 : (int)n;
	}
	page_bytes = page_size(writer);
	int persist = 1;
	sqlite3_file_control(writer, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	sqlite3_wal_hook(writer, wal_hook, NULL);
	ckpt_stuck = 0;
	wal_used = 0;
	reserve_fill();
	return 0;
}

void db_close(void)
{
	pthread_mutex_lock(&pool_mu);
	for (int i = 0; i < pool_nfree; i++)
		sqlite3_close(pool_free[i]);
	pool_nfree = pool_total = 0;
	pthread_mutex_unlock(&pool_mu);
	if (writer) {
		/* Fold the WAL back into the main file on a clean stop; the WAL
		 * file stays (PERSIST_WAL), its space reused by the next writes. */
		sqlite3_wal_checkpoint_v2(writer, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		sqlite3_close(writer);
		writer = NULL;
	}
	free(db_path);
	db_path = NULL;
	free(reserve_path);
	reserve_path = NULL;
}

sqlite3 *db_writer_lock(void)
{
	pthread_mutex_lock(&writer_mu);
	return writer;
}

void db_writer_unlock(void)
{
	pthread_mutex_unlock(&writer_mu);
}

sqlite3 *db_reader_get(void)
{
	pthread_mutex_lock(&pool_mu);
	for (;;) {
		if (pool_nfree > 0) {
			sqlite3 *c = pool_free[--pool_nfree];
			pthread_mutex_unlock(&pool_mu);
			return c;
		}
		if (pool_total < POOL_MAX) {
			pool_total++;
			pthread_mutex_unlock(&pool_mu);
			sqlite3 *c = open_conn(SQLITE_OPEN_READONLY);
			if (!c) {
				pthread_mutex_lock(&pool_mu);
				pool_total--;
				pthread_cond_signal(&pool_cv);
				pthread_mutex_unlock(&pool_mu);
			}
			return c;
		}
		pthread_cond_wait(&pool_cv, &pool_mu);
	}
}

void db_reader_put(sqlite3 *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&pool_mu);
	pool_free[pool_nfree++] = c;
	pthread_cond_signal(&pool_cv);
	pthread_mutex_unlock(&pool_mu);
}
