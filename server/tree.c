/*
 * tree.c: filtering and folding a profile into views (see tree.h).
 *
 * Filtering follows pprof's Profile.FilterSamplesByName and
 * FilterSamplesByTag: a sample is dropped when any of its locations
 * matches ignore, kept only when one matches focus; hide removes matching
 * frames, and a sample left with no frames is dropped. When any name
 * filter is set, samples without locations are dropped (pprof does the
 * same). Matching is per function (name and file) and per mapping file,
 * computed once per distinct function, not once per frame.
 *
 * Folding: every location-trie node maps to one node of the name tree
 * (children merged by printed name). Without hide that mapping does not
 * depend on the request, so it is built once per profile (prof_ntree) and
 * a view only sums sample values into it: O(samples + tree nodes). With
 * hide, a private tree is built for the weighted nodes only.
 */
#include "tree.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "limits.h"

#define B_FOCUS 1
#define B_IGNORE 2
#define B_HIDE 4

void json_sample_type(struct json *j, const struct prof *p, int t)
{
	json_obj_begin(j);
	json_key(j, "type");
	json_str(j, p->n_types ? prof_str(p, p->type_type[t]) : "");
	json_key(j, "unit");
	json_str(j, p->n_types ? prof_str(p, p->type_unit[t]) : "");
	json_obj_end(j);
}

static uint8_t match_bits(const struct view_opts *o, const char *s, size_t n)
{
	uint8_t b = 0;
	if (o->has_focus && rx_match(&o->focus, s, n))
		b |= B_FOCUS;
	if (o->has_ignore && rx_match(&o->ignore, s, n))
		b |= B_IGNORE;
	if (o->has_hide && rx_match(&o->hide, s, n))
		b |= B_HIDE;
	return b;
}

/* Filter bits per frame: function name/file, or the mapping file. */
static uint8_t *frame_bits(const struct prof *p, const struct view_opts *o)
{
	uint8_t *fb = calloc((size_t)p->n_frames + 1, 1);
	uint8_t *func = malloc((size_t)p->n_funcs + 1);
	uint8_t *str = malloc((size_t)p->n_strs + 1); /* 0xff = not computed */
	if (!fb || !func || !str)
		goto fail;
	memset(func, 0xff, (size_t)p->n_funcs + 1);
	memset(str, 0xff, (size_t)p->n_strs + 1);
	for (uint32_t i = 0; i < p->n_frames; i++) {
		const struct prof_frame *f = &p->frames[i];
		uint8_t b = 0;
		if (f->func != PROF_NONE) {
			if (func[f->func] == 0xff) {
				const struct prof_func *fn = &p->funcs[f->func];
				func[f->func] = match_bits(o, prof_str(p, fn->name), prof_strlen(p, fn->name)) |
				                match_bits(o, prof_str(p, fn->file), prof_strlen(p, fn->file));
			}
			b |= func[f->func];
		}
		if (f->map_file != PROF_NONE) {
			if (str[f->map_file] == 0xff)
				str[f->map_file] = match_bits(o, prof_str(p, f->map_file), prof_strlen(p, f->map_file));
			b |= str[f->map_file];
		}
		fb[i] = b;
	}
	free(func);
	free(str);
	return fb;
fail:
	free(fb);
	free(func);
	free(str);
	return NULL;
}

void view_release(struct view *v)
{
	if (!v->borrowed) {
		free(v->parent);
		free(v->key);
		free(v->first);
		free(v->koff);
		free(v->klist);
	}
	free(v->self);
	free(v->tot);
	free(v->ls_sum);
	free(v->ls_seen);
	memset(v, 0, sizeof(*v));
}

/* ---- building name trees -------------------------------------------------- */

struct nt_builder {
	struct u64map map;
	uint32_t n, cap;
	uint32_t *parent, *key;
};

static int nt_grow(struct nt_builder *b)
{
	uint32_t nc = b->cap ? b->cap * 2 : 1024;
	uint32_t *np = realloc(b->parent, nc * sizeof(uint32_t));
	if (!np)
		return -1;
	b->parent = np;
	uint32_t *nk = realloc(b->key, nc * sizeof(uint32_t));
	if (!nk)
		return -1;
	b->key = nk;
	b->cap = nc;
	return 0;
}

static int nt_init(struct nt_builder *b, uint32_t root_key, size_t hint)
{
	memset(b, 0, sizeof(*b));
	if (u64map_init(&b->map, hint) < 0 || nt_grow(b) < 0)
		return -1;
	b->parent[0] = 0;
	b->key[0] = root_key;
	b->n = 1;
	return 0;
}

