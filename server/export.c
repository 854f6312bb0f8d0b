/*
 * export.c: folded stacks, pprof and SVG flame graphs of a view (see
 * export.h).
 */
#include "export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "limits.h"
#include "util.h"
#include "wire.h"
#include "work.h"

/* Preorder walk of v->t: visit(n, depth) for every node but the root,
 * parents before children, children in name order. 0, -1 (memory, work
 * stopped), or what visit returned when not 0. */
typedef int (*visit_fn)(void *ctx, uint32_t n, uint32_t depth);

static int walk(const struct ntree *t, visit_fn visit, void *ctx)
{
	if (t->n <= 1)
		return 0;
	uint32_t *stack = malloc((size_t)t->n * sizeof(uint32_t));
	uint32_t *depth = malloc((size_t)t->n * sizeof(uint32_t));
	if (!stack || !depth) {
		free(stack);
		free(depth);
		return -1;
	}
	uint32_t sp = 0, seen = 0;
	int rc = 0;
	for (uint32_t c = t->koff[1]; c-- > t->koff[0];) {
		depth[t->klist[c]] = 1;
		stack[sp++] = t->klist[c];
	}
	while (sp > 0 && rc == 0) {
		uint32_t n = stack[--sp];
		if ((++seen & 1023) == 0 && work_poll() != WORK_OK) {
			rc = -1;
			break;
		}
		rc = visit(ctx, n, depth[n]);
		if (rc > 0) { /* skip the subtree */
			rc = 0;
			continue;
		}
		for (uint32_t c = t->koff[n + 1]; rc == 0 && c-- > t->koff[n];) {
			depth[t->klist[c]] = depth[n] + 1;
			stack[sp++] = t->klist[c];
		}
	}
	free(stack);
	free(depth);
	return rc;
}

static const char *node_name(const struct view *v, uint32_t n, uint32_t *len)
{
	struct ntree_names names = prof_names(v->p);
	return ntree_name(&names, ntree_key(&v->t, n), len);
}

/* ---- folded ------------------------------------------------------------- */

struct folded {
	const struct view *v;
	struct buf *out;
	struct buf path;
	size_t *pl;   /* per node: path length after its name */
	int status;
};

static int folded_visit(void *ctx, uint32_t n, uint32_t depth)
{
	struct folded *f = ctx;
	(void)depth;
	uint32_t par = ntree_parent(&f->v->t, n);
	f->path.len = par == 0 ? 0 : f->pl[par];
	if (par != 0)
		buf_addc(&f->path, ';');
	uint32_t len;
	const char *s = node_name(f->v, n, &len);
	for (uint32_t i = 0; i < len; i++) {
		char c = s[i];
		buf_addc(&f->path, c == ';' ? ':' : (unsigned char)c < 0x20 || c == 0x7f ? ' ' : c);
	}
	if (f->path.oom)
		return -1;
	f->pl[n] = f->path.len;
	int64_t self = f->v->t.col[VIEW_SELF][n];
	if (self != 0) {
		buf_add(f->out, f->path.data, f->path.len);
		buf_printf(f->out, " %lld\n", (long long)self);
		if (f->out->oom)
			return -1;
		if (f->out->len > FDX_MAX_EXPORT_BYTES) {
			f->status = EXPORT_TOO_LARGE;
			return -1;
		}
	}
	return 0;
}

int export_folded(const struct view *v, struct buf *out)
{
	struct folded f = { .v = v, .out = out, .path = BUF_INIT };
	f.pl = malloc(((size_t)v->t.n + 1) * sizeof(size_t));
	if (!f.pl)
		return -1;
	int rc = walk(&v->t, folded_visit, &f);
	/* a sample without a stack has no line: flamegraph.pl has no root frame */
	free(f.pl);
	buf_release(&f.path);
	if (rc != 0)
		return f.status ? f.status : -1;
	return out->oom ? -1 : 0;
}

/* ---- pprof -------------------------------------------------------------- */

struct strtab {
	struct buf b;        /* the string_table fields, written as they are added */
	uint32_t n;
	uint32_t *idx;       /* per profile string id: its index + 1, 0 = not yet */
};

