/*
 * db.c: SQLite connections, pool and migrations (see db.h).
 */
#include "db.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define POOL_MAX 16

/* Generated from the schema/ migrations by the build (schema/migrations.c). */
extern const char *const fdx_migrations[];
extern const int fdx_n_migrations;

static char *db_path;
static sqlite3 *writer;
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

int db_open(const char *path)
{
	db_path = strdup(path);
	if (!db_path)
		return -1;
	writer = open_conn(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	if (!writer)
		return -1;
	if (exec(writer, "PRAGMA journal_mode=WAL") < 0 || exec(writer, "PRAGMA synchronous=NORMAL") < 0 ||
	    migrate(writer) < 0) {
		db_close();
		return -1;
	}
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
		/* Fold the WAL back into the main file on a clean stop. */
		sqlite3_wal_checkpoint_v2(writer, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		sqlite3_close(writer);
		writer = NULL;
	}
	free(db_path);
	db_path = NULL;
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
