/*
 * selection.c: parse, resolve and merge a selection (see selection.h).
 */
#include "selection.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "budget.h"
#include "cache.h"
#include "hash.h"
#include "config.h"
#include "limits.h"
#include "loadahead.h"
#include "merge.h"
#include "respcache.h"
#include "store.h"
#include "timearg.h"
#include "util.h"
#include "work.h"

/* The label= values under a prefix, gathered from the whole query. */
struct label_scan {
	const char *name;          /* "label" with the prefix */
	struct store_label *labels;
	int n;
	bool bad, too_many;
};

static enum MHD_Result scan_label(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct label_scan *ls = cls;
	if (!key || strcmp(key, ls->name) != 0)
		return MHD_YES;
	const char *colon = value ? strchr(value, ':') : NULL;
	if (!colon || colon == value || !colon[1] || (size_t)(colon - value) > FDX_MAX_LABEL_LEN ||
	    strlen(colon + 1) > FDX_MAX_LABEL_LEN) {
		ls->bad = true;
		return MHD_NO;
	}
	for (int i = 0; i < ls->n; i++) /* a repeated label is one condition */
		if (strlen(ls->labels[i].key) == (size_t)(colon - value) &&
		    !memcmp(ls->labels[i].key, value, (size_t)(colon - value)) && !strcmp(ls->labels[i].value, colon + 1))
			return MHD_YES;
	if (ls->n == FDX_MAX_SELECTION_LABELS) {
		ls->too_many = true;
		return MHD_NO;
	}
	struct store_label *l = &ls->labels[ls->n++];
	memcpy(l->key, value, (size_t)(colon - value));
	l->key[colon - value] = '\0';
	snprintf(l->value, sizeof(l->value), "%s", colon + 1);
	return MHD_YES;
}

int selection_labels(struct req *r, const char *prefix, struct store_label *labels, int *n, enum MHD_Result *res)
{
	char lname[64];
	snprintf(lname, sizeof(lname), "%slabel", prefix);
	struct label_scan ls = { .name = lname, .labels = labels };
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, scan_label, &ls);
	*n = ls.n;
	if (ls.bad) {
		*res = reply_error(r, 400, "bad_request", "%s must look like key:value", lname);
		return -1;
	}
	if (ls.too_many) {
		*res = reply_error(r, 400, "bad_request", "at most %u %s= conditions", FDX_MAX_SELECTION_LABELS, lname);
		return -1;
	}
	return 0;
}

static const char *arg(struct req *r, const char *prefix, const char *name, char *tmp, size_t cap)
{
	snprintf(tmp, cap, "%s%s", prefix, name);
	const char *v = req_arg(r, tmp);
	return v && *v ? v : NULL;
}

static int parse_ids(struct req *r, const char *prefix, const char *list, struct selection *s, enum MHD_Result *res)
{
	s->by_ids = true;
	/* at most one id per 2 bytes of the list */
	size_t cap = strlen(list) / 2 + 1;
	if (cap > (size_t)cfg.max_selection + 1)
		cap = (size_t)cfg.max_selection + 1;
	s->ids = malloc(cap * sizeof(*s->ids));
	if (!s->ids) {
		*res = reply_error(r, 500, "internal", "out of memory");
		return -1;
	}
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len) {
			char id[64];
			snprintf(id, sizeof(id), "%.*s", (int)(len < 63 ? len : 63), p);
			if (!util_is_id(id) || len > 22) {
				*res = reply_error(r, 404, "not_found", "no profile with id %.40s", id);
				return -1;
			}
			bool dup = false;
			for (int i = 0; i < s->n && !dup; i++)
				dup = !strcmp(s->ids[i], id);
			if (!dup) {
				if ((size_t)s->n + 1 >= cap || s->n >= (int)cfg.max_selection) {
					*res = reply_error(r, 400, "selection_too_large",
					                   "%sids names more than %u profiles (--max-selection); merge fewer at once",
					                   prefix, cfg.max_selection);
					return -1;
				}
				memcpy(s->ids[s->n++], id, len + 1);
			}
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (s->n == 0) {
		*res = reply_error(r, 404, "empty_selection", "%sids= names no profile", prefix);
		return -1;
	}
	return 0;
}

