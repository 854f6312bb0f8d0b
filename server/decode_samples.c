/*
 * decode_samples.c: walk 4 of the profile.proto decoder (see decode.c).
 *
 * Each Sample is read directly from the wire (no per-sample allocation),
 * checked (locations known, one value per sample type, sums that fit 63
 * bits), cut by drop_frames, and folded at once: its stack becomes a path
 * in the trie of struct prof's nodes, its labels an interned label set,
 * and samples with the same (node, label set) are summed, as pprof's
 * Merge does on load.
 */
#include <stdlib.h>
#include <string.h>

#include "decode_state.h"
#include "limits.h"
#include "util.h"

/* ---- the stack trie ---------------------------------------------------------- */

static inline size_t trie_slot(uint32_t parent, uint32_t loc, size_t cap)
{
	uint64_t h = hash_mix64((uint64_t)parent << 32 | loc);
	return (size_t)(((__uint128_t)h * cap) >> 64);
}

static int trie_init(struct decode_trie *t, size_t cap)
{
	t->cap = cap < 64 ? 64 : cap;
	t->len = 0;
	t->slots = malloc(t->cap * sizeof(uint32_t));
	if (!t->slots)
		return -1;
	memset(t->slots, 0xff, t->cap * sizeof(uint32_t));
	return 0;
}

/* Node id of child (parent, loc), adding it to nodes when new; PROF_NONE
 * when out of memory. */
static uint32_t trie_child(struct decode_trie *t, struct buf *nodes, uint32_t parent, uint32_t loc)
{
	const struct prof_node *nd = (const struct prof_node *)nodes->data;
	if ((t->len + 1) * 4 > t->cap * 3) {
		struct decode_trie n;
		if (trie_init(&n, t->cap + t->cap / 2) < 0)
			return PROF_NONE;
		for (size_t i = 0; i < t->cap; i++) {
			uint32_t id = t->slots[i];
			if (id == UINT32_MAX)
				continue;
			size_t j = trie_slot(nd[id].parent, nd[id].loc, n.cap);
			while (n.slots[j] != UINT32_MAX)
				j = j + 1 == n.cap ? 0 : j + 1;
			n.slots[j] = id;
		}
		n.len = t->len;
		free(t->slots);
		*t = n;
	}
	size_t j = trie_slot(parent, loc, t->cap);
	for (;;) {
		uint32_t id = t->slots[j];
		if (id == UINT32_MAX)
			break;
		if (nd[id].parent == parent && nd[id].loc == loc)
			return id;
		j = j + 1 == t->cap ? 0 : j + 1;
	}
	struct prof_node pn = { parent, loc };
	uint32_t id = (uint32_t)(nodes->len / sizeof(pn));
	buf_add(nodes, &pn, sizeof(pn));
	if (nodes->oom)
		return PROF_NONE;
	t->slots[j] = id;
	t->len++;
	return id;
}

/* ---- one sample --------------------------------------------------------------- */

/* The sample being read (one, reused: it is too big for the stack). */
struct sample_ctx {
	struct decode_state *d;
	uint32_t locs[FDX_MAX_STACK_DEPTH];   /* location indices, leaf first */
	uint32_t nlocs;
	int64_t vals[FDX_MAX_SAMPLE_TYPES];
	uint32_t nvals;
	struct prof_label lab[FDX_MAX_LABELS_PER_SAMPLE];
	uint32_t nlab;
	bool overflow;                        /* a limit above was hit */
};

static int cb_loc(void *c, uint64_t id)
{
	struct sample_ctx *s = c;
	if (s->nlocs >= FDX_MAX_STACK_DEPTH) {
		s->overflow = true;
		return -1;
	}
	uint32_t *li = NULL;
	if (s->d->loc_dense)
		li = id < s->d->loc_dense_n && s->d->loc_dense[id] != PROF_NONE ? &s->d->loc_dense[id] : NULL;
	else if (id)
		li = u64map_get(&s->d->loc_ids, id);
	if (!li) {
		decode_err_set(s->d->err, 400, "bad_profile", "sample refers to unknown location id %llu",
		               (unsigned long long)id);
		return -1;
	}
	s->locs[s->nlocs++] = *li;
	return 0;
}

static int cb_val(void *c, uint64_t v)
{
	struct sample_ctx *s = c;
	if (s->nvals >= FDX_MAX_SAMPLE_TYPES) {
		s->overflow = true;
		return -1;
	}
	s->vals[s->nvals++] = (int64_t)v;
	return 0;
}

