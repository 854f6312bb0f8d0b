/*
 * filter.c: pprof's filters (see filter.h).
 */
#include "filter.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "limits.h"
#include "work.h"

/* ---- tag filters -------------------------------------------------------- */

/* One "([+-]?digits)([alpha]+)?" token at s; returns its length or 0. */
static size_t range_token(const char *s, int64_t *v, char *unit, size_t ucap)
{
	size_t i = 0;
	if (s[i] == '+' || s[i] == '-')
		i++;
	size_t d0 = i;
	while (isdigit((unsigned char)s[i]))
		i++;
	if (i == d0)
		return 0;
	char num[32];
	if (i >= sizeof(num))
		return 0;
	memcpy(num, s, i);
	num[i] = '\0';
	*v = strtoll(num, NULL, 10);
	size_t u0 = i;
	while (isalpha((unsigned char)s[i]))
		i++;
	size_t ul = i - u0 < ucap - 1 ? i - u0 : ucap - 1;
	memcpy(unit, s + u0, ul);
	unit[ul] = '\0';
	return i;
}

static bool parse_range(struct tagfilter *t, const char *f)
{
	int64_t v1, v2;
	char u1[32], u2[32];
	const char *un;
	size_t n1;
	if (f[0] == ':') {
		n1 = range_token(f + 1, &v1, u1, sizeof(u1));
		if (!n1 || f[1 + n1])
			return false;
		t->mode = 2;
	} else {
		n1 = range_token(f, &v1, u1, sizeof(u1));
		if (!n1)
			return false;
		if (f[n1] == '\0') {
			t->mode = 0;
		} else if (f[n1] == ':' && f[n1 + 1] == '\0') {
			t->mode = 1;
		} else if (f[n1] == ':') {
			size_t n2 = range_token(f + n1 + 1, &v2, u2, sizeof(u2));
			if (!n2 || f[n1 + 1 + n2])
				return false;
			t->mode = 3;
		} else {
			return false;
		}
	}
	t->lo = measure_scale(v1, u1, u1, &un);
	snprintf(t->unit, sizeof(t->unit), "%s", un);
	if (t->mode == 2) {
		t->hi = t->lo;
	} else if (t->mode == 3) {
		t->hi = measure_scale(v2, u2, t->unit, &un);
		if (strcmp(un, t->unit) != 0)
			return false;
	}
	return true;
}

int tagfilter_parse(struct tagfilter *t, const char *spec, char *err, size_t errcap)
{
	memset(t, 0, sizeof(*t));
	const char *eq = strchr(spec, '=');
	const char *value = spec;
	if (eq) {
		size_t kl = (size_t)(eq - spec);
		if (kl >= sizeof(t->key)) {
			snprintf(err, errcap, "tag key too long");
			return -1;
		}
		memcpy(t->key, spec, kl);
		t->key[kl] = '\0';
		value = eq + 1;
	}
	if (parse_range(t, value)) {
		t->numeric = true;
		return 0;
	}
	const char *s = value;
	for (;;) {
		const char *c = strchr(s, ',');
		size_t len = c ? (size_t)(c - s) : strlen(s);
		if (t->n_res >= TAG_MAX_RES) {
			snprintf(err, errcap, "more than %d tag regexes", TAG_MAX_RES);
			tagfilter_release(t);
			return -1;
		}
		char *pat = strndup(s, len);
		if (!pat || rx_compile(&t->res[t->n_res], pat, strlen(pat), 0, err, errcap) < 0) {
			if (!pat)
				snprintf(err, errcap, "out of memory");
			free(pat);
			tagfilter_release(t);
			return -1;
		}
		free(pat);
		t->n_res++;
		if (!c)
			break;
		s = c + 1;
	}
	return 0;
}

void tagfilter_release(struct tagfilter *t)
{
	for (int i = 0; i < t->n_res; i++)
		rx_release(&t->res[i]);
	t->n_res = 0;
}

static bool num_ok(const struct tagfilter *t, int64_t v, const char *unit)
{
	const char *su;
	double sv = measure_scale(v, unit, t->unit, &su);
	if (strcmp(su, t->unit) != 0)
		return false;
	switch (t->mode) {
	case 0: return sv == t->lo;
	case 1: return sv >= t->lo;
	case 2: return sv <= t->hi;
	default: return sv >= t->lo && sv <= t->hi;
	}
}

