/*
 * decode_tables.c: walks 2 and 3 of the profile.proto decoder (see
 * decode.c): the profile's scalars, sample types, mappings and functions,
 * then its locations with their inline frames and drop_frames marks.
 */
#include <stdlib.h>
#include <string.h>

#include "decode_state.h"
#include "limits.h"
#include "profile.pb-c.h"

/* ---- walk 2: scalars, sample types, mappings, functions --------------------- */

/* A sample type: output string ids of its type and unit. */
static int read_value_type(struct decode_state *d, const struct wire_field *f, uint32_t *type,
                           uint32_t *unit)
{
	Perftools__Profiles__ValueType *m = perftools__profiles__value_type__unpack(NULL, f->len, f->data);
	if (!m)
		DECODE_FAIL(d, 415, "unsupported_format", "not a pprof profile (undecodable value type)");
	int rc = -1;
	if (decode_check_str(d, m->type, "sample type") == 0 && decode_check_str(d, m->unit, "sample unit") == 0) {
		*type = decode_out_str(d, (uint64_t)m->type);
		*unit = decode_out_str(d, (uint64_t)m->unit);
		rc = 0;
	}
	perftools__profiles__value_type__free_unpacked(m, NULL);
	return rc;
}

/* The period type's string indices, checked after the walk. */
static int read_period_type(struct decode_state *d, const struct wire_field *f)
{
	Perftools__Profiles__ValueType *m = perftools__profiles__value_type__unpack(NULL, f->len, f->data);
	if (!m)
		DECODE_FAIL(d, 415, "unsupported_format", "not a pprof profile (undecodable period type)");
	d->period_type = m->type;
	d->period_unit = m->unit;
	d->have_period_type = true;
	perftools__profiles__value_type__free_unpacked(m, NULL);
	return 0;
}

/* Record that the what ("mapping", "function", "location") with file id
 * has index; -1 with the error set when the id was seen before. */
static int add_id(struct decode_state *d, struct u64map *ids, uint64_t id, uint32_t index,
                  const char *what)
{
	int ins;
	uint32_t *slot = u64map_put(ids, id, &ins);
	if (!slot)
		DECODE_FAIL(d, 500, "internal", "out of memory");
	if (!ins)
		DECODE_FAIL(d, 400, "bad_profile", "duplicate %s id %llu", what, (unsigned long long)id);
	*slot = index;
	return 0;
}

/* A mapping: its id, and the output string id of its file. */
static int read_mapping(struct decode_state *d, const struct wire_field *f)
{
	Perftools__Profiles__Mapping *m = perftools__profiles__mapping__unpack(NULL, f->len, f->data);
	if (!m)
		DECODE_FAIL(d, 415, "unsupported_format", "not a pprof profile (undecodable mapping)");
	int rc = -1;
	if (m->id == 0) {
		decode_err_set(d->err, 400, "bad_profile", "mapping with reserved id 0");
		goto out;
	}
	if (decode_check_str(d, m->filename, "mapping filename") < 0 ||
	    decode_check_str(d, m->build_id, "mapping build_id") < 0)
		goto out;
	if (d->maps.len / 4 >= FDX_MAX_MAPPINGS) {
		decode_err_set(d->err, 413, "too_many_mappings", "more than %u mappings", FDX_MAX_MAPPINGS);
		goto out;
	}
	if (add_id(d, &d->map_ids, m->id, (uint32_t)(d->maps.len / 4), "mapping") < 0)
		goto out;
	uint32_t file = decode_out_str(d, (uint64_t)m->filename);
	buf_add(&d->maps, &file, 4);
	struct prof_mapping pm = { .start = m->memory_start, .limit = m->memory_limit, .offset = m->file_offset,
		                   .file = file, .build_id = decode_out_str(d, (uint64_t)m->build_id) };
	buf_add(&d->mapinfo, &pm, sizeof(pm));
	rc = 0;
out:
	perftools__profiles__mapping__free_unpacked(m, NULL);
	return rc;
}

