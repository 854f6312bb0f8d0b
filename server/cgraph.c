/*
 * cgraph.c: pprof's call graph (see cgraph.h).
 *
 * Names: every frame of the profile gets the id of its printed name at the
 * granularity (interned once per build, O(frames)); a graph node is a name.
 * A build walks each kept sample's location-trie path root first, with a
 * per-sample stamp on names and edges for pprof's once-per-sample counting.
 * Trimming rebuilds from the samples with a kept set of names, as
 * newTrimmedGraph does, so values stay exact.
 */
#include "cgraph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "measure.h"
#include "view.h"
#include "work.h"

#define NONE UINT32_MAX

/* ---- string interner ---------------------------------------------------- */

struct sint {
	struct buf a;           /* strings, each NUL-terminated */
	uint32_t *off, *len;
	uint32_t n, cap;
	uint32_t *tab;          /* open addressing, NONE = empty */
	uint32_t tcap;          /* power of two */
};

static void sint_release(struct sint *s)
{
	buf_release(&s->a);
	free(s->off);
	free(s->len);
	free(s->tab);
	memset(s, 0, sizeof(*s));
}

static int sint_rehash(struct sint *s, uint32_t ncap)
{
	uint32_t *t = malloc((size_t)ncap * sizeof(uint32_t));
	if (!t)
		return -1;
	memset(t, 0xff, (size_t)ncap * sizeof(uint32_t));
	for (uint32_t i = 0; i < s->n; i++) {
		uint64_t h = hash_bytes(s->a.data + s->off[i], s->len[i]);
		uint32_t k = (uint32_t)h & (ncap - 1);
		while (t[k] != NONE)
			k = (k + 1) & (ncap - 1);
		t[k] = i;
	}
	free(s->tab);
	s->tab = t;
	s->tcap = ncap;
	return 0;
}

/* Id of str (added when new; *added says so); NONE when out of memory. */
static uint32_t sint_put(struct sint *s, const char *str, size_t n, bool *added)
{
	if (added)
		*added = false;
	if (n > UINT32_MAX / 2)
		return NONE;
	if ((s->n + 1) * 2 >= s->tcap && sint_rehash(s, s->tcap ? s->tcap * 2 : 256) < 0)
		return NONE;
	uint64_t h = hash_bytes(str, n);
	uint32_t k = (uint32_t)h & (s->tcap - 1);
	while (s->tab[k] != NONE) {
		uint32_t i = s->tab[k];
		if (s->len[i] == n && memcmp(s->a.data + s->off[i], str, n) == 0)
			return i;
		k = (k + 1) & (s->tcap - 1);
	}
	if (s->n == s->cap) {
		uint32_t nc = s->cap ? s->cap * 2 : 256;
		uint32_t *o = realloc(s->off, (size_t)nc * sizeof(uint32_t));
		if (!o)
			return NONE;
		s->off = o;
		uint32_t *l = realloc(s->len, (size_t)nc * sizeof(uint32_t));
		if (!l)
			return NONE;
		s->len = l;
		s->cap = nc;
	}
	if (s->a.len + n + 1 > UINT32_MAX)
		return NONE;
	uint32_t off = (uint32_t)s->a.len;
	buf_add(&s->a, str, n);
	buf_addc(&s->a, 0);
	if (s->a.oom)
		return NONE;
	s->off[s->n] = off;
	s->len[s->n] = (uint32_t)n;
	s->tab[k] = s->n;
	if (added)
		*added = true;
	return s->n++;
}

/* ---- names at a granularity ---------------------------------------------- */

int cgraph_gran_parse(const char *s)
{
	return view_gran_parse(s);
}

struct ctx {
	const struct prof *p;
	const struct view_opts *o;
	const struct cgraph_opts *go;
	uint8_t *keep, *fb;
	int64_t total;
	uint32_t *finfo;             /* frame (by_slot: location frame) -> name id */
	bool by_slot;                /* addresses: a name per location frame */
	struct sint names;
	struct cgraph_name *nm;      /* per name id; offsets into fields */
	uint32_t nm_cap;
	struct buf fields;           /* function, file, obj texts of the names */
	/* label tags per label set (visual mode) */
	struct sint tags;
	uint32_t *ls_off, *ls_n;
	struct buf ls_tags;          /* uint32 tag ids */
	uint32_t *chain;
	size_t chain_cap;
	uint32_t stamp;
};

/* Name id of frame fr (of location loc) at the context's granularity
 * (view_granularity.h names it); NONE on OOM. */
