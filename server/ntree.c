/*
 * ntree.c: name trees (see ntree.h).
 */
#include "ntree.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "work.h"

/* A parent's children are scanned (kid/sib lists) up to this many, and
 * looked up in the hash index from then on: most nodes of a tree folded
 * from a location trie have one or two children, and the node just made is
 * in cache, where a hash probe is a cache miss or two. */
#define NTREE_SCAN_KIDS 8

/* Node ids stay below 2^31: the DFS in ntree_finish marks ids with the top bit. */
#define NTREE_MAX_NODES 0x40000000u

static int64_t abs_sat(int64_t x)
{
	return x >= 0 ? x : x == INT64_MIN ? INT64_MAX : -x;
}

/* ---- building ---------------------------------------------------------------- */

static int grow(struct ntree *t)
{
	if (t->cap >= NTREE_MAX_NODES)
		return -1;
	uint32_t nc = t->cap ? t->cap * 2 : 1024;
	/* The new nodes, their columns and their share of the child index. */
	if (work_hold(&t->held, (size_t)(nc - t->cap) * (4 * sizeof(uint32_t) + 1 + (size_t)t->ncols * sizeof(int64_t) +
	                                                 2 * sizeof(*t->index.slots))) < 0)
		return -1;
	uint32_t *nkd = realloc(t->kid, (size_t)nc * sizeof(uint32_t));
	if (!nkd)
		return -1;
	util_advise_huge(nkd, (size_t)nc * sizeof(uint32_t));
	t->kid = nkd;
	uint32_t *nsb = realloc(t->sib, (size_t)nc * sizeof(uint32_t));
	if (!nsb)
		return -1;
	util_advise_huge(nsb, (size_t)nc * sizeof(uint32_t));
	t->sib = nsb;
	uint8_t *nnk = realloc(t->nkid, (size_t)nc);
	if (!nnk)
		return -1;
	t->nkid = nnk;
	uint32_t *np = realloc(t->parent, (size_t)nc * sizeof(uint32_t));
	if (!np)
		return -1;
	util_advise_huge(np, (size_t)nc * sizeof(uint32_t));
	t->parent = np;
	uint32_t *nk = realloc(t->keyv, (size_t)nc * sizeof(uint32_t));
	if (!nk)
		return -1;
	util_advise_huge(nk, (size_t)nc * sizeof(uint32_t));
	t->keyv = nk;
	for (int c = 0; c < t->ncols; c++) {
		int64_t *na = realloc(t->col[c], (size_t)nc * sizeof(int64_t));
		if (!na)
			return -1;
		util_advise_huge(na, (size_t)nc * sizeof(int64_t));
		memset(na + t->cap, 0, (size_t)(nc - t->cap) * sizeof(int64_t));
		t->col[c] = na;
	}
	t->cap = nc;
	return 0;
}

static void free_lists(struct ntree *t)
{
	free(t->kid);
	free(t->sib);
	free(t->nkid);
	t->kid = t->sib = NULL;
	t->nkid = NULL;
}

int ntree_init(struct ntree *t, int ncols, uint32_t root_key, size_t hint)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols < 0 ? 0 : ncols > NTREE_MAX_COLS ? NTREE_MAX_COLS : ncols;
	/* The index holds the children of parents with many children only:
	 * it starts small and grows (its slots are written when made, so an
	 * index sized for the whole tree would be resident from the start). */
	if (u64map_init(&t->index, hint / 64) < 0 || grow(t) < 0)
		return -1;
	t->parent[0] = 0;
	t->keyv[0] = root_key;
	t->kid[0] = NTREE_NONE;
	t->nkid[0] = 0;
	t->n = 1;
	return 0;
}

int ntree_init_lent(struct ntree *t, uint32_t n, const uint32_t *pairs, uint32_t *kmap)
{
	memset(t, 0, sizeof(*t));
	if (n == 0 || n >= NTREE_MAX_NODES) {
		free(kmap);
		return -1;
	}
	/* never written: parent_lent */
	t->parent = (uint32_t *)pairs;
	t->keyv = (uint32_t *)pairs + 1;
	t->pshift = 1;
	t->kmap = kmap;
	t->parent_lent = true;
	t->n = t->cap = n;
	return 0;
}

/* A new node (parent, key), linked into parent's list; NTREE_NONE when
 * out of memory. */
