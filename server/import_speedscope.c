/*
 * import_speedscope.c: speedscope JSON to a profile (see import_speedscope.h).
 *
 * The file is read with jsonrd.h in two steps. The top-level object's
 * members come in any order, so the first step notes where "shared" and
 * "profiles" start (checking their syntax as it skips them) and reads
 * "$schema" and "activeProfileIndex"; then the frames are read, and then
 * the chosen profiles. A profile's members are noted the same way, so
 * its unit is known before its samples or events are replayed; a sampled
 * profile's samples and weights are walked side by side by two readers.
 * Nothing but the frames (two string ids and a line each) is held besides
 * the profile.proto being written.
 */
#include "import_speedscope.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "jsonrd.h"
#include "limits.h"
#include "wire.h"
#include "work.h"

bool import_speedscope_sniff(const uint8_t *d, size_t n)
{
	size_t i = 0;
	while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r'))
		i++;
	if (i >= n || d[i] != '{')
		return false;
	static const char schema[] = IMPORT_SPEEDSCOPE_SCHEMA;
	return memmem(d + i, n - i, schema, sizeof(schema) - 1) != NULL;
}

/* ---- strings: an arena the string map points into ------------------------ */

#define ARENA_BLOCK (256u * 1024)

struct blk {
	struct blk *next;
	size_t used, cap;
	char data[];
};

struct frame {
	uint32_t name, file;   /* string table ids (file 0: none) */
	int64_t line;
	uint32_t loc;          /* location id once written, 0 before */
};

struct ss {
	const char *base, *end;
	const struct import_speedscope_opts *o;
	struct decode_err *err;
	struct strmap strs;
	struct blk *blocks;
	struct work_held held;
	struct buf names;      /* per string id: struct sref */
	uint32_t n_strs;
	struct u64map funcs;   /* name << 32 | file -> function id */
	uint32_t n_funcs;
	struct buf strtab, body, tmp, ids, msg, val, lab;
	struct frame *frames;
	uint32_t n_frames;
	uint32_t *stack;       /* FDX_MAX_STACK_DEPTH frame indices, root first */
	char *scratch;         /* FDX_MAX_SPEEDSCOPE_NAME + 1 */
	uint64_t events, samples;
	/* the sample type, set by the first profile read */
	char unit[16];
	double scale;
	bool time_unit;
	/* IMPORT_SPEEDSCOPE_ALL: the "profile" label of each sample */
	bool all;
	uint32_t label_key, label_value;
	int64_t duration;
};

struct sref {
	const char *s;
	uint32_t len;
};

/* 400 bad_profile "speedscope: ..."; returns -1. */
__attribute__((format(printf, 2, 3))) static int fail(struct ss *s, const char *fmt, ...)
{
	char msg[sizeof(s->err->message)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	decode_err_set(s->err, 400, "bad_profile", "speedscope: %s", msg);
	return -1;
}

static int oom(struct ss *s)
{
	if (!s->err->code)
		decode_err_set(s->err, 500, "internal", "out of memory reading a speedscope file");
	return -1;
}

/* A syntax error where the reader stopped. */
static int syntax(struct ss *s, const struct jsonrd *r, const char *where)
{
	return fail(s, "%s: JSON syntax error at byte %zu", where, (size_t)(r->p - s->base));
}

/* Polled once per item a file can have many of: 0, or -1 to unwind (the
 * stop's reply is ingest_decode's). */
static int poll_work(struct ss *s, uint64_t i)
{
	if ((i & 1023) == 0 && work_poll() != WORK_OK)
		return oom(s);
	return 0;
}

static char *arena_copy(struct ss *s, const char *p, size_t n)
{
	struct blk *b = s->blocks;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK;
		if (work_hold(&s->held, sizeof(*b) + cap) < 0)
			return NULL;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->used = 0;
		b->cap = cap;
		if (n > ARENA_BLOCK / 4 && s->blocks) {
			/* a big one goes behind the current block, which stays open */
			b->next = s->blocks->next;
			s->blocks->next = b;
		} else {
			b->next = s->blocks;
			s->blocks = b;
		}
	}
	char *out = b->data + b->used;
	memcpy(out, p, n);
	b->used += n;
	return out;
}

/* The string table id of p[0, n), added when new; UINT32_MAX out of memory. */
static uint32_t intern(struct ss *s, const char *p, size_t n)
{
	int ins = 0;
	uint32_t id = strmap_intern(&s->strs, p, (uint32_t)n, s->n_strs, &ins);
	if (id == UINT32_MAX || !ins)
		return id;
	/* the map points at p: point it at a copy that lives as long */
	const char *c = n ? arena_copy(s, p, n) : "";
	if (!c)
		return UINT32_MAX;
	strmap_repoint(&s->strs, p, (uint32_t)n, c);
	s->n_strs++;
	struct sref ref = { c, (uint32_t)n };
	buf_add(&s->names, &ref, sizeof(ref));
	wire_put_bytes_field(&s->strtab, PB_PROFILE_STRING_TABLE, c, n);
	return s->names.oom || s->strtab.oom ? UINT32_MAX : id;
}

