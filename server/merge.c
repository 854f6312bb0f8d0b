/*
 * merge.c: many profiles folded into one (see merge.h).
 *
 * Each source is mapped table by table onto the merged model: its strings,
 * then functions, frames, locations, label sets, trie nodes (parents
 * first, so a node's parent is mapped before it) and last its samples.
 * Every table is interned through an open-addressing index of dense ids
 * (struct itab) whose equality reads the merged arrays themselves.
 */
#include "merge.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "util.h"
#include "work.h"

/* ---- strings: copied into chunks that never move ------------------------- */

struct chunk {
	struct chunk *next;
	size_t len, cap;
	char data[];
};

#define CHUNK_BYTES (256 * 1024)

/* How far ahead a fold prefetches the hash slot of the key it will look
 * up (enough misses in flight to hide memory latency). */
#define PREFETCH_AHEAD 8

/* ---- an index of dense ids, equality by callback --------------------------- */

struct islot {
	uint32_t id1;  /* id + 1; 0 = empty */
	uint32_t h;
};

struct itab {
	struct islot *s;
	uint32_t cap;  /* power of two */
	uint32_t len;
};

struct merge;
typedef bool (*eq_fn)(const struct merge *m, uint32_t id, const void *key);

static int itab_grow(struct itab *t)
{
	uint32_t ncap = t->cap ? t->cap * 2 : 1024;
	struct islot *ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -1;
	for (uint32_t i = 0; i < t->cap; i++) {
		if (!t->s[i].id1)
			continue;
		uint32_t k = t->s[i].h & (ncap - 1);
		while (ns[k].id1)
			k = (k + 1) & (ncap - 1);
		ns[k] = t->s[i];
	}
	free(t->s);
	t->s = ns;
	t->cap = ncap;
	return 0;
}

/* The slot of key (hash h): found (*found) or the empty slot to fill with
 * the new id. NULL when out of memory. */
static struct islot *itab_find(struct itab *t, uint64_t h64, eq_fn eq, const struct merge *m, const void *key,
                               bool *found)
{
	if ((t->len + 1) * 2 > t->cap && itab_grow(t) < 0)
		return NULL;
	uint32_t h = (uint32_t)(h64 ^ (h64 >> 32));
	uint32_t k = h & (t->cap - 1);
	for (;;) {
		struct islot *s = &t->s[k];
		if (!s->id1) {
			s->h = h;
			*found = false;
			return s;
		}
		if (s->h == h && eq(m, s->id1 - 1, key)) {
			*found = true;
			return s;
		}
		k = (k + 1) & (t->cap - 1);
	}
}

/* ---- what a series group's earlier sources brought ---------------------------- */

/* A source read back from a series group names, per entry, the group's id
 * of it (prof.h, struct prof_origin). The group's entries never change,
 * so an entry of a later source of the group with an id seen before maps
 * to the same merged id as it did then (the same content, and for a
 * function, frame, location or node the same entries below it): it is
 * taken from here instead of being looked up. Only what is new to the
 * group's map goes through the index, in the same order as without the
 * map, so the merged model is the same. A few groups are kept, least
 * recently used out (a selection's profiles come in time order, its
 * series interleaved); a dropped map only costs lookups. */
#define GMAPS_MAX 8

struct gmap {
	char grp[PROF_GRP_CAP];
	uint32_t *id[PROF_ORIG_N];  /* the group's id -> merged id + 1 (0: not met yet) */
	uint32_t cap[PROF_ORIG_N];
	uint64_t used;
};

static void gmap_free(struct gmap *g)
{
	if (!g)
		return;
	for (int t = 0; t < PROF_ORIG_N; t++)
		free(g->id[t]);
	free(g);
}

/* ---- the merge -------------------------------------------------------------- */

struct merge {
	unsigned n_src;

	/* strings: id -> bytes in a chunk */
	struct strmap strmap;
	struct chunk *chunks;
	const char **str;
	uint32_t *slen;
	uint32_t n_strs, cap_strs;

	/* header, from the first source (merge.h) */
	uint32_t n_types;
	uint32_t *type_type, *type_unit;
	uint32_t default_type;
	uint32_t period_type, period_unit;
	int64_t period, time_nanos, duration_nanos;
	enum prof_kind kind;
	uint64_t orig_samples, orig_locations, orig_functions;

