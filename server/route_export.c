/*
 * route_export.c: a view of one profile in another tool's format.
 *
 *   GET /api/v1/profiles/{id}/export?format=pprof|folded|svg&sample_type=&zoom=&<filters>
 *
 * <filters> are those of the other views (route_views.c), tagroot and
 * tagleaf included; the answer is export.h's writer of the view: a
 * gzipped profile.proto (application/octet-stream, a .pb.gz download),
 * folded stacks (text/plain) or an SVG flame graph (image/svg+xml), each
 * with a Content-Disposition naming the file. An unknown format is 400
 * bad_request; an answer over FDX_MAX_EXPORT_BYTES is 413 export_too_large.
 * zoom= (the profile page's zoom path, view_zoom.h) cuts the view to that
 * frame first, so the export is of what the page shows.
 */
#include <stdio.h>
#include <string.h>

#include "export.h"
#include "limits.h"
#include "routes.h"
#include "store.h"
#include "util.h"
#include "view.h"
#include "view_zoom.h"
#include "work.h"

enum MHD_Result route_export(struct req *r, const struct route_params *pp)
{
	const char *id = route_param(pp, "id");
	if (!id || !util_is_id(id))
		return reply_error(r, 404, "not_found", "no profile with id %.40s", id ? id : "");
	const char *format = req_arg(r, "format");
	static const struct {
		const char *name, *ctype, *ext;
		int (*write)(const struct view *, struct buf *);
	} formats[] = {
		{ "pprof", "application/octet-stream", "pb.gz", export_pprof },
		{ "folded", "text/plain; charset=utf-8", "folded.txt", export_folded },
		{ "svg", "image/svg+xml", "svg", export_svg },
	};
	int f = -1;
	for (int i = 0; format && i < 3; i++)
		if (!strcmp(format, formats[i].name))
			f = i;
	if (f < 0)
		return reply_error(r, 400, "bad_request", "format must be pprof, folded or svg");
	struct view_opts o;
	enum MHD_Result res;
	struct prof *prof = views_load(r, id, &o, &res);
	if (!prof) {
		return res;
	}
	struct view v;
	struct buf out = BUF_INIT;
	const char *zoom = req_arg(r, "zoom");
	int rc = view_build(prof, &o, false, &v);
	if (rc == 0 && zoom && *zoom && view_zoom(&v, zoom, strlen(zoom), NULL) != 0) {
		view_release(&v);
		rc = -1;
	}
	if (rc == 0) {
		rc = formats[f].write(&v, &out);
		view_release(&v);
	}
	view_opts_release(&o);
	store_release(prof);
	if (rc != 0)
		buf_release(&out);
	int why = work_poll();
	if (rc != 0 && why != WORK_OK)
		return reply_stopped(r, why);
	if (rc == VIEW_OVERFLOW)
		return reply_error(r, 422, "overflow", "the values overflow 64 bits");
	if (rc == EXPORT_TOO_LARGE)
		return reply_error(r, 413, "export_too_large", "the export would be over %u MiB; filter the view first",
		                   FDX_MAX_EXPORT_BYTES >> 20);
	if (rc != 0)
		return reply_error(r, 500, "internal", "out of memory building the export");
	char disp[128];
	snprintf(disp, sizeof(disp), "attachment; filename=\"flamedex-%.40s.%s\"", id, formats[f].ext);
	reply_header(r, "Content-Disposition", disp);
	return reply_buf(r, 200, formats[f].ctype, &out);
}