static void nt_release(struct nt_builder *b)
{
	u64map_release(&b->map);
	free(b->parent);
	free(b->key);
	memset(b, 0, sizeof(*b));
}

static uint32_t nt_child(struct nt_builder *b, uint32_t parent, uint32_t key)
{
	int ins;
	uint32_t *slot = u64map_put(&b->map, (uint64_t)parent << 32 | key, &ins);
	if (!slot)
		return PROF_NONE;
	if (!ins)
		return *slot;
	if (b->n == b->cap && nt_grow(b) < 0)
		return PROF_NONE;
	b->parent[b->n] = parent;
	b->key[b->n] = key;
	*slot = b->n;
	return b->n++;
}

struct name_ctx {
	const struct prof *p;
	const uint32_t *key;
};

static int cmp_by_name(const void *a, const void *b, void *arg)
{
	const struct name_ctx *c = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return strcmp(prof_str(c->p, c->key[x]), prof_str(c->p, c->key[y]));
}

/* Children lists sorted by name, and first[i] = key[i] is not on the path
 * above i (so cum counts a name once per stack). */
static int tree_finish(const struct prof *p, uint32_t n, const uint32_t *parent, const uint32_t *key,
                       uint32_t **koff_out, uint32_t **klist_out, uint8_t **first_out)
{
	uint32_t *koff = calloc((size_t)n + 2, sizeof(uint32_t));
	uint32_t *klist = malloc(((size_t)n + 1) * sizeof(uint32_t));
	uint32_t *fill = malloc(((size_t)n + 1) * sizeof(uint32_t));
	uint8_t *first = first_out ? malloc((size_t)n + 1) : NULL;
	uint32_t *onpath = first_out ? calloc((size_t)p->n_strs + 1, sizeof(uint32_t)) : NULL;
	uint32_t *stack = first_out ? malloc(((size_t)n * 2 + 2) * sizeof(uint32_t)) : NULL;
	if (!koff || !klist || !fill || (first_out && (!first || !onpath || !stack)))
		goto fail;
	for (uint32_t i = 1; i < n; i++)
		koff[parent[i] + 1]++;
	for (uint32_t i = 0; i < n; i++)
		koff[i + 1] += koff[i];
	memcpy(fill, koff, (size_t)n * sizeof(uint32_t));
	for (uint32_t i = 1; i < n; i++)
		klist[fill[parent[i]]++] = i;
	struct name_ctx ctx = { p, key };
	for (uint32_t i = 0; i < n; i++)
		if (koff[i + 1] - koff[i] > 1)
			qsort_r(klist + koff[i], koff[i + 1] - koff[i], sizeof(uint32_t), cmp_by_name, &ctx);
	if (first_out) {
		/* DFS; ~x marks leaving x. The root has no name. */
		uint32_t sp = 0;
		first[0] = 0;
		for (uint32_t c = koff[0]; c < koff[1]; c++)
			stack[sp++] = klist[c];
		while (sp) {
			uint32_t x = stack[--sp];
			if (x & 0x80000000u) {
				onpath[key[x & 0x7fffffffu]]--;
				continue;
			}
			first[x] = onpath[key[x]] == 0;
			onpath[key[x]]++;
			stack[sp++] = x | 0x80000000u;
			for (uint32_t c = koff[x]; c < koff[x + 1]; c++)
				stack[sp++] = klist[c];
		}
		*first_out = first;
	}
	free(fill);
	free(onpath);
	free(stack);
	*koff_out = koff;
	*klist_out = klist;
	return 0;
fail:
	free(koff);
	free(klist);
	free(fill);
	free(first);
	free(onpath);
	free(stack);
	return -1;
}

