/*
 * view_tags.c: totals per label value, as go tool pprof -tags (see view.h).
 *
 * Values are printed as pprof prints them (numeric ones scaled to their
 * unit: "1.50kB", "2ms"), and two labels that print alike are one value.
 *
 * Per key, besides pprof's total (a sample counts once per value it
 * carries), "labelled" counts each kept sample with a stack that carries
 * the key once, and "unlabelled" is the rest of the view's total (the
 * denominator of every share the flame graph shows), so that the values'
 * shares and the unlabelled share of a key are shares of one whole.
 */
#include "view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct tagval {
	uint32_t key;
	char *text;      /* value as pprof prints it */
	int64_t total;
};

/* The values seen so far, found by (key, text) through a hash index. */
struct tagset {
	struct tagval *vals;
	size_t n, cap;
	struct u64map idx;
};

static void tagset_release(struct tagset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->vals[i].text);
	free(s->vals);
	u64map_release(&s->idx);
}

/* Add v to the value (key, t). 0, -1, or VIEW_OVERFLOW. */
static int tagset_add(struct tagset *s, uint32_t key, const char *t, int64_t v)
{
	size_t tl = strlen(t);
	uint64_t h = hash_mix64(key) ^ hash_bytes(t, tl);
	for (;; h++) {
		if (h == UINT64_MAX)
			h = 0;
		int ins;
		uint32_t *slot = u64map_put(&s->idx, h, &ins);
		if (!slot)
			return -1;
		if (!ins) {
			struct tagval *tv = &s->vals[*slot];
			if (tv->key != key || strcmp(tv->text, t) != 0)
				continue;
			return util_add_ok(&tv->total, v) ? 0 : VIEW_OVERFLOW;
		}
		if (s->n == s->cap) {
			size_t nc = s->cap ? s->cap * 2 : 64;
			struct tagval *nv = realloc(s->vals, nc * sizeof(*nv));
			if (!nv)
				return -1;
			s->vals = nv;
			s->cap = nc;
		}
		char *text = malloc(tl + 1);
		if (!text)
			return -1;
		memcpy(text, t, tl + 1);
		s->vals[s->n] = (struct tagval){ key, text, v };
		*slot = (uint32_t)s->n++;
		return 0;
	}
}

/* Every label value of the label sets the view kept. On VIEW_OVERFLOW
 * *bad is the key whose value overflowed. */
static int collect(const struct view *v, const uint32_t *units, struct tagset *s, uint32_t *bad)
{
	const struct prof *p = v->p;
	for (uint32_t ls = 0; ls < p->n_labelsets; ls++) {
		if (work_poll() != WORK_OK)
			return -1;
		if (!v->ls_seen || !v->ls_seen[ls])
			continue;
		const struct prof_labelset *set = &p->labelsets[ls];
		for (uint32_t i = 0; i < set->n; i++) {
			const struct prof_label *l = &p->labels[set->off + i];
			char text[128];
			const char *t = text;
			if (l->str != PROF_NONE)
				t = prof_str(p, l->str);
			else
				measure_label(l->num, measure_key_unit(p, units, l->key), text, sizeof(text));
			int rc = tagset_add(s, l->key, t, v->ls_sum[ls]);
			if (rc != 0) {
				*bad = l->key;
				return rc;
			}
		}
	}
	return 0;
}

static int cmp_tagval(const void *a, const void *b, void *arg)
{
	const struct prof *p = arg;
	const struct tagval *x = a, *y = b;
	int c = strcmp(prof_str(p, x->key), prof_str(p, y->key));
	if (c)
		return c;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return strcmp(x->text, y->text);
}

/* The values of one key: vals[i..e), its total in *ktot. */
static bool key_total(const struct tagset *s, size_t i, size_t *e, int64_t *ktot)
{
	bool ok = true;
	*ktot = 0;
	for (*e = i; *e < s->n && s->vals[*e].key == s->vals[i].key; (*e)++)
		ok = ok && util_add_ok(ktot, s->vals[*e].total);
	return ok;
}

