/*
 * leaks.c: leak candidates (see leaks.h and docs/LEAKS.md).
 */
#include "leaks.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "leaks_judge.h"
#include "leaks_kind.h"
#include "util.h"
#include "work.h"

#define MAX_FRAMES 1024

/* ---- candidates --------------------------------------------------------------- */

struct set {
	struct leak_cand *c;
	int n, cap;
	struct strmap map;
	struct buf keys;    /* owned key copies (char *) */
	int nsnap;
	struct work_held held;  /* candidates charged to the request (work.h) */
};

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

static struct leak_cand *get_cand(struct set *s, const char *key)
{
	int ins;
	char *copy = dupn(key, strlen(key));
	if (!copy)
		return NULL;
	uint32_t id = strmap_intern(&s->map, copy, (uint32_t)strlen(copy), (uint32_t)s->n, &ins);
	if (id == UINT32_MAX) {
		free(copy);
		return NULL;
	}
	if (!ins) {
		free(copy);
		return &s->c[id];
	}
	buf_add(&s->keys, &copy, sizeof(copy));
	/* What a candidate holds besides its slot and its strings (charged
	 * when they are made): the key, the per-snapshot arrays, malloc's
	 * overhead on each. */
	size_t cost = strlen(key) + 4 * 16 + (size_t)s->nsnap * (2 * sizeof(double) + sizeof(struct buf));
	if (work_hold(&s->held, cost) < 0)
		return NULL;
	if (s->n == s->cap) {
		int nc = s->cap ? s->cap * 2 : 64;
		if (work_hold(&s->held, (size_t)(nc - s->cap) * sizeof(struct leak_cand)) < 0)
			return NULL;
		struct leak_cand *n = realloc(s->c, (size_t)nc * sizeof(*n));
		if (!n)
			return NULL;
		s->c = n;
		s->cap = nc;
	}
	struct leak_cand *c = &s->c[s->n++];
	memset(c, 0, sizeof(*c));
	c->counts = calloc((size_t)s->nsnap, sizeof(double));
	c->alloc = calloc((size_t)s->nsnap, sizeof(double));
	c->gors = calloc((size_t)s->nsnap, sizeof(struct buf));
	if (!c->counts || !c->alloc || !c->gors)
		return NULL;
	return c;
}

static void set_release(struct set *s)
{
	for (int i = 0; i < s->n; i++) {
		struct leak_cand *c = &s->c[i];
		free(c->site);
		free(c->at);
		free(c->entry);
		free(c->created_by);
		free(c->func);
		free(c->file);
		free(c->counts);
		free(c->alloc);
		for (int k = 0; k < c->nstack; k++)
			free(c->stack[k]);
		for (int k = 0; c->gors && k < s->nsnap; k++)
			buf_release(&c->gors[k]);
		free(c->gors);
	}
	free(s->c);
	work_unhold(&s->held);
	for (size_t i = 0; i < s->keys.len / sizeof(char *); i++)
		free(((char **)s->keys.data)[i]);
	buf_release(&s->keys);
	strmap_release(&s->map);
}

/* Leaf-first frames of trie node n. */
static int stack_of(const struct prof *p, uint32_t n, uint32_t *out, int max)
{
	int k = 0;
	for (; n != 0 && k < max; n = p->nodes[n].parent) {
		const struct prof_loc *l = &p->locs[p->nodes[n].loc];
		for (uint32_t i = l->n; i-- > 0 && k < max;)
			out[k++] = p->loc_frames[l->off + i];
	}
	return k;
}

static int type_index(const struct prof *p, const char *name)
{
	for (uint32_t i = 0; i < p->n_types; i++)
		if (!strcmp(prof_str(p, p->type_type[i]), name))
			return (int)i;
	return -1;
}

static const struct prof_label *find_label(const struct prof *p, uint32_t ls, const char *key)
{
	const struct prof_labelset *s = &p->labelsets[ls];
	for (uint32_t i = 0; i < s->n; i++)
		if (!strcmp(prof_str(p, p->labels[s->off + i].key), key))
			return &p->labels[s->off + i];
	return NULL;
}