static uint32_t frame_name(struct ctx *c, uint32_t loc, uint32_t fr, struct buf *tmp, struct view_gran_parts *pt)
{
	if (view_gran_frame(c->p, loc, fr, c->go->gran, pt, tmp) < 0)
		return NONE;
	bool added = false;
	uint32_t id = sint_put(&c->names, tmp->data ? tmp->data : "", tmp->len, &added);
	if (id == NONE || !added)
		return id;
	if (id >= c->nm_cap) {
		uint32_t nc = c->nm_cap ? c->nm_cap * 2 : 256;
		struct cgraph_name *n = realloc(c->nm, (size_t)nc * sizeof(*n));
		if (!n)
			return NONE;
		c->nm = n;
		c->nm_cap = nc;
	}
	struct cgraph_name *n = &c->nm[id];
	memset(n, 0, sizeof(*n));
	n->addr = pt->addr;
	n->line = pt->line;
	n->fn_off = (uint32_t)c->fields.len;
	n->fn_len = (uint32_t)pt->fn_len;
	buf_add(&c->fields, pt->fn, pt->fn_len);
	buf_addc(&c->fields, 0);
	n->file_off = (uint32_t)c->fields.len;
	n->file_len = (uint32_t)pt->file.len;
	buf_add(&c->fields, pt->file.data ? pt->file.data : "", pt->file.len);
	buf_addc(&c->fields, 0);
	n->obj_off = (uint32_t)c->fields.len;
	n->obj_len = (uint32_t)pt->obj.len;
	buf_add(&c->fields, pt->obj.data ? pt->obj.data : "", pt->obj.len);
	buf_addc(&c->fields, 0);
	if (c->fields.oom || c->fields.len > UINT32_MAX / 2)
		return NONE;
	return id;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Tags of every label set, as pprof's graph makes them: the joined string
 * labels (sorted "key:value", without pprof::base) as one tag, and under
 * it one numeric tag per value of the "bytes" label. */
static int labelset_tags(struct ctx *c)
{
	const struct prof *p = c->p;
	c->ls_off = calloc((size_t)p->n_labelsets + 1, sizeof(uint32_t));
	c->ls_n = calloc((size_t)p->n_labelsets + 1, sizeof(uint32_t));
	if (!c->ls_off || !c->ls_n)
		return -1;
	struct buf joined = BUF_INIT, t = BUF_INIT;
	int rc = -1;
	for (uint32_t ls = 0; ls < p->n_labelsets; ls++) {
		const struct prof_labelset *s = &p->labelsets[ls];
		c->ls_off[ls] = (uint32_t)(c->ls_tags.len / sizeof(uint32_t));
		size_t nstr = 0;
		for (uint32_t k = 0; k < s->n; k++) {
			const struct prof_label *l = &p->labels[s->off + k];
			if (l->str != PROF_NONE && strcmp(prof_str(p, l->key), "pprof::base") != 0)
				nstr++;
		}
		joined.len = 0;
		if (nstr) {
			char **v = calloc(nstr, sizeof(char *));
			if (!v)
				goto out;
			size_t m = 0;
			bool oom = false;
			for (uint32_t k = 0; k < s->n; k++) {
				const struct prof_label *l = &p->labels[s->off + k];
				if (l->str == PROF_NONE || !strcmp(prof_str(p, l->key), "pprof::base"))
					continue;
				size_t kl = prof_strlen(p, l->key), vl = prof_strlen(p, l->str);
				char *x = malloc(kl + vl + 2);
				if (!x) {
					oom = true;
					break;
				}
				memcpy(x, prof_str(p, l->key), kl);
				x[kl] = ':';
				memcpy(x + kl + 1, prof_str(p, l->str), vl);
				x[kl + vl + 1] = 0;
				v[m++] = x;
			}
			if (!oom)
				qsort(v, m, sizeof(char *), cmp_cstr);
			for (size_t i = 0; i < m; i++) {
				if (i)
					buf_add(&joined, "\\n", 2);
				buf_adds(&joined, v[i]);
			}
			for (size_t i = 0; i < m; i++)
				free(v[i]);
			free(v);
			if (oom)
				goto out;
			t.len = 0;
			buf_addc(&t, 'L');
			buf_add(&t, joined.data, joined.len);
			if (t.oom)
				goto out;
			uint32_t id = sint_put(&c->tags, t.data, t.len, NULL);
			if (id == NONE)
				goto out;
			buf_add(&c->ls_tags, &id, sizeof(id));
		}
		for (uint32_t k = 0; k < s->n; k++) {
			const struct prof_label *l = &p->labels[s->off + k];
			if (l->str != PROF_NONE || strcmp(prof_str(p, l->key), "bytes") != 0)
				continue;
			t.len = 0;
			buf_addc(&t, 'N');
			buf_add(&t, joined.data ? joined.data : "", joined.len);
			buf_printf(&t, "\x01%lld", (long long)l->num);
			if (t.oom)
				goto out;
			uint32_t id = sint_put(&c->tags, t.data, t.len, NULL);
			if (id == NONE)
				goto out;
			buf_add(&c->ls_tags, &id, sizeof(id));
		}
		c->ls_n[ls] = (uint32_t)(c->ls_tags.len / sizeof(uint32_t)) - c->ls_off[ls];
		if (c->ls_tags.oom)
			goto out;
	}
	rc = 0;
out:
	buf_release(&joined);
	buf_release(&t);
	return rc;
}

/* ---- one build (graph.newGraph) ----------------------------------------- */

struct bedge {
	uint32_t src, dst, stamp;
	int64_t w;
	bool residual, inl, dead;
};

struct btag {
	int64_t flat, cum;
};

struct wnode {
	uint32_t name;
	int64_t flat, cum;
	uint32_t ntags;
	int64_t score;
	uint32_t in_off, n_in, out_off, n_out; /* into the adjacency arrays */
};

struct wg {                   /* the graph of one build */
	uint32_t nn;
	struct wnode *n;
	uint32_t *name_node;     /* name id -> node index, NONE */
	uint32_t ne;
	struct bedge *e;
	uint32_t *adj_in, *adj_out;
	const struct ctx *c;
	struct u64map tm;        /* (name, tag) -> index into tv (visual mode) */
	struct buf tv;           /* struct btag */
};

static void wg_release(struct wg *g)
{
	free(g->n);
	free(g->name_node);
	free(g->e);
	free(g->adj_in);
	free(g->adj_out);
	u64map_release(&g->tm);
	buf_release(&g->tv);
	memset(g, 0, sizeof(*g));
}

static inline uint64_t pair_key(uint32_t a, uint32_t b)
{
	return (uint64_t)a << 32 | b;
}

static inline void tags_add(struct ctx *c, struct u64map *tm, struct buf *tv, uint32_t ls, uint32_t name,
                            int64_t w, bool flat, bool *oom)
{
	if (*oom)
		return;
	const uint32_t *ids = (const uint32_t *)c->ls_tags.data + c->ls_off[ls];
	for (uint32_t i = 0; i < c->ls_n[ls]; i++) {
		int ins;
		uint32_t *slot = u64map_put(tm, pair_key(name, ids[i]), &ins);
		if (!slot) {
			*oom = true;
			return;
		}
		if (ins) {
			struct btag z = { 0, 0 };
			*slot = (uint32_t)(tv->len / sizeof(z));
			buf_add(tv, &z, sizeof(z));
			if (tv->oom) {
				*oom = true;
				return;
			}
		}
		struct btag *t = (struct btag *)tv->data + *slot;
		if (flat)
			t->flat += w;
		else
			t->cum += w;
	}
}

/* Build the graph of the kept samples over the names in kept (NULL: all). */
static int build(struct ctx *c, const uint8_t *kept, struct wg *g)
{
	const struct prof *p = c->p;
	uint32_t nnames = c->names.n;
	bool tags = c->go->visual && c->ls_off;
	int64_t *flat = calloc((size_t)nnames + 1, sizeof(int64_t));
	int64_t *cum = calloc((size_t)nnames + 1, sizeof(int64_t));
	uint32_t *stamp = calloc((size_t)nnames + 1, sizeof(uint32_t));
	struct u64map em = { 0 };
	struct buf eb = BUF_INIT;
	int rc = -1;
	bool oom = false;
	memset(g, 0, sizeof(*g));
	g->c = c;
	if (!flat || !cum || !stamp || u64map_init(&em, 1024) < 0 || (tags && u64map_init(&g->tm, 1024) < 0))
		goto out;
	for (uint32_t s = 0; s < p->n_samples && !oom; s++) {
		if (!c->keep[s])
			continue;
		if ((s & 255) == 0 && work_poll() != WORK_OK)
			goto out;
		int64_t w = p->n_types ? p->values[(size_t)s * p->n_types + (size_t)c->o->type] : 0;
		if (w == 0)
			continue;
		uint32_t ls = p->samples[s].labelset;
		size_t depth = 0;
		for (uint32_t n = p->samples[s].node; n != 0; n = p->nodes[n].parent) {
			if (depth == c->chain_cap) {
				size_t nc = c->chain_cap ? c->chain_cap * 2 : 256;
				uint32_t *ch = realloc(c->chain, nc * sizeof(uint32_t));
				if (!ch)
					goto out;
				c->chain = ch;
				c->chain_cap = nc;
			}
			c->chain[depth++] = n;
		}
		uint32_t st = ++c->stamp;
		uint32_t parent = NONE;
		bool residual = false;
		for (size_t d = depth; d-- > 0;) {
			const struct prof_loc *l = &p->locs[p->nodes[c->chain[d]].loc];
			bool first = true; /* the outermost line left after hide */
			for (uint32_t k = 0; k < l->n; k++) {
				uint32_t fr = p->loc_frames[l->off + k];
				if (c->fb && (c->fb[fr] & FILTER_HIDE))
					continue;
				bool inl = !first;
				first = false;
				uint32_t nm = c->finfo[c->by_slot ? l->off + k : fr];
				if (kept && !kept[nm]) {
					residual = true;
					continue;
				}
				if (stamp[nm] != st) {
					stamp[nm] = st;
					cum[nm] += w;
					if (tags)
						tags_add(c, &g->tm, &g->tv, ls, nm, w, false, &oom);
				}
				if (parent != NONE && nm != parent) {
					int ins;
					uint32_t *slot = u64map_put(&em, pair_key(parent, nm), &ins);
					if (!slot)
						goto out;
					if (ins) {
						struct bedge z = { .src = parent, .dst = nm, .inl = true };
						*slot = (uint32_t)(eb.len / sizeof(z));
						buf_add(&eb, &z, sizeof(z));
						if (eb.oom)
							goto out;
					}
					struct bedge *e = (struct bedge *)eb.data + *slot;
					if (e->stamp != st) {
						e->stamp = st;
						e->w += w;
						if (residual)
							e->residual = true;
						if (!inl)
							e->inl = false;
					}
				}
				parent = nm;
				residual = false;
			}
		}
		if (parent != NONE && !residual) {
			flat[parent] += w;
			if (tags)
				tags_add(c, &g->tm, &g->tv, ls, parent, w, true, &oom);
		}
	}
	if (oom)
		goto out;
	/* selectNodesForGraph: the names with a value; in name-id order */
	g->name_node = malloc(((size_t)nnames + 1) * sizeof(uint32_t));
	g->n = calloc((size_t)nnames + 1, sizeof(struct wnode));
	if (!g->name_node || !g->n)
		goto out;
	for (uint32_t i = 0; i < nnames; i++) {
		g->name_node[i] = NONE;
		if (cum[i] == 0 && flat[i] == 0)
			continue;
		g->name_node[i] = g->nn;
		g->n[g->nn].name = i;
		g->n[g->nn].flat = flat[i];
		g->n[g->nn].cum = cum[i];
		g->nn++;
	}
	/* edges between nodes of the graph */
	size_t n_e = eb.len / sizeof(struct bedge);
	g->e = malloc((n_e + 1) * sizeof(struct bedge));
	if (!g->e)
		goto out;
	for (size_t i = 0; i < n_e; i++) {
		struct bedge e = ((struct bedge *)eb.data)[i];
		uint32_t a = g->name_node[e.src], b = g->name_node[e.dst];
		if (a == NONE || b == NONE)
			continue;
		e.src = a;
		e.dst = b;
		e.dead = false;
		g->e[g->ne++] = e;
	}
	rc = 0;
out:
	free(flat);
	free(cum);
	free(stamp);
	u64map_release(&em);
	buf_release(&eb);
	if (rc != 0)
		wg_release(g);
	return rc;
}

/* ---- orders -------------------------------------------------------------- */

/* qsort has no context argument; these are per thread */
static _Thread_local const struct ctx *sort_ctx;
static _Thread_local const struct wg *sort_g;

static int name_cmp(const struct ctx *c, uint32_t a, uint32_t b)
{
	uint32_t la = c->names.len[a], lb = c->names.len[b];
	int r = memcmp(c->names.a.data + c->names.off[a], c->names.a.data + c->names.off[b], la < lb ? la : lb);
	if (r)
		return r;
	return la < lb ? -1 : la > lb;
}

/* Go's abs64 on two's complement: -INT64_MIN stays INT64_MIN */
static inline int64_t abs64(int64_t v)
{
	return v < 0 ? (int64_t)(0 - (uint64_t)v) : v;
}

/* Go's int64(float64) on amd64: NaN and out-of-range give INT64_MIN */
static inline int64_t go_f2i(double d)
{
	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
		return INT64_MIN;
	return (int64_t)d;
}

/* pprof's edgeList order: |weight| descending, caller name, callee name */
static int edge_cmp(const void *pa, const void *pb)
{
	const struct bedge *a = &sort_g->e[*(const uint32_t *)pa], *b = &sort_g->e[*(const uint32_t *)pb];
	int64_t wa = abs64(a->w), wb = abs64(b->w);
	if (wa != wb)
		return wa > wb ? -1 : 1;
	int r = name_cmp(sort_ctx, sort_g->n[a->src].name, sort_g->n[b->src].name);
	if (r)
		return r;
	return name_cmp(sort_ctx, sort_g->n[a->dst].name, sort_g->n[b->dst].name);
}

/* score order (entropy) or flat order, names breaking ties */
static _Thread_local bool sort_visual;
static int node_cmp(const void *pa, const void *pb)
{
	const struct wnode *a = pa, *b = pb;
	if (sort_visual) {
		int64_t sa = abs64(a->score), sb = abs64(b->score);
		if (sa != sb)
			return sa > sb ? -1 : 1;
		int r = name_cmp(sort_ctx, a->name, b->name);
		if (r)
			return r;
		int64_t fa = abs64(a->flat), fb = abs64(b->flat);
		return fa > fb ? -1 : fa < fb;
	}
	int64_t fa = abs64(a->flat), fb = abs64(b->flat);
	if (fa != fb)
		return fa > fb ? -1 : 1;
	int r = name_cmp(sort_ctx, a->name, b->name);
	if (r)
		return r;
	int64_t ca = abs64(a->cum), cb = abs64(b->cum);
	return ca > cb ? -1 : ca < cb;
}

/* Adjacency of the live edges (in edge order within each node). */
static int wg_adjacency(struct wg *g)
{
	free(g->adj_in);
	free(g->adj_out);
	g->adj_in = malloc(((size_t)g->ne + 1) * sizeof(uint32_t));
	g->adj_out = malloc(((size_t)g->ne + 1) * sizeof(uint32_t));
	uint32_t *order = malloc(((size_t)g->ne + 1) * sizeof(uint32_t));
	if (!g->adj_in || !g->adj_out || !order) {
		free(order);
		return -1;
	}
	uint32_t m = 0;
	for (uint32_t i = 0; i < g->ne; i++)
		if (!g->e[i].dead)
			order[m++] = i;
	sort_ctx = g->c;
	sort_g = g;
	qsort(order, m, sizeof(uint32_t), edge_cmp);
	for (uint32_t i = 0; i < g->nn; i++)
		g->n[i].n_in = g->n[i].n_out = 0;
	for (uint32_t i = 0; i < m; i++) {
		g->n[g->e[order[i]].dst].n_in++;
		g->n[g->e[order[i]].src].n_out++;
	}
	uint32_t ai = 0, ao = 0;
	for (uint32_t i = 0; i < g->nn; i++) {
		g->n[i].in_off = ai;
		g->n[i].out_off = ao;
		ai += g->n[i].n_in;
		ao += g->n[i].n_out;
		g->n[i].n_in = g->n[i].n_out = 0;
	}
	for (uint32_t i = 0; i < m; i++) {
		struct wnode *d = &g->n[g->e[order[i]].dst], *s = &g->n[g->e[order[i]].src];
		g->adj_in[d->in_off + d->n_in++] = order[i];
		g->adj_out[s->out_off + s->n_out++] = order[i];
	}
	free(order);
	return 0;
}

static double edge_entropy(const struct wg *g, const uint32_t *adj, uint32_t n, int64_t self)
{
	double score = 0;
	int64_t total = self;
	for (uint32_t i = 0; i < n; i++)
		if (g->e[adj[i]].w > 0)
			total += abs64(g->e[adj[i]].w);
	if (total != 0) {
		for (uint32_t i = 0; i < n; i++) {
			double frac = (double)abs64(g->e[adj[i]].w) / (double)total;
			score += -frac * log2(frac);
		}
		if (self > 0) {
			double frac = (double)abs64(self) / (double)total;
			score += -frac * log2(frac);
		}
	}
	return score;
}

/* Edge endpoints are node indices; keep them valid across wg_sort by
 * storing names during the sort. */
static void edges_to_names(struct wg *g)
{
	for (uint32_t i = 0; i < g->ne; i++) {
		g->e[i].src = g->n[g->e[i].src].name;
		g->e[i].dst = g->n[g->e[i].dst].name;
	}
}

static void edges_to_nodes(struct wg *g)
{
	for (uint32_t i = 0; i < g->ne; i++) {
		g->e[i].src = g->name_node[g->e[i].src];
		g->e[i].dst = g->name_node[g->e[i].dst];
	}
}

static int sort_nodes(struct wg *g, bool visual)
{
	/* entropy needs the adjacency on node indices; compute scores first */
	if (visual) {
		if (wg_adjacency(g) < 0)
			return -1;
		for (uint32_t i = 0; i < g->nn; i++) {
			struct wnode *n = &g->n[i];
			double s = 0;
			if (n->n_in == 0)
				s++;
			else
				s += edge_entropy(g, g->adj_in + n->in_off, n->n_in, 0);
			if (n->n_out == 0)
				s++;
			else
				s += edge_entropy(g, g->adj_out + n->out_off, n->n_out, n->flat);
			n->score = (int64_t)((uint64_t)go_f2i(s * (double)n->cum) + (uint64_t)n->flat);
		}
	}
	edges_to_names(g);
	sort_ctx = g->c;
	sort_visual = visual;
	qsort(g->n, g->nn, sizeof(struct wnode), node_cmp);
	for (uint32_t i = 0; i < g->nn; i++)
		g->name_node[g->n[i].name] = i;
	edges_to_nodes(g);
	return wg_adjacency(g);
}

static uint32_t trim_edges(struct wg *g, int64_t cutoff)
{
	uint32_t dropped = 0;
	for (uint32_t i = 0; i < g->ne; i++)
		if (!g->e[i].dead && abs64(g->e[i].w) < cutoff) {
			g->e[i].dead = true;
			dropped++;
		}
	return dropped;
}

/* isRedundantEdge: can e's caller reach its callee without e? */
static bool redundant(const struct wg *g, uint32_t ei, uint32_t *seen, uint32_t mark, uint32_t *queue)
{
	const struct bedge *e = &g->e[ei];
	uint32_t qh = 0, qt = 0;
	seen[e->dst] = mark;
	queue[qt++] = e->dst;
	while (qh < qt) {
		const struct wnode *n = &g->n[queue[qh++]];
		for (uint32_t k = 0; k < n->n_in; k++) {
			uint32_t ie = g->adj_in[n->in_off + k];
			if (ie == ei || g->e[ie].dead || seen[g->e[ie].src] == mark)
				continue;
			if (g->e[ie].src == e->src)
				return true;
			seen[g->e[ie].src] = mark;
			queue[qt++] = g->e[ie].src;
		}
	}
	return false;
}

static int remove_redundant(struct wg *g)
{
	if (wg_adjacency(g) < 0)
		return -1;
	uint32_t *seen = calloc((size_t)g->nn + 1, sizeof(uint32_t));
	uint32_t *queue = malloc(((size_t)g->nn + 1) * sizeof(uint32_t));
	if (!seen || !queue) {
		free(seen);
		free(queue);
		return -1;
	}
	uint32_t mark = 0;
	for (uint32_t i = g->nn; i-- > 0;) {
		const struct wnode *n = &g->n[i];
		for (uint32_t j = n->n_in; j-- > 0;) {
			uint32_t ei = g->adj_in[n->in_off + j];
			if (!g->e[ei].residual)
				break;
			if (redundant(g, ei, seen, ++mark, queue))
				g->e[ei].dead = true;
		}
	}
	free(seen);
	free(queue);
	return wg_adjacency(g);
}

/* countTags after TrimLowFrequencyTags(cutoff): the tags of each node
 * with a flat value, kept when |flat| or |cum| reaches cutoff. */
static void count_tags(struct wg *g, int64_t cutoff)
{
	for (uint32_t i = 0; i < g->nn; i++)
		g->n[i].ntags = 0;
	if (!g->tm.slots)
		return;
	for (size_t k = 0; k < g->tm.cap; k++) {
		const struct u64slot *sl = &g->tm.slots[k];
		uint64_t key = (uint64_t)sl->khi << 32 | sl->klo;
		if (key == UINT64_MAX)
			continue;
		const struct btag *t = (const struct btag *)g->tv.data + sl->val;
		if (t->flat != 0 && (abs64(t->flat) >= cutoff || abs64(t->cum) >= cutoff)) {
			uint32_t node = g->name_node[(uint32_t)(key >> 32)];
			if (node != NONE)
				g->n[node].ntags++;
		}
	}
}

/* ---- newTrimmedGraph ----------------------------------------------------- */

static uint8_t *kept_set(const struct ctx *c, const struct wg *g, uint32_t upto, int64_t cum_cutoff)
{
	uint8_t *k = calloc((size_t)c->names.n + 1, 1);
	if (!k)
		return NULL;
	for (uint32_t i = 0; i < upto; i++)
		if (abs64(g->n[i].cum) >= cum_cutoff)
			k[g->n[i].name] = 1;
	return k;
}

void cgraph_release(struct cgraph *g)
{
	free(g->nodes);
	free(g->edges);
	free(g->in_edges);
	free(g->out_edges);
	free(g->names);
	free(g->arena);
	memset(g, 0, sizeof(*g));
}

int cgraph_build(const struct prof *p, const struct view_opts *o, const struct cgraph_opts *go, struct cgraph *out)
{
	memset(out, 0, sizeof(*out));
	struct ctx c = { .p = p, .o = o, .go = go };
	struct wg g = { 0 };
	struct buf tmp = BUF_INIT;
	struct view_gran_parts parts;
	memset(&parts, 0, sizeof(parts));
	uint8_t *kept = NULL, *nodelets = NULL;
	/* What the arrays below hold at most, charged to the request's memory
	 * account (work.h) while they live (the struct bufs charge their own
	 * growth): per frame its name and a name's sums, stamps, node and kept
	 * bit, two builds at once; per edge (at most one per frame of the
	 * trie) its record, hash slot and adjacency, twice; per sample a bit. */
	size_t nf = (size_t)(go->gran == VIEW_GRAN_ADDRESSES ? p->n_loc_frames : p->n_frames) + 1, ne = (size_t)p->n_nodes + p->n_loc_frames + 1;
	size_t held = nf * (sizeof(uint32_t) + sizeof(struct cgraph_name) +
	                    2 * (2 * sizeof(int64_t) + 2 * sizeof(uint32_t) + sizeof(struct wnode) + 1)) +
	              ne * 2 * (sizeof(struct bedge) + sizeof(struct u64slot) * 2 + 3 * sizeof(uint32_t)) +
	              (size_t)p->n_samples + 2 * (size_t)p->n_labelsets * sizeof(uint32_t) + 4096;
	if (work_charge(held) < 0)
		return -1;
	int rc = view_kept_samples(p, o, &c.keep, &c.fb, &c.total, &out->kept_total);
	if (rc != 0) {
		work_uncharge(held);
		return rc;
	}
	rc = -1;
	c.by_slot = go->gran == VIEW_GRAN_ADDRESSES;
	c.finfo = malloc(((size_t)(c.by_slot ? p->n_loc_frames : p->n_frames) + 1) * sizeof(uint32_t));
	if (!c.finfo)
		goto out;
	if (c.by_slot) {
		for (uint32_t L = 0; L < p->n_locs; L++) {
			if ((L & 1023) == 0 && work_poll() != WORK_OK)
				goto out;
			const struct prof_loc *l = &p->locs[L];
			for (uint32_t k = 0; k < l->n; k++)
				if ((c.finfo[l->off + k] = frame_name(&c, L, p->loc_frames[l->off + k], &tmp, &parts)) == NONE)
					goto out;
		}
	} else {
		for (uint32_t f = 0; f < p->n_frames; f++) {
			if ((f & 1023) == 0 && work_poll() != WORK_OK)
				goto out;
			if ((c.finfo[f] = frame_name(&c, PROF_NONE, f, &tmp, &parts)) == NONE)
				goto out;
		}
	}
	bool visual = go->visual;
	if (visual && go->nodecount > 0 && labelset_tags(&c) < 0)
		goto out;

	if (build(&c, NULL, &g) < 0)
		goto out;
	int64_t total_value = 0;
	for (uint32_t i = 0; i < g.nn; i++)
		total_value += g.n[i].flat;
	int64_t node_cutoff = abs64(go_f2i((double)total_value * go->nodefraction));
	int64_t edge_cutoff = abs64(go_f2i((double)total_value * go->edgefraction));
	if (node_cutoff > 0) {
		uint32_t nk = 0;
		for (uint32_t i = 0; i < g.nn; i++)
			nk += abs64(g.n[i].cum) >= node_cutoff;
		if (nk != g.nn) {
			out->dropped_nodes = g.nn - nk;
			if (!(kept = kept_set(&c, &g, g.nn, node_cutoff)))
				goto out;
			wg_release(&g);
			if (build(&c, kept, &g) < 0)
				goto out;
			free(kept);
			kept = NULL;
		}
	}
	out->orig_count = g.nn;
	if (sort_nodes(&g, visual) < 0)
		goto out;
	if (go->nodecount > 0) {
		trim_edges(&g, edge_cutoff);
		count_tags(&g, node_cutoff);
		uint32_t max = go->nodecount > (long)g.nn ? g.nn : (uint32_t)go->nodecount;
		if (visual) {
			uint32_t count = 0;
			for (uint32_t i = 0; i < g.nn; i++) {
				uint32_t t = g.n[i].ntags > 4 ? 4 : g.n[i].ntags;
				if ((count += t + 1) >= (uint32_t)go->nodecount) {
					max = i + 1;
					break;
				}
			}
		}
		if (max != g.nn) {
			if (!(kept = kept_set(&c, &g, max, 0)))
				goto out;
			wg_release(&g);
			if (build(&c, kept, &g) < 0 || sort_nodes(&g, visual) < 0)
				goto out;
		}
	}
	out->dropped_edges = trim_edges(&g, edge_cutoff);
	if (visual ? remove_redundant(&g) < 0 : wg_adjacency(&g) < 0)
		goto out;
	out->node_cutoff = node_cutoff;
	out->edge_cutoff = edge_cutoff;
	/* addNodelets: a node gets nodelets when one of its tags left by
	 * TrimLowFrequencyTags has a weight (flat when it has callees, else
	 * cum): a label tag, or a bytes tag of a sample without labels */
	nodelets = calloc((size_t)g.nn + 1, 1);
	if (!nodelets)
		goto out;
	for (size_t k = 0; g.tm.slots && k < g.tm.cap; k++) {
		const struct u64slot *sl = &g.tm.slots[k];
		uint64_t key = (uint64_t)sl->khi << 32 | sl->klo;
		if (key == UINT64_MAX)
			continue;
		uint32_t node = g.name_node[(uint32_t)(key >> 32)];
		if (node == NONE)
			continue;
		const struct btag *t = (const struct btag *)g.tv.data + sl->val;
		if (!(abs64(t->flat) >= node_cutoff || abs64(t->cum) >= node_cutoff))
			continue;
		if ((g.n[node].n_out > 0 ? t->flat : t->cum) == 0)
			continue;
		const char *ts = c.tags.a.data + c.tags.off[(uint32_t)key];
		if (ts[0] == 'L' || (ts[0] == 'N' && ts[1] == '\x01'))
			nodelets[node] = 1;
	}

	/* the result */
	out->total = c.total;
	out->n_nodes = g.nn;
	out->nodes = calloc((size_t)g.nn + 1, sizeof(struct cgraph_node));
	uint32_t live = 0;
	for (uint32_t i = 0; i < g.ne; i++)
		live += !g.e[i].dead;
	out->edges = calloc((size_t)live + 1, sizeof(struct cgraph_edge));
	out->in_edges = calloc((size_t)live + 1, sizeof(uint32_t));
	out->out_edges = calloc((size_t)live + 1, sizeof(uint32_t));
	uint32_t *emap = calloc((size_t)g.ne + 1, sizeof(uint32_t));
	uint32_t *order = calloc((size_t)live + 1, sizeof(uint32_t));
	if (!out->nodes || !out->edges || !out->in_edges || !out->out_edges || !emap || !order) {
		free(emap);
		free(order);
		goto out;
	}
	uint32_t m = 0;
	for (uint32_t i = 0; i < g.ne; i++)
		if (!g.e[i].dead)
			order[m++] = i;
	sort_ctx = &c;
	sort_g = &g;
	qsort(order, m, sizeof(uint32_t), edge_cmp);
	for (uint32_t i = 0; i < m; i++) {
		const struct bedge *e = &g.e[order[i]];
		emap[order[i]] = i;
		out->edges[i] = (struct cgraph_edge){ .src = e->src, .dst = e->dst, .weight = e->w,
		                                      .residual = e->residual, .inl = e->inl };
	}
	out->n_edges = m;
	for (uint32_t i = 0; i < g.nn; i++) {
		const struct wnode *n = &g.n[i];
		struct cgraph_node *d = &out->nodes[i];
		d->name = n->name;
		d->flat = n->flat;
		d->cum = n->cum;
		d->in_off = n->in_off;
		d->n_in = n->n_in;
		d->out_off = n->out_off;
		d->n_out = n->n_out;
		d->nodelets = nodelets[i];
		for (uint32_t k = 0; k < n->n_in; k++)
			out->in_edges[n->in_off + k] = emap[g.adj_in[n->in_off + k]];
		for (uint32_t k = 0; k < n->n_out; k++)
			out->out_edges[n->out_off + k] = emap[g.adj_out[n->out_off + k]];
		out->flat_sum += n->flat;
	}
	free(emap);
	free(order);
	/* names: one arena with the printable names then the fields */
	out->n_names = c.names.n;
	out->names = calloc((size_t)c.names.n + 1, sizeof(struct cgraph_name));
	size_t alen = c.names.a.len + c.fields.len;
	out->arena = malloc(alen + 1);
	if (!out->names || !out->arena)
		goto out;
	if (c.names.a.len)
		memcpy(out->arena, c.names.a.data, c.names.a.len);
	if (c.fields.len)
		memcpy(out->arena + c.names.a.len, c.fields.data, c.fields.len);
	out->arena[alen] = 0;
	out->arena_len = alen;
	uint32_t base = (uint32_t)c.names.a.len;
	for (uint32_t i = 0; i < c.names.n; i++) {
		struct cgraph_name n = c.nm[i];
		n.off = c.names.off[i];
		n.len = c.names.len[i];
		n.fn_off += base;
		n.file_off += base;
		n.obj_off += base;
		out->names[i] = n;
	}
	rc = 0;
out:
	wg_release(&g);
	free(kept);
	free(nodelets);
	free(c.keep);
	free(c.fb);
	free(c.finfo);
	free(c.chain);
	free(c.nm);
	free(c.ls_off);
	free(c.ls_n);
	buf_release(&c.ls_tags);
	buf_release(&c.fields);
	buf_release(&tmp);
	view_gran_parts_release(&parts);
	sint_release(&c.names);
	sint_release(&c.tags);
	work_uncharge(held);
	if (rc != 0)
		cgraph_release(out);
	return rc;
}

/* ---- printing ------------------------------------------------------------ */

void cgraph_fmt_value(int64_t v, const char *unit, char *out, size_t cap)
{
	const char *u = "";
	double x = measure_scale(v, unit ? unit : "", unit ? unit : "", &u);
	char num[64];
	snprintf(num, sizeof(num), "%.2f", x);
	size_t l = strlen(num);
	if (l >= 3 && !strcmp(num + l - 3, ".00"))
		num[l - 3] = 0;
	if (!strcmp(num, "0") || !strcmp(num, "-0")) {
		snprintf(out, cap, "0");
		return;
	}
	snprintf(out, cap, "%s%s", num, u ? u : "");
}

void cgraph_fmt_pct(int64_t v, int64_t total, char *out, size_t cap)
{
	double r = 0;
	if (total != 0)
		r = fabs((double)v / (double)total) * 100;
	if (fabs(r) >= 99.95 && fabs(r) <= 100.05)
		snprintf(out, cap, "  100%%");
	else if (fabs(r) >= 1.0)
		snprintf(out, cap, "%5.2f%%", r);
	else
		snprintf(out, cap, "%5.2g%%", r);
}

static const char *trimsp(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

void cgraph_dot_escape(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '\\')
			buf_add(out, "\\\\", 2);
		else if (ch == '"')
			buf_add(out, "\\\"", 2);
		else if (ch == '\n')
			buf_add(out, "\\l", 2);
		else if (ch == '\r' || ch == 0)
			buf_addc(out, ' ');
		else
			buf_addc(out, ch);
	}
}