static void write_key(const struct view *v, const uint32_t *units, const struct tagset *s, size_t i, size_t e,
                      int64_t ktot, int64_t labelled, long max_values, struct json *j)
{
	const struct prof *p = v->p;
	uint32_t key = s->vals[i].key;
	bool numeric = false;
	for (uint32_t l = 0; l < p->n_labels && !numeric; l++)
		numeric = p->labels[l].key == key && p->labels[l].str == PROF_NONE;
	json_obj_begin(j);
	json_key(j, "key");
	json_str(j, prof_str(p, key));
	json_key(j, "numeric");
	json_bool(j, numeric);
	if (numeric) {
		json_key(j, "unit");
		json_str(j, measure_key_unit(p, units, key));
	}
	json_key(j, "total");
	json_int(j, ktot);
	json_key(j, "labelled");
	json_int(j, labelled);
	json_key(j, "unlabelled");
	json_int(j, v->total > labelled ? v->total - labelled : 0);
	json_key(j, "n_values");
	json_uint(j, e - i);
	json_key(j, "values");
	json_arr_begin(j);
	for (size_t k = i; k < e && (max_values <= 0 || k - i < (size_t)max_values); k++) {
		json_obj_begin(j);
		json_key(j, "value");
		json_str(j, s->vals[k].text);
		json_key(j, "total");
		json_int(j, s->vals[k].total);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

/* lab[k]: the sum of the kept samples (with a stack) carrying the key of
 * the values' k-th key group (keys[k]), each sample once; one pass over
 * the label sets. 0 or -1. */
static int key_labelled(const struct view *v, const uint32_t *keys, size_t nk, int64_t *lab)
{
	const struct prof *p = v->p;
	struct u64map idx;
	uint32_t *last = malloc((nk + 1) * sizeof(uint32_t));
	if (!last || u64map_init(&idx, nk * 2 + 1) < 0) {
		free(last);
		return -1;
	}
	int rc = -1;
	for (size_t k = 0; k < nk; k++) {
		int ins;
		uint32_t *slot = u64map_put(&idx, keys[k], &ins);
		if (!slot)
			goto out;
		*slot = (uint32_t)k;
		last[k] = UINT32_MAX;
		lab[k] = 0;
	}
	for (uint32_t ls = 0; ls < p->n_labelsets; ls++) {
		if (!v->ls_seen || !v->ls_seen[ls])
			continue;
		const struct prof_labelset *set = &p->labelsets[ls];
		for (uint32_t i = 0; i < set->n; i++) {
			const uint32_t *k = u64map_get(&idx, p->labels[set->off + i].key);
			if (k && last[*k] != ls) { /* a key with several values counts once */
				last[*k] = ls;
				lab[*k] += v->ls_sum[ls];
			}
		}
	}
	rc = 0;
out:
	u64map_release(&idx);
	free(last);
	return rc;
}

int view_tags_json(const struct view *v, long max_values, struct json *j, char *err, size_t errcap)
{
	const struct prof *p = v->p;
	uint32_t *units = measure_num_units(p);
	struct tagset s;
	memset(&s, 0, sizeof(s));
	uint32_t bad = PROF_NONE;
	uint32_t *keys = NULL;
	int64_t *lab = NULL;
	int rc = -1;
	if (!units || u64map_init(&s.idx, 64) < 0 || (rc = collect(v, units, &s, &bad)) != 0)
		goto out;
	if (s.n)
		qsort_r(s.vals, s.n, sizeof(*s.vals), cmp_tagval, (void *)p);
	size_t e;
	int64_t ktot;
	for (size_t i = 0; i < s.n; i = e) {
		if (!key_total(&s, i, &e, &ktot)) {
			bad = s.vals[i].key;
			rc = VIEW_OVERFLOW;
			goto out;
		}
	}
	size_t nk = 0;
	for (size_t i = 0; i < s.n; i++)
		nk += i == 0 || s.vals[i].key != s.vals[i - 1].key;
	keys = malloc((nk + 1) * sizeof(*keys));
	lab = malloc((nk + 1) * sizeof(*lab));
	if (!keys || !lab) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0, k = 0; i < s.n; i++)
		if (i == 0 || s.vals[i].key != s.vals[i - 1].key)
			keys[k++] = s.vals[i].key;
	if ((rc = key_labelled(v, keys, nk, lab)) != 0)
		goto out;
	json_obj_begin(j);
	view_json_header(v, j);
	json_key(j, "tags");
	json_arr_begin(j);
	for (size_t i = 0, k = 0; i < s.n; i = e, k++) {
		key_total(&s, i, &e, &ktot);
		write_key(v, units, &s, i, e, ktot, lab[k], max_values, j);
	}
	json_arr_end(j);
	json_obj_end(j);
	rc = j->out->oom ? -1 : 0;
out:
	if (rc == VIEW_OVERFLOW)
		snprintf(err, errcap, "the total of label %.200s overflows 64 bits (a sample counts once for every "
		         "value it carries)", prof_str(p, bad));
	tagset_release(&s);
	free(units);
	free(keys);
	free(lab);
	return rc;
}
