/*
 * decode.c: the profile.proto decoder's driver (see decode.h).
 *
 * Fields of the top-level Profile message may come in any order (several
 * real files start with time_nanos or period_type), and most refer to
 * others, so the message is walked four times, each walk reading what
 * the earlier ones made checkable:
 *   1. the string table, the number of locations, the wire types (here);
 *   2. scalars, sample types, mappings, functions (decode_tables.c);
 *   3. locations, which refer to functions and mappings (decode_tables.c);
 *   4. samples, which refer to locations; each is checked and folded into
 *      the stack trie at once (decode_samples.c).
 * Then the results move into the struct prof and the kind is guessed.
 * A walk only decodes field keys and lengths of the fields it skips, so
 * the repeated walks are cheap next to the one that reads a field.
 *
 * ValueType, Mapping, Function and Location are unpacked one at a time
 * with the protoc-c generated code and freed at once; Sample and Label,
 * most of a large file, are read directly with wire.h so that nothing is
 * allocated per sample. Peak memory is the inflated bytes plus the kept
 * stacks; an owned message (decode_proto_owned) is freed before the trie
 * is built, so the peak there is the kept stacks plus the trie.
 *
 * Semantics follow github.com/google/pprof/profile: string_table[0] is "",
 * ids are non-zero and unique, a sample has one value per sample type,
 * labels with str 0 are numeric (dropped when num and unit are 0 as well),
 * drop_frames/keep_frames prune stacks as Profile.RemoveUninteresting
 * does, the default sample type is default_sample_type or else the last.
 */
#include "decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_state.h"
#include "limits.h"

/* ---- walk 1: strings and counts -------------------------------------------- */

/* The wire type a Profile field must have, or -1 when any will do:
 * comment (repeated int64, packed or not) and fields this version of
 * profile.proto does not know, which are skipped as protobuf says. */
static int profile_wire_type(uint32_t num)
{
	switch (num) {
	case PB_PROFILE_SAMPLE_TYPE:
	case PB_PROFILE_SAMPLE:
	case PB_PROFILE_MAPPING:
	case PB_PROFILE_LOCATION:
	case PB_PROFILE_FUNCTION:
	case PB_PROFILE_STRING_TABLE:
	case PB_PROFILE_PERIOD_TYPE:
		return WIRE_LEN;
	case PB_PROFILE_DROP_FRAMES:
	case PB_PROFILE_KEEP_FRAMES:
	case PB_PROFILE_TIME_NANOS:
	case PB_PROFILE_DURATION_NANOS:
	case PB_PROFILE_PERIOD:
	case PB_PROFILE_DEFAULT_SAMPLE_TYPE:
	case PB_PROFILE_DOC_URL:
		return WIRE_VARINT;
	default:
		return -1;
	}
}

static int add_string(struct decode_state *d, const struct wire_field *f)
{
	if (f->wt != WIRE_LEN)
		DECODE_FAIL(d, 415, "unsupported_format", "not a pprof profile (string table field has wire type %d)",
		            f->wt);
	if (d->n_strs >= FDX_MAX_STRINGS)
		DECODE_FAIL(d, 413, "too_many_strings", "more than %u strings", FDX_MAX_STRINGS);
	if (d->n_strs == d->cap_strs) {
		uint32_t nc = d->cap_strs ? d->cap_strs * 2 : 1024;
		struct decode_span *ns = realloc(d->strs, nc * sizeof(*ns));
		if (!ns)
			DECODE_FAIL(d, 500, "internal", "out of memory");
		d->strs = ns;
		d->cap_strs = nc;
	}
	if (f->len > UINT32_MAX / 2)
		DECODE_FAIL(d, 400, "bad_profile", "string too long");
	d->strs[d->n_strs].p = f->data;
	d->strs[d->n_strs].len = (uint32_t)f->len;
	d->n_strs++;
	return 0;
}