/* A string's first bytes for a message, cut at a UTF-8 boundary. */
static int show_len(const struct ss *s, uint32_t id, const char **p)
{
	const struct sref *r = (const struct sref *)s->names.data + id;
	size_t n = r->len > 48 ? 48 : r->len;
	while (n < r->len && n > 0 && ((unsigned char)r->s[n] & 0xC0) == 0x80)
		n--;
	*p = r->s;
	return (int)n;
}

/* ---- numbers ------------------------------------------------------------- */

/* An integer in [0, max): 0, or -1 (not a number, not an integer, out of range). */
static int index_of(struct jsonrd *r, double max, uint32_t *out)
{
	double d;
	if (jsonrd_number(r, &d) < 0 || d < 0 || d >= max || d != floor(d))
		return -1;
	*out = (uint32_t)d;
	return 0;
}

/* v * scale rounded half away from zero into *out: 0, or -1 beyond 2^62. */
static int scaled(double v, double scale, int64_t *out)
{
	double x = v * scale;
	if (!(fabs(x) < 4611686018427387904.0))
		return -1;
	*out = (int64_t)llround(x);
	return 0;
}

/* ---- writing the profile ------------------------------------------------- */

/* The location of frame f, written with its function when first used. */
static uint32_t loc_of(struct ss *s, uint32_t f)
{
	struct frame *fr = &s->frames[f];
	if (fr->loc)
		return fr->loc;
	int ins = 0;
	uint32_t *fid = u64map_put(&s->funcs, (uint64_t)fr->name << 32 | fr->file, &ins);
	if (!fid)
		return 0;
	if (ins) {
		*fid = ++s->n_funcs;
		s->tmp.len = 0;
		wire_put_varint_field(&s->tmp, PB_FUNCTION_ID, *fid);
		wire_put_varint_field(&s->tmp, PB_FUNCTION_NAME, fr->name);
		wire_put_varint_field(&s->tmp, PB_FUNCTION_SYSTEM_NAME, fr->name);
		if (fr->file)
			wire_put_varint_field(&s->tmp, PB_FUNCTION_FILENAME, fr->file);
		wire_put_bytes_field(&s->body, PB_PROFILE_FUNCTION, s->tmp.data, s->tmp.len);
	}
	struct buf line = BUF_INIT;
	wire_put_varint_field(&line, PB_LINE_FUNCTION_ID, *fid);
	if (fr->line)
		wire_put_varint_field(&line, PB_LINE_LINE, (uint64_t)fr->line);
	s->tmp.len = 0;
	wire_put_varint_field(&s->tmp, PB_LOCATION_ID, f + 1);
	wire_put_bytes_field(&s->tmp, PB_LOCATION_LINE, line.data, line.len);
	bool bad = line.oom;
	buf_release(&line);
	wire_put_bytes_field(&s->body, PB_PROFILE_LOCATION, s->tmp.data, s->tmp.len);
	if (bad || s->tmp.oom || s->body.oom)
		return 0;
	fr->loc = f + 1;
	return fr->loc;
}

/* One sample: the stack s->stack[0, depth) (root first), value v. */
static int emit(struct ss *s, uint32_t depth, int64_t v)
{
	if (++s->samples > FDX_MAX_SAMPLES) {
		decode_err_set(s->err, 413, "too_many_samples", "speedscope: more than %u samples", FDX_MAX_SAMPLES);
		return -1;
	}
	s->ids.len = 0;
	for (uint32_t i = depth; i-- > 0;) {
		uint32_t l = loc_of(s, s->stack[i]);
		if (!l)
			return oom(s);
		wire_put_uvarint(&s->ids, l);
	}
	struct buf *m = &s->msg, *val = &s->val, *lab = &s->lab;
	m->len = val->len = lab->len = 0;
	wire_put_bytes_field(m, PB_SAMPLE_LOCATION_ID, s->ids.data, s->ids.len);
	wire_put_uvarint(val, (uint64_t)v);
	wire_put_bytes_field(m, PB_SAMPLE_VALUE, val->data, val->len);
	if (s->all) {
		wire_put_varint_field(lab, PB_LABEL_KEY, s->label_key);
		wire_put_varint_field(lab, PB_LABEL_STR, s->label_value);
		wire_put_bytes_field(m, PB_SAMPLE_LABEL, lab->data, lab->len);
	}
	wire_put_bytes_field(&s->body, PB_PROFILE_SAMPLE, m->data, m->len);
	return m->oom || val->oom || lab->oom || s->ids.oom || s->body.oom ? oom(s) : 0;
}