static uint32_t strtab_add(struct strtab *s, const struct prof *p, uint32_t id)
{
	if (id >= p->n_strs)
		return 0;
	if (!s->idx[id]) {
		wire_put_bytes_field(&s->b, PB_PROFILE_STRING_TABLE, prof_str(p, id), prof_strlen(p, id));
		s->idx[id] = ++s->n; /* index n; "" is index 0 */
	}
	return s->idx[id];
}

static void put_value_type(struct buf *b, uint32_t field, uint32_t type, uint32_t unit)
{
	struct buf m = BUF_INIT;
	wire_put_varint_field(&m, PB_VALUE_TYPE_TYPE, type);
	wire_put_varint_field(&m, PB_VALUE_TYPE_UNIT, unit);
	wire_put_bytes_field(b, field, m.data, m.len);
	if (m.oom)
		b->oom = 1;
	buf_release(&m);
}

static int gzip_buf(const struct buf *in, struct buf *out)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	uLong bound = deflateBound(&z, (uLong)in->len);
	if (buf_grow(out, bound + 64) < 0) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)in->data;
	z.avail_in = (uInt)in->len;
	z.next_out = (Bytef *)out->data + out->len;
	z.avail_out = (uInt)(bound + 64);
	int zr = deflate(&z, Z_FINISH);
	if (zr != Z_STREAM_END) {
		deflateEnd(&z);
		return -1;
	}
	out->len += z.total_out;
	deflateEnd(&z);
	return 0;
}

int export_pprof(const struct view *v, struct buf *out)
{
	const struct prof *p = v->p;
	const struct ntree *t = &v->t;
	struct strtab st = { .b = BUF_INIT };
	struct buf body = BUF_INIT, m = BUF_INIT, lines = BUF_INIT;
	uint32_t *fid = calloc((size_t)p->n_strs + 1, sizeof(uint32_t)); /* name key -> function id */
	uint32_t *files = view_key_files(p);
	st.idx = calloc((size_t)p->n_strs + 1, sizeof(uint32_t));
	int rc = -1;
	if (!fid || !files || !st.idx)
		goto out;
	wire_put_bytes_field(&st.b, PB_PROFILE_STRING_TABLE, "", 0);
	uint32_t type = p->n_types ? strtab_add(&st, p, p->type_type[v->type]) : 0;
	uint32_t unit = p->n_types ? strtab_add(&st, p, p->type_unit[v->type]) : 0;
	put_value_type(&body, PB_PROFILE_SAMPLE_TYPE, type, unit);
	/* functions and locations: one per name, id = order of first use */
	uint32_t nf = 0;
	for (uint32_t n = 1; n < t->n; n++) {
		uint32_t k = ntree_key(t, n);
		if (k >= p->n_strs || fid[k])
			continue;
		fid[k] = ++nf;
		m.len = 0;
		wire_put_varint_field(&m, PB_FUNCTION_ID, nf);
		wire_put_varint_field(&m, PB_FUNCTION_NAME, strtab_add(&st, p, k));
		wire_put_varint_field(&m, PB_FUNCTION_SYSTEM_NAME, strtab_add(&st, p, k));
		if (files[k] != PROF_NONE)
			wire_put_varint_field(&m, PB_FUNCTION_FILENAME, strtab_add(&st, p, files[k]));
		wire_put_bytes_field(&body, PB_PROFILE_FUNCTION, m.data, m.len);
		lines.len = 0;
		wire_put_varint_field(&lines, PB_LINE_FUNCTION_ID, nf);
		m.len = 0;
		wire_put_varint_field(&m, PB_LOCATION_ID, nf);
		wire_put_bytes_field(&m, PB_LOCATION_LINE, lines.data, lines.len);
		wire_put_bytes_field(&body, PB_PROFILE_LOCATION, m.data, m.len);
	}
	/* samples: one per node with a value; a value at the root is a
	 * sample without locations */
	struct buf ids = BUF_INIT;
	for (uint32_t n = 0; n < t->n; n++) {
		int64_t self = t->col[VIEW_SELF][n];
		if (self == 0)
			continue;
		if ((n & 1023) == 0 && work_poll() != WORK_OK) {
			buf_release(&ids);
			goto out;
		}
		ids.len = 0;
		for (uint32_t x = n; x != 0; x = ntree_parent(t, x))
			wire_put_uvarint(&ids, ntree_key(t, x) < p->n_strs ? fid[ntree_key(t, x)] : 0);
		m.len = 0;
		if (ids.len)
			wire_put_bytes_field(&m, PB_SAMPLE_LOCATION_ID, ids.data, ids.len);
		struct buf val = BUF_INIT;
		wire_put_uvarint(&val, (uint64_t)self);
		wire_put_bytes_field(&m, PB_SAMPLE_VALUE, val.data, val.len);
		if (val.oom)
			m.oom = 1;
		buf_release(&val);
		wire_put_bytes_field(&body, PB_PROFILE_SAMPLE, m.data, m.len);
		if (body.len > FDX_MAX_EXPORT_BYTES) {
			buf_release(&ids);
			rc = EXPORT_TOO_LARGE;
			goto out;
		}
	}
	if (ids.oom)
		body.oom = 1;
	buf_release(&ids);
	if (p->period_type || p->period_unit)
		put_value_type(&body, PB_PROFILE_PERIOD_TYPE, strtab_add(&st, p, p->period_type),
		               strtab_add(&st, p, p->period_unit));
	if (p->period)
		wire_put_varint_field(&body, PB_PROFILE_PERIOD, (uint64_t)p->period);
	if (p->time_nanos)
		wire_put_varint_field(&body, PB_PROFILE_TIME_NANOS, (uint64_t)p->time_nanos);
	if (p->duration_nanos)
		wire_put_varint_field(&body, PB_PROFILE_DURATION_NANOS, (uint64_t)p->duration_nanos);
	buf_add(&body, st.b.data, st.b.len);
	if (body.oom || st.b.oom || m.oom || lines.oom)
		goto out;
	if (body.len > FDX_MAX_EXPORT_BYTES) {
		rc = EXPORT_TOO_LARGE;
		goto out;
	}
	rc = gzip_buf(&body, out);
out:
	free(fid);
	free(files);
	free(st.idx);
	buf_release(&st.b);
	buf_release(&body);
	buf_release(&m);
	buf_release(&lines);
	return rc;
}

