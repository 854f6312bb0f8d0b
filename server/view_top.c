/*
 * view_top.c: the top table, flat and cum per function (see view.h).
 *
 * Besides flat and cum, each row carries what go tool pprof -top prints
 * beside them: sum, the running total of flat in the order of the rows
 * (pprof's sum%), and pprof's inline marker. That marker comes from the
 * call edges into the function (graph.go): an edge from caller to callee
 * is inline when every pass of a weighted sample over it is a call that
 * was inlined (the callee is not the outermost frame of its location); a
 * function reached only over inline edges is "inline", over both kinds
 * "partial-inline". Edges are read off the location trie, each location's
 * frames looked up in the view's name tree (a hidden frame is not there
 * and is skipped, as pprof drops hidden lines); a pass counts when the
 * callee's node carries weight.
 */
#include "view.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"

struct top_row *view_top(const struct view *v, uint32_t *nrows)
{
	const struct prof *p = v->p;
	const struct ntree *t = &v->t;
	int64_t *flat = calloc((size_t)p->n_strs + 1, sizeof(int64_t));
	int64_t *cum = calloc((size_t)p->n_strs + 1, sizeof(int64_t));
	uint8_t *used = calloc((size_t)p->n_strs + 1, 1);
	struct top_row *rows = NULL;
	if (!flat || !cum || !used)
		goto out;
	const int64_t *self = t->col[VIEW_SELF], *tot = t->col[VIEW_TOT];
	for (uint32_t x = 1; x < t->n; x++) {
		if (work_poll() != WORK_OK)
			goto out;
		uint32_t key = ntree_key(t, x);
		if (self) {
			flat[key] += self[x];
		} else {
			/* a tot_only view (filter.h): self is the total less the
			 * children's. Added modulo 2^64 (the partial sums of a
			 * recursive function may pass int64; the final flat fits). */
			flat[key] = (int64_t)((uint64_t)flat[key] + (uint64_t)tot[x]);
			if (ntree_parent(t, x)) {
				uint32_t pk = ntree_key(t, ntree_parent(t, x));
				flat[pk] = (int64_t)((uint64_t)flat[pk] - (uint64_t)tot[x]);
			}
		}
		if (t->first[x])
			cum[key] += tot[x];
		used[key] = 1;
	}
	uint32_t n = 0;
	for (uint32_t s = 0; s < p->n_strs; s++)
		if (used[s] && (flat[s] || cum[s]))
			n++;
	rows = malloc(((size_t)n + 1) * sizeof(*rows));
	if (!rows)
		goto out;
	n = 0;
	for (uint32_t s = 0; s < p->n_strs; s++) {
		if (used[s] && (flat[s] || cum[s])) {
			rows[n].key = s;
			rows[n].flat = flat[s];
			rows[n].cum = cum[s];
			n++;
		}
	}
	*nrows = n;
out:
	free(flat);
	free(cum);
	free(used);
	return rows;
}

/* The child of name-tree node x with key k, NTREE_NONE if none (children
 * are sorted by name bytes, then length, as ntree_finish sorts them). */
static uint32_t find_child(const struct prof *p, const struct ntree *t, uint32_t x, uint32_t k)
{
	const char *kn = prof_str(p, k);
	uint32_t kl = prof_strlen(p, k);
	uint32_t lo = t->koff[x], hi = t->koff[x + 1];
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, c = t->klist[mid];
		if (ntree_key(t, c) == k)
			return c;
		const char *cn = prof_str(p, ntree_key(t, c));
		uint32_t cl = prof_strlen(p, ntree_key(t, c));
		int r = memcmp(cn, kn, cl < kl ? cl : kl);
		if (r == 0)
			r = cl < kl ? -1 : cl > kl ? 1 : 0;
		if (r == 0)
			return c; /* the same name under another id */
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NTREE_NONE;
}

enum { EDGE_SEEN = 1, EDGE_NOT_INLINE = 2 };
enum { FN_INLINE_IN = 1, FN_CALLED_IN = 2 };

