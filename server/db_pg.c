/*
 * db_pg.c: PostgreSQL connections, pool, statements and migrations (see
 * db_pg.h).
 */
#include "db_pg.h"

#include <ctype.h>
#include <endian.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "limits.h"
#include "store_be.h"
#include "util.h"
#include "work.h"

/* Generated from schema/pg/ by the build (schema/pg_migrations.c). */
extern const char *const fdx_pg_migrations[];
extern const int fdx_pg_n_migrations;

/* Statements prepared per connection: slots are handed out at first use. */
#define PG_MAX_STMTS 256
/* How long start waits for PostgreSQL to answer (replicas may start with it). */
#define PG_START_WAIT_S 15

struct db_pg_conn {
	PGconn *pg;
	unsigned char prepared[PG_MAX_STMTS];
	char sqlstate[6];
};

static char *conninfo;
static unsigned pool_max = FDX_DB_POOL_DEFAULT;
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static struct db_pg_conn *pool_free[FDX_MAX_DB_POOL + 64];
static unsigned pool_nfree, pool_total;
static atomic_int next_slot;
static _Thread_local int held_here;   /* connections this thread holds */

bool db_pg_is_conninfo(const char *s)
{
	if (!s)
		return false;
	if (strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0)
		return true;
	/* keyword=value: a word of letters and '_', then '=' */
	const char *p = s;
	while (*p == ' ')
		p++;
	const char *w = p;
	while (isalpha((unsigned char)*p) || *p == '_')
		p++;
	if (p == w)
		return false;
	while (*p == ' ')
		p++;
	return *p == '=';
}

static struct db_pg_conn *connect_new(bool quiet)
{
	struct db_pg_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	/* A later value wins: the conninfo's own connect_timeout overrides ours. */
	const char *const keys[] = { "connect_timeout", "fallback_application_name", "dbname", NULL };
	const char *const vals[] = { "5", "flamedex", conninfo, NULL };
	c->pg = PQconnectdbParams(keys, vals, 1);
	if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
		if (!quiet) {
			char msg[256];
			snprintf(msg, sizeof(msg), "%s", c->pg ? PQerrorMessage(c->pg) : "out of memory");
			msg[strcspn(msg, "\n")] = '\0';
			util_log("level=error msg=\"cannot connect to PostgreSQL\" err=\"%s\"", msg);
		}
		PQfinish(c->pg);
		free(c);
		return NULL;
	}
	/* bytes as they are: the database's encoding decides what it takes */
	PQsetClientEncoding(c->pg, PQparameterStatus(c->pg, "server_encoding") ?: "UTF8");
	return c;
}

static void conn_free(struct db_pg_conn *c)
{
	if (!c)
		return;
	PQfinish(c->pg);
	free(c);
}

static bool conn_broken(struct db_pg_conn *c)
{
	if (PQstatus(c->pg) == CONNECTION_BAD)
		return true;
	/* class 08: connection exception; 57P01..57P03: shutdown, cannot connect now */
	return strncmp(c->sqlstate, "08", 2) == 0 || strncmp(c->sqlstate, "57P0", 4) == 0;
}

struct db_pg_conn *db_pg_get(void)
{
	struct db_pg_conn *c = NULL;
	bool make = false;
	pthread_mutex_lock(&pool_mu);
	for (;;) {
		if (pool_nfree > 0) {
			c = pool_free[--pool_nfree];
			break;
		}
		/* beyond the limit only for a thread that already holds one */
		if (pool_total < pool_max || (held_here > 0 && pool_total < pool_max + 64)) {
			pool_total++;
			make = true;
			break;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&pool_cv, &pool_mu, &ts);
		if (work_poll() != WORK_OK) {
			pthread_mutex_unlock(&pool_mu);
			return NULL;
		}
	}
	pthread_mutex_unlock(&pool_mu);
	if (make) {
		c = connect_new(false);
	} else if (PQstatus(c->pg) != CONNECTION_OK) {
		PQreset(c->pg);
		memset(c->prepared, 0, sizeof(c->prepared));
		if (PQstatus(c->pg) != CONNECTION_OK) {
			conn_free(c);
			c = NULL;
		} else {
			util_log("level=info msg=\"reconnected to PostgreSQL\"");
		}
	}
	if (!c) {
		pthread_mutex_lock(&pool_mu);
		pool_total--;
		pthread_cond_signal(&pool_cv);
		pthread_mutex_unlock(&pool_mu);
		store_note_unavailable();
		return NULL;
	}
	c->sqlstate[0] = '\0';
	held_here++;
	return c;
}