/* Walk 1 reads string_table, counts location fields (to size the
 * location tables once) and checks every known field's wire type, so
 * that the later walks may take a field's payload as given. Then the
 * tables the later walks fill are set up. */
static int pass_strings(struct decode_state *d)
{
	struct wire_reader r = wire_reader_of(d->data, d->n);
	struct wire_field f;
	bool have_strings = false;
	int rc;
	while ((rc = wire_next_field(&r, &f)) > 0) {
		if (f.num == PB_PROFILE_STRING_TABLE) {
			have_strings = true;
			if (add_string(d, &f) < 0)
				return -1;
			continue;
		}
		int want = profile_wire_type(f.num);
		if (want >= 0 && (int)f.wt != want)
			DECODE_FAIL(d, 415, "unsupported_format", "not a pprof profile (field %u has wire type %d)",
			            f.num, (int)f.wt);
		if (f.num == PB_PROFILE_LOCATION)
			d->n_loc_fields++;
	}
	if (rc < 0)
		DECODE_FAIL(d, 415, "unsupported_format", "not a pprof profile (protobuf decoding failed)");
	if (!have_strings)
		DECODE_FAIL(d, 415, "unsupported_format", "not a pprof profile (no string table)");
	if (d->strs[0].len != 0)
		DECODE_FAIL(d, 400, "bad_profile", "string_table[0] must be the empty string");
	if (d->n_loc_fields > FDX_MAX_LOCATIONS)
		DECODE_FAIL(d, 413, "too_many_locations", "more than %u locations", FDX_MAX_LOCATIONS);

	uint64_t nl = d->n_loc_fields;
	d->str_out = malloc(d->n_strs * sizeof(uint32_t));
	d->locs = malloc((nl + 1) * sizeof(*d->locs));
	if (!d->str_out || !d->locs)
		DECODE_OOM(d);
	memset(d->str_out, 0xff, d->n_strs * sizeof(uint32_t));
	if (strmap_init(&d->smap, d->n_strs / 2 + 16) < 0 || u64map_init(&d->map_ids, 16) < 0 ||
	    u64map_init(&d->fn_ids, 1024) < 0 || u64map_init(&d->loc_ids, nl) < 0 ||
	    u64map_init(&d->frame_ids, nl) < 0 || u64map_init(&d->sample_ids, 1024) < 0 ||
	    u64map_init(&d->ls_ids, 64) < 0)
		DECODE_OOM(d);
	decode_out_str(d, 0); /* output string 0 is "" too */
	return 0;
}

/* ---- between walks 3 and 4: sample types ------------------------------------- */

/* The sample types read in walk 2, and the default, chosen as pprof
 * chooses it: default_sample_type names a type, else the last one. */
static int set_sample_types(struct decode_state *d)
{
	struct prof *p = d->p;
	p->n_types = (uint32_t)(d->types.len / 8);
	p->type_type = malloc((p->n_types + 1) * sizeof(uint32_t));
	p->type_unit = malloc((p->n_types + 1) * sizeof(uint32_t));
	d->totals = calloc(p->n_types + 1, sizeof(int64_t));
	if (!p->type_type || !p->type_unit || !d->totals)
		DECODE_OOM(d);
	for (uint32_t i = 0; i < p->n_types; i++) {
		p->type_type[i] = ((uint32_t *)d->types.data)[2 * i];
		p->type_unit[i] = ((uint32_t *)d->types.data)[2 * i + 1];
	}
	p->default_type = p->n_types ? p->n_types - 1 : 0;
	if (d->default_type) {
		uint32_t want = decode_out_str(d, (uint64_t)d->default_type);
		for (uint32_t i = 0; i < p->n_types; i++) {
			if (p->type_type[i] == want) {
				p->default_type = i;
				break;
			}
		}
	}
	return 0;
}

/* ---- after walk 4: the profile ------------------------------------------------ */

static bool type_is(const struct prof *p, uint32_t i, const char *t)
{
	return strcmp(prof_str(p, p->type_type[i]), t) == 0;
}