/* fnb[key]: FN_INLINE_IN when an inline edge reaches the function,
 * FN_CALLED_IN when an ordinary one does. An edge is inline when all its
 * passes are; an ordinary pass just makes its callee FN_CALLED_IN. So two
 * walks: the first marks the callees of ordinary passes and collects only
 * the edges that have an inline pass (locations of several frames: few,
 * where the edges of a profile can be millions); the second, only when
 * there are such edges, finds which of them also have an ordinary pass.
 * 0 or -1. */
static int inline_bits(const struct view *v, uint8_t *fnb)
{
	const struct prof *p = v->p;
	const struct ntree *t = &v->t;
	if (!t->koff || !t->klist)
		return 0;
	/* The view's tree is the profile's shared tree (no hide, no refold):
	 * each trie node's frames are the chain of name-tree nodes that ends
	 * at ntof[node], one per frame, so no child is looked up by name. */
	const struct prof_ntree *sh = p->ntree;
	bool shared = sh && t->borrowed && t->parent == sh->t.parent && t->n == sh->t.n;
	uint32_t *at = shared ? NULL : malloc(((size_t)p->n_nodes + 1) * sizeof(uint32_t));
	struct u64map edges;
	memset(&edges, 0, sizeof(edges));
	uint32_t *eb = NULL; /* per edge: callee key, EDGE_ bits */
	uint32_t ne = 0, ecap = 0;
	int rc = -1;
	if ((!shared && !at) || u64map_init(&edges, 256) < 0)
		goto out;
/* A weighted pass of a sample over the edge cur -> c, inline or not:
 * walk 1 records it, walk 2 marks inline edges that have ordinary passes. */
#define EDGE(cur, c, inl)                                                                      \
	do {                                                                                   \
		if ((cur) != 0 && ntree_key(t, cur) != ntree_key(t, c) && t->col[VIEW_TOT][c] != 0) {     \
			uint64_t ek = (uint64_t)ntree_key(t, cur) << 32 | ntree_key(t, c);                 \
			if (walk == 2) {                                                       \
				uint32_t *slot = (inl) ? NULL : u64map_get(&edges, ek);        \
				if (slot)                                                      \
					eb[2 * (size_t)*slot + 1] |= EDGE_NOT_INLINE;          \
			} else if (!(inl)) {                                                   \
				fnb[ntree_key(t, c)] |= FN_CALLED_IN;                                \
			} else {                                                               \
				int ins;                                                       \
				uint32_t *slot = u64map_put(&edges, ek, &ins);                 \
				if (!slot)                                                     \
					goto out;                                              \
				if (ins) {                                                     \
					if (ne == ecap) {                                      \
						uint32_t nc = ecap ? ecap * 2 : 256;           \
						uint32_t *nb = realloc(eb, (size_t)nc * 2 * sizeof(uint32_t)); \
						if (!nb)                                       \
							goto out;                              \
						eb = nb;                                       \
						ecap = nc;                                     \
					}                                                      \
					*slot = ne;                                            \
					eb[2 * (size_t)ne] = ntree_key(t, c);                        \
					eb[2 * (size_t)ne + 1] = EDGE_SEEN;                    \
					ne++;                                                  \
				}                                                              \
			}                                                                      \
		}                                                                              \
	} while (0)
	for (int walk = 1; walk <= 2 && (walk == 1 || ne > 0); walk++) {
		if (shared) {
			for (uint32_t n = 1; n < p->n_nodes; n++) {
				if ((n & 4095) == 0 && work_poll() != WORK_OK)
					goto out;
				uint32_t c = prof_ntree_node(sh, n), nf = p->locs[p->nodes[n].loc].n;
				/* frames innermost first: frame k's node is c, its caller's parent[c] */
				for (uint32_t k = nf; k-- > 0;) {
					uint32_t cur = ntree_parent(t, c);
					EDGE(cur, c, k != 0);
					c = cur;
				}
			}
			continue;
		}
		at[0] = 0;
		for (uint32_t n = 1; n < p->n_nodes; n++) {
			uint32_t cur = at[p->nodes[n].parent];
			at[n] = cur;
			if (cur == NTREE_NONE)
				continue;
			const struct prof_loc *l = &p->locs[p->nodes[n].loc];
			bool outermost = true;
			for (uint32_t k = 0; k < l->n && cur != NTREE_NONE; k++) {
				uint32_t fk = p->frames[p->loc_frames[l->off + k]].key;
				uint32_t c = find_child(p, t, cur, fk);
				if (c == NTREE_NONE)
					continue; /* hidden, or no weight below */
				bool inl = !outermost;
				outermost = false;
				EDGE(cur, c, inl);
				cur = c;
			}
			at[n] = cur;
		}
	}
#undef EDGE
	for (uint32_t e = 0; e < ne; e++) {
		/* an edge with an ordinary pass made its callee FN_CALLED_IN in walk 1 */
		if (!(eb[2 * (size_t)e + 1] & EDGE_NOT_INLINE))
			fnb[eb[2 * (size_t)e]] |= FN_INLINE_IN;
	}
	rc = 0;
out:
	free(at);
	free(eb);
	u64map_release(&edges);
	return rc;
}

