/*
 * import_folded.c: folded stacks to a profile (see import_folded.h).
 */
#include "import_folded.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "limits.h"
#include "wire.h"
#include "work.h"

bool import_folded_sniff(const uint8_t *d, size_t n)
{
	/* printable text with ';' and newlines in its first 4 KiB, and a first
	 * line that ends in a blank and a count */
	size_t k = n < 4096 ? n : 4096, semis = 0, nl = 0;
	for (size_t i = 0; i < k; i++) {
		uint8_t c = d[i];
		if (c == ';')
			semis++;
		else if (c == '\n')
			nl++;
		else if (c < 0x09 || (c > 0x0d && c < 0x20))
			return false;
	}
	if (!semis || !nl)
		return false;
	size_t e = 0;
	while (e < k && d[e] != '\n')
		e++;
	while (e > 0 && (d[e - 1] == '\r' || d[e - 1] == ' ' || d[e - 1] == '\t'))
		e--;
	size_t digits = 0;
	while (e > 0 && d[e - 1] >= '0' && d[e - 1] <= '9')
		e--, digits++;
	return digits > 0 && e > 0 && (d[e - 1] == ' ' || d[e - 1] == '\t');
}

struct fw {
	struct strmap names;
	struct buf strtab, body, ids, tmp;
	uint32_t next;
	uint32_t *stack;
};

static uint32_t intern(struct fw *w, const char *s, uint32_t len)
{
	int ins = 0;
	uint32_t id = strmap_intern(&w->names, s, len, w->next, &ins);
	if (id == UINT32_MAX || !ins)
		return id;
	w->next++;
	wire_put_bytes_field(&w->strtab, PB_PROFILE_STRING_TABLE, s, len);
	if (id >= 3) { /* a frame name: its function and location */
		w->tmp.len = 0;
		wire_put_varint_field(&w->tmp, PB_FUNCTION_ID, id);
		wire_put_varint_field(&w->tmp, PB_FUNCTION_NAME, id);
		wire_put_varint_field(&w->tmp, PB_FUNCTION_SYSTEM_NAME, id);
		wire_put_bytes_field(&w->body, PB_PROFILE_FUNCTION, w->tmp.data, w->tmp.len);
		struct buf line = BUF_INIT;
		wire_put_varint_field(&line, PB_LINE_FUNCTION_ID, id);
		w->tmp.len = 0;
		wire_put_varint_field(&w->tmp, PB_LOCATION_ID, id);
		wire_put_bytes_field(&w->tmp, PB_LOCATION_LINE, line.data, line.len);
		if (line.oom)
			w->tmp.oom = true;
		buf_release(&line);
		wire_put_bytes_field(&w->body, PB_PROFILE_LOCATION, w->tmp.data, w->tmp.len);
	}
	return id;
}

