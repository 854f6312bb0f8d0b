/*
 * route_leaks.c: leak candidates over snapshots.
 *
 *   GET /api/v1/leaks?ids=ID1,ID2,…[&min_age=SECONDS&min_count=N&single_min_count=N]
 *   GET /api/v1/leaks?label=service:NAME&type=goroutine|heap[&…]
 *
 * Snapshots are ordered by time: the profile's own, else the client's
 * time= of the upload, else the upload time (store_time); equal times keep
 * the order of ids= or of the uploads. An id listed
 * twice is one snapshot: the answer's "duplicate_ids" counts the copies
 * dropped.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heavy.h"
#include "leaks.h"
#include "limits.h"
#include "routes.h"
#include "store.h"
#include "util.h"

/* Order snaps[0, n) by time, stably: snapshots of one time (client times
 * in whole seconds, say) keep the order they were listed or stored in. */
static void sort_by_time(struct leak_snap *snaps, int n)
{
	for (int i = 1; i < n; i++) {
		struct leak_snap x = snaps[i];
		int k = i;
		for (; k > 0 && snaps[k - 1].time_ns > x.time_ns; k--)
			snaps[k] = snaps[k - 1];
		snaps[k] = x;
	}
}

static int num_arg(struct req *r, const char *name, double def, double *out)
{
	const char *s = req_arg(r, name);
	if (!s || !*s) {
		*out = def;
		return 0;
	}
	char *end;
	double v = strtod(s, &end);
	if (*end || !(v >= 0) || v > 1e12)
		return -1;
	*out = v;
	return 0;
}

static enum MHD_Result leaks_admitted(struct req *r, void *ctx);

/* The memory estimate of a leak analysis (measured: docs/BENCHMARKS.md,
 * "Bounded work"): per snapshot, its decoded model (LEAK_EST_DECODED ×
 * its inflated stacks) and up to one candidate per sample, each
 * LEAK_EST_CAND bytes plus LEAK_EST_CAND_SNAP per snapshot; plus the
 * largest stored + inflated blob, held while one decodes. */
#define LEAK_EST_DECODED   8
#define LEAK_EST_CAND      4608
#define LEAK_EST_CAND_SNAP 48

enum MHD_Result route_leaks(struct req *r, const struct route_params *p)
{
	(void)p;
	return views_heavy(r, leaks_admitted, NULL);
}

static enum MHD_Result leaks_admitted(struct req *r, void *ctx)
{
	(void)ctx;
	struct leak_opts o = { 0 };
	double min_count, single;
	if (num_arg(r, "min_age", 30, &o.min_age_s) < 0 || num_arg(r, "min_count", 50, &min_count) < 0 ||
	    num_arg(r, "single_min_count", 1000, &single) < 0)
		return reply_error(r, 400, "bad_request", "min_age, min_count and single_min_count must be non-negative numbers");
	o.min_count = (long)min_count;
	o.single_min_count = (long)single;

