/*
 * answers.h: the answers of a stored profile's views kept in the database
 * (schema/014_view_answers.sql, schema/pg/006), gzipped, so that a
 * restarted server, or another replica on the same PostgreSQL database,
 * serves them without decoding the profile.
 *
 * route_views.c decides which views are kept (the page's first requests:
 * the default flame graph and top, computed at upload by views_prime, or
 * at their first view when a profile has none of this format), of which
 * profiles (a stack trie of --answers-min-nodes nodes or more), and names
 * them as it keys its memory answers, without the profile id; this module
 * gzips, caps, stores, reads back and counts.
 *
 * Invariants:
 *   - a kept answer is enc_gzip of the very JSON the view computes (the
 *     body a gzip-accepting client would be sent: reply_gzipped sends it
 *     as it is, and inflates it for the others), under the same ETag;
 *   - a lookup names ANSWERS_FORMAT: an answer written by a server whose
 *     views drew differently is never served (bump the constant whenever
 *     any kept view's JSON changes: the flame graph, top, the header of
 *     view_json_header, the tree's JSON in ntree.c). A put replaces the
 *     row of that name whatever its format, so old ones do not pile up;
 *   - what a kept answer contains is a function of the stored profile
 *     only (its samples, types, names of the profile.proto): the profile's
 *     own name and labels, which PATCH changes, are not in any view's JSON,
 *     so an edit leaves every kept answer right;
 *   - rows live and die with their profile: store_delete (a DELETE,
 *     retention, downsampling) removes them in its transaction, and a put
 *     for a profile deleted meanwhile keeps nothing;
 *   - an answer above ANSWERS_MAX_GZ gzipped (or ANSWERS_MAX_RAW not) is not kept (counted as
 *     skipped); a failure to keep one is logged and costs nothing else:
 *     the view is then computed, as before;
 *   - thread-safe (the counters are atomic; the store is).
 */
#ifndef FDX_ANSWERS_H
#define FDX_ANSWERS_H

#include <stddef.h>

/* The format of the kept views' JSON: part of every lookup. */
#define ANSWERS_FORMAT 1

/* The largest gzipped answer kept: a default flame graph of 20,000 nodes
 * gzips to 150-250 KB (docs/BENCHMARKS.md), so this keeps every one with
 * room to spare while bounding what one profile adds to the database. */
#define ANSWERS_MAX_GZ (1u << 20)
/* and the largest inflated one (what a reply to a client without gzip
 * allocates; a row claiming more is not believed) */
#define ANSWERS_MAX_RAW (64u << 20)

/* Keep json[0, len) as the answer `name` of profile id. When gz_out is
 * not NULL it gets the gzipped bytes (malloc'd, the caller frees), kept or
 * not, for a reply (reply_gzipped). 0 kept, 1 not (too big, the profile is
 * gone, gzip failed), -1 a database error. */
int answers_put(const char *id, const char *name, const void *json, size_t len, void **gz_out, size_t *gz_len_out);

/* The kept answer `name` of profile id, of ANSWERS_FORMAT: 0 with *gz
 * (malloc'd) of *gz_len bytes inflating to *raw_len; 1 none; -1 error. */
int answers_get(const char *id, const char *name, void **gz, size_t *gz_len, size_t *raw_len);

struct answers_stats {
	unsigned long long hits, misses, writes, skipped, errors;
	unsigned long long bytes_written, bytes_served;   /* gzipped */
};
/* Since the start of this process (/metrics). */
void answers_stats(struct answers_stats *out);

#endif