static bool is_word(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
}

/* javaRegExp's group: the first segment starting with a capital letter,
 * after segments [a-z]\w*, then ".method" at the end or before '('. */
static bool java_short(const char *s, size_t n, size_t *from, size_t *to)
{
	size_t i = 0;
	for (;;) {
		if (i >= n)
			return false;
		if (s[i] >= 'A' && s[i] <= 'Z')
			break;
		if (!(s[i] >= 'a' && s[i] <= 'z'))
			return false;
		size_t j = i + 1;
		while (j < n && is_word(s[j]))
			j++;
		if (j >= n || s[j] != '.')
			return false;
		i = j + 1;
	}
	size_t c = i + 1;
	while (c < n && (is_word(s[c]) || s[c] == '$'))
		c++;
	if (c >= n || s[c] != '.')
		return false;
	size_t m = c + 1, e;
	if (n - m >= 6 && !memcmp(s + m, "<init>", 6)) {
		e = m + 6;
	} else {
		if (m >= n || !(s[m] >= 'a' && s[m] <= 'z'))
			return false;
		e = m + 1;
		while (e < n && (is_word(s[e]) || s[e] == '$'))
			e++;
	}
	if (e != n && s[e] != '(')
		return false;
	*from = i;
	*to = e;
	return true;
}