static enum prof_kind detect_kind(const struct prof *p)
{
	bool contention = false;
	for (uint32_t i = 0; i < p->n_types; i++) {
		if (type_is(p, i, "goroutine") || type_is(p, i, "goroutines") || type_is(p, i, "goroutineleak"))
			return PROF_KIND_GOROUTINE;
		if (type_is(p, i, "inuse_space") || type_is(p, i, "alloc_space") ||
		    type_is(p, i, "inuse_objects") || type_is(p, i, "alloc_objects") ||
		    type_is(p, i, "space") || type_is(p, i, "objects"))
			return PROF_KIND_HEAP;
		if (type_is(p, i, "cpu") || strcmp(prof_str(p, p->period_type), "cpu") == 0)
			return PROF_KIND_CPU;
		if (type_is(p, i, "contentions") || type_is(p, i, "delay"))
			contention = true;
	}
	if (!contention)
		return PROF_KIND_OTHER;
	/* Go writes mutex and block profiles with the same sample types; a
	 * mutex profile's stacks end in the unlock that released the waiters. */
	for (uint32_t s = 0; s < p->n_samples; s++) {
		uint32_t n = p->samples[s].node;
		if (n == 0)
			continue;
		const struct prof_loc *l = &p->locs[p->nodes[n].loc];
		const struct prof_frame *fr = &p->frames[p->loc_frames[l->off + l->n - 1]];
		const char *name = prof_str(p, fr->key);
		if (strstr(name, "Unlock") || strcmp(name, "runtime.unlock") == 0)
			return PROF_KIND_MUTEX;
	}
	return PROF_KIND_BLOCK;
}

/* Hand b's array over (a 1-element zeroed array when empty, so that no
 * member of a profile is NULL); *count is its number of elements. */
static void *take(struct buf *b, uint32_t *count, size_t elem)
{
	*count = (uint32_t)(b->len / elem);
	if (b->len == 0) {
		buf_release(b);
		return calloc(1, elem);
	}
	return buf_detach(b, NULL);
}

/* Move the tables built by the walks into the profile, and guess its
 * kind. The profile's scalars and sample types are already set. */
static int finish(struct decode_state *d)
{
	struct prof *p = d->p;
	if (d->nodes.len / sizeof(struct prof_node) > UINT32_MAX / 2)
		DECODE_OOM(d);
	if (d->arena.oom || d->offs.oom || d->lens.oom || d->frames.oom || d->loc_frames.oom ||
	    d->nodes.oom || d->samples.oom || d->values.oom || d->labels.oom || d->lsets.oom)
		DECODE_OOM(d);
	uint32_t unused;
	p->orig_samples = d->n_samples_in;
	p->orig_locations = d->n_locs;
	p->orig_functions = (uint32_t)(d->funcs.len / sizeof(struct prof_func));
	p->funcs = take(&d->funcs, &p->n_funcs, sizeof(struct prof_func));
	p->frames = take(&d->frames, &p->n_frames, sizeof(struct prof_frame));
	p->loc_frames = take(&d->loc_frames, &p->n_loc_frames, 4);
	p->nodes = take(&d->nodes, &p->n_nodes, sizeof(struct prof_node));
	p->labels = take(&d->labels, &p->n_labels, sizeof(struct prof_label));
	p->labelsets = take(&d->lsets, &p->n_labelsets, sizeof(struct prof_labelset));
	p->samples = take(&d->samples, &p->n_samples, sizeof(struct prof_sample));
	p->values = take(&d->values, &unused, sizeof(int64_t));
	p->locs = malloc((d->n_locs + 1) * sizeof(*p->locs));
	if (!p->locs)
		DECODE_OOM(d);
	p->n_locs = d->n_locs;
	for (uint32_t i = 0; i < d->n_locs; i++) {
		p->locs[i].off = d->locs[i].frame_off;
		p->locs[i].n = d->locs[i].nframes;
	}
	/* addresses and mappings (granularity=addresses) */
	p->maps = take(&d->mapinfo, &p->n_maps, sizeof(struct prof_mapping));
	p->loc_addr = malloc((d->n_locs + 1) * sizeof(uint64_t));
	p->loc_map = malloc((d->n_locs + 1) * sizeof(uint32_t));
	if (!p->maps || !p->loc_addr || !p->loc_map)
		DECODE_OOM(d);
	for (uint32_t i = 0; i < d->n_locs; i++) {
		p->loc_addr[i] = d->locs[i].addr;
		p->loc_map[i] = d->locs[i].map;
	}
	p->arena = buf_detach(&d->arena, &p->arena_len);
	p->str_off = take(&d->offs, &p->n_strs, 4);
	p->str_len = take(&d->lens, &unused, 4);
	if (!p->funcs || !p->frames || !p->loc_frames || !p->nodes || !p->labels || !p->labelsets ||
	    !p->samples || !p->values || !p->arena || !p->str_off || !p->str_len)
		DECODE_OOM(d);
	p->kind = detect_kind(p);
	return 0;
}

