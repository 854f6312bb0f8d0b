/*
 * view_list.c: the line table of functions, pprof's -list without the
 * sources (see view.h, view_list_json).
 *
 * go tool pprof -list=RE builds the graph at lines granularity (one node
 * per function, file and line), keeps the nodes whose function name
 * matches RE, and prints per function (name order) and per file (file
 * order) the sums of flat and cum over its nodes, then each source line
 * with the flat and cum of its nodes. The view is built at lines, so its
 * top rows are those nodes (cum counted once per sample); each row's
 * function, file and line are read off a frame with that key.
 */
#include "view.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "view_granularity.h"

struct lrow {
	uint32_t fn;            /* string id of the function's name */
	uint32_t file_off, file_len; /* into the file arena */
	int64_t line, flat, cum;
};

static _Thread_local const struct prof *sort_p;
static _Thread_local const char *sort_files;

static int bytes_cmp(const char *a, size_t la, const char *b, size_t lb)
{
	int r = memcmp(a, b, la < lb ? la : lb);
	return r ? r : (la < lb ? -1 : la > lb);
}

static int lrow_cmp(const void *pa, const void *pb)
{
	const struct lrow *a = pa, *b = pb;
	int r = bytes_cmp(prof_str(sort_p, a->fn), prof_strlen(sort_p, a->fn), prof_str(sort_p, b->fn),
	                  prof_strlen(sort_p, b->fn));
	if (r)
		return r;
	r = bytes_cmp(sort_files + a->file_off, a->file_len, sort_files + b->file_off, b->file_len);
	if (r)
		return r;
	return a->line < b->line ? -1 : a->line > b->line;
}

int view_list_json(const struct view *v, const struct rx *re, uint32_t max_functions, struct json *j)
{
	const struct prof *p = v->p;
	uint32_t n = 0;
	struct top_row *rows = view_top(v, &n);
	uint32_t *frame_of = malloc(((size_t)p->n_strs + 1) * sizeof(uint32_t));
	uint8_t *match = calloc((size_t)p->n_strs + 1, 1); /* per name id: 0 unknown, 1 matches, 2 not */
	struct lrow *lr = malloc(((size_t)n + 1) * sizeof(*lr));
	struct buf files = BUF_INIT, name = BUF_INIT;
	struct view_gran_parts parts;
	memset(&parts, 0, sizeof(parts));
	int rc = -1;
	if (!rows || !frame_of || !match || !lr)
		goto out;
	memset(frame_of, 0xff, ((size_t)p->n_strs + 1) * sizeof(uint32_t));
	for (uint32_t f = 0; f < p->n_frames; f++)
		if (p->frames[f].key < p->n_strs && frame_of[p->frames[f].key] == PROF_NONE)
			frame_of[p->frames[f].key] = f;
	uint32_t m = 0, nfn = 0;
	for (uint32_t i = 0; i < n; i++) {
		if ((i & 1023) == 0 && work_poll() != WORK_OK)
			goto out;
		uint32_t fr = frame_of[rows[i].key];
		if (fr == PROF_NONE || p->frames[fr].func == PROF_NONE)
			continue; /* a label's pseudo-frame, a location without lines */
		uint32_t fn = p->funcs[p->frames[fr].func].name;
		if (match[fn] == 0) {
			match[fn] = rx_match(re, prof_str(p, fn), prof_strlen(p, fn)) ? 1 : 2;
			if (rx_failed(re))
				goto out;
			if (match[fn] == 1 && ++nfn > max_functions) {
				rc = VIEW_TOO_MANY;
				goto out;
			}
		}
		if (match[fn] != 1)
			continue;
		if (view_gran_frame(p, PROF_NONE, fr, VIEW_GRAN_LINES, &parts, &name) < 0)
			goto out;
		lr[m] = (struct lrow){ .fn = fn, .file_off = (uint32_t)files.len, .file_len = (uint32_t)parts.file.len,
			               .line = p->frames[fr].line, .flat = rows[i].flat, .cum = rows[i].cum };
		buf_add(&files, parts.file.data ? parts.file.data : "", parts.file.len);
		if (files.oom || files.len > UINT32_MAX / 2)
			goto out;
		m++;
	}
	if (nfn == 0) {
		rc = VIEW_NOT_FOUND;
		goto out;
	}
	sort_p = p;
	sort_files = files.data ? files.data : "";
	qsort(lr, m, sizeof(*lr), lrow_cmp);

	json_obj_begin(j);
	view_json_header(v, j);
	json_key(j, "functions");
	json_arr_begin(j);
	for (uint32_t a = 0; a < m;) {
		uint32_t fn = lr[a].fn, fend = a;
		while (fend < m && lr[fend].fn == fn)
			fend++;
		/* the routines: one per file (pprof: files without a name are "no
		 * source information"; they sort first, the name being empty) */
		for (uint32_t b = a; b < fend;) {
			uint32_t e = b;
			while (e < fend && bytes_cmp(sort_files + lr[e].file_off, lr[e].file_len, sort_files + lr[b].file_off,
			                             lr[b].file_len) == 0)
				e++;
			if (lr[b].file_len == 0) {
				b = e;
				continue;
			}
			int64_t flat = 0, cum = 0;
			for (uint32_t k = b; k < e; k++)
				if (!util_add_ok(&flat, lr[k].flat) || !util_add_ok(&cum, lr[k].cum)) {
					rc = VIEW_OVERFLOW;
					goto out;
				}
			json_obj_begin(j);
			json_key(j, "function");
			json_strn(j, prof_str(p, fn), prof_strlen(p, fn));
			json_key(j, "file");
			json_strn(j, sort_files + lr[b].file_off, lr[b].file_len);
			json_key(j, "flat");
			json_int(j, flat);
			json_key(j, "cum");
			json_int(j, cum);
			json_key(j, "source");
			json_null(j); /* the server never reads its own files */
			json_key(j, "lines");
			json_arr_begin(j);
			for (uint32_t k = b; k < e; k++) {
				json_obj_begin(j);
				json_key(j, "line");
				json_int(j, lr[k].line);
				json_key(j, "flat");
				json_int(j, lr[k].flat);
				json_key(j, "cum");
				json_int(j, lr[k].cum);
				json_obj_end(j);
			}
			json_arr_end(j);
			json_obj_end(j);
			b = e;
		}
		a = fend;
	}
	json_arr_end(j);
	/* functions that matched with no file name on any of their lines */
	json_key(j, "no_source_info");
	json_arr_begin(j);
	for (uint32_t a = 0; a < m;) {
		uint32_t fn = lr[a].fn, fend = a;
		bool any = false;
		while (fend < m && lr[fend].fn == fn)
			any |= lr[fend++].file_len > 0;
		if (!any)
			json_strn(j, prof_str(p, fn), prof_strlen(p, fn));
		a = fend;
	}
	json_arr_end(j);
	json_obj_end(j);
	rc = j->out->oom ? -1 : 0;
out:
	free(rows);
	free(frame_of);
	free(match);
	free(lr);
	buf_release(&files);
	buf_release(&name);
	view_gran_parts_release(&parts);
	return rc;
}