/* A function: its id, and output string ids of name, system name, file. */
static int read_function(struct decode_state *d, const struct wire_field *f)
{
	Perftools__Profiles__Function *m = perftools__profiles__function__unpack(NULL, f->len, f->data);
	if (!m)
		DECODE_FAIL(d, 415, "unsupported_format", "not a pprof profile (undecodable function)");
	int rc = -1;
	if (m->id == 0) {
		decode_err_set(d->err, 400, "bad_profile", "function with reserved id 0");
		goto out;
	}
	if (decode_check_str(d, m->name, "function name") < 0 ||
	    decode_check_str(d, m->system_name, "function system_name") < 0 ||
	    decode_check_str(d, m->filename, "function filename") < 0)
		goto out;
	if (d->funcs.len / sizeof(struct prof_func) >= FDX_MAX_FUNCTIONS) {
		decode_err_set(d->err, 413, "too_many_functions", "more than %u functions", FDX_MAX_FUNCTIONS);
		goto out;
	}
	if (add_id(d, &d->fn_ids, m->id, (uint32_t)(d->funcs.len / sizeof(struct prof_func)), "function") < 0)
		goto out;
	struct prof_func pf = {
		.name = decode_out_str(d, (uint64_t)m->name),
		.sysname = decode_out_str(d, (uint64_t)m->system_name),
		.file = decode_out_str(d, (uint64_t)m->filename),
	};
	buf_add(&d->funcs, &pf, sizeof(pf));
	rc = 0;
out:
	perftools__profiles__function__free_unpacked(m, NULL);
	return rc;
}

/* drop_frames / keep_frames string idx as a whole-name regex: 0, or an
 * RX_ERR_* with the message in err. */
static int compile_frames_re(struct decode_state *d, int64_t idx, struct rx *re, char *err, size_t errcap)
{
	return rx_compile(re, (const char *)d->strs[idx].p, d->strs[idx].len, RX_FULL, err, errcap);
}

/* Walk 2 reads sample_type, mapping, function, period_type and the
 * scalar fields (drop_frames, keep_frames, time_nanos, duration_nanos,
 * period, default_sample_type); then it checks the string indices among
 * the scalars and compiles drop_frames/keep_frames. */
int decode_pass_tables(struct decode_state *d)
{
	struct prof *p = d->p;
	struct wire_reader r = wire_reader_of(d->data, d->n);
	struct wire_field f;
	while (wire_next_field(&r, &f) > 0) {
		switch (f.num) {
		case PB_PROFILE_SAMPLE_TYPE: {
			uint32_t tu[2];
			if (d->types.len / 8 >= FDX_MAX_SAMPLE_TYPES)
				DECODE_FAIL(d, 413, "too_many_sample_types", "more than %u sample types",
				            FDX_MAX_SAMPLE_TYPES);
			if (read_value_type(d, &f, &tu[0], &tu[1]) < 0)
				return -1;
			buf_add(&d->types, tu, 8);
			break;
		}
		case PB_PROFILE_MAPPING:
			if (read_mapping(d, &f) < 0)
				return -1;
			break;
		case PB_PROFILE_FUNCTION:
			if (read_function(d, &f) < 0)
				return -1;
			break;
		case PB_PROFILE_PERIOD_TYPE:
			if (read_period_type(d, &f) < 0)
				return -1;
			break;
		case PB_PROFILE_DROP_FRAMES: d->drop_idx = (int64_t)f.v; break;
		case PB_PROFILE_KEEP_FRAMES: d->keep_idx = (int64_t)f.v; break;
		case PB_PROFILE_TIME_NANOS: p->time_nanos = (int64_t)f.v; break;
		case PB_PROFILE_DURATION_NANOS: p->duration_nanos = (int64_t)f.v; break;
		case PB_PROFILE_PERIOD: p->period = (int64_t)f.v; break;
		case PB_PROFILE_DEFAULT_SAMPLE_TYPE: d->default_type = (int64_t)f.v; break;
		default: break;
		}
	}
	if (decode_check_str(d, d->drop_idx, "drop_frames") < 0 ||
	    decode_check_str(d, d->keep_idx, "keep_frames") < 0 ||
	    decode_check_str(d, d->default_type, "default_sample_type") < 0)
		return -1;
	if (d->have_period_type) {
		if (decode_check_str(d, d->period_type, "period type") < 0 ||
		    decode_check_str(d, d->period_unit, "period unit") < 0)
			return -1;
		p->period_type = decode_out_str(d, (uint64_t)d->period_type);
		p->period_unit = decode_out_str(d, (uint64_t)d->period_unit);
	}
	if (d->drop_idx) {
		/* As pprof's Profile.RemoveUninteresting, whose error go tool pprof
		 * ignores (driver/fetch.go): a drop_frames or keep_frames that Go's
		 * regexp refuses means no frames are dropped. One that Go takes
		 * but flamedex cannot (over the regex limits) is refused: dropping
		 * nothing there would be a wrong profile, not pprof's. */
		char err[256];
		int rc = compile_frames_re(d, d->drop_idx, &d->drop_re, err, sizeof(err));
		const char *which = "drop_frames";
		if (rc == 0 && d->keep_idx) {
			rc = compile_frames_re(d, d->keep_idx, &d->keep_re, err, sizeof(err));
			which = "keep_frames";
		}
		if (rc == RX_ERR_LIMIT)
			DECODE_FAIL(d, 400, "bad_regex", "%s: %s", which, err);
		if (rc == RX_ERR_NOMEM)
			DECODE_OOM(d);
		if (rc == RX_ERR_SYNTAX) {
			rx_release(&d->drop_re);
			rx_release(&d->keep_re);
			d->drop_idx = 0;
		}
	}
	if (!d->drop_idx)
		d->keep_idx = 0; /* keep_frames only qualifies drop_frames */
	if (d->funcs.oom || d->maps.oom || d->types.oom)
		DECODE_OOM(d);
	return 0;
}