static uint32_t add_node(struct ntree *t, uint32_t parent, uint32_t key)
{
	if (t->n == t->cap && grow(t) < 0)
		return NTREE_NONE;
	uint32_t id = t->n++;
	t->parent[id] = parent;
	t->keyv[id] = key;
	t->kid[id] = NTREE_NONE;
	t->nkid[id] = 0;
	t->sib[id] = t->kid[parent];
	t->kid[parent] = id;
	if (t->nkid[parent] < UINT8_MAX)
		t->nkid[parent]++;
	return id;
}

uint32_t ntree_child(struct ntree *t, uint32_t parent, uint32_t key)
{
	if (work_poll() != WORK_OK) /* every fold adds nodes here: one poll point for all */
		return NTREE_NONE;
	if (t->nkid[parent] < NTREE_SCAN_KIDS) {
		for (uint32_t c = t->kid[parent]; c != NTREE_NONE; c = t->sib[c])
			if (t->keyv[c] == key)
				return c;
		uint32_t id = add_node(t, parent, key);
		if (id != NTREE_NONE && t->nkid[parent] == NTREE_SCAN_KIDS) {
			/* from now on this parent's children are found by the index */
			for (uint32_t c = t->kid[parent]; c != NTREE_NONE; c = t->sib[c]) {
				int ins;
				uint32_t *slot = u64map_put(&t->index, (uint64_t)parent << 32 | t->keyv[c], &ins);
				if (!slot)
					return NTREE_NONE;
				*slot = c;
			}
		}
		return id;
	}
	int ins;
	uint32_t *slot = u64map_put(&t->index, (uint64_t)parent << 32 | key, &ins);
	if (!slot)
		return NTREE_NONE;
	if (!ins)
		return *slot;
	uint32_t id = add_node(t, parent, key);
	*slot = id; /* NTREE_NONE on failure: the caller gives up; the index is not read again */
	return id;
}

struct name_ctx {
	const struct ntree_names *names;
	const struct ntree *t;
};

static int cmp_by_name(const void *a, const void *b, void *arg)
{
	const struct name_ctx *c = arg;
	uint32_t lx, ly;
	const char *x = ntree_name(c->names, ntree_key(c->t, *(const uint32_t *)a), &lx);
	const char *y = ntree_name(c->names, ntree_key(c->t, *(const uint32_t *)b), &ly);
	int r = memcmp(x, y, lx < ly ? lx : ly);
	return r ? r : (lx < ly ? -1 : lx > ly);
}

/* first[] by one DFS with an on-path counter per key. The DFS keeps the
 * current path only (a node and the next of its children to visit, per
 * level), so its memory is the tree's depth, not its size. */
static int mark_first(struct ntree *t, uint32_t n_keys)
{
	uint32_t n = t->n;
	uint8_t *first = malloc((size_t)n + 1);
	uint32_t *onpath = calloc((size_t)n_keys + 1, sizeof(uint32_t));
	size_t cap = 64;
	uint32_t *path = malloc(cap * 2 * sizeof(uint32_t));   /* (node, next child) per level */
	if (!first || !onpath || !path)
		goto fail;
	const uint32_t *koff = t->koff, *klist = t->klist;
	size_t sp = 0;
	first[0] = 0;
	path[0] = 0;
	path[1] = koff[0];
	sp = 1;
	while (sp) {
		uint32_t x = path[2 * sp - 2], c = path[2 * sp - 1];
		if (c == koff[x + 1]) {
			if (x)
				onpath[ntree_key(t, x)]--;
			sp--;
			continue;
		}
		path[2 * sp - 1] = c + 1;
		uint32_t y = klist[c];
		uint32_t ky = ntree_key(t, y);
		first[y] = onpath[ky] == 0;
		onpath[ky]++;
		if (sp == cap) {
			uint32_t *np = realloc(path, cap * 4 * sizeof(uint32_t));
			if (!np)
				goto fail;
			path = np;
			cap *= 2;
		}
		path[2 * sp] = y;
		path[2 * sp + 1] = koff[y];
		sp++;
	}
	free(onpath);
	free(path);
	t->first = first;
	return 0;
fail:
	free(first);
	free(onpath);
	free(path);
	return -1;
}