/* ---- the frames ----------------------------------------------------------- */

/* A string member into s->scratch: 0, -1 (with err set). */
static int str_member(struct ss *s, struct jsonrd *r, const char *where, size_t *len)
{
	int rc = jsonrd_string(r, s->scratch, FDX_MAX_SPEEDSCOPE_NAME + 1, len);
	if (rc == -2)
		return fail(s, "%s is longer than %u bytes", where, FDX_MAX_SPEEDSCOPE_NAME);
	if (rc < 0)
		return syntax(s, r, where);
	return 0;
}

static int read_frame(struct ss *s, struct jsonrd *r, uint32_t i)
{
	char where[64];
	snprintf(where, sizeof(where), "shared.frames[%u]", i);
	struct frame *fr = &s->frames[i];
	memset(fr, 0, sizeof(*fr));
	bool have_name = false;
	unsigned seen = 0;
	if (!jsonrd_eat(r, '{'))
		return fail(s, "%s is not an object", where);
	if (!jsonrd_eat(r, '}')) {
		do {
			char key[16];
			size_t kl;
			int krc = jsonrd_string(r, key, sizeof(key), &kl);
			if (krc == -1 || !jsonrd_eat(r, ':'))
				return syntax(s, r, where);
			int which = krc == -2 ? -1 : !strcmp(key, "name") ? 0 : !strcmp(key, "file") ? 1
			                           : !strcmp(key, "line") ? 2 : !strcmp(key, "col") ? 3 : -1;
			if (which >= 0) {
				if (seen & (1u << which))
					return fail(s, "%s has \"%s\" twice", where, key);
				seen |= 1u << which;
			}
			if (which == 0 || which == 1) {
				if (which == 1 && jsonrd_word(r, "null"))
					continue;
				size_t len;
				if (!jsonrd_peek(r, '"'))
					return fail(s, "%s.%s is not a string", where, key);
				if (str_member(s, r, where, &len) < 0)
					return -1;
				if (which == 0 && len == 0)
					return fail(s, "%s has an empty name", where);
				if (which == 1 && len == 0)
					continue;
				uint32_t id = intern(s, s->scratch, len);
				if (id == UINT32_MAX)
					return oom(s);
				if (which == 0) {
					fr->name = id;
					have_name = true;
				} else {
					fr->file = id;
				}
			} else if (which == 2 || which == 3) {
				if (jsonrd_word(r, "null"))
					continue;
				uint32_t v;
				if (index_of(r, 2147483648.0, &v) < 0)
					return fail(s, "%s.%s is not an integer from 0 to 2^31-1", where, key);
				if (which == 2)
					fr->line = v;
			} else {
				int rc = jsonrd_skip(r, FDX_MAX_JSON_DEPTH);
				if (rc < 0)
					return rc == -2 ? fail(s, "%s nests deeper than %d", where, FDX_MAX_JSON_DEPTH)
					                : syntax(s, r, where);
			}
		} while (jsonrd_eat(r, ','));
		if (!jsonrd_eat(r, '}'))
			return syntax(s, r, where);
	}
	if (!have_name)
		return fail(s, "%s has no name", where);
	return 0;
}

/* The frames array at r. */
static int read_frames(struct ss *s, struct jsonrd *r)
{
	uint32_t max = s->o->max_frames ? s->o->max_frames : FDX_MAX_SPEEDSCOPE_FRAMES;
	if (!jsonrd_eat(r, '['))
		return fail(s, "shared.frames is not an array");
	if (jsonrd_eat(r, ']'))
		return 0;
	size_t cap = 0;
	do {
		if (poll_work(s, s->n_frames) < 0)
			return -1;
		if (s->n_frames >= max)
			return fail(s, "shared.frames has more than %u frames", max);
		if (s->n_frames == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			if (ncap > max)
				ncap = max;
			if (work_hold(&s->held, (ncap - cap) * sizeof(struct frame)) < 0)
				return oom(s);
			struct frame *nf = realloc(s->frames, ncap * sizeof(struct frame));
			if (!nf)
				return oom(s);
			s->frames = nf;
			cap = ncap;
		}
		if (read_frame(s, r, s->n_frames) < 0)
			return -1;
		s->n_frames++;
	} while (jsonrd_eat(r, ','));
	if (!jsonrd_eat(r, ']'))
		return syntax(s, r, "shared.frames");
	return 0;
}

/* ---- one profile ------------------------------------------------------------ */

struct unit_info {
	const char *name;
	double scale;
	const char *type, *unit;
	bool time;
};

