/*
 * filter.c: pprof's filters and unit scaling (see filter.h).
 */
#include "filter.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "limits.h"

/* ---- units (pprof internal/measurement) -------------------------------- */

struct unit {
	const char *name;
	const char *aliases[4];
	double factor;
};

struct unit_type {
	const struct unit *units;
	int n;
	const struct unit *def;
};

static const struct unit mem_units[] = {
	{ "B", { "b", "byte" }, 1 },
	{ "kB", { "kb", "kbyte", "kilobyte" }, 1024.0 },
	{ "MB", { "mb", "mbyte", "megabyte" }, 1048576.0 },
	{ "GB", { "gb", "gbyte", "gigabyte" }, 1073741824.0 },
	{ "TB", { "tb", "tbyte", "terabyte" }, 1099511627776.0 },
	{ "PB", { "pb", "pbyte", "petabyte" }, 1125899906842624.0 },
};
static const struct unit time_units[] = {
	{ "ns", { "ns", "nanosecond" }, 1 },
	{ "us", { "\xce\xbcs", "us", "microsecond" }, 1e3 },
	{ "ms", { "ms", "millisecond" }, 1e6 },
	{ "s", { "s", "sec", "second" }, 1e9 },
	{ "hrs", { "hour", "hr" }, 3600e9 },
};
static const struct unit time_default = { "s", { NULL }, 1e9 };
static const struct unit_type unit_types[] = {
	{ mem_units, 6, &mem_units[0] },
	{ time_units, 5, &time_default },
};

static const struct unit *sniff_unit(const struct unit_type *ut, const char *u)
{
	char low[64];
	size_t n = strlen(u);
	if (n >= sizeof(low))
		return NULL;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)u[i]);
	low[n] = '\0';
	if (n > 2 && low[n - 1] == 's')
		low[n - 1] = '\0';
	for (int i = 0; i < ut->n; i++)
		for (int a = 0; a < 4 && ut->units[i].aliases[a]; a++)
			if (strcmp(low, ut->units[i].aliases[a]) == 0)
				return &ut->units[i];
	return NULL;
}

double measure_scale(int64_t value, const char *from, const char *to, const char **out_unit)
{
	if (value < 0 && value != INT64_MIN) { /* pprof: -value > 0 */
		double v = measure_scale(-value, from, to, out_unit);
		return -v;
	}
	for (size_t t = 0; t < sizeof(unit_types) / sizeof(unit_types[0]); t++) {
		const struct unit_type *ut = &unit_types[t];
		const struct unit *fu = sniff_unit(ut, from);
		if (!fu)
			continue;
		double v = (double)value * fu->factor;
		if (strcmp(to, "minimum") == 0 || strcmp(to, "auto") == 0) {
			double f = 0;
			const char *un = NULL;
			for (int i = 0; i < ut->n; i++) {
				if (ut->units[i].factor >= f && v / ut->units[i].factor >= 1.0) {
					f = ut->units[i].factor;
					un = ut->units[i].name;
				}
			}
			if (f != 0) {
				*out_unit = un;
				return v / f;
			}
			*out_unit = ut->def->name;
			return v / ut->def->factor;
		}
		const struct unit *tu = sniff_unit(ut, to);
		if (!tu) {
			*out_unit = ut->def->name;
			return v / ut->def->factor;
		}
		*out_unit = tu->name;
		return v / tu->factor;
	}
	if (!strcmp(to, "count") || !strcmp(to, "sample") || !strcmp(to, "unit") ||
	    !strcmp(to, "minimum") || !strcmp(to, "auto"))
		*out_unit = "";
	else
		*out_unit = to;
	return (double)value;
}

void measure_label(int64_t v, const char *unit, char *out, size_t cap)
{
	const char *u;
	double d = measure_scale(v, unit, "minimum", &u);
	char num[64];
	snprintf(num, sizeof(num), "%.2f", d);
	size_t n = strlen(num);
	if (n >= 3 && strcmp(num + n - 3, ".00") == 0)
		num[n - 3] = '\0';
	if (strcmp(num, "0") == 0 || strcmp(num, "-0") == 0) {
		snprintf(out, cap, "0");
		return;
	}
	snprintf(out, cap, "%s%s", num, u);
}

uint32_t *filter_num_units(const struct prof *p)
{
	uint32_t *u = malloc(((size_t)p->n_strs + 1) * sizeof(uint32_t));
	if (!u)
		return NULL;
	memset(u, 0xff, ((size_t)p->n_strs + 1) * sizeof(uint32_t));
	/* First unit seen for a key wins, as in Profile.NumLabelUnits. Our label
	 * order inside a set is canonical rather than file order, which only
	 * matters for keys written with conflicting units. */
	for (uint32_t i = 0; i < p->n_labels; i++) {
		const struct prof_label *l = &p->labels[i];
		if (l->str != PROF_NONE || l->unit == PROF_NONE || prof_strlen(p, l->unit) == 0)
			continue;
		if (u[l->key] == PROF_NONE)
			u[l->key] = l->unit;
	}
	return u;
}

const char *measure_key_unit(const struct prof *p, const uint32_t *units, uint32_t key)
{
	if (units && units[key] != PROF_NONE)
		return prof_str(p, units[key]);
	const char *k = prof_str(p, key);
	if (strcmp(k, "alignment") == 0 || strcmp(k, "request") == 0)
		return "bytes";
	return k;
}

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
			hit = rx_match(&t->res[r], kv, (size_t)n < sizeof(kv) ? (size_t)n : sizeof(kv) - 1);
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
