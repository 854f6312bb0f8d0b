/*
 * store.h: profiles in SQLite or PostgreSQL.
 *
 * store_init picks the backend from --db (store_be.h): a file path is
 * SQLite (store_sqlite.c, db.c), a postgresql:// or postgres:// URI or a
 * libpq keyword string is PostgreSQL (store_pg.c, db_pg.c); the contract
 * below is the same for both.
 *
 * A stored profile is one row in each of profiles, blobs and stacks (plus
 * its labels), written in one transaction: an upload is either all there
 * or not at all. Decoded profiles are shared read-only between requests
 * through the cache of cache.h (reference-counted, bounded in bytes):
 * store_get answers from it or decodes the stacks row into it, and
 * store_delete makes the deleted id unfindable there.
 */
#ifndef FDX_STORE_H
#define FDX_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "prof.h"

struct store_label {
	char key[129], value[129];
};

/* The function index rows of one profile (findex.h computes them). */
struct store_findex {
	uint32_t n_types;
	uint32_t def_type;
	const char *types;           /* sample type names, one per line */
	const int64_t *totals;       /* n_types: pprof's total of each */
	size_t n;                    /* functions */
	const char *const *names;    /* n */
	const uint8_t *vals;         /* row i: vals[off[i], off[i+1]) */
	const size_t *off;           /* n + 1 */
};

struct store_new {
	const char *name;
	const struct store_label *labels;
	int n_labels;
	const uint8_t *raw;
	size_t raw_len;            /* the upload's size (profiles.bytes), also when raw_dropped */
	bool raw_dropped;          /* the original is not kept (a scrape job's keep_raw: false):
	                            * blobs.raw is empty, the model is always stored, and
	                            * /raw writes the model as profile.proto */
	const struct prof *prof;
	int64_t client_time;  /* unix ns from the upload's time=, 0: none; kept
	                       * only when prof has no time_nanos of its own */
	const char *uploaded_by;   /* token name (access.h), NULL without --auth-file */
	const struct store_findex *findex;  /* written in the same transaction; NULL: none
	                                     * (findex_rebuild adds it at the next start) */
	const char *scrape_job;    /* the scrape job (scrape.h) that fetched it, NULL: uploaded */
	const char *format;        /* the format it came in (ingest_format_name), NULL: "pprof" */
	const struct store_ds *ds; /* a downsampled profile (downsample.h), NULL: not one */
	bool redecodable;          /* raw decodes again to prof (the decoder store_set_raw_decoder
	                            * names): the stacks form may then be left out when it
	                            * would cost more than it saves (store.c, STACKS_MAX_SHARE) */
};

/* What makes a stored profile a downsampled one: the merge of members
 * (scraped profiles of one series and bucket). store_add writes it and
 * marks every member as merged into it (profiles.ds_into) in the same
 * transaction, or, when a member is gone or already merged, stores
 * nothing and returns STORE_CHANGED. */
struct store_ds {
	unsigned step_s;                 /* the bucket's span */
	const char *agg;                 /* "sum" or "avg" */
	const char (*members)[23];
	int n_members;
};

/* Open (and migrate) the database (a path, or a PostgreSQL conninfo with a
 * pool of at most pool connections); keep at most cache_bytes of decoded
 * profiles in memory. 0 or -1. */
int store_init(const char *db, size_t cache_bytes, unsigned pool);
/* Whether db (a --db value) names a PostgreSQL database. */
bool store_db_is_pg(const char *db);
/* "sqlite" or "pg". */
const char *store_backend_name(void);
/* Whether a failure of this thread's current request came from a
 * database that cannot be reached (PostgreSQL down): then the request is
 * answered 503 database_unavailable. store_unavailable_clear at its start. */
bool store_unavailable(void);
void store_unavailable_clear(void);
/* How a profile stored without its stacks form (store_new.redecodable) is
 * read back: its original bytes decoded again, by fn (main.c gives
 * ingest.h's decoder, which this layer may not call). NULL: none, and
 * every profile keeps its stacks form. */