struct rows_ctx {
	const struct prof *p;
	bool by_cum;
};

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct rows_ctx *rc = arg;
	const struct top_row *x = a, *y = b;
	int64_t x1 = llabs(rc->by_cum ? x->cum : x->flat), y1 = llabs(rc->by_cum ? y->cum : y->flat);
	if (x1 != y1)
		return x1 > y1 ? -1 : 1;
	int c = strcmp(prof_str(rc->p, x->key), prof_str(rc->p, y->key));
	if (c)
		return c;
	int64_t x2 = llabs(rc->by_cum ? x->flat : x->cum), y2 = llabs(rc->by_cum ? y->flat : y->cum);
	if (x2 != y2)
		return x2 > y2 ? -1 : 1;
	return 0;
}

void view_top_sort(const struct prof *p, struct top_row *rows, uint32_t n, bool by_cum)
{
	struct rows_ctx ctx = { p, by_cum };
	qsort_r(rows, n, sizeof(*rows), cmp_rows, &ctx);
}

static int cmp_by_name(const void *a, const void *b, void *arg)
{
	const struct prof *p = arg;
	const struct top_row *x = a, *y = b;
	int c = strcmp(prof_str(p, x->key), prof_str(p, y->key));
	if (c)
		return c;
	return x->key < y->key ? -1 : x->key > y->key;
}

int view_top_json_order(const struct view *v, enum view_top_order order, long limit, struct json *j)
{
	uint32_t n = 0;
	struct top_row *rows = view_top(v, &n);
	uint8_t *fnb = calloc((size_t)v->p->n_strs + 1, 1);
	if (!rows || !fnb || inline_bits(v, fnb) < 0) {
		free(rows);
		free(fnb);
		return -1;
	}
	if (order == VIEW_TOP_NAME)
		qsort_r(rows, n, sizeof(*rows), cmp_by_name, (void *)v->p);
	else
		view_top_sort(v->p, rows, n, order == VIEW_TOP_CUM);
	json_obj_begin(j);
	view_json_header(v, j);
	json_key(j, "count");
	json_uint(j, n);
	json_key(j, "rows");
	json_arr_begin(j);
	int64_t sum = 0; /* |flat| sums to at most the view's total: no overflow */
	for (uint32_t i = 0; i < n && (limit <= 0 || i < (uint32_t)limit); i++) {
		sum += rows[i].flat;
		json_obj_begin(j);
		json_key(j, "function");
		json_strn(j, prof_str(v->p, rows[i].key), prof_strlen(v->p, rows[i].key));
		json_key(j, "flat");
		json_int(j, rows[i].flat);
		json_key(j, "cum");
		json_int(j, rows[i].cum);
		json_key(j, "sum");
		json_int(j, sum);
		uint8_t b = fnb[rows[i].key];
		if (b & FN_INLINE_IN) {
			json_key(j, "inline");
			json_str(j, (b & FN_CALLED_IN) ? "partial-inline" : "inline");
		}
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
	free(rows);
	free(fnb);
	return j->out->oom ? -1 : 0;
}

int view_top_json(const struct view *v, bool by_cum, long limit, struct json *j)
{
	return view_top_json_order(v, by_cum ? VIEW_TOP_CUM : VIEW_TOP_FLAT, limit, j);
}