int selection_parse_query(struct req *r, const char *prefix, struct selection_query *q, enum MHD_Result *res)
{
	memset(q, 0, sizeof(*q));
	char n1[64];
	const char *ids = arg(r, prefix, "ids", n1, sizeof(n1));
	const char *kind = arg(r, prefix, "type", n1, sizeof(n1));
	const char *from = arg(r, prefix, "from", n1, sizeof(n1));
	const char *to = arg(r, prefix, "to", n1, sizeof(n1));
	int n_labels = 0;
	if (selection_labels(r, prefix, q->labels, &n_labels, res) < 0)
		return -1;
	if (!ids && !kind && !from && !to && n_labels == 0)
		return SELECTION_ABSENT;
	if (ids) {
		if (kind || from || to || n_labels) {
			*res = reply_error(r, 400, "bad_request", "%sids= cannot be combined with %slabel=, %stype=, %sfrom= or %sto=",
			                   prefix, prefix, prefix, prefix, prefix);
			return -1;
		}
		q->by_ids = true;
		if (parse_ids(r, prefix, ids, &q->ids, res) < 0) {
			selection_query_release(q);
			return -1;
		}
		return 0;
	}
	q->sel.labels = q->labels;
	q->sel.n_labels = n_labels;
	if (kind) {
		if (prof_kind_parse(kind) < 0) {
			*res = reply_error(r, 400, "bad_request",
			                   "%stype must be one of cpu, heap, goroutine, mutex, block, other", prefix);
			return -1;
		}
		q->sel.kind = kind;
	}
	char err[256];
	if (from) {
		if (timearg_parse(from, &q->sel.from, err, sizeof(err)) < 0) {
			*res = reply_error(r, 400, "bad_request", "%sfrom: %s", prefix, err);
			return -1;
		}
		q->sel.has_from = 1;
	}
	if (to) {
		if (timearg_parse(to, &q->sel.to, err, sizeof(err)) < 0) {
			*res = reply_error(r, 400, "bad_request", "%sto: %s", prefix, err);
			return -1;
		}
		q->sel.has_to = 1;
	}
	if (q->sel.has_from && q->sel.has_to && q->sel.to < q->sel.from) {
		*res = reply_error(r, 400, "bad_request", "%sto is before %sfrom", prefix, prefix);
		return -1;
	}
	return 0;
}

void selection_query_release(struct selection_query *q)
{
	selection_release(&q->ids);
}

int selection_check_count(struct req *r, const char *prefix, int n, enum MHD_Result *res)
{
	int max = (int)cfg.max_selection;
	if (n > max) {
		*res = reply_error(r, 400, "selection_too_large",
		                   "the selection has more than %d profiles (--max-selection); narrow it with "
		                   "%sfrom=/%sto=, %stype= or another %slabel=",
		                   max, prefix, prefix, prefix, prefix);
		return -1;
	}
	if (n == 0) {
		*res = reply_error(r, 404, "empty_selection", "no stored profile matches the %sselection", prefix);
		return -1;
	}
	return 0;
}

int selection_parse(struct req *r, const char *prefix, struct selection *s, enum MHD_Result *res)
{
	memset(s, 0, sizeof(*s));
	struct selection_query q;
	int rc = selection_parse_query(r, prefix, &q, res);
	if (rc != 0)
		return rc;
	if (q.by_ids) {
		*s = q.ids; /* handed over */
		return 0;
	}
	int max = (int)cfg.max_selection;
	s->ids = malloc(((size_t)max + 1) * sizeof(*s->ids));
	if (!s->ids) {
		*res = reply_error(r, 500, "internal", "out of memory");
		return -1;
	}
	if (store_select(&q.sel, s->ids, max + 1, &s->n) < 0) {
		selection_release(s);
		int why = work_poll();
		*res = why != WORK_OK ? reply_stopped(r, why) : reply_error(r, 500, "internal", "could not read the store");
		return -1;
	}
	if (selection_check_count(r, prefix, s->n, res) < 0) {
		selection_release(s);
		return -1;
	}
	return 0;
}

void selection_release(struct selection *s)
{
	free(s->ids);
	s->ids = NULL;
	s->n = 0;
}

/* Charge the growth of what m holds to the budget. false when it is spent. */
static bool charge(struct sel_prof *out, size_t now)
{
	if (now <= out->charged)
		return true;
	if (!budget_take(now - out->charged))
		return false;
	out->charged = now;
	return true;
}

/* Helper threads that load a merge's profiles ahead: one per CPU, at
 * most 4 (the fold itself is one thread). */