/* cppRegExp's group: Class::method after one or more namespaces, the
 * last such pair (the prefix is greedy), with a template argument list. */
static bool cpp_short(const char *s, size_t n, size_t *from, size_t *to)
{
	size_t starts[256], ends[256];
	size_t m = 0, p = 0;
	while (m < 256 && p < n && (s[p] == '_' || (s[p] >= 'a' && s[p] <= 'z') || (s[p] >= 'A' && s[p] <= 'Z'))) {
		size_t e = p + 1;
		while (e < n && is_word(s[e]))
			e++;
		if (e + 1 >= n || s[e] != ':' || s[e + 1] != ':')
			break;
		starts[m] = p;
		ends[m] = e;
		m++;
		p = e + 2;
	}
	for (size_t i = m; i-- > 1;) {
		size_t c = starts[i];
		while (c < ends[i] && s[c] == '_')
			c++;
		if (c >= ends[i] || !(s[c] >= 'A' && s[c] <= 'Z'))
			continue;
		size_t q = ends[i] + 2;
		if (q < n && s[q] == '~')
			q++;
		if (q >= n || !(s[q] == '_' || (s[q] >= 'a' && s[q] <= 'z') || (s[q] >= 'A' && s[q] <= 'Z')))
			continue;
		size_t e = q + 1;
		while (e < n && is_word(s[e]))
			e++;
		if (e < n && s[e] == '<') {
			size_t lim = n;
			const char *nl = memchr(s + e, '\n', n - e);
			if (nl)
				lim = (size_t)(nl - s);
			for (size_t k = lim; k-- > e + 1;)
				if (s[k] == '>') {
					e = k + 1;
					break;
				}
		}
		*from = starts[i];
		*to = e;
		return true;
	}
	return false;
}

