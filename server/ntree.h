/*
 * ntree.h: name trees, the call trees every view is read from.
 *
 * A name tree is a tree of names (function names at pprof's "functions"
 * granularity). Node 0 is the root; every other node i has a parent
 * ntree_parent(t, i) < i, so arrays are walked parents-first forwards and
 * children-first backwards, and a key (ntree_key), the id of its name in a
 * name table (struct ntree_names). A node has at most one child per key,
 * so one path of names is one node. Every node carries one int64 in each
 * value column; a tree has as many columns as its builder asked for
 * (at most NTREE_MAX_COLS), and a new node's values are zero.
 *
 * Life of a tree:
 *   ntree_init     the root alone
 *   (or ntree_init_lent: every node given, parents lent by the caller;
 *   then straight to ntree_finish)
 *   ntree_child    finds or adds the child of a node for a key; callers add
 *                  values into the columns as they go
 *   ntree_finish   sorts every node's children by name and, when asked,
 *                  computes the 'first' flags; no node is added after it
 *   then           ntree_sum_up, ntree_walk + ntree_json, reads
 *   ntree_release
 * ntree_borrow gives a tree that shares the nodes of a finished tree and
 * has zeroed columns of its own: a profile's tree is built once and each
 * request sums its sample values into a borrowed copy.
 *
 * Names are byte strings indexed by key: a profile's string table
 * (prof_names in prof.h), or an ntree_intern table, whose keys mean the
 * same name in every profile. ntree_fold adds a tree into another by name
 * path through such a table, so the trees of several profiles fold into
 * one: the diff's union tree, merges of many profiles.
 *
 * Every function that allocates returns -1 (or NTREE_NONE) when an
 * allocation fails, or when the current work must stop (work.h: they
 * poll work_poll() and charge what they allocate to the current work's
 * memory account), and leaves the tree releasable.
 */
#ifndef FDX_NTREE_H
#define FDX_NTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "json.h"
#include "work.h"

#define NTREE_NONE UINT32_MAX
#define NTREE_MAX_COLS 6

/* A name table: name k is len[k] bytes at ptr[k], or at arena + off[k]
 * when ptr is NULL (a profile's string arena). Keys are < n. */
struct ntree_names {
	uint32_t n;
	const uint32_t *len;
	const char *const *ptr;
	const char *arena;
	const uint32_t *off;
};

static inline const char *ntree_name(const struct ntree_names *nm, uint32_t k, uint32_t *len)
{
	if (k >= nm->n) {
		*len = 0;
		return "";
	}
	*len = nm->len[k];
	return nm->ptr ? nm->ptr[k] : nm->arena + nm->off[k];
}

struct ntree {
	uint32_t n;                /* nodes */
	/* node i's parent and key: read them with ntree_parent, ntree_key.
	 * Most trees hold them: parent[i] and keyv[i] (pshift 0, kmap NULL).
	 * A tree made by ntree_init_lent reads them off a location trie that
	 * is its own name tree (prof.h), whose (parent, location) pairs it is
	 * lent: parent[2i] and kmap[keyv[2i] + 1] (pshift 1, keyv = parent + 1,
	 * kmap the key of each location, shifted by one so that the root's
	 * location PROF_NONE finds the root key). Parent of 0 is 0. */
	uint32_t *parent;
	uint32_t *keyv;
	unsigned pshift;
	uint32_t *kmap;
	/* after ntree_finish: the children of i are klist[koff[i]..koff[i+1]),
	 * sorted by name (bytes, then length) */
	uint32_t *koff, *klist;
	/* after ntree_finish(.., true): first[i] = the key of i is on no node above
	 * i, so a value counted at every node with first set counts once per
	 * path (pprof's cum); first[0] = 0 */
	uint8_t *first;
	int ncols;
	int64_t *col[NTREE_MAX_COLS];  /* col[c][i]: value c of node i */

	/* private */
	uint32_t cap;              /* room in parent, key and the columns */
	struct u64map index;       /* (parent, key) -> child of a parent with many children, until finished */
	/* until finished: each node's children as a list (first child, next
	 * sibling) and how many it has (saturating); a parent's children are
	 * found by scanning the list while they are few, by the index after */
	uint32_t *kid, *sib;
	uint8_t *nkid;
	bool borrowed;             /* the nodes belong to another tree */
	bool parent_lent;          /* parent and keyv belong to the caller of ntree_init_lent */
	struct work_held held;     /* bytes charged to the work that built it (work.h) */
};

/* A tree holding only the root (key root_key), with ncols zeroed columns;
 * hint is the expected number of nodes. 0 or -1. */
int ntree_init(struct ntree *t, int ncols, uint32_t root_key, size_t hint);
/* A tree of n nodes given whole as n (parent, x) pairs (pairs[2i],
 * pairs[2i + 1]; parent < i for i > 0, parent of 0 is 0; lent: the array
 * must outlive the tree and its borrowers): node i's key is
 * kmap[(uint32_t)(x + 1)] (so x = UINT32_MAX, the root's, reads kmap[0];
 * the caller sees that every x + 1 is within kmap). kmap is taken (the
 * tree frees it, also on failure). No value columns and no child index,
 * so no ntree_child: finish it next. 0 or -1. */