/* A Label: string (key, str) or numeric (key, num, num_unit). */
static int read_label(struct decode_state *d, struct sample_ctx *s, const struct wire_field *f)
{
	if (f->wt != WIRE_LEN)
		DECODE_FAIL(d, 415, "unsupported_format", "not a pprof profile (bad label field)");
	struct wire_reader r = wire_reader_of(f->data, f->len);
	struct wire_field g;
	int64_t key = 0, str = 0, num = 0, unit = 0;
	int rc;
	while ((rc = wire_next_field(&r, &g)) > 0) {
		if (g.wt != WIRE_VARINT)
			continue;
		switch (g.num) {
		case PB_LABEL_KEY: key = (int64_t)g.v; break;
		case PB_LABEL_STR: str = (int64_t)g.v; break;
		case PB_LABEL_NUM: num = (int64_t)g.v; break;
		case PB_LABEL_NUM_UNIT: unit = (int64_t)g.v; break;
		default: break;
		}
	}
	if (rc < 0)
		DECODE_FAIL(d, 415, "unsupported_format", "not a pprof profile (undecodable label)");
	if (decode_check_str(d, key, "label key") < 0 || decode_check_str(d, str, "label value") < 0 ||
	    decode_check_str(d, unit, "label unit") < 0)
		return -1;
	if (str == 0 && num == 0 && unit == 0)
		return 0; /* pprof drops such labels */
	if (s->nlab >= FDX_MAX_LABELS_PER_SAMPLE)
		DECODE_FAIL(d, 413, "too_many_labels", "sample has more than %u labels", FDX_MAX_LABELS_PER_SAMPLE);
	struct prof_label *l = &s->lab[s->nlab++];
	l->key = decode_out_str(d, (uint64_t)key);
	if (str != 0) {
		l->str = decode_out_str(d, (uint64_t)str);
		l->num = 0;
		l->unit = PROF_NONE;
	} else {
		l->str = PROF_NONE;
		l->num = num;
		l->unit = unit ? decode_out_str(d, (uint64_t)unit) : PROF_NONE;
	}
	return 0;
}

static int cmp_label(const void *a, const void *b)
{
	const struct prof_label *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->str != y->str)
		return x->str < y->str ? -1 : 1;
	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	if (x->unit != y->unit)
		return x->unit < y->unit ? -1 : 1;
	return 0;
}

/* Label set id of lab[0, n) (sorted here), added when new; 0 for no
 * labels, PROF_NONE when out of memory. */
static uint32_t intern_labelset(struct decode_state *d, struct prof_label *lab, uint32_t n)
{
	if (n == 0)
		return 0;
	qsort(lab, n, sizeof(*lab), cmp_label);
	uint64_t h = hash_bytes(lab, n * sizeof(*lab));
	for (;; h++) {
		if (h == UINT64_MAX)
			h = 0;
		int ins;
		uint32_t *slot = u64map_put(&d->ls_ids, h, &ins);
		if (!slot)
			return PROF_NONE;
		if (!ins) {
			struct prof_labelset *ls = (struct prof_labelset *)d->lsets.data + *slot;
			if (ls->n == n && memcmp((struct prof_label *)d->labels.data + ls->off, lab,
			                         n * sizeof(*lab)) == 0)
				return *slot;
			continue;
		}
		struct prof_labelset ls = { (uint32_t)(d->labels.len / sizeof(*lab)), n };
		buf_add(&d->labels, lab, n * sizeof(*lab));
		*slot = (uint32_t)(d->lsets.len / sizeof(ls));
		buf_add(&d->lsets, &ls, sizeof(ls));
		return *slot;
	}
}

/* Read the Sample in f into s and check it. */
static int read_sample(struct decode_state *d, struct sample_ctx *s, const struct wire_field *f)
{
	uint32_t n_types = d->p->n_types;
	if (f->wt != WIRE_LEN)
		DECODE_FAIL(d, 415, "unsupported_format", "not a pprof profile (bad sample field)");
	if (++d->n_samples_in > FDX_MAX_SAMPLES)
		DECODE_FAIL(d, 413, "too_many_samples", "more than %u samples", FDX_MAX_SAMPLES);
	s->nlocs = s->nvals = s->nlab = 0;
	s->overflow = false;
	struct wire_reader r = wire_reader_of(f->data, f->len);
	struct wire_field g;
	int rc;
	while ((rc = wire_next_field(&r, &g)) > 0) {
		int e = 0;
		if (g.num == PB_SAMPLE_LOCATION_ID)
			e = wire_each_varint(&g, cb_loc, s);
		else if (g.num == PB_SAMPLE_VALUE)
			e = wire_each_varint(&g, cb_val, s);
		else if (g.num == PB_SAMPLE_LABEL)
			e = read_label(d, s, &g);
		if (e < 0) {
			if (s->overflow)
				DECODE_FAIL(d, 413, "too_deep", "sample has more than %u locations or %u values",
				            FDX_MAX_STACK_DEPTH, FDX_MAX_SAMPLE_TYPES);
			if (!d->err->code)
				decode_err_set(d->err, 415, "unsupported_format", "not a pprof profile (undecodable sample)");
			return -1;
		}
	}
	if (rc < 0)
		DECODE_FAIL(d, 415, "unsupported_format", "not a pprof profile (undecodable sample)");
	if (s->nvals != n_types)
		DECODE_FAIL(d, 400, "bad_profile", "sample has %u values but the profile has %u sample types",
		            s->nvals, n_types);
	/* Negative values are legal pprof (diff profiles written by
	 * pprof -diff_base -proto carry them); values whose absolute sum does
	 * not fit 63 bits are not, since no view could add them up. */
	for (uint32_t i = 0; i < n_types; i++) {
		int64_t v = s->vals[i];
		if (v == INT64_MIN || !util_add_ok(&d->totals[i], v < 0 ? -v : v))
			DECODE_FAIL(d, 400, "bad_profile", "sample values are absurd: their sum overflows 64 bits");
	}
	return 0;
}