void cgraph_shorten(const char *name, size_t len, struct buf *out)
{
	struct buf t = BUF_INIT;
	const char *s = name;
	size_t n = len;
	static const char anon[] = "(anonymous namespace)::";
	if (n >= sizeof(anon) - 1 && !memcmp(s, anon, sizeof(anon) - 1)) {
		s += sizeof(anon) - 1;
		n -= sizeof(anon) - 1;
	}
	/* goVerRegExp: the first "/vN" (N >= 2) followed by '.' or '/' */
	bool nl = memchr(s, '\n', n) != NULL;
	for (size_t i = 0; !nl && i + 3 < n; i++) {
		if (s[i] != '/' || s[i + 1] != 'v' || s[i + 2] < '1' || s[i + 2] > '9')
			continue;
		size_t j = i + 3;
		if (s[i + 2] == '1') {
			if (!(s[j] >= '0' && s[j] <= '9'))
				continue;
		}
		while (j < n && s[j] >= '0' && s[j] <= '9')
			j++;
		if (j < n && (s[j] == '.' || s[j] == '/')) {
			buf_add(&t, s, i);
			buf_add(&t, s + j, n - j);
			break;
		}
	}
	if (t.len || t.oom) {
		s = t.data ? t.data : "";
		n = t.len;
	}
	/* goRegExp: drop the longest "seg/seg/.../" prefix */
	size_t cut = 0, seg = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (is_word(ch) || ch == '-' || ch == '.') {
			seg++;
		} else if (ch == '/' && seg > 0) {
			if (i + 1 < n && s[i + 1] != '\n')
				cut = i + 1;
			seg = 0;
		} else {
			break;
		}
	}
	size_t from = 0, to = n;
	if (cut) {
		from = cut;
		const char *e = memchr(s + cut, '\n', n - cut);
		if (e)
			to = (size_t)(e - s);
	} else if (!java_short(s, n, &from, &to)) {
		cpp_short(s, n, &from, &to);
	}
	buf_add(out, s + from, to - from);
	if (t.oom)
		out->oom = true;
	buf_release(&t);
}

