/*
 * view_pseudo.c: tagroot / tagleaf pseudo-frames (see view_pseudo.h).
 *
 * The view's tree T0 is refolded into a new tree: every kept sample's
 * path is its root pseudo-frames, then T0's path of its node, then its
 * leaf pseudo-frames. T0's paths are copied under each distinct root
 * prefix once, memoised by (prefix node, T0 node).
 */
#include "view_pseudo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "work.h"

int view_kept_add(struct view_kept *k, uint32_t node, uint32_t ls, int64_t val, bool pruned)
{
	if (k->n == k->cap) {
		uint32_t cap = k->cap ? k->cap * 2 : 1024;
		uint32_t *nn = realloc(k->node, (size_t)cap * sizeof(*nn));
		if (!nn)
			return -1;
		k->node = nn;
		uint32_t *nl = realloc(k->ls, (size_t)cap * sizeof(*nl));
		if (!nl)
			return -1;
		k->ls = nl;
		int64_t *nv = realloc(k->val, (size_t)cap * sizeof(*nv));
		if (!nv)
			return -1;
		k->val = nv;
		uint8_t *np = realloc(k->pruned, cap);
		if (!np)
			return -1;
		k->pruned = np;
		k->cap = cap;
	}
	k->node[k->n] = node;
	k->ls[k->n] = ls;
	k->val[k->n] = val;
	k->pruned[k->n] = pruned;
	k->n++;
	return 0;
}

void view_kept_release(struct view_kept *k)
{
	free(k->node);
	free(k->ls);
	free(k->val);
	free(k->pruned);
	memset(k, 0, sizeof(*k));
}

/* The string id of s in p, or PROF_NONE. */
static uint32_t find_str(const struct prof *p, const char *s)
{
	size_t n = strlen(s);
	for (uint32_t i = 0; i < p->n_strs; i++)
		if (prof_strlen(p, i) == n && !memcmp(prof_str(p, i), s, n))
			return i;
	return PROF_NONE;
}

/* Does any name filter of o match name (a pseudo-frame's function name) or
 * key (its file)? The name of which filter in *which. */
static bool filters_match(const struct view_opts *o, const char *name, size_t nlen, const char *key,
                          const char **which)
{
	const struct { bool has; const struct rx *x; const char *what; } f[] = {
		{ o->has_focus, &o->focus, "focus" },       { o->has_ignore, &o->ignore, "ignore" },
		{ o->has_hide, &o->hide, "hide" },          { o->has_show, &o->show, "show" },
		{ o->has_show_from, &o->show_from, "show_from" },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (f[i].has && (rx_match(f[i].x, name, nlen) || rx_match(f[i].x, key, strlen(key)))) {
			*which = f[i].what;
			return true;
		}
	}
	if (o->has_prune_from && nlen) {
		size_t st, len = filter_simplify(name, nlen, &st);
		if (rx_match(&o->prune_from, name + st, len)) {
			*which = "prune_from";
			return true;
		}
	}
	return false;
}

/* The frames of label set ls for the keys (string ids kid[0..nk)): out[i]
 * is the value's string id, or unk when the sample has no such label. */
static int ls_frames(const struct prof *p, uint32_t ls, const uint32_t *kid, int nk, uint32_t unk,
                     uint32_t *out, const char *const *names, char *err, size_t errcap)
{
	const struct prof_labelset *s = &p->labelsets[ls];
	for (int i = 0; i < nk; i++) {
		uint32_t v = PROF_NONE;
		for (uint32_t j = 0; j < s->n; j++) {
			const struct prof_label *l = &p->labels[s->off + j];
			if (l->key != kid[i])
				continue;
			if (l->str == PROF_NONE || v != PROF_NONE) {
				snprintf(err, errcap, "label %.100s has %s on a sample; tagroot/tagleaf take "
				         "labels with one string value per sample", names[i],
				         l->str == PROF_NONE ? "a numeric value" : "several values");
				return VIEW_PSEUDO_UNSUPPORTED;
			}
			v = l->str;
		}
		out[i] = v == PROF_NONE || prof_strlen(p, v) == 0 ? unk : v;
	}
	return 0;
}

/* The keys of o: kid[] their string ids, knames[] their names; nk. */
static int keys_of(const struct prof *p, const struct view_opts *o, uint32_t *kid, const char **knames)
{
	int nr = o->n_tagroot, nk = nr + o->n_tagleaf;
	for (int i = 0; i < nk; i++) {
		knames[i] = i < nr ? o->tagroot[i] : o->tagleaf[i - nr];
		kid[i] = find_str(p, knames[i]);
	}
	return nk;
}