/* ---- walk 3: locations -------------------------------------------------------- */

/* pprof's simplifyFunc: drop a leading '.', cut at the first '(' that is
 * not part of "(anonymous namespace)" or "operator()". */
static size_t simplify_func(const char *s, size_t n, const char **out)
{
	if (n && s[0] == '.') {
		s++;
		n--;
	}
	*out = s;
	static const char an[] = "(anonymous namespace)", op[] = "operator()";
	for (size_t i = 0; i < n; i++) {
		if (n - i >= sizeof(an) - 1 && memcmp(s + i, an, sizeof(an) - 1) == 0) {
			i += sizeof(an) - 2;
			continue;
		}
		if (n - i >= sizeof(op) - 1 && memcmp(s + i, op, sizeof(op) - 1) == 0) {
			i += sizeof(op) - 2;
			continue;
		}
		if (s[i] == '(')
			return i;
	}
	return n;
}

/* Printed name of a frame at function granularity (pprof NodeInfo): the
 * function's name, else "[base name of the mapping file]", else
 * "<unknown>". */
static uint32_t frame_key(struct decode_state *d, uint32_t func_name, uint32_t map_file)
{
	if (func_name != PROF_NONE && d->lens.len && decode_out_len(d, func_name) > 0)
		return func_name;
	if (map_file != PROF_NONE && decode_out_len(d, map_file) > 0) {
		const char *s = decode_out_bytes(d, map_file);
		size_t n = decode_out_len(d, map_file);
		while (n > 1 && s[n - 1] == '/')
			n--;
		size_t b = n;
		while (b > 0 && s[b - 1] != '/')
			b--;
		char tmp[4096];
		size_t bl = n - b;
		if (bl > sizeof(tmp) - 3)
			bl = sizeof(tmp) - 3;
		tmp[0] = '[';
		memcpy(tmp + 1, s + b, bl);
		if (bl == 0 && n == 1 && s[0] == '/') {
			tmp[1] = '/';
			bl = 1;
		}
		tmp[bl + 1] = ']';
		return decode_out_lit(d, tmp, bl + 2);
	}
	return decode_out_lit(d, "<unknown>", 9);
}

/* Frame id of (function index or PROF_NONE, line, mapping file), added
 * when new; PROF_NONE when out of memory. */