/* ---- driver ------------------------------------------------------------------- */

static void state_release(struct decode_state *d)
{
	free(d->own);
	free(d->strs);
	free(d->str_out);
	for (size_t i = 0; i < d->lits.len / sizeof(char *); i++)
		free(((char **)d->lits.data)[i]);
	buf_release(&d->lits);
	strmap_release(&d->smap);
	buf_release(&d->arena);
	buf_release(&d->offs);
	buf_release(&d->lens);
	buf_release(&d->types);
	buf_release(&d->maps);
	buf_release(&d->mapinfo);
	buf_release(&d->funcs);
	u64map_release(&d->map_ids);
	u64map_release(&d->fn_ids);
	rx_release(&d->drop_re);
	rx_release(&d->keep_re);
	free(d->drop_memo);
	u64map_release(&d->loc_ids);
	free(d->loc_dense);
	free(d->locs);
	u64map_release(&d->frame_ids);
	buf_release(&d->frames);
	buf_release(&d->loc_frames);
	buf_release(&d->stk);
	buf_release(&d->insamples);
	buf_release(&d->invalues);
	buf_release(&d->nodes);
	u64map_release(&d->sample_ids);
	buf_release(&d->samples);
	buf_release(&d->values);
	free(d->totals);
	u64map_release(&d->ls_ids);
	buf_release(&d->labels);
	buf_release(&d->lsets);
}

static struct prof *decode(const uint8_t *data, uint8_t *own, size_t n, struct decode_err *err)
{
	struct decode_state D;
	struct decode_state *d = &D;
	memset(d, 0, sizeof(*d));
	memset(err, 0, sizeof(*err));
	d->data = data;
	d->own = own;
	d->n = n;
	d->err = err;
	d->p = prof_alloc();
	int rc = -1;
	if (!d->p)
		decode_err_set(err, 500, "internal", "out of memory while decoding");
	else
		rc = pass_strings(d);
	/* the name of a pseudo-frame without a value (view_pseudo.h) */
	if (rc == 0 && decode_out_lit(d, "<unknown>", 9) == PROF_NONE) {
		decode_err_set(err, 500, "internal", "out of memory while decoding");
		rc = -1;
	}
	if (rc == 0)
		rc = decode_pass_tables(d);
	if (rc == 0)
		rc = decode_pass_locations(d);
	if (rc == 0)
		rc = set_sample_types(d);
	if (rc == 0)
		rc = decode_pass_samples(d);
	if (rc == 0)
		rc = finish(d);
	struct prof *p = d->p;
	if (rc < 0) {
		prof_free(p);
		p = NULL;
	}
	state_release(d);
	return p;
}

struct prof *decode_proto(const uint8_t *data, size_t n, struct decode_err *err)
{
	return decode(data, NULL, n, err);
}

struct prof *decode_proto_owned(uint8_t *data, size_t n, struct decode_err *err)
{
	return decode(data, data, n, err);
}