void db_pg_put(struct db_pg_conn *c)
{
	if (!c)
		return;
	held_here--;
	if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		PGresult *r = PQexec(c->pg, "ROLLBACK");
		PQclear(r);
	}
	pthread_mutex_lock(&pool_mu);
	if (PQstatus(c->pg) != CONNECTION_OK) {
		pool_total--;
		conn_free(c);
	} else {
		pool_free[pool_nfree++] = c;
	}
	pthread_cond_signal(&pool_cv);
	pthread_mutex_unlock(&pool_mu);
}

PGconn *db_pg_raw(struct db_pg_conn *c)
{
	return c->pg;
}

/* ---- parameters ----------------------------------------------------------- */

static int param_slot(struct db_pg_params *p)
{
	if (p->n >= DB_PG_MAX_PARAMS)
		return -1;
	return p->n++;
}

void db_pg_ptext(struct db_pg_params *p, const char *s)
{
	int k = param_slot(p);
	if (k < 0)
		return;
	p->v[k] = s;
	p->len[k] = 0;
	p->fmt[k] = 0;
}

void db_pg_pnull(struct db_pg_params *p)
{
	db_pg_ptext(p, NULL);
}

void db_pg_pint(struct db_pg_params *p, int64_t v)
{
	int k = param_slot(p);
	if (k < 0)
		return;
	snprintf(p->num[k], sizeof(p->num[k]), "%lld", (long long)v);
	p->v[k] = p->num[k];
	p->len[k] = 0;
	p->fmt[k] = 0;
}

void db_pg_pblob(struct db_pg_params *p, const void *data, size_t len)
{
	int k = param_slot(p);
	if (k < 0)
		return;
	p->v[k] = data ? data : "";
	p->len[k] = (int)len;
	p->fmt[k] = 1;
}

/* ---- running ---------------------------------------------------------------- */

static void note_error(struct db_pg_conn *c, PGresult *r, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", state ? state : (PQstatus(c->pg) == CONNECTION_BAD ? "08006" : ""));
	char msg[300];
	snprintf(msg, sizeof(msg), "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg));
	msg[strcspn(msg, "\n")] = '\0';
	for (char *s = msg; *s; s++)
		if (*s == '"')
			*s = '\'';
	if (conn_broken(c))
		store_note_unavailable();
	util_log("level=error msg=\"sql failed\" backend=pg sqlstate=%s what=\"%.60s\" err=\"%s\"", c->sqlstate,
	         what ? what : "?", msg);
}

/* After a failure on an idle connection: when it is broken, reset it.
 * true when it works again (the caller runs its statement once more). */
static bool reset_stale(struct db_pg_conn *c)
{
	if (PQstatus(c->pg) != CONNECTION_BAD)
		return false;
	PQreset(c->pg);
	memset(c->prepared, 0, sizeof(c->prepared));
	if (PQstatus(c->pg) != CONNECTION_OK)
		return false;
	util_log("level=info msg=\"reconnected to PostgreSQL\"");
	return true;
}

static PGresult *run_once(struct db_pg_conn *c, struct db_pg_stmt *st, const char *sql, const struct db_pg_params *p,
                          bool binary);

PGresult *db_pg_run(struct db_pg_conn *c, struct db_pg_stmt *st, const char *sql, const struct db_pg_params *p,
                    bool binary)
{
	/* A pooled connection PostgreSQL closed while it sat idle (a restart)
	 * is found out only by using it: outside a transaction, nothing was
	 * done on it, so reconnect once and run the statement again. */
	bool idle = PQtransactionStatus(c->pg) == PQTRANS_IDLE, was = store_unavailable();
	PGresult *r = run_once(c, st, sql, p, binary);
	if (r || !idle || !reset_stale(c))
		return r;
	r = run_once(c, st, sql, p, binary);
	if (r && !was)
		store_unavailable_clear();   /* the database is there after all */
	return r;
}

static PGresult *run_once(struct db_pg_conn *c, struct db_pg_stmt *st, const char *sql, const struct db_pg_params *p,
                          bool binary)
{
	static const struct db_pg_params none;
	if (!p)
		p = &none;
	PGresult *r;
	if (st) {
		if (!__atomic_load_n(&st->slot, __ATOMIC_ACQUIRE)) {
			int s = atomic_fetch_add(&next_slot, 1) + 1;
			if (s >= PG_MAX_STMTS) {
				util_log("level=error msg=\"too many prepared statements\"");
				return NULL;
			}
			int zero = 0;
			/* two threads may race here: both write the same value or the first */
			__atomic_compare_exchange_n(&st->slot, &zero, s, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		}
		int slot = __atomic_load_n(&st->slot, __ATOMIC_SEQ_CST);
		char name[16];
		snprintf(name, sizeof(name), "fdx%d", slot);
		if (!c->prepared[slot]) {
			r = PQprepare(c->pg, name, st->sql, st->n_params, NULL);
			if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
				note_error(c, r, st->sql);
				PQclear(r);
				return NULL;
			}
			PQclear(r);
			c->prepared[slot] = 1;
		}
		r = PQexecPrepared(c->pg, name, p->n, p->v, p->len, p->fmt, binary ? 1 : 0);
	} else {
		r = PQexecParams(c->pg, sql, p->n, NULL, p->v, p->len, p->fmt, binary ? 1 : 0);
	}
	ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
		note_error(c, r, st ? st->sql : sql);
		PQclear(r);
		return NULL;
	}
	c->sqlstate[0] = '\0';
	return r;
}

