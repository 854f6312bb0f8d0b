/*
 * decode_state.c: what the decoder's walks share (see decode_state.h):
 * error reporting and the output string table. decode.c drives the walks,
 * decode_tables.c and decode_samples.c are walks; all three use these and
 * none of them calls back into the driver.
 */
#include "decode_state.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void decode_err_set(struct decode_err *e, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	e->status = status;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

/* ---- output strings ------------------------------------------------------ */

/* Append s to the arena as output string id (the next one). */
static void add_out(struct decode_state *d, const void *s, uint32_t len)
{
	uint32_t off = (uint32_t)d->arena.len;
	buf_add(&d->arena, s, len);
	buf_addc(&d->arena, '\0');
	buf_add(&d->offs, &off, 4);
	buf_add(&d->lens, &len, 4);
}

uint32_t decode_out_str(struct decode_state *d, uint64_t i)
{
	if (d->str_out[i] != PROF_NONE)
		return d->str_out[i];
	int ins;
	uint32_t next = (uint32_t)(d->offs.len / 4);
	uint32_t id = strmap_intern(&d->smap, (const char *)d->strs[i].p, d->strs[i].len, next, &ins);
	if (id == UINT32_MAX)
		return PROF_NONE;
	if (ins)
		add_out(d, d->strs[i].p, d->strs[i].len);
	d->str_out[i] = id;
	return id;
}

void decode_drop_lookups(struct decode_state *d)
{
	free(d->strs);
	d->strs = NULL;
	d->n_strs = d->cap_strs = 0;
	free(d->str_out);
	d->str_out = NULL;
	strmap_release(&d->smap);
	for (size_t i = 0; i < d->lits.len / sizeof(char *); i++)
		free(((char **)d->lits.data)[i]);
	buf_release(&d->lits);
	u64map_release(&d->map_ids);
	u64map_release(&d->fn_ids);
	u64map_release(&d->loc_ids);
	u64map_release(&d->frame_ids);
	free(d->loc_dense);
	d->loc_dense = NULL;
	d->loc_dense_n = 0;
}

uint32_t decode_out_lit(struct decode_state *d, const char *s, size_t len)
{
	/* The map keeps a pointer to its key: the arena moves as it grows,
	 * so the key is a private copy, freed with the state. */
	char *copy = malloc(len + 1);
	if (!copy)
		return PROF_NONE;
	memcpy(copy, s, len);
	copy[len] = '\0';
	int ins;
	uint32_t next = (uint32_t)(d->offs.len / 4);
	uint32_t id = strmap_intern(&d->smap, copy, (uint32_t)len, next, &ins);
	if (ins && id != UINT32_MAX) {
		add_out(d, s, (uint32_t)len);
		buf_add(&d->lits, &copy, sizeof(copy));
		return id;
	}
	free(copy);
	return id == UINT32_MAX ? PROF_NONE : id;
}

int decode_check_str(struct decode_state *d, int64_t idx, const char *what)
{
	if (idx < 0 || (uint64_t)idx >= d->n_strs)
		DECODE_FAIL(d, 400, "bad_profile", "%s string index %lld out of range (string table has %u entries)",
		            what, (long long)idx, d->n_strs);
	return 0;
}