/* drop_frames: the sample keeps locations [lo, nlocs). Scanning from the
 * root (last) to the leaf, the first marked location below some unmarked
 * one cuts the stack there (after it, when the whole location goes). */
static uint32_t kept_from(const struct decode_state *d, const struct sample_ctx *s)
{
	if (!d->drop_idx)
		return 0;
	bool found_user = false;
	for (uint32_t i = s->nlocs; i-- > 0;) {
		const struct decode_loc *rl = &d->locs[s->locs[i]];
		if (!rl->prune && !rl->beneath) {
			found_user = true;
			continue;
		}
		if (!found_user)
			continue;
		return rl->prune ? i + 1 : i;
	}
	return 0;
}

/* Fold the checked sample s into the trie, the label sets and the
 * aggregated samples. */
static int add_sample(struct decode_state *d, struct sample_ctx *s)
{
	uint32_t n_types = d->p->n_types;
	uint32_t lo = kept_from(d, s);
	uint32_t node = 0;
	for (uint32_t i = s->nlocs; i-- > lo;) {
		node = trie_child(&d->trie, &d->nodes, node, s->locs[i]);
		if (node == PROF_NONE)
			DECODE_FAIL(d, 500, "internal", "out of memory");
	}
	uint32_t ls = intern_labelset(d, s->lab, s->nlab);
	if (ls == PROF_NONE)
		DECODE_FAIL(d, 500, "internal", "out of memory");
	/* Samples with the same stack and labels are summed, as pprof's Merge
	 * does on load (so with mixed signs, totals agree with pprof too). */
	int ins;
	uint32_t *slot = u64map_put(&d->sample_ids, (uint64_t)node << 32 | ls, &ins);
	if (!slot)
		DECODE_FAIL(d, 500, "internal", "out of memory");
	if (ins) {
		struct prof_sample ps = { node, ls };
		*slot = (uint32_t)(d->samples.len / sizeof(ps));
		buf_add(&d->samples, &ps, sizeof(ps));
		buf_add(&d->values, s->vals, n_types * sizeof(int64_t));
	} else {
		int64_t *v = (int64_t *)d->values.data + (size_t)*slot * n_types;
		for (uint32_t i = 0; i < n_types; i++)
			v[i] += s->vals[i]; /* cannot overflow: absolute totals were checked */
	}
	return 0;
}

/* ---- walk 4 -------------------------------------------------------------------- */

/* Walk 4 reads sample (they refer to the locations of walk 3 and need
 * the sample types), each checked and folded in as it comes. */
int decode_pass_samples(struct decode_state *d)
{
	if (trie_init(&d->trie, d->n_loc_fields * 4) < 0)
		DECODE_OOM(d);
	struct prof_node root = { 0, PROF_NONE };
	buf_add(&d->nodes, &root, sizeof(root));
	struct prof_labelset empty_set = { 0, 0 }; /* labelset 0 */
	buf_add(&d->lsets, &empty_set, sizeof(empty_set));
	struct sample_ctx *sc = malloc(sizeof(*sc));
	if (!sc)
		DECODE_OOM(d);
	sc->d = d;
	struct wire_reader r = wire_reader_of(d->data, d->n);
	struct wire_field f;
	int rc = 0;
	while (rc == 0 && wire_next_field(&r, &f) > 0) {
		if (f.num != PB_PROFILE_SAMPLE)
			continue;
		if (d->p->n_types == 0) {
			decode_err_set(d->err, 400, "bad_profile", "profile has samples but no sample types");
			rc = -1;
		} else if (read_sample(d, sc, &f) < 0 || add_sample(d, sc) < 0) {
			rc = -1;
		}
	}
	free(sc);
	return rc;
}