static const struct unit_info UNITS[] = {
	{ "nanoseconds", 1, "cpu", "nanoseconds", true },
	{ "microseconds", 1e3, "cpu", "nanoseconds", true },
	{ "milliseconds", 1e6, "cpu", "nanoseconds", true },
	{ "seconds", 1e9, "cpu", "nanoseconds", true },
	{ "bytes", 1, "space", "bytes", false },
	{ "none", 1, "samples", "count", false },
};

struct pmembers {
	char type[16], unit[16];
	bool have_type, have_unit, have_start, have_end;
	double start, end;
	const char *events, *samples, *weights;
	size_t name_len;
	bool have_name;
};

static int read_members(struct ss *s, struct jsonrd *r, const char *where, struct pmembers *m)
{
	memset(m, 0, sizeof(*m));
	if (!jsonrd_eat(r, '{'))
		return fail(s, "%s is not an object", where);
	if (jsonrd_eat(r, '}'))
		return 0;
	static const char *const keys[] = { "type", "unit", "name", "startValue", "endValue", "events", "samples", "weights" };
	unsigned seen = 0;
	do {
		char key[16];
		size_t kl;
		int krc = jsonrd_string(r, key, sizeof(key), &kl);
		if (krc == -1 || !jsonrd_eat(r, ':'))
			return syntax(s, r, where);
		int which = -1;
		for (int k = 0; krc == 0 && k < (int)(sizeof(keys) / sizeof(keys[0])); k++)
			if (!strcmp(key, keys[k]))
				which = k;
		if (which >= 0) {
			if (seen & (1u << which))
				return fail(s, "%s has \"%s\" twice", where, key);
			seen |= 1u << which;
		}
		if (which == 0 || which == 1) {
			char *out = which == 0 ? m->type : m->unit;
			size_t len;
			if (!jsonrd_peek(r, '"'))
				return fail(s, "%s.%s is not a string", where, key);
			int rc = jsonrd_string(r, out, sizeof(m->type), &len);
			if (rc == -1)
				return syntax(s, r, where);
			if (rc == -2)
				snprintf(out, sizeof(m->type), "%s", "(long)");
			if (which == 0)
				m->have_type = true;
			else
				m->have_unit = true;
		} else if (which == 2) {
			if (jsonrd_word(r, "null"))
				continue;
			if (!jsonrd_peek(r, '"'))
				return fail(s, "%s.name is not a string", where);
			if (str_member(s, r, where, &m->name_len) < 0)
				return -1;
			m->have_name = true;
		} else if (which == 3 || which == 4) {
			double *v = which == 3 ? &m->start : &m->end;
			if (jsonrd_number(r, v) < 0)
				return fail(s, "%s.%s is not a number", where, key);
			if (which == 3)
				m->have_start = true;
			else
				m->have_end = true;
		} else {
			if (which >= 5) {
				const char **pos = which == 5 ? &m->events : which == 6 ? &m->samples : &m->weights;
				(void)jsonrd_peek(r, '[');
				*pos = r->p;
				if (!jsonrd_peek(r, '['))
					return fail(s, "%s.%s is not an array", where, key);
			}
			int rc = jsonrd_skip(r, FDX_MAX_JSON_DEPTH);
			if (rc < 0)
				return rc == -2 ? fail(s, "%s nests deeper than %d", where, FDX_MAX_JSON_DEPTH)
				                : syntax(s, r, where);
		}
	} while (jsonrd_eat(r, ','));
	if (!jsonrd_eat(r, '}'))
		return syntax(s, r, where);
	return 0;
}

/* The unit of a profile: sets the sample type with the first profile,
 * checks it against the first with the others. */
static const struct unit_info *take_unit(struct ss *s, const char *where, const struct pmembers *m)
{
	const char *u = m->have_unit ? m->unit : "none";
	const struct unit_info *ui = NULL;
	for (size_t i = 0; i < sizeof(UNITS) / sizeof(UNITS[0]); i++)
		if (!strcmp(u, UNITS[i].name))
			ui = &UNITS[i];
	if (!ui) {
		fail(s, "%s.unit \"%s\" is not one of nanoseconds, microseconds, milliseconds, seconds, bytes, none", where,
		     u);
		return NULL;
	}
	if (s->unit[0]) {
		if (strcmp(s->unit, ui->name) != 0) {
			fail(s, "%s is in %s, an earlier profile in %s: upload one at a time with ?profile=N", where,
			     ui->name, s->unit);
			return NULL;
		}
	} else {
		snprintf(s->unit, sizeof(s->unit), "%s", ui->name);
		uint32_t t = intern(s, ui->type, strlen(ui->type)), un = intern(s, ui->unit, strlen(ui->unit));
		if (t == UINT32_MAX || un == UINT32_MAX) {
			oom(s);
			return NULL;
		}
		s->tmp.len = 0;
		wire_put_varint_field(&s->tmp, PB_VALUE_TYPE_TYPE, t);
		wire_put_varint_field(&s->tmp, PB_VALUE_TYPE_UNIT, un);
		wire_put_bytes_field(&s->body, PB_PROFILE_SAMPLE_TYPE, s->tmp.data, s->tmp.len);
		s->scale = ui->scale;
		s->time_unit = ui->time;
	}
	return ui;
}

