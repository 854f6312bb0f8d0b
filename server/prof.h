/*
 * prof.h: flamedex's in-memory model of one profile.
 *
 * decode.c builds it from an upload, codec.c turns it into the compact blob
 * stored in SQLite and back, view.c answers queries from it. It keeps what
 * the views need and nothing else:
 *
 *   strings   deduplicated arena; every name below is a string id
 *   funcs     (name, system name, file) of each function
 *   frames    one (function, line, mapping file) per inline frame, with
 *             'key': the name pprof prints for it at function granularity
 *   locs      a location is a run of frames, outermost (caller) first
 *   nodes     a trie over locations: node 0 is the root, every other node
 *             is (parent, location) and parent < node, so arrays can be
 *             walked parents-first
 *   labelsets interned sets of pprof labels; labelset 0 is the empty set
 *   samples   aggregated per (node, labelset), one int64 per sample type
 *   loc_addr  (optional) each location's address and mapping
 *
 * drop_frames/keep_frames are applied while building the trie, as pprof
 * does on load, so stored stacks are what every pprof view starts from.
 */
#ifndef FDX_PROF_H
#define FDX_PROF_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "ntree.h"

#define PROF_NONE UINT32_MAX

enum prof_kind {
	PROF_KIND_OTHER = 0,
	PROF_KIND_CPU,
	PROF_KIND_HEAP,
	PROF_KIND_GOROUTINE,
	PROF_KIND_MUTEX,
	PROF_KIND_BLOCK,
};

struct prof_func {
	uint32_t name, sysname, file;
};

struct prof_frame {
	uint32_t func;     /* PROF_NONE for a location without lines */
	uint32_t map_file; /* string id of the mapping's file, PROF_NONE if no mapping */
	uint32_t key;      /* string id of the printed node name */
	int64_t line;
};

struct prof_loc {
	uint32_t off, n;   /* into loc_frames, outermost first */
};

struct prof_node {
	uint32_t parent, loc;
};

struct prof_label {
	uint32_t key;
	uint32_t str;      /* PROF_NONE for numeric labels */
	uint32_t unit;     /* numeric labels: string id of the unit, PROF_NONE if unset */
	int64_t num;
};

struct prof_labelset {
	uint32_t off, n;   /* into labels */
};

/* A mapping (profile.proto's Mapping): its address range, file offset
 * and file / build id (string ids). */
struct prof_mapping {
	uint64_t start, limit, offset;
	uint32_t file, build_id;
};

struct prof_sample {
	uint32_t node, labelset;
};

/* The name tree of the whole profile (no filters, no values; keys are
 * string ids, the root's PROF_NONE; finished with 'first'), built on first
 * use by view.c and borrowed by every view that does not hide frames. */
struct prof_ntree {
	struct ntree t;
	uint32_t *ntof;          /* location-trie node -> node of t; NULL when that is
	                          * the identity (every location one frame, no two
	                          * sibling locations of one name: t is the trie;
	                          * when no two locations at all have one name, t
	                          * is lent the trie's nodes, ntree_init_lent, and
	                          * lives no longer than they do) */
};

/* The node of the profile's name tree for location-trie node n. */
static inline uint32_t prof_ntree_node(const struct prof_ntree *t, uint32_t n)
{
	return t->ntof ? t->ntof[n] : n;
}

void prof_ntree_free(struct prof_ntree *t);

/* Where a profile read back from a series group comes from (series.h):
 * the group's name and, for each of the profile's strings, functions,
 * frames, locations and trie nodes, the id of that entry in the group.
 * A group's entries never change and its name is never reused, so two
 * profiles' entries with one group id are equal, parents included:
 * merge.c folds what a group's earlier profiles brought without looking
 * it up again. NULL in every other profile. */
#define PROF_GRP_CAP 48
enum { PROF_ORIG_STR, PROF_ORIG_FUNC, PROF_ORIG_FRAME, PROF_ORIG_LOC, PROF_ORIG_NODE, PROF_ORIG_N };
struct prof_origin {
	char grp[PROF_GRP_CAP];
	uint32_t *id[PROF_ORIG_N];   /* the profile's entry -> the group's; one per n_strs, n_funcs, ... */
	uint32_t end[PROF_ORIG_N];   /* 1 + the largest group id in id[t] (0: none) */
};

struct prof {
	/* strings */
	char *arena;
	size_t arena_len;
	uint32_t *str_off;
	uint32_t *str_len;
	uint32_t n_strs;

	/* metadata */
	uint32_t n_types;
	uint32_t *type_type, *type_unit;  /* string ids */
	uint32_t default_type;            /* index into types, as pprof picks it */
	uint32_t period_type, period_unit;/* string ids (0 = "") */
	int64_t period;
	int64_t time_nanos, duration_nanos;
	enum prof_kind kind;
	uint64_t orig_samples, orig_locations, orig_functions;
	/* The location references the decoder kept (its walk's length, what
	 * decoding the original again costs against decoding the trie,
	 * store.c); 0 when the profile was not decoded from a message here
	 * (read back from a stacks form, merged). Not stored. */
	uint64_t in_refs;

	uint32_t n_funcs;
	struct prof_func *funcs;
	uint32_t n_frames;
	struct prof_frame *frames;
	uint32_t n_locs;
	struct prof_loc *locs;
	uint32_t n_loc_frames;
	uint32_t *loc_frames;
	uint32_t n_nodes;
	struct prof_node *nodes;
	uint32_t n_labels;
	struct prof_label *labels;
	uint32_t n_labelsets;
	struct prof_labelset *labelsets;
	uint32_t n_samples;
	struct prof_sample *samples;
	int64_t *values;                  /* n_samples * n_types */

	/* Optional (NULL, 0 when the stored form predates them, and in
	 * profiles built by merges and imports): per location its address
	 * and its mapping (index into maps, PROF_NONE for none). Only
	 * granularity=addresses reads them (view_granularity.h). */
	uint64_t *loc_addr;
	uint32_t *loc_map;
	uint32_t n_maps;
	struct prof_mapping *maps;

	/* Set by series_decode only (prof_origin above); a profile derived
	 * from another (granularity) has none. */
	struct prof_origin *origin;

	/* built lazily, guarded by lazy_mu */
	pthread_mutex_t lazy_mu;
	struct prof_ntree *ntree;
};

/* A zeroed profile with its lock initialised. */
struct prof *prof_alloc(void);

static inline const char *prof_str(const struct prof *p, uint32_t id)
{
	return id < p->n_strs ? p->arena + p->str_off[id] : "";
}

static inline uint32_t prof_strlen(const struct prof *p, uint32_t id)
{
	return id < p->n_strs ? p->str_len[id] : 0;
}

/* The string table as the names of a name tree (keys are string ids). */
static inline struct ntree_names prof_names(const struct prof *p)
{
	struct ntree_names nm = { .n = p->n_strs, .len = p->str_len, .arena = p->arena, .off = p->str_off };
	return nm;
}

void prof_free(struct prof *p);
void prof_origin_free(struct prof_origin *o);
/* Approximate heap bytes held by p (for the cache budget), its name tree
 * included once built. Reads p->ntree: hold p->lazy_mu when another
 * thread may be building it. */
size_t prof_mem_bytes(const struct prof *p);
const char *prof_kind_name(enum prof_kind k);
int prof_kind_parse(const char *s);
/* Index of the sample type named s ("cpu", "inuse_space", or a number), or
 * -1. NULL or "" gives the default type. Same rules as pprof -sample_index. */
int prof_sample_index(const struct prof *p, const char *s);

#endif
