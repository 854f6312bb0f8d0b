/*
 * view.c: filtering and folding a profile into a view (see view.h).
 *
 * Matching is per function (name and file) and per mapping file, once per
 * distinct one (filter.h); the bits are pushed down the location trie in
 * one pass, so a node knows whether a frame above it matched.
 *
 * Folding: every location-trie node maps to one node of the name tree
 * (children merged by printed name). Without hide that mapping does not
 * depend on the request, so it is built once per profile (prof_ntree) and
 * a view only sums sample values into a borrowed copy: O(samples + tree
 * nodes). With hide, a private tree is built for the weighted nodes only.
 */
#include "view.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "view_granularity.h"
#include "view_pseudo.h"
#include "view_transform.h"
#include "work.h"

void view_json_sample_type(struct json *j, const struct prof *p, int t)
{
	json_obj_begin(j);
	json_key(j, "type");
	json_str(j, p->n_types ? prof_str(p, p->type_type[t]) : "");
	json_key(j, "unit");
	json_str(j, p->n_types ? prof_str(p, p->type_unit[t]) : "");
	json_obj_end(j);
}

void view_json_header(const struct view *v, struct json *j)
{
	json_key(j, "sample_type");
	view_json_sample_type(j, v->p, v->type);
	json_key(j, "total");
	json_int(j, v->total);
	if (v->gran != VIEW_GRAN_FUNCTIONS) { /* the default is left out */
		json_key(j, "granularity");
		json_str(j, view_gran_name(v->gran));
	}
}

void view_release(struct view *v)
{
	ntree_release(&v->t); /* before own_p: the tree may borrow its shared one */
	free(v->ls_sum);
	free(v->ls_seen);
	view_gran_prof_free(v->own_p);
	memset(v, 0, sizeof(*v));
}

/* Map the trie nodes of p onto t: ntof[n] is the name-tree node of trie
 * node n. With fb, frames with FILTER_HIDE are left out; with absv, only
 * nodes with a non-zero absv are mapped (the others keep garbage). With
 * c (show_from / prune_from), only the frames c->lo..c->hi of each
 * location are folded, and a node above its path's show_from cut is not
 * mapped: the one below it starts at the root. */
struct cuts {
	uint32_t *lo, *hi;   /* per location: the frames that stay, inclusive */
	uint8_t *sc;         /* per trie node: at or below the show_from cut */
	uint32_t *pm;        /* per trie node: its leafmost prune_from node, or NTREE_NONE */
};

static int fold_trie(const struct prof *p, const uint8_t *fb, const int64_t *absv, const struct cuts *c,
                     struct ntree *t, uint32_t *ntof)
{
	ntof[0] = 0;
	for (uint32_t n = 1; n < p->n_nodes; n++) {
		if (absv && absv[n] == 0)
			continue;
		if (work_poll() != WORK_OK)
			return -1;
		uint32_t par = p->nodes[n].parent, loc = p->nodes[n].loc;
		if (c && !c->sc[n])
			continue;
		uint32_t cur = c && !c->sc[par] ? 0 : ntof[par];
		const struct prof_loc *l = &p->locs[loc];
		uint32_t k0 = c ? c->lo[loc] : 0, k1 = c ? c->hi[loc] + 1 : l->n;
		for (uint32_t k = k0; k < k1 && k < l->n; k++) {
			uint32_t fr = p->loc_frames[l->off + k];
			if (fb && (fb[fr] & FILTER_HIDE))
				continue;
			cur = ntree_child(t, cur, p->frames[fr].key);
			if (cur == NTREE_NONE)
				return -1;
		}
		ntof[n] = cur;
	}
	return 0;
}

static void cuts_release(struct cuts *c)
{
	free(c->lo);
	free(c->hi);
	free(c->sc);
	free(c->pm);
	memset(c, 0, sizeof(*c));
}

/* pprof's ShowFrom and PruneFrom, which trim the lines of every location
 * (the ones rootward of its rootmost show_from match, leafward of its
 * leafmost prune_from match, among the lines hide and show left) and then
 * cut each sample's stack. 0 or -1. */
