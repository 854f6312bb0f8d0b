/*
 * prof.c: lifetime and small lookups of struct prof (see prof.h).
 */
#include "prof.h"

#include <stdlib.h>
#include <string.h>

struct prof *prof_alloc(void)
{
	struct prof *p = calloc(1, sizeof(*p));
	if (p)
		pthread_mutex_init(&p->lazy_mu, NULL);
	return p;
}

void prof_ntree_free(struct prof_ntree *t)
{
	if (!t)
		return;
	ntree_release(&t->t);
	free(t->ntof);
	free(t);
}

void prof_free(struct prof *p)
{
	if (!p)
		return;
	prof_ntree_free(p->ntree);
	pthread_mutex_destroy(&p->lazy_mu);
	free(p->arena);
	free(p->str_off);
	free(p->str_len);
	free(p->type_type);
	free(p->type_unit);
	free(p->funcs);
	free(p->frames);
	free(p->locs);
	free(p->loc_frames);
	free(p->nodes);
	free(p->labels);
	free(p->labelsets);
	free(p->samples);
	free(p->values);
	free(p->loc_addr);
	free(p->loc_map);
	free(p->maps);
	prof_origin_free(p->origin);
	free(p);
}

void prof_origin_free(struct prof_origin *o)
{
	if (!o)
		return;
	for (int t = 0; t < PROF_ORIG_N; t++)
		free(o->id[t]);
	free(o);
}

size_t prof_mem_bytes(const struct prof *p)
{
	return sizeof(*p) + p->arena_len + (size_t)p->n_strs * 8 +
	       (size_t)p->n_types * 8 + (size_t)p->n_funcs * sizeof(*p->funcs) +
	       (size_t)p->n_frames * sizeof(*p->frames) +
	       (size_t)p->n_locs * sizeof(*p->locs) + (size_t)p->n_loc_frames * 4 +
	       (size_t)p->n_nodes * sizeof(*p->nodes) +
	       (size_t)p->n_labels * sizeof(*p->labels) +
	       (size_t)p->n_labelsets * sizeof(*p->labelsets) +
	       (size_t)p->n_samples * (sizeof(*p->samples) + 8 * (size_t)p->n_types) +
	       (p->loc_addr ? (size_t)p->n_locs * 8 : 0) + (p->loc_map ? (size_t)p->n_locs * 4 : 0) +
	       (size_t)p->n_maps * sizeof(*p->maps) +
	       (p->origin ? sizeof(*p->origin) + ((size_t)p->n_strs + p->n_funcs + p->n_frames + p->n_locs + p->n_nodes) * 4
	                  : 0) +
	       /* the lazily built name tree once it is built (its real size:
	        * at most one node per frame of each trie node); before, room
	        * for about one node per trie node */
	       (p->ntree ? ntree_mem_bytes(&p->ntree->t) + (p->ntree->ntof ? ((size_t)p->n_nodes + 1) * sizeof(uint32_t) : 0)
	                 : (size_t)p->n_nodes * 21);
}

static const char *const kind_names[] = {
	[PROF_KIND_OTHER] = "other",
	[PROF_KIND_CPU] = "cpu",
	[PROF_KIND_HEAP] = "heap",
	[PROF_KIND_GOROUTINE] = "goroutine",
	[PROF_KIND_MUTEX] = "mutex",
	[PROF_KIND_BLOCK] = "block",
};

const char *prof_kind_name(enum prof_kind k)
{
	return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "other";
}

int prof_kind_parse(const char *s)
{
	for (unsigned i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (strcmp(s, kind_names[i]) == 0)
			return (int)i;
	return -1;
}

int prof_sample_index(const struct prof *p, const char *s)
{
	if (p->n_types == 0)
		return -1;
	if (!s || !*s)
		return (int)p->default_type;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end == '\0' && end != s)
		return (v >= 0 && v < (long)p->n_types) ? (int)v : -1;
	const char *noinuse = strncmp(s, "inuse_", 6) == 0 ? s + 6 : s;
	for (uint32_t i = 0; i < p->n_types; i++) {
		const char *t = prof_str(p, p->type_type[i]);
		if (strcmp(t, s) == 0 || strcmp(t, noinuse) == 0)
			return (int)i;
	}
	return -1;
}
