/*
 * filter.h: the filters of go tool pprof, with its semantics.
 *
 *   focus / ignore / hide   regexes (regex.h) matched unanchored against
 *                           function names, file names and mapping files
 *   tagfocus / tagignore    KEY=RE[,RE] on a label's values, RE[,RE] on
 *                           "key:value" strings, or numeric ranges
 *                           (KEY=1kb:4kb, KEY=10ms:, ...)
 *
 * Patterns are capped in length; regex.h says what a match may cost.
 */
#ifndef FDX_FILTER_H
#define FDX_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prof.h"
#include "regex.h"

#define TAG_MAX_RES 16

struct tagfilter {
	char key[256];            /* "" = any key */
	bool numeric;
	/* numeric range, in 'unit' after pprof's scaling */
	int mode;                 /* 0 eq, 1 >=, 2 <=, 3 between */
	double lo, hi;
	char unit[32];
	/* regexes */
	int n_res;
	struct rx res[TAG_MAX_RES];
};

int tagfilter_parse(struct tagfilter *t, const char *spec, char *err, size_t errcap);
void tagfilter_release(struct tagfilter *t);
/* Does the label set match? num_units gives the unit of numeric keys
 * (string id per key string id, as pprof's NumLabelUnits infers them). */
bool tagfilter_match(const struct tagfilter *t, const struct prof *p, uint32_t labelset,
                     const uint32_t *key_unit);

struct view_opts {
	int type;                 /* sample type index */
	struct rx focus, ignore, hide;
	bool has_focus, has_ignore, has_hide;
	struct tagfilter tagfocus, tagignore;
	bool has_tagfocus, has_tagignore;
	double scale;             /* 0 or 1: none; else values * scale, rounded (normalize) */
};

void view_opts_release(struct view_opts *o);

/* pprof's NumLabelUnits: for each label key (string id), the unit string id
 * of its numeric values, or PROF_NONE when the key is inferred (see
 * measure_key_unit). Array of p->n_strs entries, malloc'd. */
uint32_t *filter_num_units(const struct prof *p);
/* Unit name for numeric key k given units from filter_num_units. */
const char *measure_key_unit(const struct prof *p, const uint32_t *units, uint32_t key);

/* pprof's measurement.ScaledLabel(v, unit, "minimum") into out. */
void measure_label(int64_t v, const char *unit, char *out, size_t cap);
/* pprof's measurement.Scale: v in from-unit expressed in to-unit. */
double measure_scale(int64_t v, const char *from, const char *to, const char **out_unit);

#endif