/* ---- SVG ---------------------------------------------------------------- */

#define SVG_W 1200.0
#define SVG_ROW 17
#define SVG_TOP 34

/* Append s XML-escaped, with bytes that are not UTF-8 or not allowed in
 * XML written '?', at most max characters (then "..") when max > 0. */
static void xml_escaped(struct buf *b, const char *s, size_t n, size_t max)
{
	size_t chars = 0;
	for (size_t i = 0; i < n;) {
		if (max && chars >= max) {
			buf_adds(b, "..");
			return;
		}
		unsigned char c = (unsigned char)s[i];
		chars++;
		if (c < 0x80) {
			switch (c) {
			case '&': buf_adds(b, "&amp;"); break;
			case '<': buf_adds(b, "&lt;"); break;
			case '>': buf_adds(b, "&gt;"); break;
			case '"': buf_adds(b, "&quot;"); break;
			case '\'': buf_adds(b, "&#39;"); break;
			default: buf_addc(b, c < 0x20 || c == 0x7f ? '?' : (char)c);
			}
			i++;
			continue;
		}
		size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
		bool ok = len && i + len <= n;
		for (size_t k = 1; ok && k < len; k++)
			ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
		if (ok && len == 3) { /* no overlongs, no surrogates */
			unsigned char d = (unsigned char)s[i + 1];
			ok = !(c == 0xe0 && d < 0xa0) && !(c == 0xed && d >= 0xa0);
		}
		if (ok && len == 4) {
			unsigned char d = (unsigned char)s[i + 1];
			ok = !(c == 0xf0 && d < 0x90) && !(c == 0xf4 && d >= 0x90);
		}
		if (!ok) {
			buf_addc(b, '?');
			i++;
			continue;
		}
		buf_add(b, s + i, len);
		i += len;
	}
}

struct svg {
	const struct view *v;
	struct buf *out;
	double *x;       /* per node: left edge */
	double *next;    /* per node: where its next child starts */
	double scale;    /* pixels per unit */
	uint32_t frames, maxdepth;
	bool capped;
};

