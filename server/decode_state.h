/*
 * decode_state.h: what the passes of the profile.proto decoder share
 * (private to decode.c, decode_tables.c and decode_samples.c).
 *
 * The decoder walks the Profile message four times (see decode.c); each
 * walk reads some fields into struct decode_state and skips the rest. The
 * state owns everything it points to until decode.c moves the results
 * into the struct prof, so a failure anywhere is one release.
 *
 * String ids: a file string index i is interned into the output's
 * deduplicated arena on first use (decode_out_str), so strings the
 * profile never uses are not kept. Names that are not in the file (a
 * mapping's "[base]" name, "<unknown>") are interned with decode_out_lit.
 */
#ifndef FDX_DECODE_STATE_H
#define FDX_DECODE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "decode.h"
#include "hash.h"
#include "prof.h"
#include "regex.h"
#include "wire.h"

/* A string of the file: points into the message. */
struct decode_span {
	const uint8_t *p;
	uint32_t len;
};

/* A location as read in walk 3, indexed by dense location index. */
struct decode_loc {
	uint64_t addr;       /* the location's address */
	uint32_t map;        /* mapping index or PROF_NONE */
	uint32_t frame_off;  /* into loc_frames: frame ids, outermost first */
	uint32_t nframes;
	/* drop_frames: prune, the location's outermost frame matches (the
	 * whole location goes); beneath, some frame matches (what is below
	 * it in a stack goes) */
	bool prune, beneath;
};

/* One sample as read in walk 4, before the trie is built: its kept
 * stack, root first, at stk[off, off + len), and its label set. */
struct decode_insample {
	uint32_t off, len;
	uint32_t ls;
};

struct decode_state {
	const uint8_t *data; /* the message */
	size_t n;
	uint8_t *own;        /* the message when the decoder owns it (decode_proto_owned):
	                      * freed as soon as walk 4 has read the samples */
	struct decode_err *err;
	struct prof *p;      /* the result, filled in as the walks go */

	/* walk 1: the file's string table, and how many locations to expect */
	struct decode_span *strs;
	uint32_t n_strs, cap_strs;
	uint64_t n_loc_fields;

	/* output strings */
	struct strmap smap;     /* string bytes -> output string id */
	uint32_t *str_out;      /* file string index -> output id (or PROF_NONE) */
	struct buf arena;       /* output strings, each NUL-terminated */
	struct buf offs, lens;  /* uint32 per output string */
	struct buf lits;        /* char * copies of literal strings (smap's keys) */

	/* walk 2: scalars, sample types, mappings, functions */
	struct buf types;        /* uint32 (type, unit) output string ids per sample type */
	struct buf maps;         /* uint32 output string id of each mapping's file */
	struct buf mapinfo;      /* struct prof_mapping of each mapping */
	struct buf funcs;        /* struct prof_func */
	struct u64map map_ids, fn_ids; /* file id -> index */
	int64_t period_type, period_unit; /* file string indices */
	bool have_period_type;
	int64_t default_type;    /* file string index, 0 when unset */
	int64_t drop_idx, keep_idx; /* drop_frames / keep_frames string indices */
	struct rx drop_re, keep_re; /* compiled when drop_idx / keep_idx != 0 */
	uint8_t *drop_memo;      /* per function: 0 unknown, 1 dropped, 2 kept (each name matched once) */

	/* walk 3: locations and their frames */
	struct u64map loc_ids;   /* file location id -> index */
	uint32_t *loc_dense;     /* location id -> index, when ids are dense */
	uint64_t loc_dense_n;
	struct decode_loc *locs;
	uint32_t n_locs;
	struct u64map frame_ids; /* hash(func, line, map) -> frame id */
	struct buf frames;       /* struct prof_frame */
	struct buf loc_frames;   /* uint32 frame ids */

	/* walk 4: samples, read, sorted by stack, folded into the trie and
	 * aggregated (decode_samples.c) */
	struct buf stk;          /* uint32 location indices, root first, every sample's */
	struct buf insamples;    /* struct decode_insample, in file order */
	struct buf invalues;     /* int64, n_types per input sample */
	struct buf nodes;        /* struct prof_node */
	struct u64map sample_ids; /* (node, labelset) -> sample index */
	struct buf samples;      /* struct prof_sample */
	struct buf values;       /* int64, n_types per sample */
	int64_t *totals;         /* per sample type: sum of magnitudes, for the overflow check */
	struct u64map ls_ids;    /* hash of a label set -> labelset id */
	struct buf labels;       /* struct prof_label */
	struct buf lsets;        /* struct prof_labelset */
	uint64_t n_samples_in;
};

/* Set the error and return -1 from the calling int function. */
#define DECODE_FAIL(d, st, code, ...) \
	do { decode_err_set((d)->err, st, code, __VA_ARGS__); return -1; } while (0)
#define DECODE_OOM(d) DECODE_FAIL(d, 500, "internal", "out of memory while decoding")

/* decode.c */
/* Output string id of file string index i (< n_strs), interning it on
 * first use; PROF_NONE when out of memory. */
uint32_t decode_out_str(struct decode_state *d, uint64_t i);
/* Walk 4 has read the message: release what resolves its references (the
 * file's string spans, the output string map, the id maps), which the
 * trie build, the aggregation and finish() do not read, before the trie
 * is built. */
void decode_drop_lookups(struct decode_state *d);
/* Output string id of a string that is not in the file. */
uint32_t decode_out_lit(struct decode_state *d, const char *s, size_t len);
/* 0 when idx is a valid string index; else -1, error set, naming what. */
int decode_check_str(struct decode_state *d, int64_t idx, const char *what);
/* Length and bytes of output string id. */
static inline uint32_t decode_out_len(const struct decode_state *d, uint32_t id)
{
	return ((const uint32_t *)d->lens.data)[id];
}
static inline const char *decode_out_bytes(const struct decode_state *d, uint32_t id)
{
	return d->arena.data + ((const uint32_t *)d->offs.data)[id];
}

/* decode_tables.c: walks 2 and 3 */
int decode_pass_tables(struct decode_state *d);
int decode_pass_locations(struct decode_state *d);

/* decode_samples.c: walk 4 */
int decode_pass_samples(struct decode_state *d);

#endif