static int cuts_build(const struct prof *p, const struct view_opts *o, const uint8_t *fb, struct cuts *c)
{
	uint32_t N = p->n_nodes;
	uint8_t *sfm = calloc((size_t)p->n_locs + 1, 1), *pmm = calloc((size_t)p->n_locs + 1, 1);
	c->lo = malloc(((size_t)p->n_locs + 1) * sizeof(uint32_t));
	c->hi = malloc(((size_t)p->n_locs + 1) * sizeof(uint32_t));
	c->sc = malloc((size_t)N + 1);
	c->pm = malloc(((size_t)N + 1) * sizeof(uint32_t));
	if (!sfm || !pmm || !c->lo || !c->hi || !c->sc || !c->pm) {
		free(sfm);
		free(pmm);
		cuts_release(c);
		return -1;
	}
	for (uint32_t L = 0; L < p->n_locs; L++) {
		const struct prof_loc *l = &p->locs[L];
		uint32_t lo = 0, hi = l->n ? l->n - 1 : 0;
		for (uint32_t k = 0; o->has_show_from && k < l->n; k++) {
			uint8_t b = fb[p->loc_frames[l->off + k]];
			if (!(b & FILTER_HIDE) && (b & FILTER_SHOW_FROM)) {
				lo = k;
				sfm[L] = 1;
				break;
			}
		}
		for (uint32_t k = l->n; o->has_prune_from && k-- > lo;) {
			uint8_t b = fb[p->loc_frames[l->off + k]];
			if (!(b & FILTER_HIDE) && (b & FILTER_PRUNE_FROM)) {
				hi = k;
				pmm[L] = 1;
				break;
			}
		}
		c->lo[L] = lo;
		c->hi[L] = hi;
	}
	c->sc[0] = !o->has_show_from;
	c->pm[0] = NTREE_NONE;
	for (uint32_t n = 1; n < N; n++) {
		uint32_t L = p->nodes[n].loc, par = p->nodes[n].parent;
		c->sc[n] = c->sc[par] || sfm[L];
		c->pm[n] = c->sc[n] && pmm[L] ? n : c->pm[par];
	}
	free(sfm);
	free(pmm);
	return 0;
}

/* When the trie is its own name tree, the key of each location shifted
 * by one (ntree_init_lent's kmap: [0] the root's key), else NULL: every
 * location one frame and no two locations of one key (then no two
 * siblings, which have distinct locations, have one key, and fold_trie
 * would give every trie node a new child of its parent's node, numbered
 * as the trie is). A profile with two such locations (one function at two
 * lines) takes the general fold, which finds the identity afterwards when
 * it holds all the same. */
static uint32_t *trie_kmap(const struct prof *p)
{
	if (p->n_nodes == 0 || p->nodes[0].parent != 0 || p->nodes[0].loc != PROF_NONE)
		return NULL;
	uint8_t *seen = calloc((size_t)p->n_strs + 1, 1);
	uint32_t *kmap = malloc(((size_t)p->n_locs + 1) * sizeof(uint32_t));
	bool ok = seen && kmap;
	if (ok)
		kmap[0] = PROF_NONE;
	for (uint32_t L = 0; ok && L < p->n_locs; L++) {
		uint32_t k = p->locs[L].n == 1 ? p->frames[p->loc_frames[p->locs[L].off]].key : PROF_NONE;
		ok = k < p->n_strs && !seen[k];
		if (ok) {
			seen[k] = 1;
			kmap[L + 1] = k;
		}
	}
	for (uint32_t n = 1; ok && n < p->n_nodes; n++)
		ok = p->nodes[n].loc < p->n_locs;
	free(seen);
	if (!ok) {
		free(kmap);
		return NULL;
	}
	return kmap;
}

