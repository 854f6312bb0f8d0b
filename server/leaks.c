/*
 * leaks.c: leak candidates (see leaks.h and docs/LEAKS.md).
 */
#include "leaks.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "leaks_kind.h"
#include "stats.h"
#include "util.h"

#define MAX_FRAMES 1024
#define MAX_STACK_OUT 64

/* ---- candidates --------------------------------------------------------------- */

struct cand {
	char *site, *entry, *func, *file, *created_by;
	const struct leaks_kind *wk;
	char wait_reason[64];
	int64_t line;
	double *counts, *alloc;
	char *stack[MAX_STACK_OUT];
	int nstack;
	struct u64map goids;          /* goid -> first snapshot seen */
	bool have_goids;
	struct buf *gl;               /* per snapshot: the goids seen (int64) */
	double lifetime_s;            /* oldest goroutine seen, by goid or minutes */
	int64_t max_minutes;
	bool confirmed;               /* goroutineleak profile */
	/* results */
	double slope_h, tau, mk_p, score, growth, share;
	bool plateau, leak, min_rising;
	int seg_start;
	char reason[1024];
};

struct set {
	struct cand *c;
	int n, cap;
	struct strmap map;
	struct buf keys;    /* owned key copies (char *) */
	int nsnap;
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

static struct cand *get_cand(struct set *s, const char *key)
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
	if (s->n == s->cap) {
		int nc = s->cap ? s->cap * 2 : 64;
		struct cand *n = realloc(s->c, (size_t)nc * sizeof(*n));
		if (!n)
			return NULL;
		s->c = n;
		s->cap = nc;
	}
	struct cand *c = &s->c[s->n++];
	memset(c, 0, sizeof(*c));
	c->counts = calloc((size_t)s->nsnap, sizeof(double));
	c->alloc = calloc((size_t)s->nsnap, sizeof(double));
	c->gl = calloc((size_t)s->nsnap, sizeof(struct buf));
	if (!c->counts || !c->alloc || !c->gl)
		return NULL;
	return c;
}

static void set_release(struct set *s)
{
	for (int i = 0; i < s->n; i++) {
		struct cand *c = &s->c[i];
		free(c->site);
		free(c->entry);
		free(c->created_by);
		free(c->func);
		free(c->file);
		free(c->counts);
		free(c->alloc);
		for (int k = 0; k < c->nstack; k++)
			free(c->stack[k]);
		if (c->have_goids)
			u64map_release(&c->goids);
		for (int k = 0; c->gl && k < s->nsnap; k++)
			buf_release(&c->gl[k]);
		free(c->gl);
	}
	free(s->c);
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
		struct cand *c = get_cand(s, key);
		if (!c) {
			free(fr);
			return -1;
		}
		if (!c->site) {
			c->site = dupn(sitebuf, strlen(sitebuf));
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
			for (int k = 0; k < n && c->nstack < MAX_STACK_OUT; k++) {
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
			if (mins && mins->num > c->max_minutes)
				c->max_minutes = mins->num;
			if (gid) {
				if ((double)gid->num > *max_goid)
					*max_goid = (double)gid->num;
				buf_add(&c->gl[si], &gid->num, sizeof(gid->num));
				if (!c->have_goids) {
					if (u64map_init(&c->goids, 64) < 0) {
						free(fr);
						return -1;
					}
					c->have_goids = true;
				}
				int ins;
				uint32_t *slot = u64map_put(&c->goids, (uint64_t)gid->num, &ins);
				if (!slot) {
					free(fr);
					return -1;
				}
				if (ins)
					*slot = (uint32_t)si;
			}
		}
	}
	free(fr);
	return 0;
}

static void fmt_amount(char *out, size_t cap, double v, bool heap)
{
	if (!heap)
		snprintf(out, cap, "%.0f goroutines", v);
	else if (fabs(v) >= 1048576)
		snprintf(out, cap, "%.1f MiB", v / 1048576);
	else if (fabs(v) >= 1024)
		snprintf(out, cap, "%.1f KiB", v / 1024);
	else
		snprintf(out, cap, "%.0f B", v);
}

