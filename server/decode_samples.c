/*
 * decode_samples.c: walk 4 of the profile.proto decoder (see decode.c).
 *
 * Each Sample is read directly from the wire (no per-sample allocation),
 * checked (locations known, one value per sample type, sums that fit 63
 * bits), cut by drop_frames, and kept: its stack root first in one flat
 * array, its labels as an interned label set, its values. Then the stack
 * trie (struct prof's nodes) is built without hashing: the samples are
 * sorted by stack, root first, so that each stack shares its longest
 * common prefix with its predecessor and only its remainder makes new
 * nodes (children of the node where the prefix ends). Memory is read in
 * sequence, where a trie grown one hashed (parent, location) probe at a
 * time takes a cache miss or two for every location of every sample.
 * Node ids are in the sorted order, so a parent's id is below its
 * children's, as prof.h requires. Last, in file order, samples with the
 * same (node, label set) are summed, as pprof's Merge does on load, so the
 * aggregated samples keep the order of their first appearance.
 *
 * Memory: an owned message's pages are given back as the walk passes them
 * (but the string table's, release_read), and the message and the
 * decoder's lookups are gone before the trie is built, so the peak is the
 * kept stacks and the trie, not those plus the message.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "decode_state.h"
#include "limits.h"
#include "util.h"

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

/* Keep the checked sample s (its kept stack root first, its label set,
 * its values) for the trie build. */
static int keep_sample(struct decode_state *d, struct sample_ctx *s)
{
	uint32_t lo = kept_from(d, s);
	uint32_t len = s->nlocs - lo;
	struct decode_insample in = { (uint32_t)(d->stk.len / sizeof(uint32_t)), len, 0 };
	if (d->stk.len / sizeof(uint32_t) + len > UINT32_MAX)
		DECODE_FAIL(d, 413, "too_many_samples", "too many location references");
	if (buf_grow(&d->stk, (size_t)len * sizeof(uint32_t)) < 0)
		DECODE_OOM(d);
	uint32_t *o = (uint32_t *)(d->stk.data + d->stk.len);
	for (uint32_t i = 0; i < len; i++)
		o[i] = s->locs[s->nlocs - 1 - i];
	d->stk.len += (size_t)len * sizeof(uint32_t);
	in.ls = intern_labelset(d, s->lab, s->nlab);
	if (in.ls == PROF_NONE)
		DECODE_OOM(d);
	buf_add(&d->insamples, &in, sizeof(in));
	buf_add(&d->invalues, s->vals, d->p->n_types * sizeof(int64_t));
	if (d->insamples.oom || d->invalues.oom)
		DECODE_OOM(d);
	return 0;
}

/* A stack to sort: its locations root first, its input sample. */
struct sort_rec {
	const uint32_t *p;
	uint32_t len, i;
};

/* Root first, a prefix before its extensions; ties by input order, so the
 * result does not depend on the sort algorithm. */
static int cmp_stack(const void *a, const void *b)
{
	const struct sort_rec *x = a, *y = b;
	uint32_t n = x->len < y->len ? x->len : y->len;
	for (uint32_t k = 0; k < n; k++)
		if (x->p[k] != y->p[k])
			return x->p[k] < y->p[k] ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Build the trie from the kept stacks: node_of[i] is input sample i's
 * node. */
static int build_trie(struct decode_state *d, uint32_t n, uint32_t *node_of)
{
	const uint32_t *stk = (const uint32_t *)d->stk.data;
	const struct decode_insample *in = (const struct decode_insample *)d->insamples.data;
	struct buf sb = BUF_INIT;
	if (buf_grow(&sb, (size_t)n * sizeof(struct sort_rec)) < 0) {
		buf_release(&sb);
		DECODE_OOM(d);
	}
	struct sort_rec *r = (struct sort_rec *)sb.data;
	for (uint32_t i = 0; i < n; i++)
		r[i] = (struct sort_rec){ stk + in[i].off, in[i].len, i };
	qsort(r, n, sizeof(*r), cmp_stack);
	/* path[k]: node of the previous stack at depth k + 1 */
	uint32_t *path = malloc(FDX_MAX_STACK_DEPTH * sizeof(uint32_t));
	if (!path) {
		buf_release(&sb);
		DECODE_OOM(d);
	}
	const uint32_t *prev = NULL;
	uint32_t prev_len = 0;
	for (uint32_t j = 0; j < n; j++) {
		const uint32_t *cur = r[j].p;
		uint32_t len = r[j].len, k = 0, m = len < prev_len ? len : prev_len;
		while (k < m && cur[k] == prev[k])
			k++;
		if (k < len) {
			size_t id = d->nodes.len / sizeof(struct prof_node);
			if (id + (len - k) > UINT32_MAX / 2 ||
			    buf_grow(&d->nodes, (size_t)(len - k) * sizeof(struct prof_node)) < 0) {
				free(path);
				buf_release(&sb);
				DECODE_OOM(d);
			}
			struct prof_node *nd = (struct prof_node *)(d->nodes.data + d->nodes.len);
			for (uint32_t q = k; q < len; q++, nd++, id++) {
				nd->parent = q ? path[q - 1] : 0;
				nd->loc = cur[q];
				path[q] = (uint32_t)id;
			}
			d->nodes.len += (size_t)(len - k) * sizeof(struct prof_node);
		}
		node_of[r[j].i] = len ? path[len - 1] : 0;
		prev = cur;
		prev_len = len;
	}
	free(path);
	buf_release(&sb);
	return 0;
}

/* Sum input samples with the same (node, label set), in file order. */
static int aggregate(struct decode_state *d, uint32_t n, const uint32_t *node_of)
{
	uint32_t n_types = d->p->n_types;
	const struct decode_insample *in = (const struct decode_insample *)d->insamples.data;
	const int64_t *vals = (const int64_t *)d->invalues.data;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t node = node_of[i], ls = in[i].ls;
		const int64_t *sv = vals + (size_t)i * n_types;
		/* Samples with the same stack and labels are summed, as pprof's
		 * Merge does on load (so with mixed signs, totals agree with pprof
		 * too). */
		int ins;
		uint32_t *slot = u64map_put(&d->sample_ids, (uint64_t)node << 32 | ls, &ins);
		if (!slot)
			DECODE_FAIL(d, 500, "internal", "out of memory");
		if (ins) {
			struct prof_sample ps = { node, ls };
			*slot = (uint32_t)(d->samples.len / sizeof(ps));
			buf_add(&d->samples, &ps, sizeof(ps));
			buf_add(&d->values, sv, n_types * sizeof(int64_t));
		} else {
			int64_t *v = (int64_t *)d->values.data + (size_t)*slot * n_types;
			for (uint32_t t = 0; t < n_types; t++)
				v[t] += sv[t]; /* cannot overflow: absolute totals were checked */
		}
	}
	return 0;
}

