/*
 * textdump.c: Go's goroutine text formats, turned into profiles.
 *
 * Two formats are read:
 *   debug=2  (/debug/pprof/goroutine?debug=2, and the dump printed on a
 *            crash or SIGQUIT): one block per goroutine, with its id, wait
 *            reason, minutes blocked and "created by" line;
 *   debug=1  ("goroutine profile: total N"): stacks with counts and
 *            optional "# labels: {...}" lines.
 *
 * Rather than building a struct prof by hand, the parser writes an
 * ordinary profile.proto message and hands it to the one decoder, so text
 * dumps get exactly the validation, limits and model of proto uploads.
 * Each goroutine of a debug=2 dump is one sample with labels:
 *   goid (numeric), state (the wait reason), wait_minutes (numeric,
 *   unit "minutes"), created_by (function that started it).
 */
#include "textdump.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "decode.h"
#include "hash.h"
#include "limits.h"
#include "wire.h"
#include "work.h"

/* ---- a minimal profile.proto writer --------------------------------------- */

struct writer {
	struct buf out;       /* the Profile message */
	struct strmap strs;   /* string -> index */
	struct buf strbuf;    /* string_table entries, written at the end */
	uint32_t n_strs;
	struct buf copies;    /* char* of interned copies */
	struct u64map funcs;  /* (name, file) -> function id */
	uint32_t n_funcs;
	struct u64map locs;   /* (function, line) -> location id */
	uint32_t n_locs;
	struct buf msg;       /* scratch for sub-messages */
	uint64_t samples;
};

static uint32_t w_str(struct writer *w, const char *s, size_t n)
{
	int ins;
	char *copy = malloc(n + 1);
	if (!copy)
		return 0;
	memcpy(copy, s, n);
	copy[n] = '\0';
	uint32_t id = strmap_intern(&w->strs, copy, (uint32_t)n, w->n_strs, &ins);
	if (!ins || id == UINT32_MAX) {
		free(copy);
		return id == UINT32_MAX ? 0 : id;
	}
	buf_add(&w->copies, &copy, sizeof(copy));
	wire_put_bytes_field(&w->strbuf, PB_PROFILE_STRING_TABLE, s, n);
	w->n_strs++;
	return id;
}

static uint32_t w_func(struct writer *w, const char *name, size_t nl, const char *file, size_t fl)
{
	uint32_t ns = w_str(w, name, nl), fs = w_str(w, file, fl);
	int ins;
	uint32_t *slot = u64map_put(&w->funcs, (uint64_t)ns << 32 | fs, &ins);
	if (!slot)
		return 0;
	if (ins) {
		*slot = ++w->n_funcs;
		w->msg.len = 0;
		wire_put_varint_field(&w->msg, PB_FUNCTION_ID, *slot);
		wire_put_varint_field(&w->msg, PB_FUNCTION_NAME, ns);
		wire_put_varint_field(&w->msg, PB_FUNCTION_SYSTEM_NAME, ns);
		wire_put_varint_field(&w->msg, PB_FUNCTION_FILENAME, fs);
		wire_put_bytes_field(&w->out, PB_PROFILE_FUNCTION, w->msg.data, w->msg.len);
	}
	return *slot;
}

static uint32_t w_loc(struct writer *w, uint32_t func, int64_t line)
{
	int ins;
	uint32_t *slot = u64map_put(&w->locs, (uint64_t)func << 32 | (uint32_t)line, &ins);
	if (!slot)
		return 0;
	if (ins) {
		*slot = ++w->n_locs;
		struct buf ln = BUF_INIT;
		wire_put_varint_field(&ln, PB_LINE_FUNCTION_ID, func);
		wire_put_varint_field(&ln, PB_LINE_LINE, (uint64_t)line);
		w->msg.len = 0;
		wire_put_varint_field(&w->msg, PB_LOCATION_ID, *slot);
		wire_put_bytes_field(&w->msg, PB_LOCATION_LINE, ln.data, ln.len);
		buf_release(&ln);
		wire_put_bytes_field(&w->out, PB_PROFILE_LOCATION, w->msg.data, w->msg.len);
	}
	return *slot;
}

struct wlabel {
	uint32_t key, str;
	int64_t num;
	uint32_t unit;
};