/* The shared name tree of p, built on first use. */
static const struct prof_ntree *get_ntree(const struct prof *cp)
{
	struct prof *p = (struct prof *)cp; /* only the lazy cache is written */
	pthread_mutex_lock(&p->lazy_mu);
	if (p->ntree)
		goto done;
	struct prof_ntree *t = calloc(1, sizeof(*t));
	struct nt_builder b;
	if (!t || nt_init(&b, PROF_NONE, p->n_nodes) < 0) {
		free(t);
		goto done;
	}
	t->ntof = malloc(((size_t)p->n_nodes + 1) * sizeof(uint32_t));
	if (!t->ntof)
		goto fail;
	t->ntof[0] = 0;
	for (uint32_t n = 1; n < p->n_nodes; n++) {
		uint32_t cur = t->ntof[p->nodes[n].parent];
		const struct prof_loc *l = &p->locs[p->nodes[n].loc];
		for (uint32_t k = 0; k < l->n; k++) {
			cur = nt_child(&b, cur, p->frames[p->loc_frames[l->off + k]].key);
			if (cur == PROF_NONE)
				goto fail;
		}
		t->ntof[n] = cur;
	}
	u64map_release(&b.map);
	t->n = b.n;
	t->parent = b.parent;
	t->key = b.key;
	b.parent = b.key = NULL;
	if (tree_finish(p, t->n, t->parent, t->key, &t->koff, &t->klist, &t->first) < 0)
		goto fail;
	p->ntree = t;
	goto done;
fail:
	nt_release(&b);
	prof_ntree_free(t);
done:
	pthread_mutex_unlock(&p->lazy_mu);
	return p->ntree;
}

/* ---- filtering and folding --------------------------------------------- */