/* pprof's dotColor */
static void dot_color(double score, bool bg, char *out, size_t cap)
{
	const double shift = 0.7;
	double sat = bg ? 0.1 : 1.0, val = bg ? 0.93 : 0.7;
	score = fmax(-1.0, fmin(1.0, score));
	if (fabs(score) < 0.2)
		sat *= fabs(score) / 0.2;
	if (score > 0.0)
		score = pow(score, 1.0 - shift);
	if (score < 0.0)
		score = -pow(-score, 1.0 - shift);
	double r, g, b;
	if (score < 0.0) {
		g = val;
		r = val * (1 + sat * score);
	} else {
		r = val;
		g = val * (1 - sat * score);
	}
	b = val * (1 - sat);
	snprintf(out, cap, "#%02x%02x%02x", (unsigned)(uint8_t)(int)(r * 255.0), (unsigned)(uint8_t)(int)(g * 255.0),
	         (unsigned)(uint8_t)(int)(b * 255.0));
}

static void add_base(const char *s, size_t n, struct buf *out)
{
	while (n > 1 && s[n - 1] == '/')
		n--;
	size_t b = n;
	while (b > 0 && s[b - 1] != '/')
		b--;
	if (n == 0)
		buf_addc(out, '.');
	else if (n == 1 && s[0] == '/')
		buf_addc(out, '/');
	else
		cgraph_dot_escape(s + b, n - b, out);
}