/* Fold one snapshot into the candidate set. */
static int add_snapshot(struct set *s, const struct leak_snap *sn, int si, bool heap, double *total,
                        double *max_goid)
{
	const struct prof *p = sn->p;
	uint32_t *fr = malloc(MAX_FRAMES * sizeof(uint32_t));
	if (!fr)
		return -1;
	int vt = -1, at = -1;
	bool confirmed_profile = false;
	if (heap) {
		vt = type_index(p, "inuse_space");
		if (vt < 0)
			vt = type_index(p, "space");
		at = type_index(p, "alloc_space");
		if (vt < 0)
			vt = (int)p->default_type;
	} else {
		vt = type_index(p, "goroutine");
		if (vt < 0) {
			vt = type_index(p, "goroutineleak");
			confirmed_profile = vt >= 0;
		}
		if (vt < 0)
			vt = (int)p->default_type;
	}
	for (uint32_t i = 0; i < p->n_samples; i++) {
		if (work_poll() != WORK_OK) {
			free(fr);
			return -1;
		}
		int64_t v = p->values[(size_t)i * p->n_types + (size_t)vt];
		int64_t av = at >= 0 ? p->values[(size_t)i * p->n_types + (size_t)at] : 0;
		if (v == 0 && av == 0)
			continue;
		*total += (double)v;
		int n = stack_of(p, p->samples[i].node, fr, MAX_FRAMES);
		uint32_t ls = p->samples[i].labelset;
		/* blocking / allocation site: first frame outside the runtime */
		int site = -1;
		for (int k = 0; k < n; k++)
			if (!leaks_kind_infra(prof_str(p, p->frames[fr[k]].key))) {
				site = k;
				break;
			}
		if (site < 0)
			site = n > 0 ? 0 : -1;
		const struct leaks_kind *wk = NULL;
		const struct prof_label *state = heap ? NULL : find_label(p, ls, "state");
		if (!heap) {
			const char *names[LEAKS_KIND_FRAMES];
			int nn = n < LEAKS_KIND_FRAMES ? n : LEAKS_KIND_FRAMES;
			for (int k = 0; k < nn; k++)
				names[k] = prof_str(p, p->frames[fr[k]].key);
			wk = state ? leaks_kind_of_reason(prof_str(p, state->str), names, nn, NULL)
			           : leaks_kind_of_stack(names, nn, NULL);
		}
		char sitebuf[1200], key[1600];
		const char *fname = "<no stack>", *file = "";
		int64_t line = 0;
		if (site >= 0) {
			const struct prof_frame *f = &p->frames[fr[site]];
			fname = prof_str(p, f->key);
			file = f->func != PROF_NONE ? prof_str(p, p->funcs[f->func].file) : "";
			line = f->line;
		}
		if (*file)
			snprintf(sitebuf, sizeof(sitebuf), "%.900s (%.200s:%lld)", fname, base_name(file), (long long)line);
		else
			snprintf(sitebuf, sizeof(sitebuf), "%.900s", fname);
		/* entry: the goroutine's root function (the same in proto
		 * profiles and text dumps); part of the key, so one site reached
		 * from two entry points (a server's and a client's reads, say)
		 * gives two candidates */
		const char *entry = "";
		for (int k = n - 1; k >= 0; k--) {
			const char *f = prof_str(p, p->frames[fr[k]].key);
			if (strcmp(f, "runtime.goexit") && strcmp(f, "runtime.main")) {
				entry = f;
				break;
			}
		}
		snprintf(key, sizeof(key), "%s|%s|%.300s", sitebuf, wk ? wk->name : "heap", entry);
		struct leak_cand *c = get_cand(s, key);
		if (!c) {
			free(fr);
			return -1;
		}
		if (!c->site) {
			/* its strings: site, at, func, file, entry, and the frames */
			size_t cost = strlen(sitebuf) + 240 + 2 * strlen(fname) + strlen(file) + strlen(entry) + 6 * 16;
			for (int k = 0; k < n && k < LEAKS_STACK_OUT; k++)
				cost += strlen(prof_str(p, p->frames[fr[k]].key)) + 1 + 16;
			if (work_hold(&s->held, cost) < 0) {
				free(fr);
				return -1;
			}
			c->site = dupn(sitebuf, strlen(sitebuf));
			char atb[240];
			if (*file)
				snprintf(atb, sizeof(atb), "%.200s:%lld", base_name(file), (long long)line);
			else
				snprintf(atb, sizeof(atb), "%.230s", fname);
			c->at = dupn(atb, strlen(atb));
			c->func = dupn(fname, strlen(fname));
			c->file = dupn(file, strlen(file));
			c->line = line;
			c->wk = wk;
			if (state)
				snprintf(c->wait_reason, sizeof(c->wait_reason), "%s", prof_str(p, state->str));
			c->entry = dupn(entry, strlen(entry));
			/* text dumps also say who created the goroutine */
			const struct prof_label *cb = heap ? NULL : find_label(p, ls, "created_by");
			if (cb && cb->str != PROF_NONE)
				c->created_by = dupn(prof_str(p, cb->str), prof_strlen(p, cb->str));
			for (int k = 0; k < n && c->nstack < LEAKS_STACK_OUT; k++) {
				const char *f = prof_str(p, p->frames[fr[k]].key);
				c->stack[c->nstack++] = dupn(f, strlen(f));
			}
		}
		c->counts[si] += (double)v;
		c->alloc[si] += (double)av;
		if (confirmed_profile || (state && strstr(prof_str(p, state->str), "leaked")))
			c->confirmed = true;
		if (!heap) {
			const struct prof_label *gid = find_label(p, ls, "goid");
			const struct prof_label *mins = find_label(p, ls, "wait_minutes");
			if (gid) {
				struct leak_gor g = { gid->num, mins ? mins->num : 0 };
				if ((double)gid->num > *max_goid)
					*max_goid = (double)gid->num;
				buf_add(&c->gors[si], &g, sizeof(g));
			}
		}
	}
	free(fr);
	return 0;
}