/* The shared name tree of p, built on first use; NULL when out of memory. */
static const struct prof_ntree *shared_tree(const struct prof *cp)
{
	struct prof *p = (struct prof *)cp; /* only the lazy cache is written */
	pthread_mutex_lock(&p->lazy_mu);
	uint32_t *kmap = p->ntree ? NULL : trie_kmap(p);
	if (kmap) {
		/* The trie is the tree: it lends its (parent, location) pairs */
		struct prof_ntree *t = calloc(1, sizeof(*t));
		struct ntree_names names = prof_names(p);
		_Static_assert(sizeof(struct prof_node) == 2 * sizeof(uint32_t) && offsetof(struct prof_node, parent) == 0 &&
		                   offsetof(struct prof_node, loc) == sizeof(uint32_t),
		               "prof_node is (parent, loc)");
		if (!t)
			free(kmap);
		if (t && ntree_init_lent(&t->t, p->n_nodes, &p->nodes[0].parent, kmap) == 0 &&
		    ntree_finish(&t->t, &names, true) == 0)
			p->ntree = t;
		else
			prof_ntree_free(t);
	} else if (!p->ntree) {
		struct prof_ntree *t = calloc(1, sizeof(*t));
		struct ntree_names names = prof_names(p);
		if (t && (t->ntof = malloc(((size_t)p->n_nodes + 1) * sizeof(uint32_t))) &&
		    ntree_init(&t->t, 0, PROF_NONE, p->n_nodes) == 0 && fold_trie(p, NULL, NULL, NULL, &t->t, t->ntof) == 0 &&
		    ntree_finish(&t->t, &names, true) == 0) {
			/* The identity map is not kept (prof.h). */
			bool identity = t->t.n == p->n_nodes;
			for (uint32_t n = 0; identity && n < p->n_nodes; n++)
				identity = t->ntof[n] == n;
			if (identity) {
				free(t->ntof);
				t->ntof = NULL;
			}
			p->ntree = t;
		} else
			prof_ntree_free(t);
	}
	pthread_mutex_unlock(&p->lazy_mu);
	return p->ntree;
}

/* is_base[ls]: the label set carries pprof::base (a diff profile's base
 * samples); NULL in *out when no label does. 0 or -1. */
static int base_labelsets(const struct prof *p, uint8_t **out)
{
	*out = NULL;
	for (uint32_t i = 0; i < p->n_labels; i++) {
		if (strcmp(prof_str(p, p->labels[i].key), "pprof::base") != 0)
			continue;
		uint8_t *is_base = calloc((size_t)p->n_labelsets + 1, 1);
		if (!is_base)
			return -1;
		for (uint32_t ls = 0; ls < p->n_labelsets; ls++)
			for (uint32_t k = 0; k < p->labelsets[ls].n; k++)
				if (strcmp(prof_str(p, p->labels[p->labelsets[ls].off + k].key), "pprof::base") == 0)
					is_base[ls] = 1;
		*out = is_base;
		return 0;
	}
	return 0;
}

/* nb[n]: FILTER_FOCUS / FILTER_IGNORE when a frame at or above trie node
 * n matches; allhidden[n] (with hide): every frame at and above n is
 * hidden. */
static int node_bits(const struct prof *p, const struct view_opts *o, const uint8_t *fb, uint8_t **nb_out,
                     uint8_t **allhidden_out)
{
	uint32_t N = p->n_nodes;
	uint8_t *lb = calloc((size_t)p->n_locs + 1, 1);
	uint8_t *nb = calloc((size_t)N + 1, 1);
	bool hides = o->has_hide || o->has_show;
	uint8_t *allhidden = hides ? malloc((size_t)N + 1) : NULL;
	if (!lb || !nb || (hides && !allhidden)) {
		free(lb);
		free(nb);
		free(allhidden);
		return -1;
	}
	for (uint32_t l = 0; l < p->n_locs; l++)
		for (uint32_t k = 0; k < p->locs[l].n; k++)
			lb[l] |= fb[p->loc_frames[p->locs[l].off + k]];
	for (uint32_t n = 1; n < N; n++)
		nb[n] = nb[p->nodes[n].parent] | (lb[p->nodes[n].loc] & (FILTER_FOCUS | FILTER_IGNORE));
	if (work_poll() != WORK_OK) {
		free(lb);
		free(nb);
		free(allhidden);
		return -1;
	}
	if (allhidden) {
		allhidden[0] = 1;
		for (uint32_t n = 1; n < N; n++) {
			const struct prof_loc *l = &p->locs[p->nodes[n].loc];
			bool any = false;
			for (uint32_t k = 0; k < l->n && !any; k++)
				any = !(fb[p->loc_frames[l->off + k]] & FILTER_HIDE);
			allhidden[n] = allhidden[p->nodes[n].parent] && !any;
		}
	}
	free(lb);
	*nb_out = nb;
	*allhidden_out = allhidden;
	return 0;
}