static int helper_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 0 : n > 4 ? 4 : (int)n;
}

/* ---- the cache of merges ------------------------------------------------- */

static struct cache *merges;
static pthread_once_t merges_once = PTHREAD_ONCE_INIT;

static void merges_init(void)
{
	size_t bytes = cfg.cache_bytes / 4;
	merges = cache_new(bytes ? bytes : 1);
}

/* The cache key of the ordered id list: 88 bits of two hashes, as 22 hex
 * digits. */
static void merge_key(const struct selection *s, char key[FDX_ID_LEN + 1])
{
	uint64_t a = 0x243f6a8885a308d3ULL, b = 0x13198a2e03707344ULL;
	for (int i = 0; i < s->n; i++) {
		uint64_t h = hash_bytes(s->ids[i], strlen(s->ids[i]));
		a = hash_mix64(a ^ h) + (uint64_t)i;
		b = hash_mix64(b + h * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)s->n;
	}
	snprintf(key, FDX_ID_LEN + 1, "%016llx%06llx", (unsigned long long)a, (unsigned long long)(b & 0xffffff));
}

/* Does every id of s still exist? */
static bool all_exist(const struct selection *s)
{
	for (int i = 0; i < s->n; i++) {
		int64_t ns;
		const char *src;
		if (store_time(s->ids[i], &ns, &src) != 0)
			return false;
	}
	return true;
}

/* ---- the cache of merged views' answers --------------------------------- */

/* The largest answer kept: a flame graph of the default 20,000 nodes is
 * about 1-2 MB. */
#define VIEW_ENTRY_MAX (16u << 20)

static struct respcache *answers;
static pthread_once_t answers_once = PTHREAD_ONCE_INIT;

static void answers_init(void)
{
	size_t bytes = cfg.cache_bytes / 16;
	answers = bytes ? respcache_new(bytes, VIEW_ENTRY_MAX) : NULL;
}

static const char *const SEL_ARGS[] = { "ids", "label", "type", "from", "to" };

static enum MHD_Result key_arg(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	(void)kind;
	struct buf *b = cls;
	if (!k)
		return MHD_YES;
	for (size_t i = 0; i < sizeof(SEL_ARGS) / sizeof(SEL_ARGS[0]); i++)
		if (!strcmp(k, SEL_ARGS[i]))
			return MHD_YES;
	/* lengths first, so that no byte of a name or value can fake a separator */
	buf_printf(b, "%zu:%s%zu:", strlen(k), k, v ? strlen(v) : 0);
	if (v)
		buf_adds(b, v);
	return MHD_YES;
}

bool selection_view_cached(struct req *r, const struct selection *s, const char *view, struct buf *key,
                           struct buf *out)
{
	pthread_once(&answers_once, answers_init);
	char mk[FDX_ID_LEN + 1];
	merge_key(s, mk);
	buf_printf(key, "%s|%s|%d|", view, mk, s->n);
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, key_arg, key);
	buf_add(key, "", 1);
	if (!answers || key->oom)
		return false;
	if (!respcache_get(answers, key->data, out))
		return false;
	/* an ids= list names its profiles: each must still be there */
	if (s->by_ids && !all_exist(s)) {
		buf_release(out);
		return false;
	}
	return true;
}

void selection_view_keep(const struct buf *key, const struct buf *out)
{
	if (answers && !key->oom && key->len && !out->oom && out->data)
		respcache_put(answers, key->data, out->data, out->len);
}