/* One line [s, e): 0, -1 out of memory, or 1 with err set. */
static int one_line(struct fw *w, const char *s, const char *e, size_t lineno, struct decode_err *err)
{
	while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e == s)
		return 0;
	const char *c = e;
	while (c > s && c[-1] >= '0' && c[-1] <= '9')
		c--;
	if (c == e || c == s || (c[-1] != ' ' && c[-1] != '\t')) {
		decode_err_set(err, 400, "bad_profile", "folded stacks, line %zu: no count after the stack", lineno);
		return 1;
	}
	if (e - c > 18) {
		decode_err_set(err, 400, "bad_profile", "folded stacks, line %zu: count over 18 digits", lineno);
		return 1;
	}
	int64_t v = 0;
	for (const char *x = c; x < e; x++)
		v = v * 10 + (*x - '0');
	const char *se = c - 1;
	while (se > s && (se[-1] == ' ' || se[-1] == '\t'))
		se--;
	if (se > s && se[-1] == ';') /* "a;b; 3", as perf's stackcollapse writes some: a trailing separator */
		se--;
	uint32_t depth = 0;
	for (const char *f = s; f <= se;) {
		const char *semi = memchr(f, ';', (size_t)(se - f));
		const char *fe = semi ? semi : se;
		if (fe == f) {
			decode_err_set(err, 400, "bad_profile", "folded stacks, line %zu: an empty frame", lineno);
			return 1;
		}
		if (depth >= FDX_MAX_STACK_DEPTH) {
			decode_err_set(err, 400, "bad_profile", "folded stacks, line %zu: deeper than %u frames", lineno,
			               FDX_MAX_STACK_DEPTH);
			return 1;
		}
		uint32_t id = intern(w, f, (uint32_t)(fe - f));
		if (id == UINT32_MAX)
			return -1;
		w->stack[depth++] = id;
		if (!semi)
			break;
		f = semi + 1;
	}
	w->ids.len = 0;
	for (uint32_t i = depth; i-- > 0;) /* leaf first */
		wire_put_uvarint(&w->ids, w->stack[i]);
	w->tmp.len = 0;
	wire_put_bytes_field(&w->tmp, PB_SAMPLE_LOCATION_ID, w->ids.data, w->ids.len);
	struct buf val = BUF_INIT;
	wire_put_uvarint(&val, (uint64_t)v);
	wire_put_bytes_field(&w->tmp, PB_SAMPLE_VALUE, val.data, val.len);
	if (val.oom)
		w->tmp.oom = true;
	buf_release(&val);
	wire_put_bytes_field(&w->body, PB_PROFILE_SAMPLE, w->tmp.data, w->tmp.len);
	return w->body.oom || w->tmp.oom || w->ids.oom ? -1 : 0;
}

struct prof *import_folded(const uint8_t *data, size_t n, struct decode_err *err)
{
	memset(err, 0, sizeof(*err));
	struct fw w = { .strtab = BUF_INIT, .body = BUF_INIT, .ids = BUF_INIT, .tmp = BUF_INIT };
	struct prof *p = NULL;
	w.stack = malloc(FDX_MAX_STACK_DEPTH * sizeof(uint32_t));
	if (!w.stack || strmap_init(&w.names, 1024) < 0)
		goto oom;
	/* "" 0, "samples" 1, "count" 2 */
	if (intern(&w, "", 0) != 0 || intern(&w, "samples", 7) != 1 || intern(&w, "count", 5) != 2)
		goto oom;
	w.tmp.len = 0;
	wire_put_varint_field(&w.tmp, PB_VALUE_TYPE_TYPE, 1);
	wire_put_varint_field(&w.tmp, PB_VALUE_TYPE_UNIT, 2);
	wire_put_bytes_field(&w.body, PB_PROFILE_SAMPLE_TYPE, w.tmp.data, w.tmp.len);
	const char *s = (const char *)data, *end = s + n;
	size_t lineno = 0, lines = 0;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		lineno++;
		if ((lineno & 1023) == 0 && work_poll() != WORK_OK)
			goto oom;
		if ((size_t)(e - s) > FDX_MAX_FOLDED_LINE) {
			decode_err_set(err, 400, "bad_profile", "folded stacks, line %zu: longer than %u bytes", lineno,
			               FDX_MAX_FOLDED_LINE);
			goto out;
		}
		int rc = one_line(&w, s, e, lineno, err);
		if (rc < 0)
			goto oom;
		if (rc > 0)
			goto out;
		lines++;
		s = nl ? nl + 1 : end;
	}
	buf_add(&w.body, w.strtab.data, w.strtab.len);
	if (w.body.oom || w.strtab.oom)
		goto oom;
	p = decode_proto((const uint8_t *)w.body.data, w.body.len, err);
	goto out;
oom:
	if (!err->code)
		decode_err_set(err, 500, "internal", "out of memory reading folded stacks");
out:
	free(w.stack);
	strmap_release(&w.names);
	buf_release(&w.strtab);
	buf_release(&w.body);
	buf_release(&w.ids);
	buf_release(&w.tmp);
	(void)lines;
	return p;
}