int view_build(const struct prof *p, const struct view_opts *o, bool with_tags, struct view *v)
{
	memset(v, 0, sizeof(*v));
	v->p = p;
	v->type = o->type;
	bool name_filters = o->has_focus || o->has_ignore || o->has_hide;
	uint8_t *fb = NULL, *nb = NULL, *lsk = NULL, *lb = NULL, *is_base = NULL, *allhidden = NULL;
	int64_t *selfv = NULL, *absv = NULL;
	uint32_t *ntof_priv = NULL, *num_units = NULL;
	struct nt_builder b;
	memset(&b, 0, sizeof(b));
	int rc = -1;
	uint32_t N = p->n_nodes;
	const struct prof_ntree *shared = NULL;

	if (!o->has_hide) {
		shared = get_ntree(p);
		if (!shared)
			goto out;
	}
	if (name_filters) {
		fb = frame_bits(p, o);
		lb = calloc((size_t)p->n_locs + 1, 1);
		nb = calloc((size_t)N + 1, 1);
		if (!fb || !lb || !nb)
			goto out;
		for (uint32_t l = 0; l < p->n_locs; l++)
			for (uint32_t k = 0; k < p->locs[l].n; k++)
				lb[l] |= fb[p->loc_frames[p->locs[l].off + k]];
		for (uint32_t n = 1; n < N; n++)
			nb[n] = nb[p->nodes[n].parent] | (lb[p->nodes[n].loc] & (B_FOCUS | B_IGNORE));
	}
	if (o->has_tagfocus || o->has_tagignore) {
		num_units = filter_num_units(p);
		lsk = malloc((size_t)p->n_labelsets + 1);
		if (!num_units || !lsk)
			goto out;
		for (uint32_t i = 0; i < p->n_labelsets; i++) {
			bool keep = true;
			if (o->has_tagfocus && !tagfilter_match(&o->tagfocus, p, i, num_units))
				keep = false;
			if (keep && o->has_tagignore && tagfilter_match(&o->tagignore, p, i, num_units))
				keep = false;
			lsk[i] = keep;
		}
	}
	if (with_tags) {
		v->ls_sum = calloc((size_t)p->n_labelsets + 1, sizeof(int64_t));
		v->ls_seen = calloc((size_t)p->n_labelsets + 1, sizeof(bool));
		if (!v->ls_sum || !v->ls_seen)
			goto out;
	}
	if (o->has_hide) {
		/* A sample whose frames are all hidden is dropped. */
		allhidden = malloc((size_t)N + 1);
		if (!allhidden)
			goto out;
		allhidden[0] = 1;
		for (uint32_t n = 1; n < N; n++) {
			const struct prof_loc *l = &p->locs[p->nodes[n].loc];
			bool any = false;
			for (uint32_t k = 0; k < l->n && !any; k++)
				any = !(fb[p->loc_frames[l->off + k]] & B_HIDE);
			allhidden[n] = allhidden[p->nodes[n].parent] && !any;
		}
	}
	/* pprof's computeTotal: the sum of absolute values, or, in a diff
	 * profile, of the samples labelled pprof::base only. */
	int64_t total_abs = 0, total_base = 0;
	for (uint32_t i = 0; i < p->n_labels && !is_base; i++) {
		if (strcmp(prof_str(p, p->labels[i].key), "pprof::base") != 0)
			continue;
		is_base = calloc((size_t)p->n_labelsets + 1, 1);
		if (!is_base)
			goto out;
		for (uint32_t ls = 0; ls < p->n_labelsets; ls++)
			for (uint32_t k = 0; k < p->labelsets[ls].n; k++)
				if (strcmp(prof_str(p, p->labels[p->labelsets[ls].off + k].key), "pprof::base") == 0)
					is_base[ls] = 1;
	}
	if (shared) {
		v->n = shared->n;
		v->borrowed = true;
		v->parent = shared->parent;
		v->key = shared->key;
		v->first = shared->first;
		v->koff = shared->koff;
		v->klist = shared->klist;
		v->self = calloc((size_t)v->n + 1, sizeof(int64_t));
		if (!v->self)
			goto out;
	} else {
		selfv = calloc((size_t)N + 1, sizeof(int64_t));
		absv = calloc((size_t)N + 1, sizeof(int64_t));
		if (!selfv || !absv)
			goto out;
	}
	for (uint32_t s = 0; s < p->n_samples; s++) {
		uint32_t node = p->samples[s].node;
		if (name_filters) {
			if (node == 0 || (nb[node] & B_IGNORE))
				continue;
			if (o->has_focus && !(nb[node] & B_FOCUS))
				continue;
			if (allhidden && allhidden[node])
				continue;
		}
		uint32_t ls = p->samples[s].labelset;
		if (lsk && !lsk[ls])
			continue;
		int64_t val = p->n_types ? p->values[(size_t)s * p->n_types + (size_t)o->type] : 0;
		if (o->scale != 0 && o->scale != 1)
			val = llround((double)val * o->scale); /* pprof's ScaleN */
		int64_t av = val < 0 ? -val : val;
		total_abs += av;
		if (is_base && is_base[ls])
			total_base += av;
		if (shared) {
			v->self[shared->ntof[node]] += val;
		} else {
			selfv[node] += val;
			absv[node] += av;
		}
		if (with_tags && node != 0) { /* pprof -tags leaves out samples without a stack */
			v->ls_sum[ls] += val;
			v->ls_seen[ls] = true;
		}
	}
	if (!shared) {
		/* Private tree over the weighted nodes, with hidden frames removed. */
		for (uint32_t n = N; n-- > 1;)
			absv[p->nodes[n].parent] += absv[n];
		ntof_priv = malloc(((size_t)N + 1) * sizeof(uint32_t));
		if (!ntof_priv || nt_init(&b, PROF_NONE, 1024) < 0)
			goto out;
		ntof_priv[0] = 0;
		for (uint32_t n = 1; n < N; n++) {
			if (absv[n] == 0)
				continue;
			uint32_t cur = ntof_priv[p->nodes[n].parent];
			const struct prof_loc *l = &p->locs[p->nodes[n].loc];
			for (uint32_t k = 0; k < l->n; k++) {
				uint32_t fr = p->loc_frames[l->off + k];
				if (fb[fr] & B_HIDE)
					continue;
				cur = nt_child(&b, cur, p->frames[fr].key);
				if (cur == PROF_NONE)
					goto out;
			}
			ntof_priv[n] = cur;
		}
		v->n = b.n;
		v->parent = b.parent;
		v->key = b.key;
		b.parent = b.key = NULL;
		v->self = calloc((size_t)v->n + 1, sizeof(int64_t));
		if (!v->self)
			goto out;
		for (uint32_t n = 0; n < N; n++)
			if (selfv[n] && (n == 0 || absv[n]))
				v->self[ntof_priv[n]] += selfv[n];
		if (tree_finish(p, v->n, v->parent, v->key, &v->koff, &v->klist, &v->first) < 0)
			goto out;
	}
	v->tot = malloc(((size_t)v->n + 1) * sizeof(int64_t));
	if (!v->tot)
		goto out;
	memcpy(v->tot, v->self, (size_t)v->n * sizeof(int64_t));
	for (uint32_t n = v->n; n-- > 1;)
		v->tot[v->parent[n]] += v->tot[n];
	v->total = total_base > 0 ? total_base : total_abs;
	rc = 0;
out:
	free(fb);
	free(lb);
	free(nb);
	free(lsk);
	free(is_base);
	free(allhidden);
	free(selfv);
	free(absv);
	free(ntof_priv);
	free(num_units);
	nt_release(&b);
	if (rc < 0)
		view_release(v);
	return rc;
}

/* ---- top ------------------------------------------------------------------ */