int selection_merge(struct req *r, const struct selection *s, struct sel_prof *out, enum MHD_Result *res)
{
	memset(out, 0, sizeof(*out));
	pthread_once(&merges_once, merges_init);
	char key[FDX_ID_LEN + 1];
	merge_key(s, key);
	struct prof *hit = merges ? cache_get(merges, key) : NULL;
	if (hit && all_exist(s)) {
		out->p = hit;
		out->cached = true;
		out->n = (unsigned)s->n;
		snprintf(out->first, sizeof(out->first), "%s", s->ids[0]);
		return 0;
	}
	if (hit) {
		cache_release(merges, hit);
		cache_forget(merges, key);
	}
	double t0 = util_mono_ms();
	struct merge *m = merge_new();
	if (!m) {
		*res = reply_stopped(r, WORK_NOMEM);
		return -1;
	}
	char err[1200];
	/* the next profiles are read and decoded on helper threads while
	 * this one folds (loadahead.h); without them, one at a time here */
	struct loadahead *la = loadahead_start((const char (*)[23])s->ids, s->n, helper_threads(), 0);
	for (int i = 0; i < s->n; i++) {
		int st = 0;
		struct prof *p = la ? loadahead_next(la, &st) : store_get(s->ids[i], &st);
		if (!p) {
			if (st == 404 && !s->by_ids)
				continue; /* deleted since the selection was read */
			loadahead_end(la);
			merge_free(m);
			sel_prof_release(out);
			if (st == 404) {
				*res = reply_error(r, 404, "not_found", "no profile with id %s", s->ids[i]);
			} else if (st == 503) {
				int w = work_poll(); /* a helper's load may have been refused memory */
				*res = reply_stopped(r, w != WORK_OK ? w : WORK_NOMEM);
			} else {
				*res = reply_error(r, 500, "internal", "could not load profile %s", s->ids[i]);
			}
			return -1;
		}
		if (merge_count(m) == 0)
			snprintf(out->first, sizeof(out->first), "%s", s->ids[i]);
		char why[1024] = "";
		int rc = merge_add(m, p, why, sizeof(why));
		store_release(p);
		if (rc == 0 && !charge(out, merge_mem_bytes(m)))
			rc = -2;
		if (rc != 0) {
			loadahead_end(la);
			merge_free(m);
			sel_prof_release(out);
			if (rc == MERGE_INCOMPATIBLE) {
				snprintf(err, sizeof(err), "profiles %s and %s cannot be merged: %s", out->first, s->ids[i], why);
				*res = reply_error(r, 400, "incompatible_profiles", "%s", err);
			} else if (rc == MERGE_OVERFLOW) {
				*res = reply_error(r, 422, "overflow", "%s", why);
			} else {
				int w = work_poll();
				*res = reply_stopped(r, w != WORK_OK ? w : WORK_NOMEM);
			}
			return -1;
		}
	}
	loadahead_end(la);
	out->n = merge_count(m);
	if (out->n == 0) {
		merge_free(m);
		sel_prof_release(out);
		*res = reply_error(r, 404, "empty_selection", "every profile of the selection was deleted");
		return -1;
	}
	/* the merged model replaces the merge's tables: charge the larger */
	struct prof *p = merge_finish(m);
	if (!p) {
		sel_prof_release(out);
		*res = reply_stopped(r, WORK_NOMEM);
		return -1;
	}
	out->p = p;
	util_log("level=info msg=merged profiles=%u nodes=%u samples=%u locations=%u bytes=%zu ms=%.1f", out->n,
	         p->n_nodes, p->n_samples, p->n_locs, prof_mem_bytes(p), util_mono_ms() - t0);
	if (!charge(out, prof_mem_bytes(p))) {
		sel_prof_release(out);
		*res = reply_stopped(r, WORK_NOMEM);
		return -1;
	}
	/* a merge of every id (none deleted meanwhile) is kept for the next request */
	if (merges && out->n == (unsigned)s->n) {
		struct prof *held = cache_put(merges, key, p);
		out->p = held; /* NULL: out of memory, and p is freed */
		out->cached = held != NULL;
		if (out->charged)
			budget_give(out->charged); /* the cache's own budget counts it now */
		out->charged = 0;
		if (!held) {
			*res = reply_stopped(r, WORK_NOMEM);
			return -1;
		}
	}
	return 0;
}

int selection_load(struct req *r, const char *prefix, struct sel_prof *out, enum MHD_Result *res)
{
	memset(out, 0, sizeof(*out));
	struct selection s;
	int rc = selection_parse(r, prefix, &s, res);
	if (rc != 0)
		return rc;
	rc = selection_merge(r, &s, out, res);
	selection_release(&s);
	return rc;
}

void sel_prof_release(struct sel_prof *sp)
{
	if (sp->cached)
		cache_release(merges, sp->p);
	else
		prof_free(sp->p);
	sp->cached = false;
	sp->p = NULL;
	if (sp->charged)
		budget_give(sp->charged);
	sp->charged = 0;
}

void selection_cache_stats(struct cache_stats *merged, struct respcache_stats *ans)
{
	memset(merged, 0, sizeof(*merged));
	memset(ans, 0, sizeof(*ans));
	if (merges)
		cache_stats(merges, merged);
	if (answers)
		respcache_stats(answers, ans);
}