static uint32_t intern_frame(struct decode_state *d, uint32_t func, int64_t line, uint32_t map_file)
{
	const struct prof_func *funcs = (const struct prof_func *)d->funcs.data;
	uint64_t h = hash_mix64(((uint64_t)func << 32 | map_file) ^ hash_mix64((uint64_t)line));
	for (;; h++) {
		if (h == UINT64_MAX)
			h = 0;
		int ins;
		uint32_t *slot = u64map_put(&d->frame_ids, h, &ins);
		if (!slot)
			return PROF_NONE;
		if (!ins) {
			struct prof_frame *fr = (struct prof_frame *)d->frames.data + *slot;
			if (fr->func == func && fr->line == line && fr->map_file == map_file)
				return *slot;
			continue; /* hash collision: probe the next key */
		}
		struct prof_frame fr = {
			.func = func,
			.map_file = map_file,
			.line = line,
			.key = frame_key(d, func == PROF_NONE ? PROF_NONE : funcs[func].name, map_file),
		};
		*slot = (uint32_t)(d->frames.len / sizeof(fr));
		buf_add(&d->frames, &fr, sizeof(fr));
		return *slot;
	}
}

/* drop_frames: the index of the outermost line whose simplified function
 * name matches drop (and not keep), as Profile.Prune does; -1 if none.
 * fidx holds the lines' function indices, innermost first. */
static long drop_line(const struct decode_state *d, const uint32_t *fidx, size_t nline)
{
	const struct prof_func *funcs = (const struct prof_func *)d->funcs.data;
	for (size_t i = nline; i-- > 0;) {
		uint8_t *memo = &d->drop_memo[fidx[i]]; /* each function's name is matched once */
		if (*memo == 0) {
			uint32_t name = funcs[fidx[i]].name;
			uint32_t nl = decode_out_len(d, name);
			bool drop = false;
			if (nl > 0) {
				const char *sn;
				size_t sl = simplify_func(decode_out_bytes(d, name), nl, &sn);
				drop = rx_match(&d->drop_re, sn, sl) && (!d->keep_idx || !rx_match(&d->keep_re, sn, sl));
			}
			*memo = drop ? 1 : 2;
		}
		if (*memo == 1)
			return (long)i;
	}
	return -1;
}

/* A location: its id, mapping and lines (resolved to frames, outermost
 * first, those dropped by drop_frames left out). */