typedef struct prof *(*store_raw_decoder)(const uint8_t *data, size_t n, int *status);
/* (fn returns NULL with *status the decoder's HTTP status: 429 or 503
 * when memory or work ran short, which a load answers 503 busy.) */
void store_set_raw_decoder(store_raw_decoder fn);
/* Close the database and free the cache: no request may be running. */
void store_shutdown(void);
int store_health(void);
/* The database's size when it is not one file (PostgreSQL:
 * pg_database_size): 0 with *bytes set; 1 when it is a file (SQLite: the
 * caller measures the file and its WAL); -1 error. */
int store_db_bytes(int64_t *bytes);

/* Store a decoded profile; writes its id (FDX_ID_LEN+1 bytes). 0, -1, or
 * STORE_FULL when the disk (or the database's --max-db-bytes) has no room
 * for it; then nothing is stored. */
#define STORE_FULL 2
#define STORE_CHANGED 3
int store_add(const struct store_new *n, char *id_out);

/* Metadata object of one profile into j. 0, 1 if unknown, -1 on error. */
int store_meta(const char *id, struct json *j);

struct store_query {
	int limit, offset;
	const char *kind;        /* NULL = any */
	const char *q;           /* substring of the name, NULL = any */
	const char *label_key;   /* NULL = any */
	const char *label_value;
};
/* {"profiles": [...], "total": N} into j. 0 or -1. */
int store_list(const struct store_query *q, struct json *j);

/* 0 deleted, 1 unknown, -1 error. Works on a full disk (it may use the
 * reserve of db.h), and gives the space back to the file system. */
int store_delete(const char *id);

/* The uploaded bytes (malloc'd). 0, 1 unknown, -1 error. */
int store_raw(const char *id, uint8_t **data, size_t *len);

/* The profile's name into out (cap bytes, cut to fit). 0, 1 unknown, -1. */
int store_name(const char *id, char *out, size_t cap);
/* Rename (name not NULL) and/or replace the profile labels (labels not
 * NULL: exactly these n_labels, none when 0), in one transaction.
 * 0, 1 unknown, -1 error. */
int store_edit(const char *id, const char *name, const struct store_label *labels, int n_labels);

/* A decoded profile, shared and read-only: release it with store_release.
 * NULL with *status 404 (unknown), 500, or 503 (the current work was
 * stopped: over its budget, memory account full; work.h). */
struct prof *store_get(const char *id, int *status);
void store_release(struct prof *p);
/* Hand a freshly decoded profile of id to the cache, which owns it from
 * now on (the caller must not use p afterwards). */
void store_cache_add(const char *id, struct prof *p);

/* Profile labels: with key, {"key","values":[{"value","kinds":{kind:n},
 * "profiles"}]}; without, {"keys":[{"key","values","profiles"}]}. */
int store_labels(const char *key, struct json *j);

/* The time of a profile (unix ns): its own time_nanos, else the client's
 * time= of the upload, else the upload time; *source is "profile",
 * "client" or "upload" (static), as the metadata's time_source says.
 * 0, 1 unknown, -1 error. */
int store_time(const char *id, int64_t *ns, const char **source);

/* What a profile's stored stacks take before decoding (heavy requests
 * estimate their memory from it, heavy.h): the stored blob's bytes, its
 * inflated size (codec.c's header) and the profile's sample count.
 * 0, 1 unknown, -1 error. */
struct store_sizes {
	size_t stored, inflated, samples;
};
int store_sizes(const char *id, struct store_sizes *out);

/* The value of profile label key of profile id (truncated to cap-1
 * bytes) into out. 0, 1 when it has no such label (or no such profile),
 * -1 on error. */
int store_label(const char *id, const char *key, char *out, size_t cap);