/* multilinePrintableName */
static void multiline_name(const struct cgraph *g, const struct cgraph_name *nm, struct buf *out)
{
	bool any = false;
	if (nm->addr) {
		buf_printf(out, "%016llx", (unsigned long long)nm->addr);
		any = true;
	}
	if (nm->fn_len) {
		struct buf sh = BUF_INIT, esc = BUF_INIT;
		if (any)
			buf_add(out, "\\n", 2);
		cgraph_shorten(cgraph_str(g, nm->fn_off), nm->fn_len, &sh);
		cgraph_dot_escape(sh.data ? sh.data : "", sh.len, &esc);
		const char *s = esc.data ? esc.data : "";
		for (size_t i = 0; i < esc.len; i++) {
			if (s[i] == ':' && i + 1 < esc.len && s[i + 1] == ':') {
				buf_add(out, "\\n", 2);
				i++;
			} else if (i + 5 <= esc.len && !memcmp(s + i, "[...]", 5)) {
				buf_adds(out, "[\xe2\x80\xa6]");
				i += 4;
			} else if (s[i] == '.') {
				buf_add(out, "\\n", 2);
			} else {
				buf_addc(out, s[i]);
			}
		}
		if (sh.oom || esc.oom)
			out->oom = true;
		buf_release(&sh);
		buf_release(&esc);
		any = true;
	}
	if (nm->line != 0 || nm->file_len) {
		if (any)
			buf_add(out, "\\n", 2);
		add_base(cgraph_str(g, nm->file_off), nm->file_len, out);
		if (nm->line != 0)
			buf_printf(out, ":%lld", (long long)nm->line);
	} else if (nm->obj_len) {
		if (any)
			buf_add(out, "\\n", 2);
		cgraph_dot_escape(cgraph_str(g, nm->obj_off), nm->obj_len, out);
	}
	buf_add(out, "\\n", 2);
}

static void dot_legend_line(struct buf *lines, const char *s)
{
	if (lines->len)
		buf_add(lines, "\\l", 2);
	cgraph_dot_escape(s, strlen(s), lines);
}

