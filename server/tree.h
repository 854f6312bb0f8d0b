/*
 * tree.h: the views of one profile, computed as go tool pprof computes them.
 *
 * view_build applies the filters of a request to a profile and folds the
 * kept samples into a call tree whose nodes are function names (pprof's
 * "functions" granularity; inlined frames are nodes of their own). Every
 * view — top table, flame graph, sandwich, tags, diff — is read off that
 * tree. The profile is never modified, so one decoded profile serves many
 * requests at once.
 */
#ifndef FDX_TREE_H
#define FDX_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include "filter.h"
#include "json.h"
#include "prof.h"

struct view {
	const struct prof *p;
	int type;
	int64_t total;       /* sum of the selected type over kept samples */
	/* the name tree: node 0 is the root, parent[i] < i */
	uint32_t n;
	uint32_t *parent;
	uint32_t *key;       /* string id of the name (PROF_NONE for the root) */
	uint8_t *first;      /* name not on the path above: counts toward cum */
	uint32_t *koff, *klist; /* children, sorted by name */
	bool borrowed;       /* parent/key/first/koff/klist belong to the profile */
	int64_t *self;
	int64_t *tot;
	/* per-label-set sums of kept samples, for tags (NULL unless asked) */
	int64_t *ls_sum;
	bool *ls_seen;
};

/* Returns 0, or -1 on allocation failure. with_tags fills ls_sum/ls_seen. */
int view_build(const struct prof *p, const struct view_opts *o, bool with_tags, struct view *v);
void view_release(struct view *v);

struct top_row {
	uint32_t key;
	int64_t flat, cum;
};
/* Per-function flat/cum (unsorted, only functions with flat or cum != 0).
 * Returns a malloc'd array and its length in *n, NULL on failure. */
struct top_row *view_top(const struct view *v, uint32_t *n);
void top_sort(const struct prof *p, struct top_row *rows, uint32_t n, bool by_cum);

void view_top_json(const struct view *v, bool by_cum, long limit, struct json *j);
void view_flame_json(const struct view *v, long max_nodes, struct json *j);
/* 0, 1 if the function is not in the view, -1 out of memory. */
int view_sandwich_json(const struct view *v, const char *function, long max_nodes, struct json *j);
/* max_values > 0 keeps that many values per key (largest first); every
 * key also reports n_values, its number of distinct values. */
void view_tags_json(const struct view *v, long max_values, struct json *j);

/* Shared output helper: {"type","unit"} of sample type t. */
void json_sample_type(struct json *j, const struct prof *p, int t);

#endif
