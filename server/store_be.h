/*
 * store_be.h: the storage interface behind store.h, one implementation per
 * database: store_sqlite.c (a file path; db.c) and store_pg.c (a
 * PostgreSQL conninfo; db_pg.c). Only store.c, the two backends and their
 * connection modules include this file; SQL of either dialect lives in
 * those files only.
 *
 * store.c chooses the backend from --db at store_init and keeps what is
 * the same for both: the decoded-profile cache (cache.h), the stored form
 * of the stacks (codec.h), the ids, and the JSON of a profile's types.
 * Each entry below is the store.h function of the same name without the
 * store_ prefix, with the same contract, except where noted.
 */
#ifndef FDX_STORE_BE_H
#define FDX_STORE_BE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store.h"

/* An FDX4 stacks row's group (series.h), written with the row in its
 * transaction: the group must then have the chunks [0, need), the new
 * chunk seq included when seq is not UINT32_MAX (seq 0 makes the group).
 * When it has not (its last profile was deleted meanwhile, or the chunk
 * count is not seq), add stores nothing and returns STORE_SERIES_STALE. */
struct store_chunk {
	const char *grp;
	uint32_t need;
	uint32_t seq;
	const uint8_t *data;
	size_t len;
};
#define STORE_SERIES_STALE 4

struct store_backend {
	const char *name;          /* "sqlite", "pg" */
	/* true: other processes may delete profiles (replicas on one
	 * database), so a cached profile is checked to still exist (one
	 * indexed lookup) before it is served */
	bool shared;
	int (*open)(const char *db, unsigned pool);
	void (*close)(void);
	int (*health)(void);
	/* NULL: the database is a file (store_db_bytes answers 1) */
	int (*db_bytes)(int64_t *bytes);
	/* stacks: the codec.c form of n->prof (empty when stacks_format is
	 * 0: none, the original is decoded again), stacks_format the stacks
	 * row's format column; types: its types JSON; id: already made
	 * (util_new_id); chunk: the row's group, NULL when stacks_format is
	 * not SERIES_FORMAT */
	int (*add)(const struct store_new *n, const struct buf *stacks, int stacks_format, const struct buf *types,
	           const char *id, const struct store_chunk *chunk);
	/* the chunks [from, to) of group grp, in order, to each (series.h's
	 * reader); 0, or -1 when one is missing or on error. A profile's
	 * delete deletes its group with its last profile (del). */
	int (*dict_chunks)(const char *grp, uint32_t from, uint32_t to,
	                   int (*each)(void *ectx, uint32_t seq, const uint8_t *data, size_t len), void *ectx);
	int (*del)(const char *id);   /* the cache is store.c's */
	int (*exists)(const char *id);   /* 0 stored, 1 not, -1 error */
	int (*meta)(const char *id, struct json *j);
	int (*list)(const struct store_query *q, struct json *j);
	int (*raw)(const char *id, uint8_t **data, size_t *len);
	/* the stored stacks row: its format and data (malloc'd, maybe empty) */
	int (*stacks)(const char *id, int *format, uint8_t **data, size_t *len);
	int (*name_of)(const char *id, char *out, size_t cap);
	int (*edit)(const char *id, const char *name, const struct store_label *labels, int n_labels);
	int (*labels)(const char *key, struct json *j);
	int (*time)(const char *id, int64_t *ns, const char **source);
	int (*sizes)(const char *id, struct store_sizes *out);
	int (*label)(const char *id, const char *key, char *out, size_t cap);
	int (*ids_by_label)(const char *key, const char *value, const char *kind, char (*ids)[23], int max, int *n);
	int (*findex_pending)(char (*ids)[23], int max, int *n);
	int (*findex_put)(const char *id, const struct store_findex *fx);
	int (*fx_profiles)(const char (*ids)[23], int n, struct store_fx_profile *out, int *n_out);
	int (*fx_by_label)(const char *key, const char *value, const char *kind, int64_t from, int64_t to,
	                   struct store_fx_profile *out, int max, int *n_out);
	int (*fx_names)(int (*fn)(void *ctx, int64_t fid, const char *name), void *ctx);
	int (*fx_rows_of)(const int64_t *fids, int n, const int64_t *seqs, int nseq,
	                  int (*row)(void *ctx, int64_t seq, const uint8_t *vals, size_t len),
	                  int (*end)(void *ctx, int k), void *ctx);
	int (*fx_rows_profiles)(int64_t fid,
	                        int (*fn)(void *ctx, const struct store_fx_profile *p, const uint8_t *vals, size_t len),
	                        void *ctx);
	int (*fx_all)(int (*fn)(void *ctx, const struct store_fx_profile *p), void *ctx);
	int (*select)(const struct store_sel *s, char (*ids)[23], int max, int *n);
	int (*fx_select)(const struct store_sel *s, struct store_fx_profile *out, int max, int *n_out);
	int (*series)(const struct store_sel *s, const struct store_series_retention *ret, struct json *j);
	long (*format_backfill)(const char *(*of_bytes)(const uint8_t *data, size_t n), size_t prefix);
	/* sessions (session.h): keyed by the hex SHA-256 of the cookie */
	int (*session_put)(const struct store_session *s, int64_t now);
	int (*session_get)(const char *id_hash, struct store_session *out);
	int (*session_del)(const char *id_hash);
	/* retention (scrape_retention.c) */
	int (*retention_ids)(enum store_retention which, int64_t before, char (*ids)[FDX_STORE_ID_CAP], int64_t *bytes,
	                     int max);
	int (*scraped_stats)(int64_t *bytes, int64_t *oldest);
	/* one replica at a time (NULL: one process owns the database, always
	 * 1): 1 this process holds the job's lock, 0 another does, -1 error */
	int (*job_lock)(enum store_job job);
	/* scrape target leases (NULL: every target is this process's) */
	int (*lease)(const char *const *keys, int n, int ttl_ms, bool *mine);
	void (*lease_release)(void);
	/* downsampling (downsample.h): named leases and the candidates */
	int (*lock_take)(const char *name, const char *holder, int64_t ttl_ns);
	void (*lock_drop)(const char *name, const char *holder);
	int (*ds_oldest)(const char *job, int64_t from, int64_t before, struct store_ds_cand *out);
	int (*ds_next_job)(const char *after, char *out, size_t cap);   /* after: never NULL */
	int (*ds_page)(const char *job, int64_t from, int64_t to, const struct store_ds_key *after, int max,
	               struct store_ds_page *pg);
	int (*ds_merged)(char (*ids)[23], int64_t *bytes, int max, int *n);
	int (*ds_expired)(const char *job, int64_t before, char (*ids)[23], int64_t *bytes, int max, int *n);
	int (*labels_of)(const char *id, struct store_label *out, int max, int *n);
	/* stored view answers (answers.h, schema/014, pg/006) */
	int (*answer_put)(const char *id, const char *name, int format, const void *gz, size_t gz_len, size_t raw_len);
	int (*answer_get)(const char *id, const char *name, int format, uint8_t **gz, size_t *gz_len, size_t *raw_len);
};

extern const struct store_backend store_sqlite_backend;
extern const struct store_backend store_pg_backend;

/* A backend notes that this thread's request failed because the database
 * cannot be reached (store_unavailable reads it). */
void store_note_unavailable(void);

#endif