void cgraph_dot(const struct cgraph *g, const struct cgraph_opts *go, const char *unit,
                const char *const *legend, int n_legend, struct buf *out)
{
	char a[64], b[64], pc[32], line[512];
	buf_adds(out, "digraph \"unnamed\" {\n");
	buf_adds(out, "node [style=filled fillcolor=\"#f8f8f8\"]\n");
	/* legend */
	struct buf lines = BUF_INIT;
	for (int i = 0; i < n_legend; i++)
		dot_legend_line(&lines, legend[i]);
	cgraph_fmt_value(g->flat_sum, unit, a, sizeof(a));
	cgraph_fmt_value(g->total, unit, b, sizeof(b));
	cgraph_fmt_pct(g->flat_sum, g->total, pc, sizeof(pc));
	snprintf(line, sizeof(line), "Showing nodes accounting for %s, %s of %s total", a, trimsp(pc), b);
	dot_legend_line(&lines, line);
	char first[512];
	snprintf(first, sizeof(first), "%s", n_legend > 0 ? legend[0] : line);
	if (g->total != 0) {
		if (g->dropped_nodes > 0) {
			cgraph_fmt_value(abs64(go_f2i((double)g->total * go->nodefraction)), unit, a, sizeof(a));
			snprintf(line, sizeof(line), "Dropped %u node%s (cum <= %s)", g->dropped_nodes,
			         g->dropped_nodes > 1 ? "s" : "", a);
			dot_legend_line(&lines, line);
		}
		if (g->dropped_edges > 0) {
			cgraph_fmt_value(abs64(go_f2i((double)g->total * go->edgefraction)), unit, a, sizeof(a));
			snprintf(line, sizeof(line), "Dropped %u edge%s (freq <= %s)", g->dropped_edges,
			         g->dropped_edges > 1 ? "s" : "", a);
			dot_legend_line(&lines, line);
		}
		if (g->n_nodes > 0 && g->n_nodes < g->orig_count) {
			snprintf(line, sizeof(line), "Showing top %u nodes out of %u", g->n_nodes, g->orig_count);
			dot_legend_line(&lines, line);
		}
	}
	dot_legend_line(&lines, "\nSee https://git.io/JfYMW for how to read the graph");
	buf_adds(out, "subgraph cluster_L { \"");
	cgraph_dot_escape(first, strlen(first), out);
	buf_adds(out, "\" [shape=box fontsize=16 label=\"");
	buf_add(out, lines.data, lines.len);
	buf_adds(out, "\\l\"] }\n");
	if (lines.oom)
		out->oom = true;
	buf_release(&lines);

	double max_flat = 0;
	for (uint32_t i = 0; i < g->n_nodes; i++)
		if ((double)abs64(g->nodes[i].flat) > max_flat)
			max_flat = (double)abs64(g->nodes[i].flat);
	for (uint32_t i = 0; i < g->n_nodes; i++) {
		const struct cgraph_node *n = &g->nodes[i];
		const struct cgraph_name *nm = &g->names[n->name];
		char fv[64], cv[64], c1[16], c2[16];
		buf_printf(out, "N%u [label=\"", i + 1);
		multiline_name(g, nm, out);
		cgraph_fmt_value(n->flat, unit, fv, sizeof(fv));
		if (n->flat != 0) {
			cgraph_fmt_pct(n->flat, g->total, pc, sizeof(pc));
			buf_printf(out, "%s (%s)", fv, trimsp(pc));
		} else {
			buf_addc(out, '0');
		}
		snprintf(cv, sizeof(cv), "%s", fv);
		if (n->cum != n->flat) {
			buf_adds(out, n->flat != 0 ? "\\n" : " ");
			cgraph_fmt_value(n->cum, unit, cv, sizeof(cv));
			cgraph_fmt_pct(n->cum, g->total, pc, sizeof(pc));
			buf_printf(out, "of %s (%s)", cv, trimsp(pc));
		}
		int fs = 8;
		if (max_flat != 0 && n->flat != 0 && (double)abs64(n->flat) <= max_flat)
			fs += (int)ceil(16.0 * sqrt((double)abs64(n->flat) / max_flat));
		double sc = (double)n->cum / (double)abs64(g->total);
		dot_color(sc, false, c1, sizeof(c1));
		dot_color(sc, true, c2, sizeof(c2));
		buf_printf(out, "\" id=\"node%u\" fontsize=%d shape=box tooltip=\"", i + 1, fs);
		cgraph_dot_escape(cgraph_str(g, nm->off), nm->len, out);
		buf_printf(out, " (%s)\" color=\"%s\" fillcolor=\"%s\"]\n", cv, c1, c2);
	}
	for (uint32_t i = 0; i < g->n_edges; i++) {
		const struct cgraph_edge *e = &g->edges[i];
		char w[64], col[16];
		cgraph_fmt_value(e->weight, unit, w, sizeof(w));
		buf_printf(out, "N%u -> N%u [label=\" %s%s\"", e->src + 1, e->dst + 1, w, e->inl ? "\\n (inline)" : "");
		if (g->total != 0) {
			int64_t x = (int64_t)((uint64_t)e->weight * 100u) / g->total;
			int64_t wt = 1 + (abs64(x) < 100 ? abs64(x) : 100);
			if (wt > 1)
				buf_printf(out, " weight=%lld", (long long)wt);
			x = (int64_t)((uint64_t)e->weight * 5u) / g->total;
			int64_t pw = 1 + (abs64(x) < 5 ? abs64(x) : 5);
			if (pw > 1)
				buf_printf(out, " penwidth=%lld", (long long)pw);
			dot_color((double)e->weight / (double)abs64(g->total), false, col, sizeof(col));
			buf_printf(out, " color=\"%s\"", col);
		}
		struct buf tt = BUF_INIT;
		buf_addc(&tt, '"');
		const struct cgraph_name *s = &g->names[g->nodes[e->src].name], *d = &g->names[g->nodes[e->dst].name];
		cgraph_dot_escape(cgraph_str(g, s->off), s->len, &tt);
		buf_adds(&tt, e->residual ? " ... " : " -> ");
		cgraph_dot_escape(cgraph_str(g, d->off), d->len, &tt);
		buf_printf(&tt, " (%s)\"", w);
		buf_adds(out, " tooltip=");
		buf_add(out, tt.data, tt.len);
		buf_adds(out, " labeltooltip=");
		buf_add(out, tt.data, tt.len);
		if (tt.oom)
			out->oom = true;
		buf_release(&tt);
		if (e->residual)
			buf_adds(out, " style=\"dotted\"");
		if (g->nodes[e->src].nodelets)
			buf_adds(out, " minlen=2"); /* pprof: children of a node with nodelets further away */
		buf_adds(out, "]\n");
	}
	buf_adds(out, "}\n");
}