static int build_view(const struct prof *p, const struct view_opts *o, bool with_tags, struct view *v);

int view_build(const struct prof *p, const struct view_opts *o, bool with_tags, struct view *v)
{
	if (o->gran == VIEW_GRAN_FUNCTIONS)
		return build_view(p, o, with_tags, v);
	/* the same view of the profile keyed by the names at o->gran */
	struct prof *gp = view_gran_prof(p, o->gran);
	if (!gp) {
		memset(v, 0, sizeof(*v));
		return -1;
	}
	int rc = build_view(gp, o, with_tags, v);
	if (rc != 0) {
		view_gran_prof_free(gp);
		return rc;
	}
	v->own_p = gp;
	v->gran = o->gran;
	return 0;
}

static int build_view(const struct prof *p, const struct view_opts *o, bool with_tags, struct view *v)
{
	memset(v, 0, sizeof(*v));
	v->p = p;
	v->type = o->type;
	bool hides = o->has_hide || o->has_show;
	bool cut = o->has_show_from || o->has_prune_from;
	bool name_filters = o->has_focus || o->has_ignore || hides;
	/* tagroot/tagleaf: every sample gets pseudo-frames that show hides
	 * and focus never matches (view_pseudo.h), so with neither a sample
	 * left without a visible stack frame is kept, as pprof keeps it */
	bool pseudo = o->n_tagroot > 0 || o->n_tagleaf > 0;
	bool keep_bare = pseudo && !o->has_show && !o->has_focus;
	struct view_kept kept = { 0 };
	bool scaled = o->scale != 0 && o->scale != 1;
	uint8_t *fb = NULL, *nb = NULL, *lsk = NULL, *is_base = NULL, *allhidden = NULL;
	int64_t *selfv = NULL, *absv = NULL;
	uint32_t *ntof_priv = NULL;
	int rc = -1;
	uint32_t N = p->n_nodes;
	const struct prof_ntree *shared = NULL;
	struct cuts cuts = { 0 };
	/* The arrays below, charged to the request's memory account (work.h)
	 * for as long as they live: frame and location bits, node bits, the
	 * private tree's node sums and map (with hide), label-set sums. */
	size_t held = (size_t)p->n_frames + p->n_locs + 2 * (size_t)N + 2 * (size_t)p->n_labelsets + 64 +
	              (name_filters || cut ? (size_t)p->n_funcs + p->n_strs : 0) +
	              (pseudo ? (size_t)p->n_samples * (2 * sizeof(uint32_t) + sizeof(int64_t) + 1) : 0) +
	              (hides || cut ? (size_t)N * (2 * sizeof(int64_t) + sizeof(uint32_t)) : 0) +
	              (cut ? 2 * (size_t)p->n_locs * (2 * sizeof(uint32_t) + 1) + (size_t)N * (1 + sizeof(uint32_t)) : 0) +
	              (with_tags ? (size_t)p->n_labelsets * (sizeof(int64_t) + 1) : 0);
	if (work_charge(held) < 0)
		return -1;

	if (!hides && !cut && !(shared = shared_tree(p)))
		goto out;
	if ((name_filters || cut) && !(fb = filter_frame_bits(p, o)))
		goto out;
	if (name_filters && node_bits(p, o, fb, &nb, &allhidden) < 0)
		goto out;
	if (cut && cuts_build(p, o, fb, &cuts) < 0)
		goto out;
	if ((o->has_tagfocus || o->has_tagignore) && !(lsk = filter_labelsets(p, o)))
		goto out;
	if (with_tags) {
		v->ls_sum = calloc((size_t)p->n_labelsets + 1, sizeof(int64_t));
		v->ls_seen = calloc((size_t)p->n_labelsets + 1, sizeof(bool));
		if (!v->ls_sum || !v->ls_seen)
			goto out;
	}
	if (base_labelsets(p, &is_base) < 0)
		goto out;
	/* Totals only: one column, summed up in place (see view.h). */
	bool one_col = o->tot_only && shared && !pseudo && !view_transform_wanted(o);
	if (shared) {
		if (ntree_borrow(&v->t, &shared->t, one_col ? 1 : VIEW_NCOLS) < 0)
			goto out;
	} else {
		selfv = calloc((size_t)N + 1, sizeof(int64_t));
		absv = calloc((size_t)N + 1, sizeof(int64_t));
		if (!selfv || !absv)
			goto out;
	}
	/* pprof's computeTotal: the sum of absolute values, or, in a diff
	 * profile, of the samples labelled pprof::base only. Every other sum
	 * below adds a subset of these absolute values, so when total_abs
	 * fits in int64 they all do. */
	int64_t total_abs = 0, total_base = 0;
	for (uint32_t s = 0; s < p->n_samples; s++) {
		if (work_poll() != WORK_OK)
			goto out;
		uint32_t node = p->samples[s].node;
		if (name_filters) {
			if ((node == 0 && !keep_bare) || (nb[node] & FILTER_IGNORE))
				continue;
			if (o->has_focus && !(nb[node] & FILTER_FOCUS))
				continue;
			if (allhidden && allhidden[node] && !keep_bare)
				continue;
		}
		bool pruned = false;
		if (cut) {
			if (!cuts.sc[node])
				continue;
			if (cuts.pm[node] != NTREE_NONE) {
				node = cuts.pm[node];
				pruned = true;
			}
		}
		uint32_t ls = p->samples[s].labelset;
		if (lsk && !lsk[ls])
			continue;
		int64_t val = p->n_types ? p->values[(size_t)s * p->n_types + (size_t)o->type] : 0;
		if (scaled) {
			double x = (double)val * o->scale;
			if (!(fabs(x) < 9223372036854775807.0)) {
				rc = VIEW_OVERFLOW;
				goto out;
			}
			val = llround(x); /* pprof's ScaleN */
		}
		int64_t av = val < 0 ? -val : val; /* val > INT64_MIN: the decoder checked */
		if (!util_add_ok(&total_abs, av)) {
			rc = VIEW_OVERFLOW;
			goto out;
		}
		if (is_base && is_base[ls])
			total_base += av;
		if (pseudo && view_kept_add(&kept, node, ls, val, pruned) < 0)
			goto out;
		if (shared) {
			v->t.col[VIEW_SELF][prof_ntree_node(shared, node)] += val;
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
		struct ntree_names names = prof_names(p);
		for (uint32_t n = N; n-- > 1;)
			absv[p->nodes[n].parent] += absv[n];
		ntof_priv = malloc(((size_t)N + 1) * sizeof(uint32_t));
		if (!ntof_priv || ntree_init(&v->t, VIEW_NCOLS, PROF_NONE, 1024) < 0 ||
		    fold_trie(p, fb, absv, cut ? &cuts : NULL, &v->t, ntof_priv) < 0)
			goto out;
		for (uint32_t n = 0; n < N; n++)
			if (selfv[n] && (n == 0 || absv[n]) && (!cut || cuts.sc[n]))
				v->t.col[VIEW_SELF][ntof_priv[n]] += selfv[n];
		if (ntree_finish(&v->t, &names, true) < 0)
			goto out;
	}
	if (pseudo) {
		/* kept.node: trie nodes -> nodes of v->t */
		for (uint32_t i = 0; i < kept.n; i++) {
			uint32_t n = kept.node[i];
			kept.node[i] = shared ? prof_ntree_node(shared, n) : (n == 0 || absv[n] ? ntof_priv[n] : 0);
		}
		if (view_pseudo_fold(v, o, &kept) < 0)
			goto out;
	}
	if (view_transform_wanted(o) && view_transform(v, o) < 0)
		goto out;
	if (one_col) {
		ntree_sum_up(&v->t, VIEW_SELF, VIEW_SELF);
		v->t.col[VIEW_TOT] = v->t.col[VIEW_SELF];
		v->t.col[VIEW_SELF] = NULL;
	} else {
		ntree_sum_up(&v->t, VIEW_SELF, VIEW_TOT);
	}
	v->total = total_base > 0 ? total_base : total_abs;
	rc = 0;
out:
	free(fb);
	free(nb);
	free(lsk);
	free(is_base);
	free(allhidden);
	free(selfv);
	free(absv);
	free(ntof_priv);
	cuts_release(&cuts);
	view_kept_release(&kept);
	work_uncharge(held);
	if (rc != 0)
		view_release(v);
	return rc;
}

int view_kept_samples(const struct prof *p, const struct view_opts *o, uint8_t **keep_out, uint8_t **fb_out,
                      int64_t *total_out, int64_t *kept_total_out)
{
	int64_t kept_abs = 0, kept_base = 0;
	*kept_total_out = 0;
	*keep_out = NULL;
	*fb_out = NULL;
	*total_out = 0;
	bool name_filters = o->has_focus || o->has_ignore || o->has_hide;
	uint8_t *fb = NULL, *nb = NULL, *lsk = NULL, *is_base = NULL, *allhidden = NULL;
	uint8_t *keep = calloc((size_t)p->n_samples + 1, 1);
	int rc = -1;
	if (!keep)
		goto out;
	if (name_filters && (!(fb = filter_frame_bits(p, o)) || node_bits(p, o, fb, &nb, &allhidden) < 0))
		goto out;
	if ((o->has_tagfocus || o->has_tagignore) && !(lsk = filter_labelsets(p, o)))
		goto out;
	if (base_labelsets(p, &is_base) < 0)
		goto out;
	int64_t total_abs = 0, total_base = 0;
	for (uint32_t s = 0; s < p->n_samples; s++) {
		uint32_t node = p->samples[s].node;
		uint32_t ls = p->samples[s].labelset;
		int64_t val = p->n_types ? p->values[(size_t)s * p->n_types + (size_t)o->type] : 0;
		int64_t av = val < 0 ? -val : val;
		/* pprof's report total is taken before the filters apply */
		if (!util_add_ok(&total_abs, av)) {
			rc = VIEW_OVERFLOW;
			goto out;
		}
		if (is_base && is_base[ls])
			total_base += av;
		if (name_filters) {
			if (node == 0 || (nb[node] & FILTER_IGNORE))
				continue;
			if (o->has_focus && !(nb[node] & FILTER_FOCUS))
				continue;
			if (allhidden && allhidden[node])
				continue;
		}
		if (lsk && !lsk[ls])
			continue;
		keep[s] = 1;
		kept_abs += av; /* <= total_abs */
		if (is_base && is_base[ls])
			kept_base += av;
	}
	*total_out = total_base > 0 ? total_base : total_abs;
	*kept_total_out = kept_base > 0 ? kept_base : kept_abs;
	*keep_out = keep;
	keep = NULL;
	if (o->has_hide) {
		*fb_out = fb;
		fb = NULL;
	}
	rc = 0;
out:
	free(keep);
	free(fb);
	free(nb);
	free(lsk);
	free(is_base);
	free(allhidden);
	return rc;
}
