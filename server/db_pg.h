/*
 * db_pg.h: PostgreSQL connections, their pool, prepared statements and
 * the migrations of schema/pg/ (store_pg.c is the only user).
 *
 * A pool of at most --db-pool connections (FDX_DB_POOL_DEFAULT), each used
 * by one thread at a time; a thread that already holds one and asks again
 * (a callback that reads more) gets another beyond the limit rather than
 * waiting for itself. Statements given as a struct db_pg_stmt are
 * prepared on each connection the first time it runs them, and run with
 * PQexecPrepared after; dynamic SQL (the list, selections) goes through
 * PQexecParams. Values are bound, never formatted into SQL: text for
 * strings and numbers, binary for blobs (bytea).
 *
 * A connection that breaks (PostgreSQL restarted, the network went away)
 * is reset when it is next taken from the pool; while no connection can
 * be made, db_pg_get answers NULL and every failure notes the thread's
 * request as "database unavailable" (store_note_unavailable), which the
 * HTTP layer answers with 503 database_unavailable. Nothing else changes:
 * the next request tries again, so the server recovers by itself.
 *
 * Migrations: schema/pg/NNN_*.sql, compiled in, run in order at open,
 * each in a transaction, tracked in the table schema_migrations, all under
 * pg_advisory_lock(FDX_PG_LOCK_MIGRATE) so that replicas starting together
 * migrate once (the others wait, then find nothing left to do).
 */
#ifndef FDX_DB_PG_H
#define FDX_DB_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/* Session-level advisory lock keys (pg_advisory_lock, one bigint space per
 * database): "fdx" in the high bytes, then what it guards. */
#define FDX_PG_LOCK_MIGRATE   0x66647800000001LL
#define FDX_PG_LOCK_RETENTION 0x66647800000002LL

/* Whether s names a PostgreSQL database: a postgresql:// or postgres://
 * URI, or a libpq keyword string ("host=... dbname=..."). */
bool db_pg_is_conninfo(const char *s);

/* Connect (pool of at most pool_size connections) and migrate. 0 or -1. */
int db_pg_open(const char *conninfo, unsigned pool_size);
void db_pg_close(void);

struct db_pg_conn;
/* A connection for this thread (NULL: none can be made now; the request
 * is noted as database unavailable). Give it back with db_pg_put. */
struct db_pg_conn *db_pg_get(void);
void db_pg_put(struct db_pg_conn *c);
PGconn *db_pg_raw(struct db_pg_conn *c);

/* A statement prepared once per connection: define it static at its use,
 * { "SQL with $1 ...", n_params }. */
struct db_pg_stmt {
	const char *sql;
	int n_params;
	int slot;   /* assigned at first use; 0: not yet */
};
#define DB_PG_STMT(sql, n) { sql, n, 0 }

/* Parameters of one statement: up to DB_PG_MAX_PARAMS, built with the
 * db_pg_p* helpers (their text is kept in the struct). */
#define DB_PG_MAX_PARAMS 48
struct db_pg_params {
	int n;
	const char *v[DB_PG_MAX_PARAMS];
	int len[DB_PG_MAX_PARAMS];
	int fmt[DB_PG_MAX_PARAMS];
	char num[DB_PG_MAX_PARAMS][24];
};
void db_pg_ptext(struct db_pg_params *p, const char *s);   /* NULL: SQL NULL */
void db_pg_pint(struct db_pg_params *p, int64_t v);
void db_pg_pnull(struct db_pg_params *p);
void db_pg_pblob(struct db_pg_params *p, const void *data, size_t len);

/* Run a prepared statement (st) or dynamic SQL (sql, when st is NULL)
 * with p (NULL: none); results in binary when binary, else text. The
 * result when it is PGRES_TUPLES_OK or PGRES_COMMAND_OK, else NULL (the
 * error is logged; a broken connection notes the request as database
 * unavailable). PQclear it. */
PGresult *db_pg_run(struct db_pg_conn *c, struct db_pg_stmt *st, const char *sql, const struct db_pg_params *p,
                    bool binary);
/* A command without results (BEGIN, COMMIT...): 0 or -1. */
int db_pg_exec(struct db_pg_conn *c, const char *sql);
/* The SQLSTATE of the last failure on c ("" when none): deadlocks
 * (40P01) and serialization failures (40001) are retried by the caller. */
const char *db_pg_sqlstate(struct db_pg_conn *c);
bool db_pg_retryable(struct db_pg_conn *c);

/* Column values of a row, either format: an integer (0 for NULL), whether
 * it is NULL, the bytes (text or bytea) and their length. */
int64_t db_pg_int(const PGresult *r, int row, int col);
bool db_pg_null(const PGresult *r, int row, int col);
const char *db_pg_str(const PGresult *r, int row, int col);
size_t db_pg_len(const PGresult *r, int row, int col);

/* Try the session-level advisory lock key on a connection of its own,
 * kept while held: 1 held (now or already), 0 another session holds it,
 * -1 error. db_pg_unlock lets it go. A lost connection loses the lock. */
int db_pg_trylock(int64_t key);
void db_pg_unlock(int64_t key);

#endif