/* A stack: an array of frame indices into s->stack; *depth its length. */
static int read_stack(struct ss *s, struct jsonrd *r, const char *where, uint64_t i, uint32_t *depth)
{
	*depth = 0;
	if (!jsonrd_eat(r, '['))
		return fail(s, "%s.samples[%llu] is not an array", where, (unsigned long long)i);
	if (jsonrd_eat(r, ']'))
		return 0;
	do {
		if (*depth >= FDX_MAX_STACK_DEPTH)
			return fail(s, "%s.samples[%llu] is deeper than %u frames", where, (unsigned long long)i,
			            FDX_MAX_STACK_DEPTH);
		uint32_t f;
		if (index_of(r, (double)s->n_frames, &f) < 0)
			return fail(s, "%s.samples[%llu][%u] is not a frame index (0 to %u)", where, (unsigned long long)i,
			            *depth, s->n_frames ? s->n_frames - 1 : 0);
		s->stack[(*depth)++] = f;
	} while (jsonrd_eat(r, ','));
	if (!jsonrd_eat(r, ']'))
		return syntax(s, r, where);
	return 0;
}

/* Elements left in the array at r (after one was read and a ',' eaten or not). */
static uint64_t count_rest(struct jsonrd *r, bool more)
{
	uint64_t n = 0;
	while (more && jsonrd_skip(r, FDX_MAX_JSON_DEPTH) == 0) {
		n++;
		more = jsonrd_eat(r, ',');
	}
	return n;
}


static int replay_sampled(struct ss *s, const char *where, const struct pmembers *m)
{
	struct jsonrd a, w;
	jsonrd_init(&a, m->samples, (size_t)(s->end - m->samples));
	jsonrd_init(&w, m->weights, (size_t)(s->end - m->weights));
	if (!jsonrd_eat(&a, '[') || !jsonrd_eat(&w, '['))
		return syntax(s, &a, where);
	bool more_a = !jsonrd_eat(&a, ']'), more_w = !jsonrd_eat(&w, ']');
	uint64_t i = 0;
	while (more_a && more_w) {
		if (poll_work(s, i) < 0)
			return -1;
		uint32_t depth;
		if (read_stack(s, &a, where, i, &depth) < 0)
			return -1;
		double wt;
		int64_t v;
		if (jsonrd_number(&w, &wt) < 0)
			return fail(s, "%s.weights[%llu] is not a number", where, (unsigned long long)i);
		if (wt < 0 || scaled(wt, s->scale, &v) < 0)
			return fail(s, "%s.weights[%llu] is negative or too large", where, (unsigned long long)i);
		if (emit(s, depth, v) < 0)
			return -1;
		i++;
		more_a = jsonrd_eat(&a, ',');
		more_w = jsonrd_eat(&w, ',');
	}
	if (more_a || more_w) {
		uint64_t na = i + count_rest(&a, more_a), nw = i + count_rest(&w, more_w);
		return fail(s, "%s has %llu samples but %llu weights", where, (unsigned long long)na,
		            (unsigned long long)nw);
	}
	if (!jsonrd_eat(&a, ']') || !jsonrd_eat(&w, ']'))
		return syntax(s, &a, where);
	return 0;
}

struct event {
	char type;
	uint32_t frame;
	double at;
};

static int read_event(struct ss *s, struct jsonrd *r, const char *where, uint64_t i, struct event *ev)
{
	unsigned seen = 0;
	if (!jsonrd_eat(r, '{'))
		return fail(s, "%s.events[%llu] is not an object", where, (unsigned long long)i);
	if (!jsonrd_eat(r, '}')) {
		do {
			char key[16];
			size_t kl;
			int krc = jsonrd_string(r, key, sizeof(key), &kl);
			if (krc == -1 || !jsonrd_eat(r, ':'))
				return syntax(s, r, where);
			int which = krc == -2 ? -1 : !strcmp(key, "type") ? 0 : !strcmp(key, "frame") ? 1
			                           : !strcmp(key, "at") ? 2 : -1;
			if (which >= 0) {
				if (seen & (1u << which))
					return fail(s, "%s.events[%llu] has \"%s\" twice", where, (unsigned long long)i, key);
				seen |= 1u << which;
			}
			if (which == 0) {
				char t[4];
				size_t tl;
				if (jsonrd_string(r, t, sizeof(t), &tl) != 0 || tl != 1 || (t[0] != 'O' && t[0] != 'C'))
					return fail(s, "%s.events[%llu].type is not \"O\" or \"C\"", where, (unsigned long long)i);
				ev->type = t[0];
			} else if (which == 1) {
				if (index_of(r, (double)s->n_frames, &ev->frame) < 0)
					return fail(s, "%s.events[%llu].frame is not a frame index (0 to %u)", where,
					            (unsigned long long)i, s->n_frames ? s->n_frames - 1 : 0);
			} else if (which == 2) {
				if (jsonrd_number(r, &ev->at) < 0)
					return fail(s, "%s.events[%llu].at is not a number", where, (unsigned long long)i);
			} else {
				int rc = jsonrd_skip(r, FDX_MAX_JSON_DEPTH);
				if (rc < 0)
					return rc == -2 ? fail(s, "%s nests deeper than %d", where, FDX_MAX_JSON_DEPTH)
					                : syntax(s, r, where);
			}
		} while (jsonrd_eat(r, ','));
		if (!jsonrd_eat(r, '}'))
			return syntax(s, r, where);
	}
	if (seen != 7)
		return fail(s, "%s.events[%llu] lacks \"%s\"", where, (unsigned long long)i,
		            !(seen & 1) ? "type" : !(seen & 2) ? "frame" : "at");
	return 0;
}