static int exec_once(struct db_pg_conn *c, const char *sql)
{
	PGresult *r = PQexec(c->pg, sql);
	ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
		note_error(c, r, sql);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	c->sqlstate[0] = '\0';
	return 0;
}

int db_pg_exec(struct db_pg_conn *c, const char *sql)
{
	bool idle = PQtransactionStatus(c->pg) == PQTRANS_IDLE, was = store_unavailable();
	if (exec_once(c, sql) == 0)
		return 0;
	if (!idle || !reset_stale(c) || exec_once(c, sql) < 0)
		return -1;
	if (!was)
		store_unavailable_clear();
	return 0;
}

const char *db_pg_sqlstate(struct db_pg_conn *c)
{
	return c->sqlstate;
}

bool db_pg_retryable(struct db_pg_conn *c)
{
	return strcmp(c->sqlstate, "40P01") == 0 || strcmp(c->sqlstate, "40001") == 0;
}

/* ---- values -------------------------------------------------------------------- */

int64_t db_pg_int(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	const char *v = PQgetvalue(r, row, col);
	if (PQfformat(r, col) == 0)
		return strtoll(v, NULL, 10);
	int n = PQgetlength(r, row, col);
	if (n == 8) {
		uint64_t x;
		memcpy(&x, v, 8);
		return (int64_t)be64toh(x);
	}
	if (n == 4) {
		uint32_t x;
		memcpy(&x, v, 4);
		return (int32_t)be32toh(x);
	}
	if (n == 2) {
		uint16_t x;
		memcpy(&x, v, 2);
		return (int16_t)be16toh(x);
	}
	if (n == 1)
		return (unsigned char)v[0];   /* bool */
	return 0;
}

bool db_pg_null(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) != 0;
}

const char *db_pg_str(const PGresult *r, int row, int col)
{
	return PQgetvalue(r, row, col);
}

size_t db_pg_len(const PGresult *r, int row, int col)
{
	return (size_t)PQgetlength(r, row, col);
}

/* ---- advisory locks ------------------------------------------------------------- */

#define PG_MAX_LOCKS 8
static pthread_mutex_t lock_mu = PTHREAD_MUTEX_INITIALIZER;
static struct db_pg_conn *lock_conn;
static int64_t locks_held[PG_MAX_LOCKS];
static int n_locks_held;

int db_pg_trylock(int64_t key)
{
	pthread_mutex_lock(&lock_mu);
	int rc = -1;
	if (lock_conn && PQstatus(lock_conn->pg) != CONNECTION_OK) {
		conn_free(lock_conn);   /* its session, and so its locks, are gone */
		lock_conn = NULL;
		n_locks_held = 0;
	}
	if (!lock_conn)
		lock_conn = connect_new(true);
	if (!lock_conn)
		goto out;
	struct db_pg_params p = { 0 };
	db_pg_pint(&p, key);
	bool held = false;
	for (int i = 0; i < n_locks_held; i++)
		held |= locks_held[i] == key;
	/* held: check that the session (and so the lock) is still there */
	PGresult *r = db_pg_run(lock_conn, NULL, held ? "SELECT true" : "SELECT pg_try_advisory_lock($1::bigint)",
	                        held ? NULL : &p, false);
	if (!r) {
		if (PQstatus(lock_conn->pg) != CONNECTION_OK) {
			conn_free(lock_conn);
			lock_conn = NULL;
			n_locks_held = 0;
		}
		goto out;
	}
	rc = PQntuples(r) == 1 && db_pg_str(r, 0, 0)[0] == 't';
	PQclear(r);
	if (rc == 1 && !held && n_locks_held < PG_MAX_LOCKS)
		locks_held[n_locks_held++] = key;
out:
	pthread_mutex_unlock(&lock_mu);
	return rc;
}