int ntree_finish(struct ntree *t, const struct ntree_names *names, bool with_first)
{
	uint32_t n = t->n;
	/* The child lists and the index are for adding nodes: they go before
	 * the sorted lists are made, so the two are never held together. */
	u64map_release(&t->index);
	free_lists(t);
	if (work_hold(&t->held, ((size_t)n + 2) * 2 * sizeof(uint32_t) + (with_first ? n : 0)) < 0)
		return -1;
	uint32_t *koff = calloc((size_t)n + 2, sizeof(uint32_t));
	uint32_t *klist = malloc(((size_t)n + 1) * sizeof(uint32_t));
	if (!koff || !klist) {
		free(koff);
		free(klist);
		return -1;
	}
	util_advise_huge(klist, ((size_t)n + 1) * sizeof(uint32_t));
	/* Counting sort by parent, koff itself the cursor: counts at
	 * koff[parent + 2], prefix sums make koff[x + 1] the start of x's
	 * children, and placing them moves it to their end, which is where
	 * x + 1's start: koff[x] is then the start of x's children. */
	for (uint32_t i = 1; i < n; i++)
		koff[ntree_parent(t, i) + 2]++;
	for (uint32_t i = 0; i <= n; i++)
		koff[i + 1] += koff[i];
	for (uint32_t i = 1; i < n; i++)
		klist[koff[ntree_parent(t, i) + 1]++] = i;
	struct name_ctx ctx = { names, t };
	t->koff = koff;
	t->klist = klist;
	for (uint32_t i = 0; i < n; i++) {
		if (work_poll() != WORK_OK)
			return -1;
		if (koff[i + 1] - koff[i] > 1)
			qsort_r(klist + koff[i], koff[i + 1] - koff[i], sizeof(uint32_t), cmp_by_name, &ctx);
	}
	if (with_first && mark_first(t, names->n) < 0)
		return -1;
	return 0;
}

int ntree_borrow(struct ntree *t, const struct ntree *shape, int ncols)
{
	memset(t, 0, sizeof(*t));
	t->n = t->cap = shape->n;
	t->parent = shape->parent;
	t->pshift = shape->pshift;
	t->keyv = shape->keyv;
	t->kmap = shape->kmap;
	t->koff = shape->koff;
	t->klist = shape->klist;
	t->first = shape->first;
	t->borrowed = true;
	t->ncols = ncols < 0 ? 0 : ncols > NTREE_MAX_COLS ? NTREE_MAX_COLS : ncols;
	if (work_hold(&t->held, ((size_t)t->n + 1) * sizeof(int64_t) * (size_t)t->ncols) < 0)
		return -1;
	for (int c = 0; c < t->ncols; c++)
		if (!(t->col[c] = calloc((size_t)t->n + 1, sizeof(int64_t))))
			return -1;
	return 0;
}

void ntree_release(struct ntree *t)
{
	work_unhold(&t->held);
	if (!t->borrowed) {
		if (!t->parent_lent) {
			free(t->parent);
			free(t->keyv);
		}
		free(t->kmap);
		free(t->koff);
		free(t->klist);
		free(t->first);
	}
	for (int c = 0; c < NTREE_MAX_COLS; c++)
		free(t->col[c]);
	u64map_release(&t->index);
	free_lists(t);
	memset(t, 0, sizeof(*t));
}

size_t ntree_mem_bytes(const struct ntree *t)
{
	size_t cap = t->cap > t->n ? t->cap : t->n, b = 0;
	if (!t->borrowed)
		b += cap * ((t->parent_lent ? 0 : 2) * sizeof(uint32_t)) + ((size_t)t->n + 1) * sizeof(uint32_t) +
		     (t->klist ? (size_t)t->n * sizeof(uint32_t) : 0) + (t->first ? (size_t)t->n : 0) +
		     t->index.cap * sizeof(*t->index.slots) + (t->kid ? cap * (2 * sizeof(uint32_t) + 1) : 0);
	for (int c = 0; c < t->ncols; c++)
		b += cap * sizeof(int64_t);
	return b;
}

void ntree_sum_up(struct ntree *t, int from, int to)
{
	if (from != to)
		memcpy(t->col[to], t->col[from], (size_t)t->n * sizeof(int64_t));
	int64_t *v = t->col[to];
	for (uint32_t i = t->n; i-- > 1;)
		v[ntree_parent(t, i)] += v[i];
}

/* ---- pruning and the pre-order walk ----------------------------------------- */

/* The k-th largest |w[i]| (abs_sat) over i < n (1 <= k <= n), by radix
 * select: four passes over w, each fixing 16 more bits of the answer
 * (counting, among the values that share the bits fixed so far, how many
 * have each next digit), so nothing of w's size is allocated. */