int ntree_init_lent(struct ntree *t, uint32_t n, const uint32_t *pairs, uint32_t *kmap);
/* The parent of node i (i < t->n). */
static inline uint32_t ntree_parent(const struct ntree *t, uint32_t i)
{
	return t->parent[(size_t)i << t->pshift];
}
/* The key of node i (i < t->n). */
static inline uint32_t ntree_key(const struct ntree *t, uint32_t i)
{
	return t->kmap ? t->kmap[(uint32_t)(t->keyv[(size_t)i << t->pshift] + 1)] : t->keyv[i];
}
/* The child of parent with key, added (values zero) if absent; NTREE_NONE
 * when an allocation fails. Not after ntree_finish. */
uint32_t ntree_child(struct ntree *t, uint32_t parent, uint32_t key);
/* Sort children by name; with_first also computes 'first' (every key must
 * then be < names->n). Frees the child index. 0 or -1. */
int ntree_finish(struct ntree *t, const struct ntree_names *names, bool with_first);
/* t shares the nodes of the finished tree shape (which must outlive it)
 * and gets ncols zeroed columns of its own. 0 or -1. */
int ntree_borrow(struct ntree *t, const struct ntree *shape, int ncols);
/* Frees everything t owns and zeroes it; safe on a zeroed tree. */
void ntree_release(struct ntree *t);
/* Bytes t holds (its own arrays; a borrowed tree counts its columns). */
size_t ntree_mem_bytes(const struct ntree *t);
/* col[to][i] = the sum of col[from] over the subtree of i (to may be
 * from). The caller knows the sums fit (they do when the absolute values
 * of the column sum to an int64). */
void ntree_sum_up(struct ntree *t, int from, int to);

/* ---- the flame-graph shape ------------------------------------------------ */

/* The nodes a JSON tree shows, in pre-order (children by name). */
struct ntree_walk {
	uint32_t n;                /* nodes shown */
	uint32_t *order;           /* [n] their ids, root first */
	uint8_t *keep;             /* per node: shown */
	uint32_t *depth;           /* [n] per node shown, in order: its depth (root 0) */
	uint32_t *name_ix;         /* per key: index in "names", NTREE_NONE if absent */
	uint32_t n_names;          /* "names" entries, the root's included */
};

/* Choose the nodes shown: the root, and the nodes with a non-zero weight
 * whose parent is shown; when max_nodes > 0, at most max_nodes nodes: a
 * node is shown when its |weight| is above the max_nodes-th largest, or
 * equal to it while there is room, taken in id order (parents first).
 * Keys must be < n_keys. 0 or -1. */
int ntree_walk(const struct ntree *t, uint32_t n_keys, const int64_t *weight, long max_nodes,
               struct ntree_walk *w);
void ntree_walk_release(struct ntree_walk *w);
/* Members of the open object j:
 *   "names"  root_name, then every name of a shown node once, in pre-order
 *   "files"  only when file_of is given: parallel to names, the name of
 *            file_of[key] ("" for the root and for NTREE_NONE)
 *   "nodes"  per shown node, in pre-order: [name index, depth, then for
 *            each of the ncols columns cols[]: self, total]; a column
 *            holds subtree totals and self is the total less the totals
 *            of the shown children (what is pruned folds into its parent)
 * Does not allocate (j's buffer may run out of memory: see buf.h). */
void ntree_json(const struct ntree *t, const struct ntree_walk *w, const struct ntree_names *names,
                const char *root_name, const uint32_t *file_of, const int *cols, int ncols, struct json *j);

/* ---- names shared by several profiles -------------------------------------- */

/* Interns names by their bytes; the strings are not copied (the profiles
 * they come from must outlive the table). */
struct ntree_intern {
	struct strmap map;
	const char **ptr;
	uint32_t *len;
	uint32_t n, cap;
};

int ntree_intern_init(struct ntree_intern *u, size_t hint);
void ntree_intern_release(struct ntree_intern *u);
/* The key of s (len bytes), added if new; NTREE_NONE on allocation failure. */
uint32_t ntree_intern(struct ntree_intern *u, const char *s, uint32_t len);
/* The table as ntree_names; valid until the next ntree_intern. */
struct ntree_names ntree_intern_names(const struct ntree_intern *u);

/* Add tree src (names in src_names) into dst (keys interned in u) by name
 * path: each node of src maps to the node of dst with the same path of
 * names from the root (added when missing), and dst's column dcol gets
 * src's column scol there. The roots map to each other. 0; -1 on
 * allocation failure; 1 when a sum overflows int64 (dst is then partly
 * added). dst must not be finished. */
int ntree_fold(struct ntree *dst, struct ntree_intern *u, int dcol, const struct ntree *src,
               const struct ntree_names *src_names, int scol);

#endif