static int cmp_gor(const void *a, const void *b)
{
	int64_t x = ((const struct leak_gor *)a)->goid, y = ((const struct leak_gor *)b)->goid;
	return x < y ? -1 : x > y;
}

/* Text dumps: a restart replaces every goroutine. The highest id falling
 * is not enough (the newest goroutines may just have exited, as when a
 * burst drains), so look at the sites present on both sides with at
 * least two goroutines: in a new process none keeps its goroutine ids.
 * The goroutines of each snapshot are sorted by id. */
static bool goids_replaced(struct set *s, int i)
{
	int sites = 0;
	for (int k = 0; k < s->n; k++) {
		struct buf *a = &s->c[k].gors[i - 1], *b = &s->c[k].gors[i];
		size_t na = a->len / sizeof(struct leak_gor), nb = b->len / sizeof(struct leak_gor);
		if (na < 2 || nb < 2)
			continue;
		const struct leak_gor *x = (const struct leak_gor *)a->data, *y = (const struct leak_gor *)b->data;
		size_t p = 0, q = 0, common = 0;
		while (p < na && q < nb) {
			if (x[p].goid == y[q].goid)
				common++, p++, q++;
			else if (x[p].goid < y[q].goid)
				p++;
			else
				q++;
		}
		sites++;
		if (common * 2 >= (na < nb ? na : nb))
			return false; /* this site kept its goroutines */
	}
	return sites > 0;
}

static int cmp_cand(const void *a, const void *b)
{
	const struct leak_cand *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return strcmp(x->site, y->site);
}