/* ---- walk 4 -------------------------------------------------------------------- */

/* Walk 4 is the last to read the message, and reads it forwards: the
 * pages of an owned message wholly before upto are not read again but
 * for the file's string table (its spans are read when a label's string
 * is first used, and the output string map compares with them), so those
 * outside the table's pages are given back to the system every
 * RELEASE_STEP bytes, and the message and the stacks kept from it are not
 * both resident at their full sizes. The memory stays allocated (a page
 * read again would read zeros) until walk 4 frees it. */
#define RELEASE_STEP ((uintptr_t)4 << 20)

struct release {
	uintptr_t page;       /* 0: nothing is released */
	uintptr_t done;       /* released (or skipped) up to here */
	uintptr_t keep_lo, keep_hi;   /* the string table's pages */
};

static void release_init(const struct decode_state *d, struct release *rl)
{
	memset(rl, 0, sizeof(*rl));
	long pg = sysconf(_SC_PAGESIZE);
	if (!d->own || pg <= 0 || (pg & (pg - 1)) != 0)
		return;
	uintptr_t page = (uintptr_t)pg, lo = UINTPTR_MAX, hi = 0;
	for (uint32_t i = 0; i < d->n_strs; i++) {
		uintptr_t s = (uintptr_t)d->strs[i].p;
		if (!d->strs[i].p || d->strs[i].len == 0)
			continue;
		if (s < lo)
			lo = s;
		if (s + d->strs[i].len > hi)
			hi = s + d->strs[i].len;
	}
	rl->page = page;
	/* from the first whole page of the message on: the one before may
	 * hold the allocator's header */
	rl->done = ((uintptr_t)d->data + page - 1) & ~(page - 1);
	rl->keep_lo = lo == UINTPTR_MAX ? 0 : lo & ~(page - 1);
	rl->keep_hi = lo == UINTPTR_MAX ? 0 : (hi + page - 1) & ~(page - 1);
}

static void release_read(struct release *rl, const uint8_t *upto)
{
	if (!rl->page)
		return;
	uintptr_t lo = rl->done, hi = (uintptr_t)upto & ~(rl->page - 1);
	if (hi <= lo || hi - lo < RELEASE_STEP)
		return;
	/* [lo, hi) less [keep_lo, keep_hi): at most two pieces */
	uintptr_t a_hi = hi < rl->keep_lo ? hi : rl->keep_lo, b_lo = lo > rl->keep_hi ? lo : rl->keep_hi;
	if (rl->keep_hi == 0) {
		a_hi = hi;
		b_lo = hi;
	}
	if (a_hi > lo)
		(void)madvise((void *)lo, a_hi - lo, MADV_DONTNEED);
	if (hi > b_lo)
		(void)madvise((void *)b_lo, hi - b_lo, MADV_DONTNEED);
	rl->done = hi;
}

/* Walk 4 reads sample (they refer to the locations of walk 3 and need
 * the sample types), each checked and kept as it comes; then the trie is
 * built from the sorted stacks and the samples aggregated. */
int decode_pass_samples(struct decode_state *d)
{
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
	struct release rl;
	release_init(d, &rl);
	while (rc == 0) {
		release_read(&rl, r.p);
		if (wire_next_field(&r, &f) <= 0)
			break;
		if (f.num != PB_PROFILE_SAMPLE)
			continue;
		if (d->p->n_types == 0) {
			decode_err_set(d->err, 400, "bad_profile", "profile has samples but no sample types");
			rc = -1;
		} else if (read_sample(d, sc, &f) < 0 || keep_sample(d, sc) < 0) {
			rc = -1;
		}
	}
	free(sc);
	if (rc < 0)
		return rc;
	/* Nothing reads the message from here on: an owned one goes now,
	 * before the trie's nodes are allocated (docs/BENCHMARKS.md, "Where
	 * the memory goes"). */
	free(d->own);
	d->own = NULL;
	d->data = NULL;
	d->n = 0;
	decode_drop_lookups(d);
	uint32_t n = (uint32_t)(d->insamples.len / sizeof(struct decode_insample));
	if (n == 0)
		return 0;
	uint32_t *node_of = malloc((size_t)n * sizeof(uint32_t));
	if (!node_of)
		DECODE_OOM(d);
	d->p->in_refs = d->stk.len / sizeof(uint32_t);
	rc = build_trie(d, n, node_of);
	/* The stacks are in the trie now. */
	buf_release(&d->stk);
	if (rc == 0)
		rc = aggregate(d, n, node_of);
	free(node_of);
	buf_release(&d->insamples);
	buf_release(&d->invalues);
	return rc;
}