	struct prof_func *funcs;
	uint32_t n_funcs, cap_funcs;
	struct prof_frame *frames;
	uint32_t n_frames, cap_frames;
	struct prof_loc *locs;
	uint32_t n_locs, cap_locs;
	uint32_t *loc_frames;
	uint32_t n_loc_frames, cap_loc_frames;
	struct prof_node *nodes;
	uint32_t n_nodes, cap_nodes;
	struct prof_label *labels;
	uint32_t n_labels, cap_labels;
	struct prof_labelset *labelsets;
	uint32_t n_labelsets, cap_labelsets;
	struct prof_sample *samples;
	uint32_t n_samples, cap_samples;
	int64_t *values;

	struct itab ftab, frtab, ltab, lstab;
	struct u64map node_ids, sample_ids;

	struct gmap *gmaps[GMAPS_MAX];
	int n_gmaps;
	uint64_t gticks;
};

/* Room for need elements of size elem in *arr (capacity *cap). */
static int grow(void **arr, uint32_t *cap, uint64_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	if (need > UINT32_MAX - 1)
		return -1;
	uint64_t ncap = *cap ? *cap : 256;
	while (ncap < need)
		ncap *= 2;
	if (ncap > UINT32_MAX - 1)
		ncap = UINT32_MAX - 1;
	void *n = realloc(*arr, (size_t)ncap * elem);
	if (!n)
		return -1;
	util_advise_huge(n, (size_t)ncap * elem);
	*arr = n;
	*cap = (uint32_t)ncap;
	return 0;
}
#define GROW(m, f, need) grow((void **)&(m)->f, &(m)->cap_##f, (need), sizeof(*(m)->f))

struct merge *merge_new(void)
{
	struct merge *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	if (strmap_init(&m->strmap, 4096) < 0 || u64map_init(&m->node_ids, 4096) < 0 ||
	    u64map_init(&m->sample_ids, 4096) < 0) {
		merge_free(m);
		return NULL;
	}
	return m;
}