static int replay_evented(struct ss *s, const char *where, const struct pmembers *m)
{
	uint32_t max = s->o->max_events ? s->o->max_events : FDX_MAX_SPEEDSCOPE_EVENTS;
	struct jsonrd r;
	jsonrd_init(&r, m->events, (size_t)(s->end - m->events));
	if (!jsonrd_eat(&r, '['))
		return syntax(s, &r, where);
	if (jsonrd_eat(&r, ']'))
		return 0;
	double start = m->have_start ? m->start : 0, prev_at = 0;
	int64_t prev_t = 0;
	uint32_t depth = 0;
	uint64_t i = 0;
	do {
		if (poll_work(s, i) < 0)
			return -1;
		if (++s->events > max)
			return fail(s, "more than %u events", max);
		struct event ev;
		if (read_event(s, &r, where, i, &ev) < 0)
			return -1;
		if (i > 0 && ev.at < prev_at)
			return fail(s, "%s.events[%llu] is at %.17g, before the event ahead of it (%.17g)", where,
			            (unsigned long long)i, ev.at, prev_at);
		int64_t t;
		if (scaled(ev.at - start, s->scale, &t) < 0)
			return fail(s, "%s.events[%llu].at is out of range", where, (unsigned long long)i);
		if (depth > 0 && t > prev_t && emit(s, depth, t - prev_t) < 0)
			return -1;
		if (ev.type == 'O') {
			if (depth >= FDX_MAX_STACK_DEPTH)
				return fail(s, "%s.events[%llu] opens a frame %u deep (at most %u)", where,
				            (unsigned long long)i, depth + 1, FDX_MAX_STACK_DEPTH);
			s->stack[depth++] = ev.frame;
		} else {
			const char *cn;
			int cl = show_len(s, s->frames[ev.frame].name, &cn);
			if (depth == 0)
				return fail(s, "%s.events[%llu] closes frame %u \"%.*s\" while no frame is open", where,
				            (unsigned long long)i, ev.frame, cl, cn);
			uint32_t top = s->stack[depth - 1];
			if (top != ev.frame) {
				const char *tn;
				int tl = show_len(s, s->frames[top].name, &tn);
				return fail(s, "%s.events[%llu] closes frame %u \"%.*s\" while frame %u \"%.*s\" is open", where,
				            (unsigned long long)i, ev.frame, cl, cn, top, tl, tn);
			}
			depth--;
		}
		prev_at = ev.at;
		prev_t = t;
		i++;
	} while (jsonrd_eat(&r, ','));
	if (!jsonrd_eat(&r, ']'))
		return syntax(s, &r, where);
	if (depth > 0) {
		const char *tn;
		int tl = show_len(s, s->frames[s->stack[depth - 1]].name, &tn);
		return fail(s, "%s: %u frame%s still open after the last event (innermost: frame %u \"%.*s\")", where,
		            depth, depth == 1 ? " is" : "s are", s->stack[depth - 1], tl, tn);
	}
	return 0;
}