	char (*ids)[23] = calloc(FDX_MAX_IDS_PER_QUERY, sizeof(*ids));
	struct leak_snap *snaps = calloc(FDX_MAX_IDS_PER_QUERY, sizeof(*snaps));
	int n = 0, dups = 0;
	enum MHD_Result res;
	if (!ids || !snaps) {
		res = reply_error(r, 500, "internal", "out of memory");
		goto out;
	}
	const char *list = req_arg(r, "ids"), *label = req_arg(r, "label");
	if (list && *list) {
		for (const char *s = list; *s;) {
			const char *c = strchr(s, ',');
			size_t len = c ? (size_t)(c - s) : strlen(s);
			if (n + dups >= FDX_MAX_IDS_PER_QUERY) {
				res = reply_error(r, 400, "bad_request", "at most %d ids", FDX_MAX_IDS_PER_QUERY);
				goto out;
			}
			if (len != FDX_ID_LEN) {
				res = reply_error(r, 404, "not_found", "no profile with id %.*s", (int)(len > 40 ? 40 : len), s);
				goto out;
			}
			memcpy(ids[n], s, len);
			ids[n][len] = '\0';
			if (!util_is_id(ids[n])) {
				res = reply_error(r, 404, "not_found", "no profile with id %.40s", ids[n]);
				goto out;
			}
			bool seen = false;
			for (int k = 0; k < n && !seen; k++)
				seen = !strcmp(ids[k], ids[n]);
			if (seen)
				dups++;
			else
				n++;
			s = c ? c + 1 : s + len;
		}
	} else if (label && *label) {
		const char *colon = strchr(label, ':');
		if (!colon || (size_t)(colon - label) > FDX_MAX_LABEL_LEN || strlen(colon + 1) > FDX_MAX_LABEL_LEN) {
			res = reply_error(r, 400, "bad_request", "label must look like key:value");
			goto out;
		}
		char key[FDX_MAX_LABEL_LEN + 1];
		memcpy(key, label, (size_t)(colon - label));
		key[colon - label] = '\0';
		const char *type = req_arg(r, "type");
		if (type && *type && strcmp(type, "goroutine") && strcmp(type, "heap")) {
			res = reply_error(r, 400, "bad_request", "type must be goroutine or heap");
			goto out;
		}
		if (store_ids_by_label(key, colon + 1, type && *type ? type : NULL, ids, FDX_MAX_IDS_PER_QUERY, &n) < 0) {
			res = reply_error(r, 500, "internal", "series lookup failed");
			goto out;
		}
		if (n == 0) {
			res = reply_error(r, 404, "not_found", "no %sprofiles with label %.200s",
			                  type && *type ? (strcmp(type, "heap") ? "goroutine " : "heap ") : "", label);
			goto out;
		}
	} else {
		res = reply_error(r, 400, "bad_request", "leaks needs ids=ID1,ID2,… or label=key:value&type=goroutine|heap");
		goto out;
	}
	/* Reserve the estimate before loading anything (heavy.h): requests
	 * that fit alone then run one after another rather than all growing
	 * into the limit at once. */
	size_t est = 0, transient = 0;
	for (int i = 0; i < n; i++) {
		struct store_sizes z;
		if (store_sizes(ids[i], &z) != 0)
			continue; /* store_get below answers */
		size_t t = z.stored + z.inflated;
		if (t > transient)
			transient = t;
		est += z.inflated * LEAK_EST_DECODED + z.samples * (LEAK_EST_CAND + (size_t)n * LEAK_EST_CAND_SNAP);
	}
	util_log("level=info msg=\"leak estimate\" snapshots=%d bytes=%zu", n, est + transient);
	if (heavy_reserve(est + transient) < 0) {
		res = views_busy(r, "not enough memory for this leak analysis now (--max-inflight); retry shortly");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		int st = 0;
		snaps[i].p = store_get(ids[i], &st);
		memcpy(snaps[i].id, ids[i], sizeof(snaps[i].id));
		if (!snaps[i].p) {
			res = st == 404 ? reply_error(r, 404, "not_found", "no profile with id %.40s", ids[i])
			                : reply_error(r, 500, "internal", "could not load a profile");
			goto out;
		}
		if (store_time(ids[i], &snaps[i].time_ns, &snaps[i].time_source) != 0) {
			res = reply_error(r, 500, "internal", "could not read the profile's time");
			goto out;
		}
	}
	sort_by_time(snaps, n);
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	o.duplicate_ids = dups;
	int rc = leaks_json(snaps, n, &o, &j);
	if (rc == -2) {
		buf_release(&b);
		res = reply_error(r, 400, "bad_request", "leak analysis needs goroutine profiles or heap profiles, all of one kind");
		goto out;
	}
	if (rc < 0) {
		buf_release(&b);
		res = reply_error(r, 500, "internal", "out of memory in leak analysis");
		goto out;
	}
	heavy_unreserve(); /* the answer is made; the reply counts itself */
	res = reply_buf(r, 200, "application/json", &b);
out:
	for (int i = 0; snaps && i < n; i++)
		store_release((struct prof *)snaps[i].p);
	free(ids);
	free(snaps);
	return res;
}