static int64_t absv(int64_t x)
{
	return x < 0 ? -x : x;
}

static int svg_visit(void *ctx, uint32_t n, uint32_t depth)
{
	struct svg *s = ctx;
	const struct ntree *t = &s->v->t;
	uint32_t par = ntree_parent(t, n);
	double w = (double)absv(t->col[VIEW_TOT][n]) * s->scale;
	s->x[n] = s->next[par];
	s->next[par] += w;
	s->next[n] = s->x[n];
	if (w < 1.0)
		return 1; /* too narrow: this frame and all below it */
	if (s->frames >= FDX_MAX_SVG_FRAMES) {
		s->capped = true;
		return 1;
	}
	s->frames++;
	if (depth > s->maxdepth)
		s->maxdepth = depth;
	uint32_t len;
	const char *name = node_name(s->v, n, &len);
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	int r = 205 + (int)(h % 50), g = (int)((h >> 8) % 180), bl = (int)((h >> 16) % 55);
	double y = SVG_TOP + (double)(depth - 1) * SVG_ROW;
	struct buf *b = s->out;
	buf_adds(b, "<g><title>");
	xml_escaped(b, name, len, 0);
	int64_t tot = t->col[VIEW_TOT][n];
	double pct = s->v->total ? 100.0 * (double)tot / (double)s->v->total : 0;
	buf_printf(b, " (%lld, %.2f%%)</title><rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%d\" "
	           "fill=\"rgb(%d,%d,%d)\" rx=\"2\"/>", (long long)tot, pct, s->x[n], y, w, SVG_ROW - 1, r, g, bl);
	size_t fit = (size_t)((w - 6) / 7);
	if (fit >= 3) {
		buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\">", s->x[n] + 3, y + SVG_ROW - 5);
		xml_escaped(b, name, len, fit);
		buf_adds(b, "</text>");
	}
	buf_adds(b, "</g>\n");
	if (b->oom)
		return -1;
	return 0;
}

int export_svg(const struct view *v, struct buf *out)
{
	struct buf frames = BUF_INIT;
	struct svg s = { .v = v, .out = &frames };
	s.x = calloc((size_t)v->t.n + 1, sizeof(double));
	s.next = calloc((size_t)v->t.n + 1, sizeof(double));
	int rc = -1;
	if (!s.x || !s.next)
		goto out;
	int64_t root = absv(v->t.n ? v->t.col[VIEW_TOT][0] : 0);
	s.scale = root ? (SVG_W - 20) / (double)root : 0;
	s.next[0] = 10;
	if (root && walk(&v->t, svg_visit, &s) != 0)
		goto out;
	double height = SVG_TOP + (double)(s.maxdepth + 1) * SVG_ROW + 10;
	buf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n"
	           "<style>text{font:11px monospace;fill:#000;pointer-events:none}"
	           "rect:hover{stroke:#000;stroke-width:1}.hd{font-size:13px;fill:#333}"
	           "@media (prefers-color-scheme:dark){.bg{fill:#1b1b1f}.hd{fill:#ddd}}</style>\n"
	           "<rect class=\"bg\" width=\"100%%\" height=\"100%%\" fill=\"#fbfbf8\"/>\n",
	           SVG_W, height, SVG_W, height);
	buf_adds(out, "<text class=\"hd\" x=\"10\" y=\"20\">flamedex flame graph: ");
	const struct prof *p = v->p;
	if (p->n_types) {
		const char *ty = prof_str(p, p->type_type[v->type]), *un = prof_str(p, p->type_unit[v->type]);
		xml_escaped(out, ty, strlen(ty), 0);
		buf_adds(out, " (");
		xml_escaped(out, un, strlen(un), 0);
		buf_adds(out, ")");
	}
	buf_printf(out, ", total %lld%s</text>\n", (long long)v->total,
	           s.capped ? ", frames past the first 5000 left out" : "");
	buf_add(out, frames.data, frames.len);
	buf_adds(out, "</svg>\n");
	if (frames.oom || out->oom)
		goto out;
	rc = out->len > FDX_MAX_EXPORT_BYTES ? EXPORT_TOO_LARGE : 0;
out:
	free(s.x);
	free(s.next);
	buf_release(&frames);
	return rc;
}