void merge_free(struct merge *m)
{
	if (!m)
		return;
	strmap_release(&m->strmap);
	for (struct chunk *c = m->chunks, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	free(m->str);
	free(m->slen);
	free(m->type_type);
	free(m->type_unit);
	free(m->funcs);
	free(m->frames);
	free(m->locs);
	free(m->loc_frames);
	free(m->nodes);
	free(m->labels);
	free(m->labelsets);
	free(m->samples);
	free(m->values);
	free(m->ftab.s);
	free(m->frtab.s);
	free(m->ltab.s);
	free(m->lstab.s);
	u64map_release(&m->node_ids);
	u64map_release(&m->sample_ids);
	for (int i = 0; i < m->n_gmaps; i++)
		gmap_free(m->gmaps[i]);
	free(m);
}

unsigned merge_count(const struct merge *m)
{
	return m->n_src;
}

size_t merge_mem_bytes(const struct merge *m)
{
	size_t b = sizeof(*m) + m->strmap.cap * 16 + (size_t)m->cap_strs * 12;
	for (const struct chunk *c = m->chunks; c; c = c->next)
		b += sizeof(*c) + c->cap;
	b += (size_t)m->cap_funcs * sizeof(*m->funcs) + (size_t)m->cap_frames * sizeof(*m->frames) +
	     (size_t)m->cap_locs * sizeof(*m->locs) + (size_t)m->cap_loc_frames * 4 +
	     (size_t)m->cap_nodes * sizeof(*m->nodes) + (size_t)m->cap_labels * sizeof(*m->labels) +
	     (size_t)m->cap_labelsets * sizeof(*m->labelsets) +
	     (size_t)m->cap_samples * (sizeof(*m->samples) + 8 * (size_t)m->n_types);
	b += ((size_t)m->ftab.cap + m->frtab.cap + m->ltab.cap + m->lstab.cap) * sizeof(struct islot);
	b += (m->node_ids.cap + m->sample_ids.cap) * sizeof(struct u64slot);
	for (int i = 0; i < m->n_gmaps; i++)
		for (int t = 0; t < PROF_ORIG_N; t++)
			b += (size_t)m->gmaps[i]->cap[t] * 4;
	return b;
}

/* The map of p's group, with room for every group id p names; NULL when p
 * has no group or memory ran short (p then takes the lookups). */
static struct gmap *gmap_for(struct merge *m, const struct prof *p)
{
	const struct prof_origin *o = p->origin;
	if (!o)
		return NULL;
	struct gmap *g = NULL;
	int at = -1;
	for (int i = 0; i < m->n_gmaps; i++)
		if (strcmp(m->gmaps[i]->grp, o->grp) == 0) {
			g = m->gmaps[i];
			at = i;
			break;
		}
	if (!g) {
		if (m->n_gmaps == GMAPS_MAX) {
			int old = 0;
			for (int i = 1; i < m->n_gmaps; i++)
				if (m->gmaps[i]->used < m->gmaps[old]->used)
					old = i;
			gmap_free(m->gmaps[old]);
			m->gmaps[old] = m->gmaps[--m->n_gmaps];
		}
		g = calloc(1, sizeof(*g));
		if (!g)
			return NULL;
		snprintf(g->grp, sizeof(g->grp), "%s", o->grp);
		at = m->n_gmaps;
		m->gmaps[m->n_gmaps++] = g;
	}
	g->used = ++m->gticks;
	for (int t = 0; t < PROF_ORIG_N; t++) {
		if (o->end[t] <= g->cap[t])
			continue;
		uint32_t *n = realloc(g->id[t], (size_t)o->end[t] * 4);
		if (!n) {
			gmap_free(g);
			m->gmaps[at] = m->gmaps[--m->n_gmaps];
			return NULL;
		}
		memset(n + g->cap[t], 0, (size_t)(o->end[t] - g->cap[t]) * 4);
		g->id[t] = n;
		g->cap[t] = o->end[t];
	}
	return g;
}

/* Where the merged id + 1 of p's entry i of table t is kept in g (0 there:
 * not met yet); NULL without a map. */
static inline uint32_t *gmap_slot(struct gmap *g, const struct prof *p, int t, uint32_t i)
{
	if (!g)
		return NULL;
	uint32_t gid = p->origin->id[t][i];
	return gid < g->cap[t] ? &g->id[t][gid] : NULL;
}

/* The merged id of string s[0, len), added when new; UINT32_MAX when out
 * of memory. */
static uint32_t intern_str(struct merge *m, const char *s, uint32_t len)
{
	struct chunk *c = m->chunks;
	if (!c || c->cap - c->len < (size_t)len + 1) {
		size_t cap = (size_t)len + 1 > CHUNK_BYTES ? (size_t)len + 1 : CHUNK_BYTES;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return UINT32_MAX;
		c->len = 0;
		c->cap = cap;
		c->next = m->chunks;
		m->chunks = c;
	}
	/* written tentatively at the chunk's end, kept only when new */
	char *dst = c->data + c->len;
	memcpy(dst, s, len);
	dst[len] = '\0';
	int ins = 0;
	uint32_t id = strmap_intern(&m->strmap, dst, len, m->n_strs, &ins);
	if (id == UINT32_MAX || !ins)
		return id;
	if (m->n_strs == m->cap_strs) {
		uint32_t ncap = m->cap_strs ? m->cap_strs * 2 : 4096;
		const char **ns = realloc(m->str, (size_t)ncap * sizeof(*ns));
		if (!ns)
			return UINT32_MAX; /* the map holds an id that has no slot yet: m is unusable */
		m->str = ns;
		uint32_t *nl = realloc(m->slen, (size_t)ncap * 4);
		if (!nl)
			return UINT32_MAX;
		m->slen = nl;
		m->cap_strs = ncap;
	}
	c->len += (size_t)len + 1;
	m->str[m->n_strs] = dst;
	m->slen[m->n_strs] = len;
	m->n_strs++;
	return id;
}

static bool eq_func(const struct merge *m, uint32_t id, const void *key)
{
	const struct prof_func *a = &m->funcs[id], *b = key;
	return a->name == b->name && a->sysname == b->sysname && a->file == b->file;
}

static bool eq_frame(const struct merge *m, uint32_t id, const void *key)
{
	const struct prof_frame *a = &m->frames[id], *b = key;
	return a->func == b->func && a->map_file == b->map_file && a->key == b->key && a->line == b->line;
}

struct seq_key {
	const uint32_t *ids;
	uint32_t n;
};

static bool eq_loc(const struct merge *m, uint32_t id, const void *key)
{
	const struct prof_loc *a = &m->locs[id];
	const struct seq_key *b = key;
	return a->n == b->n && memcmp(m->loc_frames + a->off, b->ids, (size_t)b->n * 4) == 0;
}

struct ls_key {
	const struct prof_label *labels;
	uint32_t n;
};

static bool eq_labelset(const struct merge *m, uint32_t id, const void *key)
{
	const struct prof_labelset *a = &m->labelsets[id];
	const struct ls_key *b = key;
	if (a->n != b->n)
		return false;
	for (uint32_t i = 0; i < b->n; i++) {
		const struct prof_label *x = &m->labels[a->off + i], *y = &b->labels[i];
		if (x->key != y->key || x->str != y->str || x->unit != y->unit || x->num != y->num)
			return false;
	}
	return true;
}

static inline uint64_t mix3(uint64_t a, uint64_t b, uint64_t c)
{
	return hash_mix64(a * 0x9e3779b97f4a7c15ULL ^ hash_mix64(b + 0x632be59bd9b4e019ULL) ^ (c << 17) ^ (c >> 47));
}

static inline uint32_t map_str(const uint32_t *smap, uint32_t n, uint32_t id)
{
	return id < n ? smap[id] : PROF_NONE;
}

/* "type/unit" of sample type t of p, for messages. */
static void type_name(const struct prof *p, const uint32_t *tt, const uint32_t *tu, uint32_t n, char *out,
                      size_t cap)
{
	size_t used = 0;
	out[0] = '\0';
	for (uint32_t i = 0; i < n && used + 1 < cap; i++) {
		int k = snprintf(out + used, cap - used, "%s%s/%s", i ? " " : "", prof_str(p, tt[i]), prof_str(p, tu[i]));
		if (k < 0)
			break;
		used += (size_t)k < cap - used ? (size_t)k : cap - used - 1;
	}
}

/* The header of the first source, or the check of a later one against it. */
static int merge_header(struct merge *m, const struct prof *p, const uint32_t *smap, char *err, size_t errcap)
{
	uint32_t pt = map_str(smap, p->n_strs, p->period_type), pu = map_str(smap, p->n_strs, p->period_unit);
	if (m->n_src == 0) {
		m->n_types = p->n_types;
		m->type_type = calloc(p->n_types ? p->n_types : 1, sizeof(uint32_t));
		m->type_unit = calloc(p->n_types ? p->n_types : 1, sizeof(uint32_t));
		if (!m->type_type || !m->type_unit)
			return -1;
		for (uint32_t i = 0; i < p->n_types; i++) {
			m->type_type[i] = map_str(smap, p->n_strs, p->type_type[i]);
			m->type_unit[i] = map_str(smap, p->n_strs, p->type_unit[i]);
		}
		m->default_type = p->default_type;
		m->period_type = pt;
		m->period_unit = pu;
		m->kind = p->kind;
		m->period = p->period;
		m->time_nanos = p->time_nanos;
		m->duration_nanos = p->duration_nanos;
		return 0;
	}
	char a[512], b[512];
	if (pt != m->period_type || pu != m->period_unit) {
		snprintf(err, errcap, "incompatible period types %s/%s and %s/%s", m->str[m->period_type],
		         m->str[m->period_unit], prof_str(p, p->period_type), prof_str(p, p->period_unit));
		return MERGE_INCOMPATIBLE;
	}
	bool same = p->n_types == m->n_types;
	for (uint32_t i = 0; same && i < p->n_types; i++)
		same = map_str(smap, p->n_strs, p->type_type[i]) == m->type_type[i] &&
		       map_str(smap, p->n_strs, p->type_unit[i]) == m->type_unit[i];
	if (!same) {
		size_t used = 0;
		a[0] = '\0';
		for (uint32_t i = 0; i < m->n_types && used + 1 < sizeof(a); i++) {
			int k = snprintf(a + used, sizeof(a) - used, "%s%s/%s", i ? " " : "", m->str[m->type_type[i]],
			                 m->str[m->type_unit[i]]);
			if (k < 0)
				break;
			used += (size_t)k < sizeof(a) - used ? (size_t)k : sizeof(a) - used - 1;
		}
		type_name(p, p->type_type, p->type_unit, p->n_types, b, sizeof(b));
		snprintf(err, errcap, "incompatible sample types [%s] and [%s]", a, b);
		return MERGE_INCOMPATIBLE;
	}
	if (m->time_nanos == 0 || p->time_nanos < m->time_nanos)
		m->time_nanos = p->time_nanos;
	m->duration_nanos += p->duration_nanos;
	if (m->period == 0 || m->period < p->period)
		m->period = p->period;
	return 0;
}

int merge_add(struct merge *m, const struct prof *p, char *err, size_t errcap)
{
	int rc = -1;
	uint32_t *smap = NULL, *fmap = NULL, *frmap = NULL, *lmap = NULL, *lsmap = NULL, *nmap = NULL;
	struct prof_label *tmp = NULL;
	uint32_t *seq = NULL, *depth = NULL, *order = NULL, *pos = NULL;
	if (m->n_strs == 0 && intern_str(m, "", 0) != 0)
		return -1;
	if (m->n_labelsets == 0) {
		if (GROW(m, labelsets, 1) < 0 || GROW(m, nodes, 1) < 0)
			return -1;
		m->labelsets[0] = (struct prof_labelset){ 0, 0 };
		m->n_labelsets = 1;
		m->nodes[0] = (struct prof_node){ 0, PROF_NONE };
		m->n_nodes = 1;
	}
	smap = malloc(((size_t)p->n_strs + 1) * 4);
	fmap = malloc(((size_t)p->n_funcs + 1) * 4);
	frmap = malloc(((size_t)p->n_frames + 1) * 4);
	lmap = malloc(((size_t)p->n_locs + 1) * 4);
	lsmap = malloc(((size_t)p->n_labelsets + 1) * 4);
	nmap = malloc(((size_t)p->n_nodes + 1) * 4);
	if (!smap || !fmap || !frmap || !lmap || !lsmap || !nmap)
		goto out;

	struct gmap *g = gmap_for(m, p);
	for (uint32_t i = 0; i < p->n_strs; i++) {
		if ((i & 4095) == 0 && work_poll() != WORK_OK)
			goto out;
		uint32_t *known = gmap_slot(g, p, PROF_ORIG_STR, i);
		if (known && *known) {
			smap[i] = *known - 1;
			continue;
		}
		smap[i] = intern_str(m, prof_str(p, i), prof_strlen(p, i));
		if (smap[i] == UINT32_MAX)
			goto out;
		if (known)
			*known = smap[i] + 1;
	}
	int h = merge_header(m, p, smap, err, errcap);
	if (h != 0) {
		rc = h;
		goto out;
	}
	m->n_src++;
	m->orig_samples += p->orig_samples;
	m->orig_locations += p->orig_locations;
	m->orig_functions += p->orig_functions;

	for (uint32_t i = 0; i < p->n_funcs; i++) {
		uint32_t *known = gmap_slot(g, p, PROF_ORIG_FUNC, i);
		if (known && *known) {
			fmap[i] = *known - 1;
			continue;
		}
		struct prof_func f = { map_str(smap, p->n_strs, p->funcs[i].name),
		                       map_str(smap, p->n_strs, p->funcs[i].sysname),
		                       map_str(smap, p->n_strs, p->funcs[i].file) };
		bool found;
		struct islot *s = itab_find(&m->ftab, mix3(f.name, f.sysname, f.file), eq_func, m, &f, &found);
		if (!s)
			goto out;
		if (!found) {
			if (GROW(m, funcs, (uint64_t)m->n_funcs + 1) < 0)
				goto out;
			m->funcs[m->n_funcs] = f;
			s->id1 = ++m->n_funcs;
			m->ftab.len++;
		}
		fmap[i] = s->id1 - 1;
		if (known)
			*known = s->id1;
	}
	for (uint32_t i = 0; i < p->n_frames; i++) {
		uint32_t *known = gmap_slot(g, p, PROF_ORIG_FRAME, i);
		if (known && *known) {
			frmap[i] = *known - 1;
			continue;
		}
		const struct prof_frame *sf = &p->frames[i];
		struct prof_frame f;
		memset(&f, 0, sizeof(f));
		f.func = sf->func < p->n_funcs ? fmap[sf->func] : PROF_NONE;
		f.map_file = map_str(smap, p->n_strs, sf->map_file);
		f.key = map_str(smap, p->n_strs, sf->key);
		f.line = sf->line;
		bool found;
		struct islot *s = itab_find(&m->frtab, mix3(f.func, ((uint64_t)f.map_file << 32) | f.key, (uint64_t)f.line),
		                            eq_frame, m, &f, &found);
		if (!s)
			goto out;
		if (!found) {
			if (GROW(m, frames, (uint64_t)m->n_frames + 1) < 0)
				goto out;
			m->frames[m->n_frames] = f;
			s->id1 = ++m->n_frames;
			m->frtab.len++;
		}
		frmap[i] = s->id1 - 1;
		if (known)
			*known = s->id1;
	}
	uint32_t maxn = 1;
	for (uint32_t i = 0; i < p->n_locs; i++)
		if (p->locs[i].n > maxn)
			maxn = p->locs[i].n;
	seq = malloc((size_t)maxn * 4);
	if (!seq)
		goto out;
	for (uint32_t i = 0; i < p->n_locs; i++) {
		uint32_t *known = gmap_slot(g, p, PROF_ORIG_LOC, i);
		if (known && *known) {
			lmap[i] = *known - 1;
			continue;
		}
		const struct prof_loc *sl = &p->locs[i];
		uint64_t hh = 0x51ed270b27u + sl->n;
		for (uint32_t k = 0; k < sl->n; k++) {
			seq[k] = frmap[p->loc_frames[sl->off + k]];
			hh = hash_mix64(hh ^ seq[k]);
		}
		struct seq_key key = { seq, sl->n };
		bool found;
		struct islot *s = itab_find(&m->ltab, hh, eq_loc, m, &key, &found);
		if (!s)
			goto out;
		if (!found) {
			if (GROW(m, locs, (uint64_t)m->n_locs + 1) < 0 ||
			    GROW(m, loc_frames, (uint64_t)m->n_loc_frames + sl->n) < 0)
				goto out;
			memcpy(m->loc_frames + m->n_loc_frames, seq, (size_t)sl->n * 4);
			m->locs[m->n_locs] = (struct prof_loc){ m->n_loc_frames, sl->n };
			m->n_loc_frames += sl->n;
			s->id1 = ++m->n_locs;
			m->ltab.len++;
		}
		lmap[i] = s->id1 - 1;
		if (known)
			*known = s->id1;
	}
	uint32_t maxl = 1;
	for (uint32_t i = 0; i < p->n_labelsets; i++)
		if (p->labelsets[i].n > maxl)
			maxl = p->labelsets[i].n;
	tmp = malloc((size_t)maxl * sizeof(*tmp));
	if (!tmp)
		goto out;
	for (uint32_t i = 0; i < p->n_labelsets; i++) {
		const struct prof_labelset *sl = &p->labelsets[i];
		if (sl->n == 0) {
			lsmap[i] = 0;
			continue;
		}
		uint64_t hh = 0x2545f4914f6cdd1dULL + sl->n;
		for (uint32_t k = 0; k < sl->n; k++) {
			const struct prof_label *l = &p->labels[sl->off + k];
			memset(&tmp[k], 0, sizeof(tmp[k]));
			tmp[k].key = map_str(smap, p->n_strs, l->key);
			tmp[k].str = l->str == PROF_NONE ? PROF_NONE : map_str(smap, p->n_strs, l->str);
			tmp[k].unit = l->unit == PROF_NONE ? PROF_NONE : map_str(smap, p->n_strs, l->unit);
			tmp[k].num = l->num;
			hh = mix3(hh, ((uint64_t)tmp[k].key << 32) | tmp[k].str, (uint64_t)tmp[k].num ^ tmp[k].unit);
		}
		struct ls_key key = { tmp, sl->n };
		bool found;
		struct islot *s = itab_find(&m->lstab, hh, eq_labelset, m, &key, &found);
		if (!s)
			goto out;
		if (!found) {
			if (GROW(m, labelsets, (uint64_t)m->n_labelsets + 1) < 0 ||
			    GROW(m, labels, (uint64_t)m->n_labels + sl->n) < 0)
				goto out;
			memcpy(m->labels + m->n_labels, tmp, (size_t)sl->n * sizeof(*tmp));
			m->labelsets[m->n_labelsets] = (struct prof_labelset){ m->n_labels, sl->n };
			m->n_labels += sl->n;
			s->id1 = m->n_labelsets + 1; /* id n_labelsets; 0 is the empty set */
			m->n_labelsets++;
			m->lstab.len++;
		}
		lsmap[i] = s->id1 - 1;
	}
	/* Nodes in order of depth: the parents of one depth's nodes are all
	 * mapped before it starts, so its lookups are independent and the
	 * slot of a node a few places ahead is prefetched while this one is
	 * looked up (the merged map is far larger than the CPU caches). The
	 * nodes the group's map knows are mapped first and left out of the
	 * order (their ids do not depend on it). */
	uint32_t n_order = 0;
	if (p->n_nodes) {
		uint32_t N = p->n_nodes, maxd = 0;
		depth = malloc((size_t)N * 4);
		order = malloc((size_t)N * 4);
		if (!depth || !order)
			goto out;
		memset(nmap, 0xff, (size_t)N * 4);
		nmap[0] = 0;
		depth[0] = 0;
		for (uint32_t i = 1; i < N; i++) {
			uint32_t par = p->nodes[i].parent < i ? p->nodes[i].parent : 0;
			depth[i] = depth[par] + 1;
			if (depth[i] > maxd)
				maxd = depth[i];
			const uint32_t *known = gmap_slot(g, p, PROF_ORIG_NODE, i);
			if (known && *known)
				nmap[i] = *known - 1;
		}
		pos = calloc((size_t)maxd + 2, 4);
		if (!pos)
			goto out;
		for (uint32_t i = 1; i < N; i++)
			if (nmap[i] == UINT32_MAX)
				pos[depth[i] + 1]++;
		for (uint32_t d = 1; d <= maxd + 1; d++)
			pos[d] += pos[d - 1];
		for (uint32_t i = 1; i < N; i++)
			if (nmap[i] == UINT32_MAX)
				order[pos[depth[i]]++] = i;
		n_order = pos[maxd];
		if (u64map_reserve(&m->node_ids, n_order) < 0 || GROW(m, nodes, (uint64_t)m->n_nodes + n_order) < 0)
			goto out;
	}
#define NODE_KEY(par, i) \
	(((uint64_t)(par) << 32) | (p->nodes[i].loc < p->n_locs ? lmap[p->nodes[i].loc] : PROF_NONE))
	for (uint32_t k = 0; k < n_order; k++) {
		if ((k & 4095) == 0 && work_poll() != WORK_OK)
			goto out;
		if (k + PREFETCH_AHEAD < n_order) {
			uint32_t a = order[k + PREFETCH_AHEAD];
			uint32_t apar = nmap[p->nodes[a].parent < a ? p->nodes[a].parent : 0];
			if (apar != UINT32_MAX)
				u64map_prefetch(&m->node_ids, NODE_KEY(apar, a));
		}
		uint32_t i = order[k];
		const struct prof_node *sn = &p->nodes[i];
		uint32_t par = nmap[sn->parent < i ? sn->parent : 0];
		int ins;
		uint32_t *v = u64map_put(&m->node_ids, NODE_KEY(par, i), &ins);
		if (!v)
			goto out;
		if (ins) {
			m->nodes[m->n_nodes] = (struct prof_node){ par, (uint32_t)(NODE_KEY(par, i) & 0xffffffffu) };
			*v = m->n_nodes++;
		}
		nmap[i] = *v;
		uint32_t *known = gmap_slot(g, p, PROF_ORIG_NODE, i);
		if (known)
			*known = *v + 1;
	}
#undef NODE_KEY
	uint32_t nt = m->n_types;
	if (u64map_reserve(&m->sample_ids, p->n_samples) < 0)
		goto out;
#define SAMPLE_KEY(i)                                                                           \
	(((uint64_t)(p->samples[i].node < p->n_nodes ? nmap[p->samples[i].node] : 0) << 32) | \
	 (p->samples[i].labelset < p->n_labelsets ? lsmap[p->samples[i].labelset] : 0))
	for (uint32_t i = 0; i < p->n_samples; i++) {
		if ((i & 4095) == 0 && work_poll() != WORK_OK)
			goto out;
		if (i + PREFETCH_AHEAD < p->n_samples)
			u64map_prefetch(&m->sample_ids, SAMPLE_KEY(i + PREFETCH_AHEAD));
		int ins;
		uint32_t *v = u64map_put(&m->sample_ids, SAMPLE_KEY(i), &ins);
		uint32_t node = (uint32_t)(SAMPLE_KEY(i) >> 32), ls = (uint32_t)SAMPLE_KEY(i);
		if (!v)
			goto out;
		const int64_t *src = p->values + (size_t)i * nt;
		if (ins) {
			uint32_t old = m->cap_samples;
			if (GROW(m, samples, (uint64_t)m->n_samples + 1) < 0)
				goto out;
			if (m->cap_samples != old) {
				int64_t *nv = realloc(m->values, (size_t)m->cap_samples * (nt ? nt : 1) * 8);
				if (!nv) {
					m->cap_samples = old; /* values still fit the old capacity */
					goto out;
				}
				util_advise_huge(nv, (size_t)m->cap_samples * (nt ? nt : 1) * 8);
				m->values = nv;
			}
			m->samples[m->n_samples] = (struct prof_sample){ node, ls };
			if (nt)
				memcpy(m->values + (size_t)m->n_samples * nt, src, (size_t)nt * 8);
			*v = m->n_samples++;
		} else {
			int64_t *dst = m->values + (size_t)*v * nt;
			for (uint32_t t = 0; t < nt; t++) {
				if (__builtin_add_overflow(dst[t], src[t], &dst[t])) {
					snprintf(err, errcap, "a merged sample's %s exceeds 64 bits", m->str[m->type_type[t]]);
					rc = MERGE_OVERFLOW;
					goto out;
				}
			}
		}
	}
#undef SAMPLE_KEY
	rc = 0;
out:
	free(depth);
	free(order);
	free(pos);
	free(smap);
	free(fmap);
	free(frmap);
	free(lmap);
	free(lsmap);
	free(nmap);
	free(tmp);
	free(seq);
	return rc;
}

/* Shrink *arr to n elements (a failed shrink keeps the larger block). */
static void *fit(void *arr, size_t n, size_t elem)
{
	if (n == 0)
		n = 1;
	void *r = realloc(arr, n * elem);
	return r ? r : arr;
}

struct prof *merge_finish(struct merge *m)
{
	if (!m || m->n_src == 0) {
		merge_free(m);
		return NULL;
	}
	struct prof *p = prof_alloc();
	if (!p) {
		merge_free(m);
		return NULL;
	}
	size_t arena = 0;
	for (uint32_t i = 0; i < m->n_strs; i++)
		arena += (size_t)m->slen[i] + 1;
	p->arena = malloc(arena ? arena : 1);
	p->str_off = malloc(((size_t)m->n_strs + 1) * 4);
	p->str_len = malloc(((size_t)m->n_strs + 1) * 4);
	if (!p->arena || !p->str_off || !p->str_len || arena > UINT32_MAX) {
		prof_free(p);
		merge_free(m);
		return NULL;
	}
	size_t off = 0;
	for (uint32_t i = 0; i < m->n_strs; i++) {
		p->str_off[i] = (uint32_t)off;
		p->str_len[i] = m->slen[i];
		memcpy(p->arena + off, m->str[i], (size_t)m->slen[i] + 1);
		off += (size_t)m->slen[i] + 1;
	}
	p->arena_len = arena;
	p->n_strs = m->n_strs;
	p->n_types = m->n_types;
	p->type_type = m->type_type;
	p->type_unit = m->type_unit;
	m->type_type = m->type_unit = NULL;
	p->default_type = m->default_type;
	p->period_type = m->period_type;
	p->period_unit = m->period_unit;
	p->period = m->period;
	p->time_nanos = m->time_nanos;
	p->duration_nanos = m->duration_nanos;
	p->kind = m->kind;
	p->orig_samples = m->orig_samples;
	p->orig_locations = m->orig_locations;
	p->orig_functions = m->orig_functions;
#define TAKE(f, n)                                                  \
	do {                                                        \
		p->f = fit(m->f, (n), sizeof(*m->f));               \
		m->f = NULL;                                        \
	} while (0)
	p->n_funcs = m->n_funcs;
	TAKE(funcs, m->n_funcs);
	p->n_frames = m->n_frames;
	TAKE(frames, m->n_frames);
	p->n_locs = m->n_locs;
	TAKE(locs, m->n_locs);
	p->n_loc_frames = m->n_loc_frames;
	TAKE(loc_frames, m->n_loc_frames);
	p->n_nodes = m->n_nodes;
	TAKE(nodes, m->n_nodes);
	p->n_labels = m->n_labels;
	TAKE(labels, m->n_labels);
	p->n_labelsets = m->n_labelsets;
	TAKE(labelsets, m->n_labelsets);
	p->n_samples = m->n_samples;
	TAKE(samples, m->n_samples);
	p->values = fit(m->values, (size_t)m->n_samples * (m->n_types ? m->n_types : 1), 8);
	m->values = NULL;
#undef TAKE
	merge_free(m);
	return p;
}

