/*
 * measure.c: pprof's units (internal/measurement) and the units of
 * numeric labels (see measure.h).
 */
#include "measure.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

uint32_t *measure_num_units(const struct prof *p)
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
