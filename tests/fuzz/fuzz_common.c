/*
 * fuzz_common.c: the checks the fuzz targets share (see fuzz_common.h).
 */
#include "fuzz_common.h"

#include <string.h>

void fuzz_check_refusal(const struct decode_err *err)
{
	ORACLE(err->status == 400 || err->status == 413 || err->status == 415, "status %d code %s: %s",
	       err->status, err->code ? err->code : "(null)", err->message);
	ORACLE(err->code && err->code[0], "no error code");
	ORACLE(err->message[0], "no error message");
}

/* An id that may be PROF_NONE. */
#define ID_OK(id, n) ((id) == PROF_NONE || (id) < (n))

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Off/length ranges into an array of n entries, without overflow. */
static int range_ok(uint32_t off, uint32_t len, uint32_t n)
{
	return off <= n && len <= n - off;
}

void fuzz_check_prof(const struct prof *p)
{
	for (uint32_t i = 0; i < p->n_strs; i++) {
		ORACLE(p->str_off[i] <= p->arena_len && p->str_len[i] < p->arena_len - p->str_off[i],
		       "string %u: %u+%u past the arena (%zu bytes)", i, p->str_off[i], p->str_len[i],
		       p->arena_len);
		ORACLE(p->arena[p->str_off[i] + p->str_len[i]] == '\0', "string %u is not terminated", i);
	}
	ORACLE(p->n_types == 0 || p->default_type < p->n_types, "default type %u of %u", p->default_type,
	       p->n_types);
	for (uint32_t i = 0; i < p->n_types; i++)
		ORACLE(p->type_type[i] < p->n_strs && p->type_unit[i] < p->n_strs,
		       "sample type %u: bad string", i);
	ORACLE(p->kind >= PROF_KIND_OTHER && p->kind <= PROF_KIND_BLOCK, "kind %d", (int)p->kind);
	for (uint32_t i = 0; i < p->n_funcs; i++) {
		const struct prof_func *f = &p->funcs[i];
		ORACLE(f->name < p->n_strs && f->sysname < p->n_strs && f->file < p->n_strs,
		       "function %u: bad string", i);
	}
	for (uint32_t i = 0; i < p->n_frames; i++) {
		const struct prof_frame *f = &p->frames[i];
		ORACLE(ID_OK(f->func, p->n_funcs), "frame %u: function %u of %u", i, f->func, p->n_funcs);
		ORACLE(ID_OK(f->map_file, p->n_strs) && f->key < p->n_strs, "frame %u: bad string", i);
	}
	for (uint32_t i = 0; i < p->n_locs; i++)
		ORACLE(range_ok(p->locs[i].off, p->locs[i].n, p->n_loc_frames),
		       "location %u: frames %u+%u of %u", i, p->locs[i].off, p->locs[i].n, p->n_loc_frames);
	for (uint32_t i = 0; i < p->n_loc_frames; i++)
		ORACLE(p->loc_frames[i] < p->n_frames, "location frame %u: frame %u of %u", i,
		       p->loc_frames[i], p->n_frames);
	ORACLE(p->n_nodes >= 1, "no root node");
	for (uint32_t i = 1; i < p->n_nodes; i++) {
		ORACLE(p->nodes[i].parent < i, "node %u: parent %u", i, p->nodes[i].parent);
		ORACLE(p->nodes[i].loc < p->n_locs, "node %u: location %u of %u", i, p->nodes[i].loc,
		       p->n_locs);
	}
	for (uint32_t i = 0; i < p->n_labels; i++) {
		const struct prof_label *l = &p->labels[i];
		ORACLE(l->key < p->n_strs && ID_OK(l->str, p->n_strs) && ID_OK(l->unit, p->n_strs),
		       "label %u: bad string", i);
	}
	ORACLE(p->n_labelsets >= 1 && p->labelsets[0].n == 0, "labelset 0 is not the empty set");
	for (uint32_t i = 0; i < p->n_labelsets; i++)
		ORACLE(range_ok(p->labelsets[i].off, p->labelsets[i].n, p->n_labels),
		       "labelset %u: %u+%u of %u", i, p->labelsets[i].off, p->labelsets[i].n, p->n_labels);
	uint64_t *keys = malloc(((size_t)p->n_samples + 1) * sizeof(*keys));
	ORACLE(keys != NULL, "out of memory");
	for (uint32_t i = 0; i < p->n_samples; i++) {
		const struct prof_sample *s = &p->samples[i];
		ORACLE(s->node < p->n_nodes && s->labelset < p->n_labelsets,
		       "sample %u: node %u of %u, labelset %u of %u", i, s->node, p->n_nodes, s->labelset,
		       p->n_labelsets);
		keys[i] = (uint64_t)s->node << 32 | s->labelset;
	}
	qsort(keys, p->n_samples, sizeof(*keys), cmp_u64);
	for (uint32_t i = 1; i < p->n_samples; i++)
		ORACLE(keys[i] != keys[i - 1], "two samples for node %u, labelset %u",
		       (uint32_t)(keys[i] >> 32), (uint32_t)keys[i]);
	free(keys);
}

char *fuzz_cstr(const uint8_t *data, size_t n)
{
	const uint8_t *nul = n ? memchr(data, 0, n) : NULL;
	size_t len = nul ? (size_t)(nul - data) : n;
	char *s = malloc(len + 1);
	ORACLE(s != NULL, "out of memory");
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}
