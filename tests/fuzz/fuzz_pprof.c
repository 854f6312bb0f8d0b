/*
 * fuzz_pprof.c: libFuzzer target for the upload path (see README.md).
 *
 * ingest_decode with small caps; on success the profile goes through the
 * stored-blob codec and back, and through every view with default options
 * and with one filtered option set. Oracles beyond "no sanitizer report":
 *   - a refused upload has a 400/413/415 status, a code and a message;
 *   - a decoded profile keeps prof.h's invariants (fuzz_check_prof);
 *   - codec_decode(codec_encode(p)) equals p, array by array;
 *   - every JSON writer produces valid JSON (tests/unit/jsoncheck.h);
 *   - the runtime share's categories, and its version groups, add up to
 *     its total;
 *   - unfiltered: the top table's flat values add up to the tree's total
 *     minus the root's own value, and, without negative values,
 *     0 <= flat <= cum <= total for every row.
 * Any violated oracle calls abort(), so libFuzzer saves the input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "diff.h"
#include "filter.h"
#include "fuzz_common.h"
#include "ingest.h"
#include "json.h"
#include "jsoncheck.h"
#include "leaks.h"
#include "prof.h"
#include "runtime_share.h"
#include "view.h"

#define MAX_INFLATED (4u * 1024 * 1024)

static bool has_negative(const struct prof *p)
{
	size_t n = (size_t)p->n_samples * p->n_types;
	for (size_t i = 0; i < n; i++)
		if (p->values[i] < 0)
			return true;
	return false;
}

#define SAME(field) ORACLE(a->field == b->field, "codec: " #field " differs")
#define SAME_ARR(field, n) \
	ORACLE((n) == 0 || memcmp(a->field, b->field, (size_t)(n) * sizeof(*a->field)) == 0, \
	       "codec: " #field " differs")

static void check_same(const struct prof *a, const struct prof *b)
{
	SAME(n_strs);
	SAME(arena_len);
	SAME_ARR(arena, a->arena_len);
	SAME_ARR(str_off, a->n_strs);
	SAME_ARR(str_len, a->n_strs);
	SAME(n_types);
	SAME_ARR(type_type, a->n_types);
	SAME_ARR(type_unit, a->n_types);
	SAME(default_type);
	SAME(period_type);
	SAME(period_unit);
	SAME(period);
	SAME(time_nanos);
	SAME(duration_nanos);
	SAME(kind);
	SAME(orig_samples);
	SAME(orig_locations);
	SAME(orig_functions);
	SAME(n_funcs);
	SAME_ARR(funcs, a->n_funcs);
	SAME(n_frames);
	for (uint32_t i = 0; i < a->n_frames; i++) {
		SAME(frames[i].func);
		SAME(frames[i].map_file);
		SAME(frames[i].key);
		SAME(frames[i].line);
	}
	SAME(n_locs);
	SAME_ARR(locs, a->n_locs);
	SAME(n_loc_frames);
	SAME_ARR(loc_frames, a->n_loc_frames);
	SAME(n_nodes);
	SAME_ARR(nodes, a->n_nodes);
	SAME(n_labels);
	for (uint32_t i = 0; i < a->n_labels; i++) {
		SAME(labels[i].key);
		SAME(labels[i].str);
		SAME(labels[i].unit);
		SAME(labels[i].num);
	}
	SAME(n_labelsets);
	SAME_ARR(labelsets, a->n_labelsets);
	SAME(n_samples);
	SAME_ARR(samples, a->n_samples);
	SAME_ARR(values, (size_t)a->n_samples * a->n_types);
}

static void check_json(struct buf *b, const char *what)
{
	ORACLE(!b->oom, "%s: out of memory", what);
	ORACLE(json_is_valid(b->data, b->len), "%s: invalid JSON: %.300s", what, b->data ? b->data : "(null)");
	buf_release(b);
}

/* Every view of p under o; unfiltered adds the arithmetic oracles. */
static void run_views(const struct prof *p, const struct view_opts *o, bool unfiltered)
{
	struct view v;
	char why[512];
	if (view_build(p, o, true, &v) != 0)
		return;
	uint32_t n = 0;
	struct top_row *rows = view_top(&v, &n);
	if (rows) {
		if (unfiltered && v.t.n) {
			int64_t flat_sum = 0;
			bool neg = has_negative(p);
			for (uint32_t i = 0; i < n; i++) {
				flat_sum += rows[i].flat;
				if (!neg)
					ORACLE(rows[i].flat >= 0 && rows[i].flat <= rows[i].cum && rows[i].cum <= v.t.col[VIEW_TOT][0],
					       "row %s: flat %lld cum %lld total %lld", prof_str(p, rows[i].key),
					       (long long)rows[i].flat, (long long)rows[i].cum, (long long)v.t.col[VIEW_TOT][0]);
			}
			ORACLE(flat_sum == v.t.col[VIEW_TOT][0] - v.t.col[VIEW_SELF][0], "sum of flat %lld, tree %lld - root %lld",
			       (long long)flat_sum, (long long)v.t.col[VIEW_TOT][0], (long long)v.t.col[VIEW_SELF][0]);
			if (!neg)
				ORACLE(v.total == v.t.col[VIEW_TOT][0], "total %lld, tree %lld", (long long)v.total,
				       (long long)v.t.col[VIEW_TOT][0]);
		}
		view_top_sort(p, rows, n, false);
		view_top_sort(p, rows, n, true);
	}
	struct buf b = BUF_INIT;
	struct json j;

	json_init(&j, &b);
	view_top_json(&v, true, 0, &j);
	check_json(&b, "top");
	json_init(&j, &b);
	view_top_json(&v, false, 3, &j);
	check_json(&b, "top limit");
	json_init(&j, &b);
	view_flame_json(&v, 0, &j);
	check_json(&b, "flame");
	json_init(&j, &b);
	view_flame_json(&v, 5, &j);
	check_json(&b, "flame pruned");
	json_init(&j, &b);
	if (view_tags_json(&v, 0, &j, why, sizeof(why)) == 0)
		check_json(&b, "tags");
	else
		buf_release(&b);
	json_init(&j, &b);
	if (view_tags_json(&v, 1, &j, why, sizeof(why)) == 0)
		check_json(&b, "tags max_values");
	else
		buf_release(&b);
	if (rows && n) {
		json_init(&j, &b);
		if (view_sandwich_json(&v, prof_str(p, rows[0].key), 0, &j) == 0)
			check_json(&b, "sandwich");
		else
			buf_release(&b);
		json_init(&j, &b);
		if (view_sandwich_json(&v, prof_str(p, rows[n - 1].key), 4, &j) == 0)
			check_json(&b, "sandwich pruned");
		else
			buf_release(&b);
	}
	/* The profile against itself. */
	struct diff_in din;
	memset(&din, 0, sizeof(din));
	din.base = &v;
	din.target = &v;
	din.max_nodes = 0;
	din.limit = 10;
	din.base_n = &v; /* significance test path */
	din.target_n = &v;
	/* The diff writers add members to an object the caller opened. */
	json_init(&j, &b);
	json_obj_begin(&j);
	int rc = diff_tree_json(&din, &j);
	json_obj_end(&j);
	if (rc == 0)
		check_json(&b, "diff tree");
	else
		buf_release(&b);
	din.sort = DIFF_SORT_REL;
	din.max_nodes = 4;
	json_init(&j, &b);
	json_obj_begin(&j);
	rc = diff_top_json(&din, &j);
	json_obj_end(&j);
	if (rc == 0)
		check_json(&b, "diff top");
	else
		buf_release(&b);
	free(rows);
	view_release(&v);

	/* The runtime share: categories add up to the total, and so do the
	 * version groups; with and without a profile-level label. */
	for (int k = 0; k < 2; k++) {
		struct runtime_share s;
		if (runtime_share_build(p, o, k ? "go_version" : NULL, k ? "go1.0" : NULL, &s) != 0)
			continue;
		if (s.applicable) {
			int64_t sum = 0, gsum = 0;
			for (int c = 0; c < RUNTIME_SHARE_NCATS; c++)
				sum += s.v[c];
			for (uint32_t g = 0; g < s.n_groups; g++)
				gsum += s.groups[g].total;
			ORACLE(sum == s.total, "runtime share: categories %lld, total %lld", (long long)sum, (long long)s.total);
			ORACLE(!s.n_groups || gsum == s.total, "runtime share: versions %lld, total %lld", (long long)gsum,
			       (long long)s.total);
		}
		json_init(&j, &b);
		if (runtime_share_json(&s, &j) == 0)
			check_json(&b, "runtime share");
		else
			buf_release(&b);
		runtime_share_release(&s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decode_err err;
	struct prof *p = ingest_decode(data, size, MAX_INFLATED, &err);
	if (!p) {
		fuzz_check_refusal(&err);
		return 0;
	}
	fuzz_check_prof(p);

	/* Stored blob round trip. */
	struct buf blob = BUF_INIT;
	ORACLE(codec_encode(p, &blob) == 0, "codec_encode failed");
	struct prof *q = codec_decode((const uint8_t *)blob.data, blob.len);
	ORACLE(q != NULL, "codec_decode refused a fresh blob (%zu bytes)", blob.len);
	check_same(p, q);
	buf_release(&blob);

	/* Views, default options, on the decoded copy (what the server uses
	 * after a cache miss) and on the original for the filtered run. */
	struct view_opts o;
	memset(&o, 0, sizeof(o));
	o.type = (int)q->default_type;
	run_views(q, &o, true);
	run_views(q, &o, true); /* second call: lazily built shared state */
	view_opts_release(&o);

	char e[256];
	memset(&o, 0, sizeof(o));
	o.type = p->n_types ? (int)(p->n_types - 1) : 0;
	if (rx_compile(&o.focus, "[a-m]", 5, 0, e, sizeof(e)) == 0)
		o.has_focus = true;
	if (rx_compile(&o.hide, "^[n-z]", 6, 0, e, sizeof(e)) == 0)
		o.has_hide = true;
	if (tagfilter_parse(&o.tagignore, "=1:4096", e, sizeof(e)) == 0)
		o.has_tagignore = true;
	o.scale = 0.37; /* the diff API's normalize path */
	run_views(p, &o, false);
	view_opts_release(&o);

	/* Leak report: one snapshot, and the pair as a two-point series. */
	struct leak_snap snaps[2];
	memset(snaps, 0, sizeof(snaps));
	snaps[0].p = p;
	snaps[0].time_ns = 1;
	strcpy(snaps[0].id, "AAAAAAAAAAAAAAAAAAAAAA");
	snaps[1] = snaps[0];
	snaps[1].p = q;
	snaps[1].time_ns = 2;
	struct leak_opts lo = { 0, 1, 1, 0 };
	for (int ns = 1; ns <= 2; ns++) {
		struct buf b = BUF_INIT;
		struct json j;
		json_init(&j, &b);
		int rc = leaks_json(snaps, ns, &lo, &j);
		if (rc == 0)
			check_json(&b, "leaks");
		else
			buf_release(&b);
	}

	prof_free(q);
	prof_free(p);
	return 0;
}