static int64_t kth_largest_abs(const int64_t *w, size_t n, size_t k)
{
	uint32_t *cnt = malloc(65536 * sizeof(uint32_t));
	uint64_t prefix = 0, mask = 0;
	if (!cnt)
		return -1;
	for (int shift = 48; shift >= 0; shift -= 16) {
		memset(cnt, 0, 65536 * sizeof(uint32_t));
		for (size_t i = 0; i < n; i++) {
			uint64_t u = (uint64_t)abs_sat(w[i]);
			if ((u & mask) == prefix)
				cnt[(u >> shift) & 0xffff]++;
		}
		uint32_t d = 65535;
		for (;; d--) {
			if (k <= cnt[d] || d == 0)
				break;
			k -= cnt[d];
		}
		prefix |= (uint64_t)d << shift;
		mask |= (uint64_t)0xffff << shift;
	}
	free(cnt);
	return (int64_t)prefix;
}

/* keep[]: see ntree_walk. */
static uint8_t *prune(const struct ntree *t, const int64_t *weight, long max_nodes)
{
	uint32_t n = t->n;
	uint8_t *keep = calloc((size_t)n + 1, 1);
	if (!keep)
		return NULL;
	keep[0] = 1;
	uint32_t nonzero = 0;
	for (uint32_t i = 1; i < n; i++)
		nonzero += weight[i] != 0;
	if (max_nodes <= 0 || (uint64_t)max_nodes >= (uint64_t)nonzero + 1) {
		for (uint32_t i = 1; i < n; i++)
			keep[i] = weight[i] != 0 && keep[ntree_parent(t, i)];
		return keep;
	}
	int64_t thr = kth_largest_abs(weight, n, (size_t)max_nodes);
	if (thr < 0) {
		free(keep);
		return NULL;
	}
	long count = 1;
	for (uint32_t i = 1; i < n; i++)
		if (abs_sat(weight[i]) > thr && keep[ntree_parent(t, i)]) {
			keep[i] = 1;
			count++;
		}
	for (uint32_t i = 1; i < n && count < max_nodes; i++)
		if (!keep[i] && thr > 0 && abs_sat(weight[i]) == thr && keep[ntree_parent(t, i)]) {
			keep[i] = 1;
			count++;
		}
	return keep;
}

void ntree_walk_release(struct ntree_walk *w)
{
	free(w->order);
	free(w->keep);
	free(w->depth);
	free(w->name_ix);
	memset(w, 0, sizeof(*w));
}

int ntree_walk(const struct ntree *t, uint32_t n_keys, const int64_t *weight, long max_nodes,
               struct ntree_walk *w)
{
	memset(w, 0, sizeof(*w));
	uint32_t n = t->n;
	w->keep = prune(t, weight, max_nodes);
	if (!w->keep)
		return -1;
	/* The walk's arrays hold the kept nodes only (at most max_nodes + 1,
	 * where the tree may have millions): the DFS stack never holds more
	 * than all of them. */
	size_t kept = 0;
	for (uint32_t i = 0; i < n; i++)
		kept += w->keep[i];
	uint32_t *stack = malloc((kept + 1) * sizeof(uint32_t));
	uint32_t *sdepth = malloc((kept + 1) * sizeof(uint32_t));
	w->order = malloc((kept + 1) * sizeof(uint32_t));
	w->depth = malloc((kept + 1) * sizeof(uint32_t));
	w->name_ix = malloc(((size_t)n_keys + 1) * sizeof(uint32_t));
	if (!stack || !sdepth || !w->order || !w->depth || !w->name_ix) {
		free(stack);
		free(sdepth);
		ntree_walk_release(w);
		return -1;
	}
	uint32_t sp = 0;
	stack[sp] = 0;
	sdepth[sp++] = 0;
	while (sp) {
		if (work_poll() != WORK_OK) {
			free(stack);
			free(sdepth);
			ntree_walk_release(w);
			return -1;
		}
		sp--;
		uint32_t x = stack[sp], d = sdepth[sp];
		w->order[w->n] = x;
		w->depth[w->n++] = d;
		for (uint32_t c = t->koff[x + 1]; c-- > t->koff[x];) {
			uint32_t y = t->klist[c];
			if (w->keep[y]) {
				stack[sp] = y;
				sdepth[sp++] = d + 1;
			}
		}
	}
	free(stack);
	free(sdepth);
	memset(w->name_ix, 0xff, ((size_t)n_keys + 1) * sizeof(uint32_t));
	w->n_names = 1;
	for (uint32_t i = 1; i < w->n; i++) {
		uint32_t k = ntree_key(t, w->order[i]);
		if (w->name_ix[k] == NTREE_NONE)
			w->name_ix[k] = w->n_names++;
	}
	return 0;
}