/* ids of the profiles carrying profile label key=value, oldest first (by
 * the time of store_time, then upload order). */
int store_ids_by_label(const char *key, const char *value, const char *kind,
                       char (*ids)[23], int max, int *n);

/* Fill in the format (schema/010) of the profiles stored before it was
 * kept: of_bytes names it from the first prefix bytes (or fewer) of the
 * upload, which are all that is read of it. Returns how many rows it
 * filled in, -1 on error. */
long store_format_backfill(const char *(*of_bytes)(const uint8_t *data, size_t n), size_t prefix);

/* ---- the function index (findex.h, schema/007) ------------------------- */

/* Up to max ids of stored profiles without function index rows, oldest
 * first. 0 or -1. */
int store_findex_pending(char (*ids)[23], int max, int *n);
/* Write the index rows of profile id (replacing any). 0, 1 unknown, -1. */
int store_findex_put(const char *id, const struct store_findex *fx);

/* One profile as the function index knows it. */
struct store_fx_profile {
	int64_t seq;
	char id[23];
	int64_t time;                /* unix ns, as store_time */
	int64_t duration_ns;
	char kind[16];
	uint32_t n_types;
	uint32_t def_type;
	char types[512];             /* names, one per line (cut to fit) */
	int64_t totals[16];          /* the first 16 types */
	int indexed;                 /* 0: no index rows yet */
};
/* The profiles of ids[0, n) (unknown ones skipped) into out (n entries
 * room), in time order (store_time, then upload order); *n_out of them.
 * 0 or -1. */
int store_fx_profiles(const char (*ids)[23], int n, struct store_fx_profile *out, int *n_out);

/* The profiles carrying profile label key=value (and of kind, when not
 * NULL) whose time (store_time) is in [from, to], at most max, into out,
 * in time order as store_fx_profiles. */
int store_fx_by_label(const char *key, const char *value, const char *kind, int64_t from, int64_t to,
                      struct store_fx_profile *out, int max, int *n_out);
/* Call fn for each interned function name (id, name) until fn returns
 * non-zero (then that is the result); 0 at the end, -1 on error. */
int store_fx_names(int (*fn)(void *ctx, int64_t fid, const char *name), void *ctx);
/* For k in [0, n): call row for each index row of function fids[k] in
 * the profiles seqs[0, nseq) (ascending), with the profile's seq and the
 * row's vals, then end(ctx, k); point lookups for a few profiles, else a
 * scan of the seq range (row may then see other profiles: it filters). A
 * non-zero return of either stops the scan and is the result (end's 1:
 * done, not an error); 0 at the end, -1 on error. */
int store_fx_rows_of(const int64_t *fids, int n, const int64_t *seqs, int nseq,
                     int (*row)(void *ctx, int64_t seq, const uint8_t *vals, size_t len), int (*end)(void *ctx, int k),
                     void *ctx);
/* store_fx_rows with the profile of each row. */
int store_fx_rows_profiles(int64_t fid,
                           int (*fn)(void *ctx, const struct store_fx_profile *p, const uint8_t *vals, size_t len),
                           void *ctx);
/* Every indexed profile as store_fx_profile (seq order) to fn; -1 on
 * error, else fn's first non-zero result or 0. */
int store_fx_all(int (*fn)(void *ctx, const struct store_fx_profile *p), void *ctx);
/* A selection of many profiles (selection.h): every profile carrying all
 * n_labels profile labels, of kind (NULL: any), whose time (as
 * store_time gives it) is in [from, to] where has_from / has_to. */
struct store_sel {
	const struct store_label *labels;
	int n_labels;
	const char *kind;
	int64_t from, to;
	int has_from, has_to;
};
/* ids of the profiles of s, oldest first (by time, then upload order),
 * at most max of them; the first label goes through the (key, value)
 * index. 0 or -1. */