/* Profile number index at r. */
static int read_profile(struct ss *s, struct jsonrd *r, uint32_t index)
{
	char where[40];
	snprintf(where, sizeof(where), "profiles[%u]", index);
	struct pmembers m;
	if (read_members(s, r, where, &m) < 0)
		return -1;
	if (s->all) {
		char dflt[32];
		const char *name = s->scratch;
		size_t nl = m.name_len;
		if (!m.have_name || nl == 0) {
			nl = (size_t)snprintf(dflt, sizeof(dflt), "profile %u", index);
			name = dflt;
		}
		s->label_value = intern(s, name, nl);
		if (s->label_value == UINT32_MAX)
			return oom(s);
	}
	if (!m.have_type)
		return fail(s, "%s has no type", where);
	bool evented = !strcmp(m.type, "evented");
	if (!evented && strcmp(m.type, "sampled") != 0)
		return fail(s, "%s.type \"%s\" is neither \"evented\" nor \"sampled\"", where, m.type);
	if (evented && !m.events)
		return fail(s, "%s is evented but has no events", where);
	if (!evented && (!m.samples || !m.weights))
		return fail(s, "%s is sampled but has no %s", where, m.samples ? "weights" : "samples");
	const struct unit_info *ui = take_unit(s, where, &m);
	if (!ui)
		return -1;
	if (ui->time && m.have_start && m.have_end && m.end >= m.start) {
		int64_t d;
		if (scaled(m.end - m.start, ui->scale, &d) == 0 && d > s->duration)
			s->duration = d;
	}
	return evented ? replay_evented(s, where, &m) : replay_sampled(s, where, &m);
}

/* ---- the file ------------------------------------------------------------------ */

static int skip_value(struct ss *s, struct jsonrd *r, const char *where)
{
	int rc = jsonrd_skip(r, FDX_MAX_JSON_DEPTH);
	if (rc == -2)
		return fail(s, "%s nests deeper than %d", where, FDX_MAX_JSON_DEPTH);
	return rc < 0 ? syntax(s, r, where) : 0;
}

static int read_file(struct ss *s)
{
	struct jsonrd r;
	jsonrd_init(&r, s->base, (size_t)(s->end - s->base));
	const char *shared = NULL, *profiles = NULL;
	bool have_schema = false, have_active = false;
	double active = 0;
	if (!jsonrd_eat(&r, '{'))
		return fail(s, "not a JSON object");
	if (!jsonrd_eat(&r, '}')) {
		do {
			char key[32];
			size_t kl;
			int krc = jsonrd_string(&r, key, sizeof(key), &kl);
			if (krc == -1 || !jsonrd_eat(&r, ':'))
				return syntax(s, &r, "the top-level object");
			if (krc == -2)
				key[0] = '\0';
			bool dup = (!strcmp(key, "$schema") && have_schema) || (!strcmp(key, "shared") && shared) ||
			           (!strcmp(key, "profiles") && profiles) || (!strcmp(key, "activeProfileIndex") && have_active);
			if (dup)
				return fail(s, "\"%s\" is given twice", key);
			if (!strcmp(key, "$schema")) {
				char v[sizeof(IMPORT_SPEEDSCOPE_SCHEMA) + 1];
				size_t vl;
				if (jsonrd_string(&r, v, sizeof(v), &vl) != 0 || strcmp(v, IMPORT_SPEEDSCOPE_SCHEMA) != 0)
					return fail(s, "$schema is not \"%s\"", IMPORT_SPEEDSCOPE_SCHEMA);
				have_schema = true;
			} else if (!strcmp(key, "activeProfileIndex")) {
				if (!jsonrd_word(&r, "null")) {
					if (jsonrd_number(&r, &active) < 0)
						return fail(s, "activeProfileIndex is not a number");
					have_active = true;
				}
			} else if (!strcmp(key, "shared") || !strcmp(key, "profiles")) {
				bool sh = key[0] == 's';
				char open = sh ? '{' : '[';
				if (!jsonrd_peek(&r, open))
					return fail(s, "%s is not %s", key, sh ? "an object" : "an array");
				*(sh ? &shared : &profiles) = r.p;
				if (skip_value(s, &r, key) < 0)
					return -1;
			} else if (skip_value(s, &r, "the top-level object") < 0) {
				return -1;
			}
		} while (jsonrd_eat(&r, ','));
		if (!jsonrd_eat(&r, '}'))
			return syntax(s, &r, "the top-level object");
	}
	if (!jsonrd_done(&r))
		return fail(s, "text after the JSON object, at byte %zu", (size_t)(r.p - s->base));
	if (!have_schema)
		return fail(s, "no \"$schema\": \"%s\"", IMPORT_SPEEDSCOPE_SCHEMA);
	if (!profiles)
		return fail(s, "no profiles");

	if (shared) {
		jsonrd_init(&r, shared, (size_t)(s->end - shared));
		(void)jsonrd_eat(&r, '{');
		if (!jsonrd_eat(&r, '}')) {
			bool frames = false;
			do {
				char key[16];
				size_t kl;
				int krc = jsonrd_string(&r, key, sizeof(key), &kl);
				(void)jsonrd_eat(&r, ':'); /* the syntax was checked by the skip */
				if (krc == 0 && !strcmp(key, "frames")) {
					if (frames)
						return fail(s, "shared has \"frames\" twice");
					frames = true;
					if (read_frames(s, &r) < 0)
						return -1;
				} else if (skip_value(s, &r, "shared") < 0) {
					return -1;
				}
			} while (jsonrd_eat(&r, ','));
		}
	}

	/* which profiles */
	uint32_t maxp = s->o->max_profiles ? s->o->max_profiles : FDX_MAX_SPEEDSCOPE_PROFILES;
	int want = s->o->profile;
	if (want == IMPORT_SPEEDSCOPE_DEFAULT) {
		if (have_active && (active < 0 || active != floor(active) || active >= maxp))
			return fail(s, "activeProfileIndex %.17g is not a profile index", active);
		want = have_active ? (int)active : 0;
	}
	s->all = want == IMPORT_SPEEDSCOPE_ALL;
	if (s->all) {
		s->label_key = intern(s, "profile", 7);
		if (s->label_key == UINT32_MAX)
			return oom(s);
	}
	jsonrd_init(&r, profiles, (size_t)(s->end - profiles));
	(void)jsonrd_eat(&r, '[');
	uint32_t n = 0;
	if (!jsonrd_eat(&r, ']')) {
		do {
			if (n >= maxp)
				return fail(s, "more than %u profiles", maxp);
			if (s->all || (int)n == want) {
				if (read_profile(s, &r, n) < 0)
					return -1;
			} else if (skip_value(s, &r, "profiles") < 0) {
				return -1;
			}
			n++;
		} while (jsonrd_eat(&r, ','));
	}
	if (n == 0)
		return fail(s, "no profiles");
	if (!s->all && (uint32_t)want >= n) {
		if (s->o->profile == IMPORT_SPEEDSCOPE_DEFAULT)
			return fail(s, "activeProfileIndex %d is not a profile index (the file has %u)", want, n);
		decode_err_set(s->err, 400, "bad_request", "profile=%d, but the speedscope file has %u profile%s (0 to %u)",
		               want, n, n == 1 ? "" : "s", n - 1);
		return -1;
	}
	return 0;
}

