/*
 * findex.c: the function index of one profile (see findex.h).
 */
#include "findex.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "view.h"
#include "work.h"

void findex_release(struct findex *fx)
{
	free(fx->totals);
	free(fx->names);
	free(fx->off);
	work_unhold(&fx->held);
	buf_release(&fx->vals);
	buf_release(&fx->types);
	memset(fx, 0, sizeof(*fx));
}

static void put_varint(struct buf *b, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	uint8_t tmp[10];
	int n = 0;
	do {
		uint8_t c = z & 0x7f;
		z >>= 7;
		tmp[n++] = (uint8_t)(c | (z ? 0x80 : 0));
	} while (z);
	buf_add(b, tmp, (size_t)n);
}

static int get_varint(const uint8_t *p, size_t len, size_t *pos, int64_t *out)
{
	uint64_t z = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*pos >= len)
			return -1;
		uint8_t c = p[(*pos)++];
		z |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
			return 0;
		}
	}
	return -1;
}

int findex_vals_get(const uint8_t *vals, size_t len, uint32_t t, int64_t *flat, int64_t *cum)
{
	size_t pos = 0;
	int64_t f = 0, c = 0;
	for (uint32_t i = 0; i <= t; i++)
		if (get_varint(vals, len, &pos, &f) < 0 || get_varint(vals, len, &pos, &c) < 0)
			return -1;
	*flat = f;
	*cum = c;
	return 0;
}

int findex_build(const struct prof *p, struct findex *fx)
{
	memset(fx, 0, sizeof(*fx));
	uint32_t nt = p->n_types;
	/* per string id: its row, or UINT32_MAX */
	uint32_t *row_of = malloc(((size_t)p->n_strs + 1) * sizeof(uint32_t));
	uint32_t *keys = NULL;
	int64_t *fc = NULL;   /* n_rows * nt * 2 */
	uint32_t n_rows = 0, cap_rows = 0;
	struct work_held tmp = { 0 };   /* the working arrays, charged to the work */
	if (work_hold(&tmp, ((size_t)p->n_strs + 1) * sizeof(uint32_t)) < 0)
		goto fail;
	fx->totals = calloc((size_t)nt + 1, sizeof(int64_t));
	if (!row_of || !fx->totals)
		goto fail;
	memset(row_of, 0xff, ((size_t)p->n_strs + 1) * sizeof(uint32_t));
	for (uint32_t t = 0; t < nt; t++) {
		struct view_opts o = { .type = (int)t, .tot_only = true };
		struct view v;
		if (work_poll() != WORK_OK || view_build(p, &o, false, &v) != 0)
			goto fail;
		fx->totals[t] = v.total;
		uint32_t n;
		struct top_row *tr = view_top(&v, &n);
		view_release(&v);
		if (!tr)
			goto fail;
		for (uint32_t i = 0; i < n; i++) {
			uint32_t k = tr[i].key;
			if (row_of[k] == UINT32_MAX) {
				if (n_rows == cap_rows) {
					uint32_t nc = cap_rows ? cap_rows * 2 : 256;
					if (work_hold(&tmp, (size_t)(nc - cap_rows) * (sizeof(uint32_t) + nt * 2 * sizeof(int64_t))) < 0) {
						free(tr);
						goto fail;
					}
					uint32_t *nk = realloc(keys, (size_t)nc * sizeof(*nk));
					if (!nk) {
						free(tr);
						goto fail;
					}
					keys = nk;
					int64_t *nf = realloc(fc, (size_t)nc * nt * 2 * sizeof(*nf));
					if (!nf) {
						free(tr);
						goto fail;
					}
					fc = nf;
					cap_rows = nc;
				}
				row_of[k] = n_rows;
				keys[n_rows] = k;
				memset(fc + (size_t)n_rows * nt * 2, 0, (size_t)nt * 2 * sizeof(*fc));
				n_rows++;
			}
			int64_t *r = fc + (size_t)row_of[k] * nt * 2 + (size_t)t * 2;
			r[0] = tr[i].flat;
			r[1] = tr[i].cum;
		}
		free(tr);
	}
	if (work_hold(&fx->held, ((size_t)n_rows + 1) * (sizeof(*fx->names) + sizeof(*fx->off))) < 0)
		goto fail;
	fx->names = malloc(((size_t)n_rows + 1) * sizeof(*fx->names));
	fx->off = malloc(((size_t)n_rows + 1) * sizeof(*fx->off));
	if (!fx->names || !fx->off)
		goto fail;
	for (uint32_t i = 0; i < n_rows; i++) {
		if ((i & 1023) == 0 && work_poll() != WORK_OK)
			goto fail;
		fx->names[i] = prof_str(p, keys[i]);
		fx->off[i] = fx->vals.len;
		for (uint32_t t = 0; t < nt * 2; t++)
			put_varint(&fx->vals, fc[(size_t)i * nt * 2 + t]);
	}
	fx->off[n_rows] = fx->vals.len;
	for (uint32_t t = 0; t < nt; t++)
		buf_printf(&fx->types, "%s%s", t ? "\n" : "", prof_str(p, p->type_type[t]));
	buf_addc(&fx->types, '\0');
	fx->types.len--;
	if (fx->vals.oom || fx->types.oom)
		goto fail;
	fx->rows.n_types = nt;
	fx->rows.def_type = nt ? p->default_type : 0;
	fx->rows.types = fx->types.data ? fx->types.data : "";
	fx->rows.totals = fx->totals;
	fx->rows.n = n_rows;
	fx->rows.names = fx->names;
	fx->rows.vals = (const uint8_t *)fx->vals.data;
	fx->rows.off = fx->off;
	free(row_of);
	free(keys);
	free(fc);
	work_unhold(&tmp);
	return 0;
fail:
	free(row_of);
	free(keys);
	free(fc);
	work_unhold(&tmp);
	findex_release(fx);
	return -1;
}

long findex_rebuild(void)
{
	long done = 0;
	for (;;) {
		char ids[64][23];
		int n = 0;
		if (store_findex_pending(ids, 64, &n) < 0)
			return -1;
		if (n == 0)
			return done;
		for (int i = 0; i < n; i++) {
			int status = 0;
			struct prof *p = store_get(ids[i], &status);
			if (!p) {
				if (status == 404)
					continue;   /* deleted meanwhile */
				return -1;
			}
			struct findex fx;
			int rc = findex_build(p, &fx);
			if (rc == 0) {
				rc = store_findex_put(ids[i], &fx.rows);
				findex_release(&fx);
			}
			store_release(p);
			if (rc < 0) {
				util_log("level=error msg=\"function index rebuild failed\" id=%s", ids[i]);
				return -1;
			}
			done++;
		}
	}
}