struct top_row *view_top(const struct view *v, uint32_t *nrows)
{
	const struct prof *p = v->p;
	int64_t *flat = calloc((size_t)p->n_strs + 1, sizeof(int64_t));
	int64_t *cum = calloc((size_t)p->n_strs + 1, sizeof(int64_t));
	uint8_t *used = calloc((size_t)p->n_strs + 1, 1);
	struct top_row *rows = NULL;
	if (!flat || !cum || !used)
		goto out;
	for (uint32_t x = 1; x < v->n; x++) {
		uint32_t key = v->key[x];
		flat[key] += v->self[x];
		if (v->first[x])
			cum[key] += v->tot[x];
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

/* pprof's FlatNameOrder / CumNameOrder (by absolute value). */
void top_sort(const struct prof *p, struct top_row *rows, uint32_t n, bool by_cum)
{
	struct rows_ctx ctx = { p, by_cum };
	qsort_r(rows, n, sizeof(*rows), cmp_rows, &ctx);
}

void view_top_json(const struct view *v, bool by_cum, long limit, struct json *j)
{
	uint32_t n = 0;
	struct top_row *rows = view_top(v, &n);
	if (rows)
		top_sort(v->p, rows, n, by_cum);
	json_obj_begin(j);
	json_key(j, "sample_type");
	json_sample_type(j, v->p, v->type);
	json_key(j, "total");
	json_int(j, v->total);
	json_key(j, "count");
	json_uint(j, n);
	json_key(j, "rows");
	json_arr_begin(j);
	for (uint32_t i = 0; rows && i < n && (limit <= 0 || i < (uint32_t)limit); i++) {
		json_obj_begin(j);
		json_key(j, "function");
		json_strn(j, prof_str(v->p, rows[i].key), prof_strlen(v->p, rows[i].key));
		json_key(j, "flat");
		json_int(j, rows[i].flat);
		json_key(j, "cum");
		json_int(j, rows[i].cum);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
	free(rows);
}

/* ---- flame graph --------------------------------------------------------- */

/* The k-th largest value of a[0..n) (k >= 1), by quickselect; a is reordered. */
static int64_t kth_largest(int64_t *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1, want = k - 1;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	while (lo < hi) {
		seed = hash_mix64(seed + lo + hi);
		int64_t pivot = a[lo + seed % (hi - lo + 1)];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (a[i] > pivot)
				i++;
			while (a[j] < pivot)
				j--;
			if (i <= j) {
				int64_t t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (want <= j)
			hi = j;
		else if (want >= i)
			lo = i;
		else
			return a[want];
	}
	return a[want];
}

/* Mark the nodes to emit: the max_nodes with the largest |totals|, closed
 * under ancestors (totals never grow toward the leaves, so a threshold
 * keeps ancestors; ties at the threshold are taken parents-first). Nodes
 * with a zero total are never emitted. */
static uint8_t *prune_mask(uint32_t n, const uint32_t *parent, const int64_t *tot, long max_nodes)
{
	uint8_t *keep = calloc((size_t)n + 1, 1);
	if (!keep)
		return NULL;
	keep[0] = 1;
	uint32_t nonzero = 0;
	for (uint32_t i = 1; i < n; i++)
		nonzero += tot[i] != 0;
	if (max_nodes <= 0 || (uint64_t)max_nodes >= (uint64_t)nonzero + 1) {
		for (uint32_t i = 1; i < n; i++)
			keep[i] = tot[i] != 0 && keep[parent[i]];
		return keep;
	}
	int64_t *t = malloc(((size_t)n + 1) * sizeof(int64_t));
	if (!t) {
		free(keep);
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++)
		t[i] = llabs(tot[i]);
	int64_t thr = kth_largest(t, n, (size_t)max_nodes);
	free(t);
	long count = 1;
	for (uint32_t i = 1; i < n; i++)
		if (llabs(tot[i]) > thr && keep[parent[i]]) {
			keep[i] = 1;
			count++;
		}
	for (uint32_t i = 1; i < n && count < max_nodes; i++)
		if (!keep[i] && thr > 0 && llabs(tot[i]) == thr && keep[parent[i]]) {
			keep[i] = 1;
			count++;
		}
	return keep;
}

/* Emit names[], files[] and nodes[] of a tree (sorted children in
 * koff/klist, root 0 named root_name). Pruned subtrees fold into their
 * parent's self. */
static void emit_tree(const struct prof *p, uint32_t n, const uint32_t *parent, const uint32_t *key,
                      const uint32_t *koff, const uint32_t *klist, const int64_t *tot, long max_nodes,
                      const char *root_name, struct json *j)
{
	uint8_t *keep = prune_mask(n, parent, tot, max_nodes);
	uint32_t *stack = malloc(((size_t)n + 1) * sizeof(uint32_t));
	uint32_t *order = malloc(((size_t)n + 1) * sizeof(uint32_t));
	uint32_t *depth = malloc(((size_t)n + 1) * sizeof(uint32_t));
	uint32_t *name_ix = malloc(((size_t)p->n_strs + 1) * sizeof(uint32_t));
	uint32_t *file_of = malloc(((size_t)p->n_strs + 1) * sizeof(uint32_t));
	if (!keep || !stack || !order || !depth || !name_ix || !file_of) {
		json_key(j, "error");
		json_str(j, "out of memory");
		goto out;
	}
	memset(name_ix, 0xff, ((size_t)p->n_strs + 1) * sizeof(uint32_t));
	memset(file_of, 0xff, ((size_t)p->n_strs + 1) * sizeof(uint32_t));
	for (uint32_t f = 0; f < p->n_frames; f++) {
		const struct prof_frame *fr = &p->frames[f];
		if (fr->func != PROF_NONE && file_of[fr->key] == PROF_NONE)
			file_of[fr->key] = p->funcs[fr->func].file;
	}
	/* preorder of the kept nodes */
	uint32_t norder = 0, sp = 0;
	stack[sp++] = 0;
	depth[0] = 0;
	while (sp) {
		uint32_t x = stack[--sp];
		order[norder++] = x;
		for (uint32_t c = koff[x + 1]; c-- > koff[x];) {
			uint32_t y = klist[c];
			if (keep[y]) {
				depth[y] = depth[x] + 1;
				stack[sp++] = y;
			}
		}
	}
	json_key(j, "names");
	json_arr_begin(j);
	json_str(j, root_name);
	uint32_t next_name = 1;
	for (uint32_t i = 1; i < norder; i++) {
		uint32_t kk = key[order[i]];
		if (name_ix[kk] == PROF_NONE) {
			name_ix[kk] = next_name++;
			json_strn(j, prof_str(p, kk), prof_strlen(p, kk));
		}
	}
	json_arr_end(j);
	json_key(j, "files");
	json_arr_begin(j);
	json_str(j, "");
	for (uint32_t i = 1, emitted = 1; i < norder && emitted < next_name; i++) {
		uint32_t kk = key[order[i]];
		if (name_ix[kk] != emitted)
			continue;
		emitted++;
		json_str(j, file_of[kk] == PROF_NONE ? "" : prof_str(p, file_of[kk]));
	}
	json_arr_end(j);
	json_key(j, "nodes");
	json_arr_begin(j);
	for (uint32_t i = 0; i < norder; i++) {
		uint32_t x = order[i];
		int64_t self = tot[x];
		for (uint32_t c = koff[x]; c < koff[x + 1]; c++)
			if (keep[klist[c]])
				self -= tot[klist[c]];
		json_arr_begin(j);
		json_uint(j, x ? name_ix[key[x]] : 0);
		json_uint(j, depth[x]);
		json_int(j, self);
		json_int(j, tot[x]);
		json_arr_end(j);
	}
	json_arr_end(j);
out:
	free(keep);
	free(stack);
	free(order);
	free(depth);
	free(name_ix);
	free(file_of);
}

void view_flame_json(const struct view *v, long max_nodes, struct json *j)
{
	json_obj_begin(j);
	json_key(j, "sample_type");
	json_sample_type(j, v->p, v->type);
	json_key(j, "total");
	json_int(j, v->total);
	emit_tree(v->p, v->n, v->parent, v->key, v->koff, v->klist, v->tot, max_nodes, "root", j);
	json_obj_end(j);
}

/* ---- sandwich ------------------------------------------------------------ */

/* a[i] += v, growing the zeroed array *a (capacity *cap) to hold i. */
static int add_at(int64_t **a, size_t *cap, uint32_t i, int64_t v)
{
	if (i >= *cap) {
		size_t nc = *cap;
		while (nc <= i)
			nc *= 2;
		int64_t *na = realloc(*a, nc * sizeof(int64_t));
		if (!na)
			return -1;
		memset(na + *cap, 0, (nc - *cap) * sizeof(int64_t));
		*a = na;
		*cap = nc;
	}
	(*a)[i] += v;
	return 0;
}

/* Callees: every outermost occurrence of F, its subtree merged under one
 * root. Callers: the path above each outermost F, reversed. */
int view_sandwich_json(const struct view *v, const char *function, long max_nodes, struct json *j)
{
	const struct prof *p = v->p;
	uint32_t fkey = PROF_NONE;
	for (uint32_t i = 1; i < v->n && fkey == PROF_NONE; i++)
		if (strcmp(prof_str(p, v->key[i]), function) == 0)
			fkey = v->key[i];
	if (fkey == PROF_NONE)
		return 1;
	int rc = -1;
	/* has_f_above[i]: F appears strictly above i. */
	uint8_t *above = calloc((size_t)v->n + 1, 1);
	uint32_t *map = malloc(((size_t)v->n + 1) * sizeof(uint32_t));
	struct nt_builder ce, ca;
	memset(&ce, 0, sizeof(ce));
	memset(&ca, 0, sizeof(ca));
	int64_t *ce_tot = NULL, *ca_tot = NULL;
	int64_t cumf = 0;
	uint32_t *ko1 = NULL, *kl1 = NULL, *ko2 = NULL, *kl2 = NULL;
	if (!above || !map || u64map_init(&ce.map, 256) < 0 || u64map_init(&ca.map, 256) < 0 ||
	    nt_grow(&ce) < 0 || nt_grow(&ca) < 0)
		goto out;
	ce.parent[0] = ca.parent[0] = 0;
	ce.key[0] = ca.key[0] = fkey;
	ce.n = ca.n = 1;
	/* Callees: map nodes inside outermost-F subtrees. */
	memset(map, 0xff, ((size_t)v->n + 1) * sizeof(uint32_t));
	size_t tcap = 1024;
	ce_tot = calloc(tcap, sizeof(int64_t));
	if (!ce_tot)
		goto out;
	for (uint32_t i = 1; i < v->n; i++) {
		uint32_t par = v->parent[i];
		above[i] = above[par] || (par && v->key[par] == fkey);
		if (v->key[i] == fkey && !above[i]) {
			map[i] = 0;
			ce_tot[0] += v->tot[i];
			cumf += v->tot[i];
		} else if (above[i] && map[par] != PROF_NONE) {
			uint32_t c = nt_child(&ce, map[par], v->key[i]);
			if (c == PROF_NONE)
				goto out;
			if (add_at(&ce_tot, &tcap, c, v->tot[i]) < 0)
				goto out;
			map[i] = c;
		}
	}
	/* Callers: walk up from each outermost F. */
	size_t acap = 1024;
	ca_tot = calloc(acap, sizeof(int64_t));
	if (!ca_tot)
		goto out;
	for (uint32_t i = 1; i < v->n; i++) {
		if (v->key[i] != fkey || above[i])
			continue;
		ca_tot[0] += v->tot[i];
		uint32_t cur = 0;
		for (uint32_t a = v->parent[i]; a != 0; a = v->parent[a]) {
			cur = nt_child(&ca, cur, v->key[a]);
			if (cur == PROF_NONE)
				goto out;
			if (add_at(&ca_tot, &acap, cur, v->tot[i]) < 0)
				goto out;
		}
	}
	if (tree_finish(p, ce.n, ce.parent, ce.key, &ko1, &kl1, NULL) < 0 ||
	    tree_finish(p, ca.n, ca.parent, ca.key, &ko2, &kl2, NULL) < 0)
		goto out;
	json_obj_begin(j);
	json_key(j, "sample_type");
	json_sample_type(j, p, v->type);
	json_key(j, "total");
	json_int(j, v->total);
	json_key(j, "function");
	json_str(j, function);
	json_key(j, "cum");
	json_int(j, cumf);
	json_key(j, "callees");
	json_obj_begin(j);
	emit_tree(p, ce.n, ce.parent, ce.key, ko1, kl1, ce_tot, max_nodes, function, j);
	json_obj_end(j);
	json_key(j, "callers");
	json_obj_begin(j);
	emit_tree(p, ca.n, ca.parent, ca.key, ko2, kl2, ca_tot, max_nodes, function, j);
	json_obj_end(j);
	json_obj_end(j);
	rc = 0;
out:
	free(ko1);
	free(kl1);
	free(ko2);
	free(kl2);
	free(above);
	free(map);
	free(ce_tot);
	free(ca_tot);
	free(ce.parent);
	free(ce.key);
	free(ca.parent);
	free(ca.key);
	u64map_release(&ce.map);
	u64map_release(&ca.map);
	return rc;
}

/* ---- tags ---------------------------------------------------------------- */

struct tagval {
	uint32_t key;
	char *text;      /* value as pprof prints it */
	int64_t total;
};

static int cmp_tagkey(const void *a, const void *b, void *arg)
{
	const struct prof *tag_prof = arg;
	const struct tagval *x = a, *y = b;
	int c = strcmp(prof_str(tag_prof, x->key), prof_str(tag_prof, y->key));
	if (c)
		return c;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return strcmp(x->text, y->text);
}

/* Totals per label value over the kept samples, as go tool pprof -tags:
 * a sample adds its value once per label value it carries. */
void view_tags_json(const struct view *v, long max_values, struct json *j)
{
	const struct prof *p = v->p;
	uint32_t *units = filter_num_units(p);
	struct u64map idx;
	struct tagval *vals = NULL;
	size_t nv = 0, cap = 0;
	if (u64map_init(&idx, 64) < 0)
		goto emit;
	for (uint32_t ls = 0; ls < p->n_labelsets; ls++) {
		if (!v->ls_seen || !v->ls_seen[ls])
			continue;
		const struct prof_labelset *s = &p->labelsets[ls];
		for (uint32_t i = 0; i < s->n; i++) {
			const struct prof_label *l = &p->labels[s->off + i];
			char text[128];
			const char *t;
			if (l->str != PROF_NONE) {
				t = prof_str(p, l->str);
			} else {
				measure_label(l->num, measure_key_unit(p, units, l->key), text, sizeof(text));
				t = text;
			}
			uint64_t h = hash_mix64(l->key) ^ hash_bytes(t, strlen(t));
			for (;; h++) {
				if (h == UINT64_MAX)
					h = 0;
				int ins;
				uint32_t *slot = u64map_put(&idx, h, &ins);
				if (!slot)
					goto emit;
				if (!ins) {
					if (vals[*slot].key == l->key && strcmp(vals[*slot].text, t) == 0) {
						vals[*slot].total += v->ls_sum[ls];
						break;
					}
					continue;
				}
				if (nv == cap) {
					size_t nc = cap ? cap * 2 : 64;
					struct tagval *nvp = realloc(vals, nc * sizeof(*vals));
					if (!nvp)
						goto emit;
					vals = nvp;
					cap = nc;
				}
				vals[nv].key = l->key;
				vals[nv].text = strdup(t);
				vals[nv].total = v->ls_sum[ls];
				if (!vals[nv].text)
					goto emit;
				*slot = (uint32_t)nv++;
				break;
			}
		}
	}
emit:
	if (vals)
		qsort_r(vals, nv, sizeof(*vals), cmp_tagkey, (void *)p);
	json_obj_begin(j);
	json_key(j, "sample_type");
	json_sample_type(j, p, v->type);
	json_key(j, "total");
	json_int(j, v->total);
	json_key(j, "tags");
	json_arr_begin(j);
	for (size_t i = 0; i < nv;) {
		size_t e = i;
		int64_t ktot = 0;
		bool numeric = false;
		while (e < nv && vals[e].key == vals[i].key)
			ktot += vals[e++].total;
		for (uint32_t l = 0; l < p->n_labels; l++)
			if (p->labels[l].key == vals[i].key && p->labels[l].str == PROF_NONE)
				numeric = true;
		json_obj_begin(j);
		json_key(j, "key");
		json_str(j, prof_str(p, vals[i].key));
		json_key(j, "numeric");
		json_bool(j, numeric);
		if (numeric) {
			json_key(j, "unit");
			json_str(j, measure_key_unit(p, units, vals[i].key));
		}
		json_key(j, "total");
		json_int(j, ktot);
		json_key(j, "n_values");
		json_uint(j, e - i);
		json_key(j, "values");
		json_arr_begin(j);
		for (size_t k = i; k < e && (max_values <= 0 || k - i < (size_t)max_values); k++) {
			json_obj_begin(j);
			json_key(j, "value");
			json_str(j, vals[k].text);
			json_key(j, "total");
			json_int(j, vals[k].total);
			json_obj_end(j);
		}
		json_arr_end(j);
		json_obj_end(j);
		i = e;
	}
	json_arr_end(j);
	json_obj_end(j);
	for (size_t i = 0; i < nv; i++)
		free(vals[i].text);
	free(vals);
	free(units);
	u64map_release(&idx);
}