struct prof *import_speedscope(const uint8_t *data, size_t n, const struct import_speedscope_opts *opts,
                               struct decode_err *err)
{
	static const struct import_speedscope_opts dflt = { .profile = IMPORT_SPEEDSCOPE_DEFAULT };
	memset(err, 0, sizeof(*err));
	struct ss s = {
		.base = (const char *)data,
		.end = (const char *)data + n,
		.o = opts ? opts : &dflt,
		.err = err,
		.names = BUF_INIT,
		.strtab = BUF_INIT,
		.body = BUF_INIT,
		.tmp = BUF_INIT,
		.ids = BUF_INIT,
		.msg = BUF_INIT,
		.val = BUF_INIT,
		.lab = BUF_INIT,
	};
	struct prof *p = NULL;
	bool maps = false, fmap = false;
	if (s.o->profile < IMPORT_SPEEDSCOPE_ALL) {
		decode_err_set(err, 400, "bad_request", "profile must be a profile index or all");
		return NULL;
	}
	if (work_hold(&s.held, FDX_MAX_STACK_DEPTH * sizeof(uint32_t) + FDX_MAX_SPEEDSCOPE_NAME + 1) < 0)
		goto oom;
	s.stack = malloc(FDX_MAX_STACK_DEPTH * sizeof(uint32_t));
	s.scratch = malloc(FDX_MAX_SPEEDSCOPE_NAME + 1);
	if (!s.stack || !s.scratch)
		goto oom;
	if (strmap_init(&s.strs, 1024) < 0)
		goto oom;
	maps = true;
	if (u64map_init(&s.funcs, 1024) < 0)
		goto oom;
	fmap = true;
	if (intern(&s, "", 0) != 0)
		goto oom;
	if (read_file(&s) < 0)
		goto out;
	if (s.duration > 0)
		wire_put_varint_field(&s.body, PB_PROFILE_DURATION_NANOS, (uint64_t)s.duration);
	buf_add(&s.body, s.strtab.data, s.strtab.len);
	if (s.body.oom || s.strtab.oom)
		goto oom;
	p = decode_proto((const uint8_t *)s.body.data, s.body.len, err);
	goto out;
oom:
	oom(&s);
out:
	free(s.stack);
	free(s.scratch);
	free(s.frames);
	for (struct blk *b = s.blocks, *nb; b; b = nb) {
		nb = b->next;
		free(b);
	}
	work_unhold(&s.held);
	if (maps)
		strmap_release(&s.strs);
	if (fmap)
		u64map_release(&s.funcs);
	buf_release(&s.names);
	buf_release(&s.strtab);
	buf_release(&s.body);
	buf_release(&s.tmp);
	buf_release(&s.ids);
	buf_release(&s.msg);
	buf_release(&s.val);
	buf_release(&s.lab);
	return p;
}