/* first, then each new name of the walk in order of first appearance:
 * name k of the node, or with file_of, name file_of[k]. */
static void json_names(const struct ntree *t, const struct ntree_walk *w, const struct ntree_names *names,
                       const char *first, const uint32_t *file_of, struct json *j)
{
	json_arr_begin(j);
	json_str(j, first);
	for (uint32_t i = 1, emitted = 1; i < w->n && emitted < w->n_names; i++) {
		uint32_t k = ntree_key(t, w->order[i]);
		if (w->name_ix[k] != emitted)
			continue;
		emitted++;
		uint32_t len;
		const char *s = ntree_name(names, file_of ? file_of[k] : k, &len);
		json_strn(j, s, len);
	}
	json_arr_end(j);
}

void ntree_json(const struct ntree *t, const struct ntree_walk *w, const struct ntree_names *names,
                const char *root_name, const uint32_t *file_of, const int *cols, int ncols, struct json *j)
{
	json_key(j, "names");
	json_names(t, w, names, root_name, NULL, j);
	if (file_of) {
		json_key(j, "files");
		json_names(t, w, names, "", file_of, j);
	}
	json_key(j, "nodes");
	json_arr_begin(j);
	for (uint32_t i = 0; i < w->n; i++) {
		uint32_t x = w->order[i];
		json_arr_begin(j);
		json_uint(j, x ? w->name_ix[ntree_key(t, x)] : 0);
		json_uint(j, w->depth[i]);
		for (int c = 0; c < ncols; c++) {
			const int64_t *tot = t->col[cols[c]];
			int64_t self = tot[x];
			for (uint32_t k = t->koff[x]; k < t->koff[x + 1]; k++)
				if (w->keep[t->klist[k]])
					self -= tot[t->klist[k]];
			json_int(j, self);
			json_int(j, tot[x]);
		}
		json_arr_end(j);
	}
	json_arr_end(j);
}

/* ---- names shared by several profiles -------------------------------------- */

int ntree_intern_init(struct ntree_intern *u, size_t hint)
{
	memset(u, 0, sizeof(*u));
	return strmap_init(&u->map, hint);
}

void ntree_intern_release(struct ntree_intern *u)
{
	strmap_release(&u->map);
	free(u->ptr);
	free(u->len);
	memset(u, 0, sizeof(*u));
}

uint32_t ntree_intern(struct ntree_intern *u, const char *s, uint32_t len)
{
	if (u->n == u->cap) { /* room first, so a failure leaves the map consistent */
		uint32_t nc = u->cap ? u->cap * 2 : 256;
		const char **np = realloc(u->ptr, (size_t)nc * sizeof(*np));
		if (!np)
			return NTREE_NONE;
		u->ptr = np;
		uint32_t *nl = realloc(u->len, (size_t)nc * sizeof(*nl));
		if (!nl)
			return NTREE_NONE;
		u->len = nl;
		u->cap = nc;
	}
	int ins;
	uint32_t id = strmap_intern(&u->map, s, len, u->n, &ins);
	if (id == UINT32_MAX)
		return NTREE_NONE;
	if (ins) {
		u->ptr[u->n] = s;
		u->len[u->n] = len;
		u->n++;
	}
	return id;
}

struct ntree_names ntree_intern_names(const struct ntree_intern *u)
{
	struct ntree_names nm = { .n = u->n, .len = u->len, .ptr = u->ptr };
	return nm;
}

int ntree_fold(struct ntree *dst, struct ntree_intern *u, int dcol, const struct ntree *src,
               const struct ntree_names *src_names, int scol)
{
	uint32_t *map = malloc(((size_t)src->n + 1) * sizeof(uint32_t));
	if (!map)
		return -1;
	int rc = 0;
	map[0] = 0;
	for (uint32_t i = 1; i < src->n; i++) {
		uint32_t len;
		const char *s = ntree_name(src_names, ntree_key(src, i), &len);
		uint32_t k = ntree_intern(u, s, len);
		if (k == NTREE_NONE || (map[i] = ntree_child(dst, map[ntree_parent(src, i)], k)) == NTREE_NONE) {
			rc = -1;
			goto out;
		}
	}
	for (uint32_t i = 0; i < src->n; i++) {
		int64_t sum;
		if (__builtin_add_overflow(dst->col[dcol][map[i]], src->col[scol][i], &sum)) {
			rc = 1;
			goto out;
		}
		dst->col[dcol][map[i]] = sum;
	}
out:
	free(map);
	return rc;
}