bool tagfilter_match(const struct tagfilter *t, const struct prof *p, uint32_t labelset,
                     const uint32_t *key_unit)
{
	const struct prof_labelset *ls = &p->labelsets[labelset];
	const struct prof_label *lab = p->labels + ls->off;
	if (t->numeric) {
		for (uint32_t i = 0; i < ls->n; i++) {
			if (lab[i].str != PROF_NONE)
				continue;
			if (t->key[0] && strcmp(prof_str(p, lab[i].key), t->key) != 0)
				continue;
			if (num_ok(t, lab[i].num, measure_key_unit(p, key_unit, lab[i].key)))
				return true;
		}
		return false;
	}
	if (t->key[0]) {
		for (uint32_t i = 0; i < ls->n; i++) {
			if (lab[i].str == PROF_NONE || strcmp(prof_str(p, lab[i].key), t->key) != 0)
				continue;
			for (int r = 0; r < t->n_res; r++)
				if (rx_match(&t->res[r], prof_str(p, lab[i].str), prof_strlen(p, lab[i].str)))
					return true;
		}
		return false;
	}
	/* No key: every regex must match some "key:value". */
	char kv[1024];
	for (int r = 0; r < t->n_res; r++) {
		bool hit = false;
		for (uint32_t i = 0; i < ls->n && !hit; i++) {
			if (lab[i].str == PROF_NONE)
				continue;
			int n = snprintf(kv, sizeof(kv), "%s:%s", prof_str(p, lab[i].key), prof_str(p, lab[i].str));
			if (n < 0)
				continue;
			if ((size_t)n < sizeof(kv)) {
				hit = rx_match(&t->res[r], kv, (size_t)n);
				continue;
			}
			/* a long "key:value": matched whole, as pprof does */
			char *big = malloc((size_t)n + 1);
			if (!big) {
				rx_fail(&t->res[r]); /* filter_labelsets answers an error */
				return false;
			}
			snprintf(big, (size_t)n + 1, "%s:%s", prof_str(p, lab[i].key), prof_str(p, lab[i].str));
			hit = rx_match(&t->res[r], big, (size_t)n);
			free(big);
		}
		if (!hit)
			return false;
	}
	return true;
}

void view_opts_release(struct view_opts *o)
{
	rx_release(&o->focus);
	rx_release(&o->ignore);
	rx_release(&o->hide);
	tagfilter_release(&o->tagfocus);
	tagfilter_release(&o->tagignore);
}

/* ---- filters applied to a profile ------------------------------------------ */

static uint8_t match_bits(const struct view_opts *o, const char *s, size_t n)
{
	uint8_t b = 0;
	if (o->has_focus && rx_match(&o->focus, s, n))
		b |= FILTER_FOCUS;
	if (o->has_ignore && rx_match(&o->ignore, s, n))
		b |= FILTER_IGNORE;
	if (o->has_hide && rx_match(&o->hide, s, n))
		b |= FILTER_HIDE;
	return b;
}

/* The bits of string s, matched once per distinct string (memo[s], the
 * last slot for an id out of range, which reads as ""). */
static uint8_t str_bits(const struct prof *p, const struct view_opts *o, uint8_t *memo, uint32_t s)
{
	if (s >= p->n_strs)
		s = p->n_strs;
	if (memo[s] == 0xff)
		memo[s] = match_bits(o, prof_str(p, s), prof_strlen(p, s));
	return memo[s];
}

uint8_t *filter_frame_bits(const struct prof *p, const struct view_opts *o)
{
	uint8_t *fb = calloc((size_t)p->n_frames + 1, 1);
	uint8_t *func = malloc((size_t)p->n_funcs + 1);
	uint8_t *str = malloc((size_t)p->n_strs + 1); /* 0xff = not computed */
	if (!fb || !func || !str) {
		free(fb);
		fb = NULL;
		goto out;
	}
	memset(func, 0xff, (size_t)p->n_funcs + 1);
	memset(str, 0xff, (size_t)p->n_strs + 1);
	for (uint32_t i = 0; i < p->n_frames; i++) {
		if (work_poll() != WORK_OK) { /* one regex match or two per frame at most */
			free(fb);
			fb = NULL;
			goto out;
		}
		const struct prof_frame *f = &p->frames[i];
		uint8_t b = 0;
		if (f->func != PROF_NONE) {
			if (func[f->func] == 0xff) {
				const struct prof_func *fn = &p->funcs[f->func];
				func[f->func] = str_bits(p, o, str, fn->name) | str_bits(p, o, str, fn->file);
			}
			b |= func[f->func];
		}
		if (f->map_file != PROF_NONE)
			b |= str_bits(p, o, str, f->map_file);
		fb[i] = b;
	}
	/* A match that could not run (out of memory) is an error, never a
	 * "no match" that would change the totals. */
	if (rx_failed(&o->focus) || rx_failed(&o->ignore) || rx_failed(&o->hide)) {
		free(fb);
		fb = NULL;
	}
out:
	free(func);
	free(str);
	return fb;
}

uint8_t *filter_labelsets(const struct prof *p, const struct view_opts *o)
{
	uint32_t *units = measure_num_units(p);
	uint8_t *keep = malloc((size_t)p->n_labelsets + 1);
	if (!units || !keep) {
		free(units);
		free(keep);
		return NULL;
	}
	for (uint32_t i = 0; i < p->n_labelsets; i++) {
		if (work_poll() != WORK_OK) {
			free(units);
			free(keep);
			return NULL;
		}
		keep[i] = (!o->has_tagfocus || tagfilter_match(&o->tagfocus, p, i, units)) &&
		          !(o->has_tagignore && tagfilter_match(&o->tagignore, p, i, units));
	}
	free(units);
	for (int r = 0; r < o->tagfocus.n_res || r < o->tagignore.n_res; r++) {
		if ((r < o->tagfocus.n_res && rx_failed(&o->tagfocus.res[r])) ||
		    (r < o->tagignore.n_res && rx_failed(&o->tagignore.res[r]))) {
			free(keep);
			return NULL; /* as filter_frame_bits: an error, not "no match" */
		}
	}
	return keep;
}