int store_select(const struct store_sel *s, char (*ids)[23], int max, int *n);
/* The profiles of s as the function index knows them (store_fx_profile),
 * in time order as store_select gives their ids, at most max. 0 or -1. */
int store_fx_select(const struct store_sel *s, struct store_fx_profile *out, int max, int *n_out);
/* The retention that applies to a series' profiles, in seconds (0: kept),
 * for store_series to say (the store knows no flags). */
struct store_series_retention {
	unsigned scraped_s, uploads_s, downsampled_s;
	/* the downsampled profiles' retention of a scrape job (its own
	 * policy), or NULL: downsampled_s for every series */
	unsigned (*downsampled_of)(const char *job);
};
/* {"series":[{"labels":{...},"kind","profiles","first","last","bytes",
 * "retention":{...}}...]}: the profiles of s (its time range ignored)
 * grouped by kind and their whole set of profile labels (a downsampled
 * profile's own "downsampled" label left out, so that it stays in its
 * series); first and last are RFC 3339; "retention" says how far back the
 * data goes (docs/API.md). Profiles merged into a downsampled one and not
 * yet deleted are left out, here and in store_select. 0 or -1. */
int store_series(const struct store_sel *s, const struct store_series_retention *ret, struct json *j);

/* ---- downsampling (downsample.h, schema/011) ---------------------------- */

/* A named lease: take (or renew) name for holder until now + ttl_ns.
 * 0 held by holder now; 1 held by another holder whose lease has not
 * expired; -1 error. One process downsamples a database at a time. */
int store_lock_take(const char *name, const char *holder, int64_t ttl_ns);
/* Give name up if holder has it. */
void store_lock_drop(const char *name, const char *holder);

/* A scraped profile that may be downsampled. */
struct store_ds_cand {
	int64_t seq;
	char id[23];
	int64_t time;                /* as store_time */
	int64_t bytes;               /* of the upload (the scraped body) */
	char kind[16];
	char job[65];                /* profiles.scrape_job */
};
/* The oldest candidate (a scraped profile, not downsampled, not merged
 * yet) of scrape job `job` whose time is in [from, before). 0, 1 none,
 * -1 error. */
int store_ds_oldest(const char *job, int64_t from, int64_t before, struct store_ds_cand *out);
/* The first scrape job after `after` ("" or NULL: the first) that has a
 * candidate or a downsampled profile, into out: each job has its own
 * downsampling policy. 0, 1 none, -1 error. */
int store_ds_next_job(const char *after, char *out, size_t cap);

/* A series as downsampling groups profiles: kind, scrape job, whether
 * the profile covers a window (duration_ns > 0: a CPU or delta profile,
 * merged by sum, apart from snapshots of the same kind, merged by avg),
 * and the whole set of profile labels (ls: store.c's signature of it,
 * malloc'd; NULL in a cursor that is before every series). */
struct store_ds_key {
	char kind[16];
	char job[65];
	int windowed;
	char *ls;
};
void store_ds_key_free(struct store_ds_key *k);
/* dst = src (dst freed first). 0 or -1. */
int store_ds_key_copy(struct store_ds_key *dst, const struct store_ds_key *src);
/* One page of the candidates of a bucket, series by series. */
struct store_ds_page {
	int n;                        /* rows */
	struct store_ds_cand *rows;   /* series by series (key order), each oldest first */
	int n_groups;
	int *first;                   /* n_groups + 1: series g is rows [first[g], first[g+1]) */
	struct store_ds_key *keys;    /* n_groups */
	int full;                     /* max rows were read: the last series may go on */
};
/* The candidates of scrape job `job` whose time is in [from, to), of the
 * series after `after` (NULL or after->ls NULL: every series), at most
 * max rows. 0 or -1. */
int store_ds_page(const char *job, int64_t from, int64_t to, const struct store_ds_key *after, int max,
                  struct store_ds_page *pg);