static void w_sample(struct writer *w, const uint32_t *locs, size_t n, int64_t value,
                     const struct wlabel *lab, size_t nlab)
{
	struct buf s = BUF_INIT, packed = BUF_INIT;
	for (size_t i = 0; i < n; i++)
		wire_put_uvarint(&packed, locs[i]);
	if (packed.len)
		wire_put_bytes_field(&s, PB_SAMPLE_LOCATION_ID, packed.data, packed.len);
	packed.len = 0;
	wire_put_uvarint(&packed, (uint64_t)value);
	wire_put_bytes_field(&s, PB_SAMPLE_VALUE, packed.data, packed.len);
	for (size_t i = 0; i < nlab; i++) {
		struct buf l = BUF_INIT;
		wire_put_varint_field(&l, PB_LABEL_KEY, lab[i].key);
		wire_put_varint_field(&l, PB_LABEL_STR, lab[i].str);
		wire_put_varint_field(&l, PB_LABEL_NUM, (uint64_t)lab[i].num);
		wire_put_varint_field(&l, PB_LABEL_NUM_UNIT, lab[i].unit);
		wire_put_bytes_field(&s, PB_SAMPLE_LABEL, l.data, l.len);
		buf_release(&l);
	}
	wire_put_bytes_field(&w->out, PB_PROFILE_SAMPLE, s.data, s.len);
	buf_release(&s);
	buf_release(&packed);
	w->samples++;
}

static int w_init(struct writer *w)
{
	memset(w, 0, sizeof(*w));
	if (strmap_init(&w->strs, 256) < 0 || u64map_init(&w->funcs, 256) < 0 ||
	    u64map_init(&w->locs, 256) < 0)
		return -1;
	w_str(w, "", 0); /* string 0 */
	return 0;
}

static void w_release(struct writer *w)
{
	for (size_t i = 0; i < w->copies.len / sizeof(char *); i++)
		free(((char **)w->copies.data)[i]);
	buf_release(&w->copies);
	buf_release(&w->out);
	buf_release(&w->strbuf);
	buf_release(&w->msg);
	strmap_release(&w->strs);
	u64map_release(&w->funcs);
	u64map_release(&w->locs);
}

/* Sample type goroutine/count, period type the same, then the strings. */
static void w_finish(struct writer *w, struct buf *final)
{
	struct buf vt = BUF_INIT;
	wire_put_varint_field(&vt, PB_VALUE_TYPE_TYPE, w_str(w, "goroutine", 9));
	wire_put_varint_field(&vt, PB_VALUE_TYPE_UNIT, w_str(w, "count", 5));
	wire_put_bytes_field(final, PB_PROFILE_SAMPLE_TYPE, vt.data, vt.len);
	wire_put_bytes_field(final, PB_PROFILE_PERIOD_TYPE, vt.data, vt.len);
	wire_put_varint_field(final, PB_PROFILE_PERIOD, 1);
	buf_release(&vt);
	buf_add(final, w->out.data, w->out.len);
	buf_add(final, w->strbuf.data, w->strbuf.len);
}

/* ---- line reading ----------------------------------------------------------- */

struct lines {
	const char *p, *end;
};

/* Next line without its newline; false at the end. */
/* The next line; false at the end, and when the current work must stop
 * (work.h: the text ends early, and ingest_decode then fails the upload,
 * never keeping what was read). */
static bool next_line(struct lines *l, const char **s, size_t *n)
{
	if (l->p >= l->end || work_poll() != WORK_OK)
		return false;
	const char *nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	const char *e = nl ? nl : l->end;
	*s = l->p;
	*n = (size_t)(e - l->p);
	if (*n && (*s)[*n - 1] == '\r')
		(*n)--;
	l->p = nl ? nl + 1 : l->end;
	return true;
}

static bool has_prefix(const char *s, size_t n, const char *pre)
{
	size_t k = strlen(pre);
	return n >= k && memcmp(s, pre, k) == 0;
}

/* "main.(*T).m(0x1, {0x2, 0x3})" -> "main.(*T).m": drop the trailing
 * argument list, whose parentheses nest. */
static size_t strip_args(const char *s, size_t n)
{
	if (n == 0 || s[n - 1] != ')')
		return n;
	int depth = 0;
	for (size_t i = n; i-- > 0;) {
		if (s[i] == ')')
			depth++;
		else if (s[i] == '(' && --depth == 0)
			return i;
	}
	return n;
}

/* "\t/path/file.go:30 +0x45" -> file, line. */
static bool parse_file_line(const char *s, size_t n, const char **file, size_t *fl, int64_t *line)
{
	while (n && (*s == '\t' || *s == ' ')) {
		s++;
		n--;
	}
	const char *sp = memchr(s, ' ', n);
	size_t m = sp ? (size_t)(sp - s) : n;
	const char *colon = NULL;
	for (size_t i = m; i-- > 0;)
		if (s[i] == ':') {
			colon = s + i;
			break;
		}
	if (!colon)
		return false;
	*file = s;
	*fl = (size_t)(colon - s);
	*line = strtoll(colon + 1, NULL, 10);
	return true;
}

/* ---- debug=2 ---------------------------------------------------------------- */

/* Drop leading spaces and tabs from the line (*s, *n). */
static void trim_indent(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
}

/* "goroutine 18 [chan receive, 2 minutes]:", possibly with " gp=... m=..."
 * before the bracket (newer runtimes). On a match *lb and *rb point at
 * the brackets. */