void db_pg_unlock(int64_t key)
{
	pthread_mutex_lock(&lock_mu);
	for (int i = 0; i < n_locks_held; i++) {
		if (locks_held[i] != key)
			continue;
		locks_held[i] = locks_held[--n_locks_held];
		struct db_pg_params p = { 0 };
		db_pg_pint(&p, key);
		PQclear(db_pg_run(lock_conn, NULL, "SELECT pg_advisory_unlock($1::bigint)", &p, false));
		break;
	}
	pthread_mutex_unlock(&lock_mu);
}

/* ---- open, migrate, close ----------------------------------------------------------- */

static int migrate(struct db_pg_conn *c)
{
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%lld)", (long long)FDX_PG_LOCK_MIGRATE);
	if (db_pg_exec(c, sql) < 0)
		return -1;
	int rc = -1;
	if (db_pg_exec(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                  "version integer PRIMARY KEY, applied_at bigint NOT NULL)") < 0)
		goto out;
	PGresult *r = db_pg_run(c, NULL, "SELECT coalesce(max(version), 0) FROM schema_migrations", NULL, false);
	if (!r)
		goto out;
	int version = (int)db_pg_int(r, 0, 0);
	PQclear(r);
	if (version > fdx_pg_n_migrations) {
		util_log("level=error msg=\"database is newer than this binary\" version=%d", version);
		goto out;
	}
	for (int v = version; v < fdx_pg_n_migrations; v++) {
		if (db_pg_exec(c, "BEGIN") < 0)
			goto out;
		struct db_pg_params p = { 0 };
		db_pg_pint(&p, v + 1);
		db_pg_pint(&p, util_now_nanos());
		if (db_pg_exec(c, fdx_pg_migrations[v]) < 0 ||
		    !(r = db_pg_run(c, NULL, "INSERT INTO schema_migrations(version, applied_at) VALUES($1, $2)", &p,
		                    false))) {
			db_pg_exec(c, "ROLLBACK");
			goto out;
		}
		PQclear(r);
		if (db_pg_exec(c, "COMMIT") < 0)
			goto out;
		util_log("level=info msg=\"migrated database\" backend=pg version=%d", v + 1);
	}
	rc = 0;
out:
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%lld)", (long long)FDX_PG_LOCK_MIGRATE);
	db_pg_exec(c, sql);
	return rc;
}

int db_pg_open(const char *info, unsigned pool_size)
{
	conninfo = strdup(info);
	if (!conninfo)
		return -1;
	pool_max = pool_size ? pool_size : FDX_DB_POOL_DEFAULT;
	if (pool_max > FDX_MAX_DB_POOL)
		pool_max = FDX_MAX_DB_POOL;
	struct db_pg_conn *c = NULL;
	for (int i = 0; i < PG_START_WAIT_S * 4 && !c; i++) {
		c = connect_new(i + 1 < PG_START_WAIT_S * 4);
		if (!c)
			usleep(250 * 1000);
	}
	if (!c) {
		free(conninfo);
		conninfo = NULL;
		return -1;
	}
	const char *enc = PQparameterStatus(c->pg, "server_encoding");
	if (enc && strcmp(enc, "SQL_ASCII") != 0)
		util_log("level=info msg=\"database encoding is %s: names and labels that are not valid %s are refused "
		         "(SQL_ASCII keeps any bytes)\"", enc, enc);
	if (migrate(c) < 0) {
		conn_free(c);
		free(conninfo);
		conninfo = NULL;
		return -1;
	}
	pthread_mutex_lock(&pool_mu);
	pool_free[pool_nfree++] = c;
	pool_total = 1;
	pthread_mutex_unlock(&pool_mu);
	return 0;
}

void db_pg_close(void)
{
	pthread_mutex_lock(&pool_mu);
	for (unsigned i = 0; i < pool_nfree; i++)
		conn_free(pool_free[i]);
	pool_nfree = pool_total = 0;
	pthread_mutex_unlock(&pool_mu);
	pthread_mutex_lock(&lock_mu);
	conn_free(lock_conn);
	lock_conn = NULL;
	n_locks_held = 0;
	pthread_mutex_unlock(&lock_mu);
	free(conninfo);
	conninfo = NULL;
}