int view_pseudo_check(const struct prof *p, const struct view_opts *o, char *err, size_t errcap)
{
	uint32_t kid[2 * FDX_MAX_TAG_KEYS];
	const char *knames[2 * FDX_MAX_TAG_KEYS];
	int nr = o->n_tagroot, nk = keys_of(p, o, kid, knames);
	if (nk == 0)
		return 0;
	for (int i = 0; i < nk; i++) {
		bool used = false;
		for (uint32_t l = 0; kid[i] != PROF_NONE && l < p->n_labels && !used; l++)
			used = p->labels[l].key == kid[i];
		if (!used) {
			snprintf(err, errcap, "no sample has a label %.100s", knames[i]);
			return VIEW_PSEUDO_NO_KEY;
		}
	}
	uint32_t unk = find_str(p, "<unknown>");
	if (unk == PROF_NONE) {
		snprintf(err, errcap, "the profile has no \"<unknown>\" name");
		return VIEW_PSEUDO_UNSUPPORTED;
	}
	uint8_t *checked = calloc((size_t)p->n_strs + 1, 1);
	if (!checked)
		return -1;
	int rc = 0;
	uint32_t f[2 * FDX_MAX_TAG_KEYS];
	for (uint32_t ls = 0; ls < p->n_labelsets && rc == 0; ls++) {
		if ((rc = ls_frames(p, ls, kid, nk, unk, f, knames, err, errcap)) != 0)
			break;
		for (int j = 0; j < nk && rc == 0; j++) {
			uint8_t bit = j < nr ? 1 : 2;
			if (checked[f[j]] & bit)
				continue;
			checked[f[j]] |= bit;
			/* pprof names the frame of a missing label "" */
			const char *nm = f[j] == unk ? "" : prof_str(p, f[j]);
			size_t nlen = f[j] == unk ? 0 : prof_strlen(p, f[j]);
			const char *which;
			if (filters_match(o, nm, nlen, knames[j], &which)) {
				snprintf(err, errcap, "%s matches the pseudo-frame %.100s of label %.100s; pprof would "
				         "filter on it, flamedex does not", which, f[j] == unk ? "<unknown>" : nm,
				         knames[j]);
				rc = VIEW_PSEUDO_MATCH;
			}
		}
	}
	if (rc == 0 && (rx_failed(&o->focus) || rx_failed(&o->ignore) || rx_failed(&o->hide) ||
	                rx_failed(&o->show) || rx_failed(&o->show_from) || rx_failed(&o->prune_from)))
		rc = -1;
	free(checked);
	return rc;
}

int view_pseudo_fold(struct view *v, const struct view_opts *o, const struct view_kept *k)
{
	const struct prof *p = v->p;
	bool roots = o->n_tagroot > 0 && !o->has_show && !o->has_show_from;
	bool leaves = o->n_tagleaf > 0 && !o->has_show;
	uint32_t kid[2 * FDX_MAX_TAG_KEYS];
	const char *knames[2 * FDX_MAX_TAG_KEYS];
	int nr = o->n_tagroot, nk = keys_of(p, o, kid, knames);
	uint32_t unk = find_str(p, "<unknown>");
	if (unk == PROF_NONE)
		return -1; /* view_pseudo_check refused it */
	/* per label set: its frames (computed when first used) */
	uint32_t *fr = malloc(((size_t)p->n_labelsets + 1) * (size_t)(nk ? nk : 1) * sizeof(uint32_t));
	uint8_t *done = calloc((size_t)p->n_labelsets + 1, 1);
	struct u64map memo = { 0 };
	struct ntree t = { 0 };
	uint32_t *up = malloc(((size_t)v->t.n + 1) * sizeof(uint32_t));
	int rc = -1;
	char err[8];
	if (!fr || !done || !up || u64map_init(&memo, 1024) < 0 ||
	    ntree_init(&t, VIEW_NCOLS, PROF_NONE, (size_t)v->t.n + 1024) < 0)
		goto out;
	for (uint32_t i = 0; i < k->n; i++) {
		if ((i & 1023) == 0 && work_poll() != WORK_OK)
			goto out;
		uint32_t ls = k->ls[i];
		uint32_t *f = fr + (size_t)ls * (size_t)nk;
		if (!done[ls]) {
			if (ls_frames(p, ls, kid, nk, unk, f, knames, err, sizeof(err)) != 0)
				goto out;
			done[ls] = 1;
		}
		uint32_t cur = 0;
		for (int j = 0; roots && j < nr; j++)
			if ((cur = ntree_child(&t, cur, f[j])) == NTREE_NONE)
				goto out;
		/* T0's path of node k->node[i], copied under cur */
		uint32_t x = k->node[i], depth = 0;
		uint32_t *slot = NULL;
		while (x != 0) {
			int ins = 0;
			slot = u64map_put(&memo, ((uint64_t)cur << 32) | x, &ins);
			if (!slot)
				goto out;
			if (!ins)
				break;
			*slot = NTREE_NONE;
			up[depth++] = x;
			x = ntree_parent(&v->t, x);
		}
		uint32_t at = x == 0 ? cur : *slot;
		while (depth > 0) {
			uint32_t y = up[--depth];
			if ((at = ntree_child(&t, at, ntree_key(&v->t, y))) == NTREE_NONE)
				goto out;
			uint32_t *s = u64map_get(&memo, ((uint64_t)cur << 32) | y);
			if (s)
				*s = at;
		}
		bool add_leaves = leaves && !(o->has_prune_from && k->pruned[i]);
		for (int j = nr; add_leaves && j < nk; j++)
			if ((at = ntree_child(&t, at, f[j])) == NTREE_NONE)
				goto out;
		t.col[VIEW_SELF][at] += k->val[i];
	}
	struct ntree_names names = prof_names(p);
	if (ntree_finish(&t, &names, true) < 0)
		goto out;
	ntree_release(&v->t);
	v->t = t;
	memset(&t, 0, sizeof(t));
	rc = 0;
out:
	free(fr);
	free(done);
	free(up);
	u64map_release(&memo);
	ntree_release(&t);
	return rc;
}