static bool goroutine_header(const char *s, size_t n, const char **lb, const char **rb)
{
	if (!has_prefix(s, n, "goroutine ") || n < 12 || !isdigit((unsigned char)s[10]))
		return false;
	const char *l = memchr(s, '[', n), *r = NULL;
	for (size_t i = n; i-- > 0;)
		if (s[i] == ']') {
			r = s + i;
			break;
		}
	if (!l || !r || r < l)
		return false;
	*lb = l;
	*rb = r;
	return true;
}

bool textdump_is_header(const char *s, size_t n, enum textdump_format *fmt)
{
	const char *lb, *rb;
	trim_indent(&s, &n);
	if (has_prefix(s, n, "goroutine profile:"))
		*fmt = TEXTDUMP_DEBUG1;
	else if (goroutine_header(s, n, &lb, &rb))
		*fmt = TEXTDUMP_DEBUG2;
	else
		return false;
	return true;
}

static int parse_debug2(struct writer *w, const char *data, size_t len, struct decode_err *err)
{
	struct lines L = { data, data + len };
	const char *s;
	size_t n;
	uint32_t *locs = malloc(FDX_MAX_STACK_DEPTH * sizeof(uint32_t));
	if (!locs)
		return -1;
	uint32_t k_goid = w_str(w, "goid", 4), k_state = w_str(w, "state", 5);
	uint32_t k_min = w_str(w, "wait_minutes", 12), u_min = w_str(w, "minutes", 7);
	uint32_t k_cb = w_str(w, "created_by", 10);
	bool in_g = false, have_fn = false;
	size_t depth = 0;
	struct wlabel lab[4];
	size_t nlab = 0;
	char fn[1024];
	size_t fnl = 0;
	bool next_is_creator = false;
	for (;;) {
		bool more = next_line(&L, &s, &n);
		if (!more || n == 0) {
			if (in_g) {
				w_sample(w, locs, depth, 1, lab, nlab);
				in_g = false;
			}
			if (!more)
				break;
			continue;
		}
		if (!in_g) {
			const char *lb, *rb;
			trim_indent(&s, &n);
			if (!goroutine_header(s, n, &lb, &rb))
				continue;
			in_g = true;
			have_fn = false;
			depth = 0;
			nlab = 0;
			next_is_creator = false;
			lab[nlab++] = (struct wlabel){ k_goid, 0, strtoll(s + 10, NULL, 10), 0 };
			/* reason, then ", N minutes", ", locked to thread" */
			const char *r = lb + 1, *re = rb;
			bool have_min = false;
			const char *comma = memchr(r, ',', (size_t)(re - r));
			size_t rl = comma ? (size_t)(comma - r) : (size_t)(re - r);
			lab[nlab++] = (struct wlabel){ k_state, w_str(w, r, rl), 0, 0 };
			for (const char *c = comma; c && c < re;) {
				const char *t = c + 1;
				while (t < re && *t == ' ')
					t++;
				if (t < re && isdigit((unsigned char)*t)) {
					char *e;
					long long m = strtoll(t, &e, 10);
					/* one minutes label at most; lab has room for it
					 * and created_by */
					if (e < re && !strncmp(e, " minute", 7) && !have_min) {
						lab[nlab++] = (struct wlabel){ k_min, 0, m, u_min };
						have_min = true;
					}
				}
				c = memchr(t, ',', (size_t)(re - t));
			}
			continue;
		}
		if (s[0] == '\t') {
			const char *file;
			size_t fl;
			int64_t line;
			if (!have_fn || !parse_file_line(s, n, &file, &fl, &line))
				continue;
			have_fn = false;
			if (next_is_creator) {
				next_is_creator = false;
				continue;
			}
			if (depth >= FDX_MAX_STACK_DEPTH) {
				free(locs);
				decode_err_set(err, 413, "too_deep", "a goroutine has more than %u frames",
				               FDX_MAX_STACK_DEPTH);
				return -1;
			}
			uint32_t f = w_func(w, fn, fnl, file, fl);
			locs[depth++] = w_loc(w, f, line);
			continue;
		}
		if (has_prefix(s, n, "created by ")) {
			/* "created by main.main in goroutine 1" */
			const char *c = s + 11;
			size_t cl = n - 11;
			const char *in = NULL;
			for (size_t i = 0; i + 14 <= cl; i++)
				if (!memcmp(c + i, " in goroutine ", 14)) {
					in = c + i;
					break;
				}
			if (in)
				cl = (size_t)(in - c);
			if (nlab < 4)
				lab[nlab++] = (struct wlabel){ k_cb, w_str(w, c, cl), 0, 0 };
			have_fn = true;
			next_is_creator = true;
			continue;
		}
		if (has_prefix(s, n, "...")) /* "...additional frames elided..." */
			continue;
		fnl = strip_args(s, n);
		if (fnl >= sizeof(fn))
			fnl = sizeof(fn) - 1;
		memcpy(fn, s, fnl);
		have_fn = true;
	}
	free(locs);
	return 0;
}