int leaks_json(const struct leak_snap *snaps, int n, const struct leak_opts *o, struct json *j)
{
	if (n < 1)
		return -2;
	bool heap = snaps[0].p->kind == PROF_KIND_HEAP;
	bool text = false;
	for (int i = 0; i < n; i++) {
		enum prof_kind k = snaps[i].p->kind;
		if (heap ? k != PROF_KIND_HEAP : k != PROF_KIND_GOROUTINE) {
			bool leakprof = false;
			for (uint32_t t = 0; t < snaps[i].p->n_types; t++)
				if (!strcmp(prof_str(snaps[i].p, snaps[i].p->type_type[t]), "goroutineleak"))
					leakprof = true;
			if (heap || !leakprof)
				return -2;
		}
		for (uint32_t l = 0; l < snaps[i].p->n_labels && !text; l++)
			if (!strcmp(prof_str(snaps[i].p, snaps[i].p->labels[l].key), "goid"))
				text = true;
	}
	struct set s;
	memset(&s, 0, sizeof(s));
	s.nsnap = n;
	double *t = calloc((size_t)n, sizeof(double)), *tot = calloc((size_t)n, sizeof(double));
	double *goid = calloc((size_t)n, sizeof(double));
	int rc = -1;
	if (!t || !tot || !goid || strmap_init(&s.map, 256) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		t[i] = (double)(snaps[i].time_ns - snaps[0].time_ns) / 1e9;
		if (add_snapshot(&s, &snaps[i], i, heap, &tot[i], &goid[i]) < 0)
			goto out;
	}
	for (int k = 0; k < s.n; k++)
		for (int i = 0; i < n; i++)
			if (s.c[k].gors[i].len)
				qsort(s.c[k].gors[i].data, s.c[k].gors[i].len / sizeof(struct leak_gor), sizeof(struct leak_gor),
				      cmp_gor);
	/* Restarts. Goroutine ids only grow within a process, so with text
	 * dumps a falling maximum id is a restart. Otherwise: the total falls
	 * by half (and by something real), spread over several sites — one
	 * site emptying alone is a burst draining, not a restart. */
	int seg = 0;
	for (int i = 1; i < n; i++) {
		if (text) {
			if (goid[i] > 0 && goid[i - 1] > 0 && goid[i] < goid[i - 1] && goids_replaced(&s, i))
				seg = i;
			continue;
		}
		double drop = tot[i - 1] - tot[i];
		if (!(tot[i] < 0.5 * tot[i - 1] && drop >= (heap ? 1048576 : 10)))
			continue;
		double largest = 0;
		for (int k = 0; k < s.n; k++) {
			double d = s.c[k].counts[i - 1] - s.c[k].counts[i];
			if (d > largest)
				largest = d;
		}
		if (largest < 0.8 * drop)
			seg = i;
	}
	struct leak_series ser = { .t = t, .tot = tot, .n = n, .seg = seg, .heap = heap, .text = text, .o = o };
	int upload_times = 0;
	for (int i = 0; i < n; i++)
		if (snaps[i].time_source && !strcmp(snaps[i].time_source, "upload")) {
			upload_times++;
			ser.upload_times = ser.upload_times || i >= seg;
		}
	for (int i = 0; i < s.n; i++)
		leaks_judge_trend(&s.c[i], &ser);
	leaks_judge_shares(s.c, s.n);
	for (int i = 0; i < s.n; i++)
		leaks_judge_verdict(&s.c[i], &ser);
	qsort(s.c, (size_t)s.n, sizeof(*s.c), cmp_cand);
	/* the map's ids are stale after sorting; nothing looks them up again */

	json_obj_begin(j);
	json_key(j, "kind");
	json_str(j, heap ? "heap" : "goroutine");
	json_key(j, "snapshots");
	json_arr_begin(j);
	for (int i = 0; i < n; i++) {
		char ts[40];
		util_rfc3339(snaps[i].time_ns, ts);
		json_obj_begin(j);
		json_key(j, "id");
		json_str(j, snaps[i].id);
		json_key(j, "time");
		json_str(j, ts);
		json_key(j, "time_source");
		json_str(j, snaps[i].time_source ? snaps[i].time_source : "profile");
		json_key(j, "total");
		json_double(j, tot[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "upload_times");
	json_int(j, upload_times);
	json_key(j, "restart_at");
	if (seg > 0)
		json_int(j, seg);
	else
		json_null(j);
	json_key(j, "candidates");
	json_arr_begin(j);
	for (int i = 0; i < s.n; i++) {
		struct leak_cand *c = &s.c[i];
		json_obj_begin(j);
		json_key(j, "site");
		json_str(j, c->site);
		json_key(j, "function");
		json_str(j, c->func);
		json_key(j, "file");
		json_str(j, c->file);
		json_key(j, "line");
		json_int(j, c->line);
		json_key(j, "entry");
		json_str(j, c->entry);
		if (c->created_by) {
			json_key(j, "created_by");
			json_str(j, c->created_by);
		}
		json_key(j, "wait");
		if (heap)
			json_null(j);
		else
			json_str(j, c->wk->name);
		if (c->wait_reason[0]) {
			json_key(j, "wait_reason");
			json_str(j, c->wait_reason);
		}
		json_key(j, "counts");
		json_arr_begin(j);
		for (int k = 0; k < n; k++)
			json_double(j, c->counts[k]);
		json_arr_end(j);
		if (heap) {
			json_key(j, "alloc_space");
			json_arr_begin(j);
			for (int k = 0; k < n; k++)
				json_double(j, c->alloc[k]);
			json_arr_end(j);
		}
		json_key(j, "count");
		json_double(j, c->counts[n - 1]);
		json_key(j, "slope_per_hour");
		json_double(j, c->slope_h);
		json_key(j, "growth");
		json_double(j, c->growth);
		json_key(j, "growth_share");
		json_double(j, c->share);
		json_key(j, "trend_tau");
		json_double(j, c->tau);
		json_key(j, "trend_p");
		json_double(j, n - seg >= 2 ? c->mk_p : 1);
		json_key(j, "min_rising");
		json_bool(j, c->min_rising);
		json_key(j, "plateau");
		json_bool(j, c->plateau);
		if (!heap) {
			json_key(j, "lifetime_s");
			json_double(j, c->lifetime_s);
			json_key(j, "old_count");
			json_int(j, c->n_old);
		}
		json_key(j, "score");
		json_double(j, c->score);
		json_key(j, "leak");
		json_bool(j, c->leak);
		json_key(j, "reason");
		json_str(j, c->reason);
		json_key(j, "stack");
		json_arr_begin(j);
		for (int k = 0; k < c->nstack; k++)
			json_str(j, c->stack[k]);
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "duplicate_ids");
	json_int(j, o->duplicate_ids);
	json_obj_end(j);
	rc = 0;
out:
	free(t);
	free(tot);
	free(goid);
	set_release(&s);
	return rc;
}
