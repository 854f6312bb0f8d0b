/*
 * measure.h: units as go tool pprof scales and prints them
 * (internal/measurement), and the units of numeric labels.
 *
 * Memory units (B, kB .. PB, powers of 1024) and time units (ns .. hrs)
 * are recognised by name and alias, case-insensitively, with a plural
 * 's' allowed; anything else is a plain number.
 */
#ifndef FDX_MEASURE_H
#define FDX_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "prof.h"

/* pprof's measurement.Scale: v in from-unit expressed in to-unit ("minimum"
 * or "auto": the largest unit the value reaches). *out_unit is the unit
 * of the result ("" for counts). */
double measure_scale(int64_t v, const char *from, const char *to, const char **out_unit);
/* pprof's measurement.ScaledLabel(v, unit, "minimum") into out: "1.50kB",
 * "2ms", "0", or the bare number for an unknown unit. */
void measure_label(int64_t v, const char *unit, char *out, size_t cap);

/* pprof's NumLabelUnits: for each label key (string id), the unit string id
 * of its numeric values, or PROF_NONE when the key's unit is inferred (see
 * measure_key_unit). Array of p->n_strs entries, malloc'd; NULL on failure. */
uint32_t *measure_num_units(const struct prof *p);
/* Unit name of numeric label key k, given units from measure_num_units
 * (NULL: inferred only): its declared unit, "bytes" for the keys pprof
 * knows hold sizes, else the key itself. */
const char *measure_key_unit(const struct prof *p, const uint32_t *units, uint32_t key);

#endif