/* ---- debug=1 ---------------------------------------------------------------- */

/* {"k":"v","k2":"v2"} -> labels (simple JSON object of strings). */
static size_t parse_labels(struct writer *w, const char *s, size_t n, struct wlabel *lab, size_t max)
{
	size_t nl = 0, i = 0;
	while (i < n && nl < max) {
		const char *q1 = memchr(s + i, '"', n - i);
		if (!q1)
			break;
		const char *q2 = memchr(q1 + 1, '"', (size_t)(s + n - q1 - 1));
		if (!q2)
			break;
		const char *q3 = memchr(q2 + 1, '"', (size_t)(s + n - q2 - 1));
		if (!q3)
			break;
		const char *q4 = memchr(q3 + 1, '"', (size_t)(s + n - q3 - 1));
		if (!q4)
			break;
		lab[nl++] = (struct wlabel){ w_str(w, q1 + 1, (size_t)(q2 - q1 - 1)),
		                             w_str(w, q3 + 1, (size_t)(q4 - q3 - 1)), 0, 0 };
		i = (size_t)(q4 - s) + 1;
	}
	return nl;
}

static int parse_debug1(struct writer *w, const char *data, size_t len)
{
	struct lines L = { data, data + len };
	const char *s;
	size_t n;
	uint32_t *locs = malloc(FDX_MAX_STACK_DEPTH * sizeof(uint32_t));
	if (!locs)
		return -1;
	struct wlabel lab[64];
	size_t nlab = 0, depth = 0;
	int64_t count = -1;
	for (;;) {
		bool more = next_line(&L, &s, &n);
		bool frame = more && has_prefix(s, n, "#\t");
		bool labels = more && has_prefix(s, n, "# labels:");
		if (!more || (!frame && !labels && count >= 0)) {
			if (count > 0)
				w_sample(w, locs, depth, count, lab, nlab);
			count = -1;
			depth = nlab = 0;
			if (!more)
				break;
		}
		if (labels) {
			nlab = parse_labels(w, s + 9, n - 9, lab, 64);
			continue;
		}
		if (frame && count >= 0) {
			/* "#\t0x6b0f24\tmain.leaky+0x24\t/path/main.go:22" */
			const char *f = memchr(s + 2, '\t', n - 2);
			if (!f)
				continue;
			f++;
			const char *t = memchr(f, '\t', (size_t)(s + n - f));
			if (!t)
				continue;
			size_t fl = (size_t)(t - f);
			for (size_t i = fl; i-- > 0;)
				if (f[i] == '+') {
					fl = i;
					break;
				}
			const char *file;
			size_t filel;
			int64_t line;
			if (!parse_file_line(t + 1, (size_t)(s + n - t - 1), &file, &filel, &line))
				continue;
			if (depth < FDX_MAX_STACK_DEPTH)
				locs[depth++] = w_loc(w, w_func(w, f, fl, file, filel), line);
			continue;
		}
		/* "2 @ 0x43ae16 0x4092ac" */
		if (n && isdigit((unsigned char)s[0])) {
			char *e;
			long long c = strtoll(s, &e, 10);
			if (!strncmp(e, " @", 2))
				count = c;
		}
	}
	free(locs);
	return 0;
}

/* ---- entry -------------------------------------------------------------------- */

struct prof *textdump_decode(const uint8_t *data, size_t n, enum textdump_format fmt, struct decode_err *err)
{
	struct writer w;
	struct buf final = BUF_INIT;
	struct prof *p = NULL;
	memset(err, 0, sizeof(*err));
	/* The parsers use strtoll and friends: give them a terminated copy. */
	char *text = malloc(n + 1);
	if (w_init(&w) < 0 || !text)
		goto oom;
	memcpy(text, data, n);
	text[n] = '\0';
	int rc = fmt == TEXTDUMP_DEBUG1 ? parse_debug1(&w, text, n) : parse_debug2(&w, text, n, err);
	if (rc < 0) {
		if (!err->code)
			goto oom;
		goto out;
	}
	if (w.samples == 0) {
		decode_err_set(err, 400, "bad_profile", "the goroutine dump has no goroutines");
		goto out;
	}
	w_finish(&w, &final);
	if (final.oom || w.out.oom || w.strbuf.oom)
		goto oom;
	p = decode_proto((const uint8_t *)final.data, final.len, err);
	goto out;
oom:
	decode_err_set(err, 500, "internal", "out of memory reading the goroutine dump");
out:
	free(text);
	buf_release(&final);
	w_release(&w);
	return p;
}
