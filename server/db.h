/*
 * db.h: SQLite connections (store_sqlite.c; PostgreSQL's are db_pg.h).
 *
 * One writer connection behind a mutex (every write is one BEGIN IMMEDIATE
 * transaction) and a small pool of read-only connections, each used by one
 * thread at a time. WAL mode lets reads run while a write commits.
 * Migrations (schema/NNN_*.sql, compiled in) run in order at open, tracked by
 * PRAGMA user_version.
 *
 * Durability: with sync_full (the default) every commit is fsync'd before
 * it returns, so an acknowledged write survives a power cut; without, WAL's
 * synchronous=NORMAL may lose the last commits on power loss (never on a
 * process crash). Space: the database is auto_vacuum=INCREMENTAL, and
 * db_reclaim gives freed pages back to the file system. A full disk (or
 * max_bytes reached) fails a write with db_is_full(); a write that frees
 * space may take the reserve, a file of reserve_bytes kept beside the
 * database ("<db>-reserve"), so a DELETE works even when the disk is full.
 */
#ifndef FDX_DB_H
#define FDX_DB_H

#include <stddef.h>

#include <sqlite3.h>

struct db_opts {
	int sync_full;        /* 1: synchronous=FULL; 0: NORMAL */
	size_t max_bytes;     /* 0: none; else the database's size cap (max_page_count) */
	size_t reserve_bytes; /* the reserve file's size; 0: no reserve */
};
/* Before db_open; the defaults are sync_full and no cap or reserve. */
void db_configure(const struct db_opts *o);

int db_open(const char *path);
void db_close(void);

/* Writer: lock, use, unlock. */
sqlite3 *db_writer_lock(void);
void db_writer_unlock(void);

/* Whether the last failure on c was for want of space (SQLITE_FULL or
 * ENOSPC). */
int db_is_full(sqlite3 *c);
/* Writer held. Give the reserve's space to the file system: 0, or -1 when
 * there was none to give. db_reserve_refill writes it again as far as the
 * disk allows. */
int db_reserve_release(void);
void db_reserve_refill(void);
/* Writer held, outside a transaction: copy the WAL into the database file
 * (PASSIVE). 0 when all of it was copied, 1 when not (a reader holds an
 * older snapshot), -1 on error (db_is_full: the disk is full). The writer
 * checkpoints after each commit that leaves ckpt_pages (a quarter of the
 * reserve) in the WAL, so what is committed but not yet in the file
 * stays small enough for the reserve to cover. */
int db_checkpoint(sqlite3 *c);
/* Writer held: 0 when a write of about `bytes` may go ahead; -1 when the
 * file system lacks room for it twice (in the WAL, then in the database
 * file at the checkpoint, with what the WAL still holds), or when the
 * last checkpoint failed for want of space and still does. Then an
 * upload gets 507 before it writes: a commit never leaves the WAL waiting
 * for space that is not there, and the reserve stays for deletes. */
int db_room(sqlite3 *c, size_t bytes);
/* Writer held, outside a transaction: move free pages out of the file
 * (incremental_vacuum) a chunk at a time, checkpointing between. 0, or -1
 * when it failed or the last checkpoint was not complete. */
int db_reclaim(sqlite3 *c);

/* Reader: borrow a connection; give it back with db_reader_put. */
sqlite3 *db_reader_get(void);
void db_reader_put(sqlite3 *c);

#endif
