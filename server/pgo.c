/*
 * pgo.c: default.pgo from a merged CPU profile (see pgo.h).
 */
#include "pgo.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "ingest.h"
#include "profile.pb-c.h"
#include "profwrite.h"
#include "work.h"

struct edge {
	uint64_t key;
	int64_t weight;
};

static int cmp_edge(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;
	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* Per sample, the locations kept under keep_top (pgo.h); NULL on failure. */
static uint32_t *keep_depths(const struct prof *p, uint32_t wtype, long keep_top)
{
	uint32_t *out = NULL, *kept_len = NULL, *edge_of = NULL;
	int64_t *cum = NULL;
	struct edge *edges = NULL;
	struct u64map ids;
	bool have_ids = false;
	uint8_t *kept = NULL;
	cum = calloc((size_t)p->n_nodes + 1, sizeof(*cum));
	edge_of = malloc(((size_t)p->n_nodes + 1) * sizeof(*edge_of));
	kept_len = malloc(((size_t)p->n_nodes + 1) * sizeof(*kept_len));
	out = malloc(((size_t)p->n_samples + 1) * sizeof(*out));
	edges = malloc(((size_t)p->n_nodes + 1) * sizeof(*edges));
	if (!cum || !edge_of || !kept_len || !out || !edges || u64map_init(&ids, p->n_nodes) < 0)
		goto fail;
	have_ids = true;
	for (uint32_t i = 0; i < p->n_samples; i++) {
		int64_t v = p->values[(size_t)i * p->n_types + wtype];
		if (p->samples[i].node < p->n_nodes)
			cum[p->samples[i].node] += v < 0 ? -v : v;
	}
	for (uint32_t i = p->n_nodes; i-- > 1;)
		cum[p->nodes[i].parent] += cum[i];
	uint32_t n_edges = 0;
	for (uint32_t i = 0; i < p->n_nodes; i++) {
		edge_of[i] = UINT32_MAX;
		if (i == 0 || p->nodes[i].parent == 0)
			continue;
		if ((i & 4095) == 0 && work_poll() != WORK_OK)
			goto fail;
		const struct prof_loc *caller = &p->locs[p->nodes[p->nodes[i].parent].loc];
		const struct prof_loc *callee = &p->locs[p->nodes[i].loc];
		uint32_t cf = caller->n ? p->loc_frames[caller->off + caller->n - 1] : PROF_NONE;
		uint32_t fn = callee->n ? p->frames[p->loc_frames[callee->off]].func : PROF_NONE;
		uint64_t key = ((uint64_t)cf << 32) | fn;
		int ins;
		uint32_t *slot = u64map_put(&ids, key, &ins);
		if (!slot)
			goto fail;
		if (ins) {
			edges[n_edges] = (struct edge){ key, 0 };
			*slot = n_edges++;
		}
		edges[*slot].weight += cum[i];
		edge_of[i] = *slot;
	}
	/* rank the edges; kept[e] for the first keep_top */
	struct edge *ranked = malloc(((size_t)n_edges + 1) * sizeof(*ranked));
	kept = calloc((size_t)n_edges + 1, 1);
	if (!ranked || !kept) {
		free(ranked);
		goto fail;
	}
	memcpy(ranked, edges, (size_t)n_edges * sizeof(*ranked));
	qsort(ranked, n_edges, sizeof(*ranked), cmp_edge);
	for (uint32_t k = 0; k < n_edges && k < (uint64_t)keep_top; k++) {
		uint32_t *slot = u64map_get(&ids, ranked[k].key);
		if (slot)
			kept[*slot] = 1;
	}
	free(ranked);
	kept_len[0] = 0;
	for (uint32_t i = 1; i < p->n_nodes; i++)
		kept_len[i] = edge_of[i] != UINT32_MAX && kept[edge_of[i]] ? kept_len[p->nodes[i].parent] + 1 : 1;
	for (uint32_t i = 0; i < p->n_samples; i++)
		out[i] = p->samples[i].node < p->n_nodes ? kept_len[p->samples[i].node] : 0;
	free(cum);
	free(edge_of);
	free(kept_len);
	free(edges);
	free(kept);
	u64map_release(&ids);
	return out;
fail:
	free(cum);
	free(edge_of);
	free(kept_len);
	free(edges);
	free(kept);
	free(out);
	if (have_ids)
		u64map_release(&ids);
	return NULL;
}

int pgo_write(const struct prof *p, long keep_top, const int64_t *start_line, uint8_t **out, size_t *len,
              char *why, size_t whycap)
{
	uint32_t types[2], nt = 0;
	for (uint32_t i = 0; i < p->n_types && nt < 2; i++) {
		const char *t = prof_str(p, p->type_type[i]), *u = prof_str(p, p->type_unit[i]);
		if ((!strcmp(t, "samples") && !strcmp(u, "count")) || (!strcmp(t, "cpu") && !strcmp(u, "nanoseconds")))
			types[nt++] = i;
	}
	if (p->kind != PROF_KIND_CPU || nt == 0) {
		snprintf(why, whycap, "default.pgo is made of CPU profiles (samples/count, cpu/nanoseconds); this "
		                      "selection is of kind %s",
		         prof_kind_name(p->kind));
		return PGO_NOT_CPU;
	}
	struct profwrite_opts o = { .types = types, .n_types = nt, .drop_labels = true, .start_line = start_line };
	uint32_t *depths = NULL;
	if (keep_top > 0) {
		depths = keep_depths(p, types[nt - 1], keep_top);
		if (!depths)
			return -1;
		o.max_depth = depths;
	}
	int rc = profwrite_gz(p, &o, out, len);
	free(depths);
	return rc;
}

/* ---- start lines from the uploads ------------------------------------------ */

struct pgo_lines {
	struct u64map m;   /* hash of "name\0file" -> start line */
};

static uint64_t name_file_key(const char *name, size_t nl, const char *file, size_t fl)
{
	uint64_t h = hash_bytes(name, nl);
	return hash_mix64(h ^ (hash_bytes(file, fl) * 0x9e3779b97f4a7c15ULL));
}

struct pgo_lines *pgo_lines_new(void)
{
	struct pgo_lines *t = calloc(1, sizeof(*t));
	if (t && u64map_init(&t->m, 1024) < 0) {
		free(t);
		return NULL;
	}
	return t;
}

void pgo_lines_free(struct pgo_lines *t)
{
	if (!t)
		return;
	u64map_release(&t->m);
	free(t);
}

int pgo_lines_add(struct pgo_lines *t, const uint8_t *data, size_t n, size_t max_inflated)
{
	uint8_t *plain = NULL;
	size_t plen = 0;
	if (n >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		struct decode_err err;
		if (ingest_gunzip(data, n, max_inflated, &plain, &plen, &err) < 0)
			return -1;
		data = plain;
		n = plen;
	}
	Perftools__Profiles__Profile *pr = perftools__profiles__profile__unpack(NULL, n, data);
	free(plain);
	if (!pr)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < pr->n_function && rc == 0; i++) {
		const Perftools__Profiles__Function *f = pr->function[i];
		if (f->start_line <= 0 || f->start_line > UINT32_MAX || f->name < 0 || f->filename < 0 ||
		    (uint64_t)f->name >= pr->n_string_table || (uint64_t)f->filename >= pr->n_string_table)
			continue;
		const char *nm = pr->string_table[f->name], *fl = pr->string_table[f->filename];
		int ins;
		uint32_t *v = u64map_put(&t->m, name_file_key(nm, strlen(nm), fl, strlen(fl)), &ins);
		if (!v)
			rc = -1;
		else if (ins)
			*v = (uint32_t)f->start_line;
	}
	perftools__profiles__profile__free_unpacked(pr, NULL);
	return rc;
}

int64_t *pgo_lines_for(const struct pgo_lines *t, const struct prof *p)
{
	int64_t *out = calloc((size_t)p->n_funcs + 1, sizeof(*out));
	if (!out)
		return NULL;
	for (uint32_t i = 0; i < p->n_funcs; i++) {
		const struct prof_func *f = &p->funcs[i];
		uint32_t *v = u64map_get(&t->m, name_file_key(prof_str(p, f->name), prof_strlen(p, f->name),
		                                              prof_str(p, f->file), prof_strlen(p, f->file)));
		out[i] = v ? *v : 0;
	}
	return out;
}