void store_ds_page_free(struct store_ds_page *pg);
/* Profiles already merged into a downsampled one (to delete), at most
 * max, with their bytes. 0 or -1. */
int store_ds_merged(char (*ids)[23], int64_t *bytes, int max, int *n);
/* Downsampled profiles of scrape job `job` whose time is before
 * `before`, oldest first, at most max, with their bytes. 0 or -1. */
int store_ds_expired(const char *job, int64_t before, char (*ids)[23], int64_t *bytes, int max, int *n);
/* The profile labels of id (at most max) into out. 0, 1 unknown, -1. */
int store_labels_of(const char *id, struct store_label *out, int max, int *n);

/* ---- stored view answers (answers.h, schema/014) ------------------------ */

/* Keep the gzipped JSON answer gz[0, gz_len) (raw_len bytes inflated) of
 * view `name` of profile id, written by view code of `format`, replacing
 * the one of that name (whatever its format). 0, 1 unknown profile (or
 * deleted meanwhile: nothing is kept), -1 error. */
int store_answer_put(const char *id, const char *name, int format, const void *gz, size_t gz_len, size_t raw_len);
/* The kept answer of view `name` of profile id in `format` (malloc'd into
 * *gz): 0, 1 none (no such profile, view or format), -1 error. A row
 * exists only while its profile does (store_delete removes them in its
 * transaction). */
int store_answer_get(const char *id, const char *name, int format, uint8_t **gz, size_t *gz_len, size_t *raw_len);

/* ---- sessions (session.h) --------------------------------------------- */

struct store_session {
	char id_hash[65];      /* hex SHA-256 of the cookie value */
	char token_hash[65];   /* hex SHA-256 of the token signed in with */
	char name[129];
	int64_t created_at, expires_at;   /* unix ns */
};
/* Store s, removing the sessions expired at now. 0 or -1. */
int store_session_put(const struct store_session *s, int64_t now);
/* The session of id_hash into out: 0, 1 none, -1 error. */
int store_session_get(const char *id_hash, struct store_session *out);
/* Remove it (none is fine): 0 or -1. */
int store_session_del(const char *id_hash);

/* ---- retention (scrape_retention.c) ------------------------------------ */

#define FDX_STORE_ID_CAP 23
enum store_retention {
	STORE_RET_SCRAPED_BEFORE,   /* scraped profiles stored before `before` */
	STORE_RET_UPLOADS_BEFORE,   /* uploaded ones stored before `before` */
	STORE_RET_SCRAPED_OLDEST,   /* scraped ones, any time (before ignored) */
};
/* Up to max ids (and their upload's bytes) of which, oldest first by
 * upload time: their count, or -1. */
int store_retention_ids(enum store_retention which, int64_t before, char (*ids)[FDX_STORE_ID_CAP], int64_t *bytes,
                        int max);
/* The scraped profiles' total bytes and oldest upload time (0: none). */
int store_scraped_stats(int64_t *bytes, int64_t *oldest);

/* Background jobs that run in one process of those sharing a database. */
enum store_job {
	STORE_JOB_RETENTION,
};
/* 1: this process runs job now (it holds its lock, until it exits or
 * loses the database), 0: another does, -1: error. Always 1 on SQLite. */
int store_job_lock(enum store_job job);

/* Scrape target leases (scrape.c): whether targets are shared with other
 * processes (PostgreSQL) and so scraped only under a lease. */
bool store_leases_shared(void);
/* Take or renew the leases of keys[0, n) for ttl_ms: mine[i] says whether
 * this process holds key i now (held by no live other, or expired). 0, or
 * -1 (then none is known to be mine). Always all mine on SQLite. */
int store_lease(const char *const *keys, int n, int ttl_ms, bool *mine);
/* Give every lease of this process back (a clean stop). */
void store_lease_release(void);

/* The decoded-profile cache's figures (cache.h), for /metrics. */
struct cache_stats;
void store_cache_stats(struct cache_stats *out);

#endif