static int read_location(struct decode_state *d, const struct wire_field *f)
{
	Perftools__Profiles__Location *m = perftools__profiles__location__unpack(NULL, f->len, f->data);
	if (!m)
		DECODE_FAIL(d, 415, "unsupported_format", "not a pprof profile (undecodable location)");
	int rc = -1;
	struct decode_loc rl = { .map = PROF_NONE, .addr = m->address };
	if (m->id == 0) {
		decode_err_set(d->err, 400, "bad_profile", "location with reserved id 0");
		goto out;
	}
	if (d->n_locs >= FDX_MAX_LOCATIONS) {
		decode_err_set(d->err, 413, "too_many_locations", "more than %u locations", FDX_MAX_LOCATIONS);
		goto out;
	}
	if (m->n_line > FDX_MAX_LINES_PER_LOCATION) {
		decode_err_set(d->err, 413, "too_deep", "location %llu has %zu inline frames (limit %u)",
		               (unsigned long long)m->id, m->n_line, FDX_MAX_LINES_PER_LOCATION);
		goto out;
	}
	uint32_t map_file = PROF_NONE;
	if (m->mapping_id) {
		uint32_t *mi = u64map_get(&d->map_ids, m->mapping_id);
		if (!mi) {
			decode_err_set(d->err, 400, "bad_profile", "location %llu refers to unknown mapping id %llu",
			               (unsigned long long)m->id, (unsigned long long)m->mapping_id);
			goto out;
		}
		rl.map = *mi;
		map_file = ((const uint32_t *)d->maps.data)[*mi];
	}
	if (add_id(d, &d->loc_ids, m->id, d->n_locs, "location") < 0)
		goto out;
	/* Resolve lines; pprof lists them innermost first. */
	uint32_t fidx[FDX_MAX_LINES_PER_LOCATION];
	for (size_t i = 0; i < m->n_line; i++) {
		uint32_t *fi = m->line[i]->function_id ? u64map_get(&d->fn_ids, m->line[i]->function_id) : NULL;
		if (!fi) {
			decode_err_set(d->err, 400, "bad_profile", "location %llu refers to unknown function id %llu",
			               (unsigned long long)m->id, (unsigned long long)m->line[i]->function_id);
			goto out;
		}
		fidx[i] = *fi;
	}
	size_t nline = m->n_line;
	size_t first_kept = 0; /* lines [0, first_kept) are dropped (drop_frames) */
	if (d->drop_idx) {
		if (!d->drop_memo) {
			d->drop_memo = calloc(d->funcs.len / sizeof(struct prof_func) + 1, 1);
			if (!d->drop_memo) {
				decode_err_set(d->err, 500, "internal", "out of memory");
				goto out;
			}
		}
		long i = drop_line(d, fidx, nline);
		if (rx_failed(&d->drop_re) || rx_failed(&d->keep_re)) {
			decode_err_set(d->err, 500, "internal", "out of memory while matching drop_frames");
			goto out;
		}
		if (i >= 0) {
			rl.beneath = true;
			if ((size_t)i == nline - 1)
				rl.prune = true;
			else
				first_kept = (size_t)i + 1;
		}
	}
	rl.frame_off = (uint32_t)(d->loc_frames.len / 4);
	if (nline == 0) {
		uint32_t fr = intern_frame(d, PROF_NONE, 0, map_file);
		if (fr == PROF_NONE) {
			decode_err_set(d->err, 500, "internal", "out of memory");
			goto out;
		}
		buf_add(&d->loc_frames, &fr, 4);
		rl.nframes = 1;
	} else {
		for (size_t i = nline; i-- > first_kept;) {
			uint32_t fr = intern_frame(d, fidx[i], m->line[i]->line, map_file);
			if (fr == PROF_NONE) {
				decode_err_set(d->err, 500, "internal", "out of memory");
				goto out;
			}
			buf_add(&d->loc_frames, &fr, 4);
		}
		rl.nframes = (uint32_t)(nline - first_kept);
	}
	d->locs[d->n_locs++] = rl;
	rc = 0;
out:
	perftools__profiles__location__free_unpacked(m, NULL);
	return rc;
}

/* Writers number locations 1..n: then a plain array replaces the hash
 * lookup done for every frame of every sample. */
static int index_dense_ids(struct decode_state *d)
{
	const struct u64map *ids = &d->loc_ids;
	uint64_t max_id = 0;
	for (size_t i = 0; i < ids->cap; i++) {
		uint64_t k = (uint64_t)ids->slots[i].khi << 32 | ids->slots[i].klo;
		if (k != UINT64_MAX && k > max_id)
			max_id = k;
	}
	if (ids->has_max || max_id > 2 * (uint64_t)d->n_locs + 64)
		return 0;
	d->loc_dense_n = max_id + 1;
	d->loc_dense = malloc(d->loc_dense_n * sizeof(uint32_t));
	if (!d->loc_dense)
		DECODE_OOM(d);
	memset(d->loc_dense, 0xff, d->loc_dense_n * sizeof(uint32_t));
	for (size_t i = 0; i < ids->cap; i++) {
		uint64_t k = (uint64_t)ids->slots[i].khi << 32 | ids->slots[i].klo;
		if (k != UINT64_MAX)
			d->loc_dense[k] = ids->slots[i].val;
	}
	return 0;
}

/* Walk 3 reads location (they refer to the functions and mappings of
 * walk 2), then indexes location ids densely when they allow it. */
int decode_pass_locations(struct decode_state *d)
{
	struct wire_reader r = wire_reader_of(d->data, d->n);
	struct wire_field f;
	while (wire_next_field(&r, &f) > 0) {
		if (f.num == PB_PROFILE_LOCATION && read_location(d, &f) < 0)
			return -1;
	}
	return index_dense_ids(d);
}
