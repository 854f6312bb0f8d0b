/*
 * db.h: SQLite connections.
 *
 * One writer connection behind a mutex (every write is one BEGIN IMMEDIATE
 * transaction) and a small pool of read-only connections, each used by one
 * thread at a time. WAL mode lets reads run while a write commits.
 * Migrations (schema/NNN_*.sql, compiled in) run in order at open, tracked by
 * PRAGMA user_version.
 */
#ifndef FDX_DB_H
#define FDX_DB_H

#include <sqlite3.h>

int db_open(const char *path);
void db_close(void);

/* Writer: lock, use, unlock. */
sqlite3 *db_writer_lock(void);
void db_writer_unlock(void);

/* Reader: borrow a connection; give it back with db_reader_put. */
sqlite3 *db_reader_get(void);
void db_reader_put(sqlite3 *c);

#endif