static void judge(struct cand *c, const double *t, const double *tot, int n, int seg, bool heap,
                  const struct leak_opts *o, bool text)
{
	double *y = c->counts;
	/* A site that rose, fell sharply and rises again: a leak reset by a
	 * restart the totals did not show. Judge the trend after the reset. */
	bool reset = false;
	if (!heap) {
		int j = -1;
		for (int i = seg + 1; i < n; i++)
			if (y[i] <= 0.5 * y[i - 1] && y[i - 1] - y[i] >= 3)
				j = i;
		if (j > 0 && j - seg >= 3 && n - j >= 3) {
			double tau0, p0;
			stats_mann_kendall(y, seg, j, &tau0, &p0);
			if (tau0 >= 0.6 && y[j - 1] > y[seg]) {
				seg = j;
				reset = true;
			}
		}
	}
	int m = n - seg;
	double now = y[n - 1];
	double w = heap ? 1.0 : c->wk->weight;
	char amt[64], gr[64];
	const char *where = c->file && *c->file ? base_name(c->file) : c->func;
	char at[240];
	if (c->file && *c->file)
		snprintf(at, sizeof(at), "%s:%lld", where, (long long)c->line);
	else
		snprintf(at, sizeof(at), "%s", where);
	c->seg_start = seg;
	fmt_amount(amt, sizeof(amt), now, heap);
	/* lifetimes from goroutine ids (text dumps) */
	if (c->have_goids && n > 1) {
		double oldest = 0;
		/* every goid seen in the last snapshot: how long ago it first appeared */
		for (size_t i = 0; i < c->goids.cap; i++) {
			struct u64slot *sl = &c->goids.slots[i];
			if (sl->klo == UINT32_MAX && sl->khi == UINT32_MAX)
				continue;
			double age = t[n - 1] - t[sl->val];
			if (age > oldest)
				oldest = age;
		}
		c->lifetime_s = oldest;
	}
	if ((double)c->max_minutes * 60 > c->lifetime_s)
		c->lifetime_s = (double)c->max_minutes * 60;

	if (c->confirmed) {
		c->leak = true;
		c->score = 1e6 + now;
		snprintf(c->reason, sizeof(c->reason), "%s reported leaked by Go's goroutineleak profile (unreachable, can never wake), %s at %s",
		         amt, heap ? "" : c->wk->name, at);
		return;
	}
	if (m < 2) {
		/* One snapshot: rank by suspicious goroutines (LeakProf). */
		c->score = w * now;
		bool old = text && c->lifetime_s >= o->min_age_s && now >= (double)o->min_count;
		c->leak = !heap && w >= 0.8 && (old || now >= (double)o->single_min_count);
		if (heap)
			snprintf(c->reason, sizeof(c->reason), "%s in use at %s (one snapshot: upload a series to see growth)", amt, at);
		else if (c->leak)
			snprintf(c->reason, sizeof(c->reason), "%s blocked in %s at %s%s", amt, c->wk->name, at,
			         old ? ", blocked longer than the age threshold" : ", far above what a healthy service parks at one site");
		else
			snprintf(c->reason, sizeof(c->reason), "%s blocked in %s at %s (one snapshot: upload a series to see a trend)",
			         amt, c->wk->name, at);
		return;
	}
	c->slope_h = stats_theil_sen(t, y, seg, n) * 3600;
	stats_mann_kendall(y, seg, n, &c->tau, &c->mk_p);
	c->growth = y[n - 1] - y[seg];
	double tg = tot[n - 1] - tot[seg];
	c->share = tg > 0 ? c->growth / tg : 0;
	/* minimum keeps rising: the minimum of each later third exceeds the one before */
	int third = m / 3 > 0 ? m / 3 : 1;
	double mins[3] = { INFINITY, INFINITY, INFINITY };
	for (int i = seg; i < n; i++) {
		int k = (i - seg) / third;
		if (k > 2)
			k = 2;
		if (y[i] < mins[k])
			mins[k] = y[i];
	}
	c->min_rising = m >= 3 && mins[1] > mins[0] && mins[2] > mins[1];
	bool never_down = true;
	for (int i = seg + 1; i < n; i++)
		if (y[i] < y[i - 1])
			never_down = false;
	/* plateau: the second half grows far less than the first */
	int half = seg + m / 2;
	double s1 = stats_theil_sen(t, y, seg, half + 1), s2 = stats_theil_sen(t, y, half, n);
	c->plateau = m >= 4 && s1 > 0 && s2 <= 0.15 * s1;
	bool old = text && c->lifetime_s >= o->min_age_s && now >= (double)o->min_count;
	bool trend = c->tau >= 0.6 && c->mk_p < 0.05 && c->slope_h > 0 && c->growth > 0;
	bool big = heap ? (c->share >= 0.05 || c->growth >= 1048576) : (c->growth >= 3);
	c->leak = (w >= 0.5 && trend && big && !c->plateau) || (!heap && w >= 0.8 && old);
	double tp = c->tau > 0 ? c->tau : 0;
	c->score = w * ((c->growth > 0 ? c->growth : 0) * tp * (c->plateau ? 0.1 : 1) + 0.01 * now);
	if (heap)
		c->score /= 1024; /* KiB */
	if (c->leak && c->score <= 0)
		c->score = 0.001;
	fmt_amount(gr, sizeof(gr), c->growth / (m - 1), heap);
	const char *what = heap ? "in use" : c->wk->name;
	if (c->leak) {
		snprintf(c->reason, sizeof(c->reason), "+%s per snapshot for %d snapshots%s%s, %s %s at %s%s", gr, m,
		         never_down ? ", never decreasing" : (c->min_rising ? ", minimum keeps rising" : ""),
		         c->share >= 0.5 ? ", most of the total growth" : "",
		         heap ? "held" : "blocked in", what, at,
		         old ? " (goroutines older than the age threshold)" : "");
	} else if (c->plateau) {
		snprintf(c->reason, sizeof(c->reason), "grew then levelled off (a pool or cache warming up): %s %s at %s", amt, what, at);
	} else if (c->growth <= 0) {
		snprintf(c->reason, sizeof(c->reason), "no growth over %d snapshots: %s %s at %s", m, amt, what, at);
	} else if (!heap && w < 0.5) {
		snprintf(c->reason, sizeof(c->reason), "growing but waiting in %s, which is usually idle work: %s at %s", what, amt, at);
	} else {
		snprintf(c->reason, sizeof(c->reason), "no steady growth (trend tau %.2f): %s %s at %s", c->tau, amt, what, at);
	}
	if (seg > 0) {
		size_t l = strlen(c->reason);
		snprintf(c->reason + l, sizeof(c->reason) - l, reset
		         ? "; it had risen before, fell at snapshot %d (a restart?) and rises again"
		         : "; trend measured after a restart at snapshot %d", seg + 1);
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Text dumps: a restart replaces every goroutine. The highest id falling
 * is not enough (the newest goroutines may just have exited, as when a
 * burst drains), so look at the sites present on both sides with at
 * least two goroutines: in a new process none keeps its goroutine ids. */
static bool goids_replaced(struct set *s, int i)
{
	int sites = 0;
	for (int k = 0; k < s->n; k++) {
		struct buf *a = &s->c[k].gl[i - 1], *b = &s->c[k].gl[i];
		size_t na = a->len / sizeof(int64_t), nb = b->len / sizeof(int64_t);
		if (na < 2 || nb < 2)
			continue;
		int64_t *x = (int64_t *)a->data, *y = (int64_t *)b->data;
		qsort(x, na, sizeof(int64_t), cmp_i64);
		qsort(y, nb, sizeof(int64_t), cmp_i64);
		size_t p = 0, q = 0, common = 0;
		while (p < na && q < nb) {
			if (x[p] == y[q])
				common++, p++, q++;
			else if (x[p] < y[q])
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
	const struct cand *x = a, *y = b;
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
	for (int i = 0; i < s.n; i++)
		judge(&s.c[i], t, tot, n, seg, heap, o, text);
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
		json_key(j, "total");
		json_double(j, tot[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "restart_at");
	if (seg > 0)
		json_int(j, seg);
	else
		json_null(j);
	json_key(j, "candidates");
	json_arr_begin(j);
	for (int i = 0; i < s.n; i++) {
		struct cand *c = &s.c[i];
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
	json_obj_end(j);
	rc = 0;
out:
	free(t);
	free(tot);
	free(goid);
	set_release(&s);
	return rc;
}
