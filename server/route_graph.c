/*
 * route_graph.c: pprof's call graph of one profile (cgraph.h).
 *
 *   GET /api/v1/profiles/{id}/graph?format=dot|svg|json&nodefraction=&
 *       edgefraction=&nodecount=&granularity=&sample_type=&<filters>
 *   GET /api/v1/profiles/{id}/peek?re=RE&granularity=&sample_type=&<filters>
 *
 * graph: go tool pprof -dot's graph (defaults 0.005, 0.001, 80); svg is
 * that DOT laid out by Graphviz (view_graph.h), refused with a 400 when the
 * graph is larger than FDX_MAX_GRAPH_SVG_NODES / _EDGES (layout time grows
 * much faster than the graph). peek: go tool pprof -peek RE's entries.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgraph.h"
#include "json.h"
#include "limits.h"
#include "routes.h"
#include "store.h"
#include "util.h"
#include "view.h"
#include "view_graph.h"
#include "work.h"

/* A fraction in [0, 1]; 0, or -1 when present and not one. */
static int arg_fraction(struct req *r, const char *name, double def, double *out)
{
	const char *v = req_arg(r, name);
	*out = def;
	if (!v || !*v)
		return 0;
	char *end = NULL;
	double d = strtod(v, &end);
	if (!end || *end || !isfinite(d) || d < 0 || d > 1)
		return -1;
	*out = d;
	return 0;
}

static const char *unit_of(const struct prof *p, int t)
{
	return p->n_types ? prof_str(p, p->type_unit[t]) : "";
}

static void json_name(struct json *j, const struct cgraph *g, uint32_t node)
{
	const struct cgraph_name *nm = &g->names[g->nodes[node].name];
	json_strn(j, cgraph_str(g, nm->off), nm->len);
}

static void graph_json(const struct cgraph *g, const struct prof *p, int t, const struct cgraph_opts *go,
                       struct json *j)
{
	json_obj_begin(j);
	json_key(j, "sample_type");
	view_json_sample_type(j, p, t);
	json_key(j, "total");
	json_int(j, g->total);
	json_key(j, "granularity");
	json_str(j, view_gran_name(go->gran));
	json_key(j, "nodefraction");
	json_double(j, go->nodefraction);
	json_key(j, "edgefraction");
	json_double(j, go->edgefraction);
	json_key(j, "nodecount");
	json_int(j, go->nodecount);
	json_key(j, "shown_flat");
	json_int(j, g->flat_sum);
	json_key(j, "dropped_nodes");
	json_int(j, g->dropped_nodes);
	json_key(j, "dropped_edges");
	json_int(j, g->dropped_edges);
	json_key(j, "nodes_before_nodecount");
	json_int(j, g->orig_count);
	json_key(j, "nodes");
	json_arr_begin(j);
	for (uint32_t i = 0; i < g->n_nodes; i++) {
		json_obj_begin(j);
		json_key(j, "id");
		json_int(j, i + 1);
		json_key(j, "name");
		json_name(j, g, i);
		json_key(j, "flat");
		json_int(j, g->nodes[i].flat);
		json_key(j, "cum");
		json_int(j, g->nodes[i].cum);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "edges");
	json_arr_begin(j);
	for (uint32_t i = 0; i < g->n_edges; i++) {
		const struct cgraph_edge *e = &g->edges[i];
		json_obj_begin(j);
		json_key(j, "src");
		json_int(j, e->src + 1);
		json_key(j, "dst");
		json_int(j, e->dst + 1);
		json_key(j, "weight");
		json_int(j, e->weight);
		json_key(j, "residual");
		json_bool(j, e->residual);
		json_key(j, "inline");
		json_bool(j, e->inl);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void peek_edges(struct json *j, const struct cgraph *g, const uint32_t *ids, uint32_t n, bool in)
{
	json_arr_begin(j);
	for (uint32_t k = 0; k < n; k++) {
		const struct cgraph_edge *e = &g->edges[ids[k]];
		json_obj_begin(j);
		json_key(j, "function");
		json_name(j, g, in ? e->src : e->dst);
		json_key(j, "weight");
		json_int(j, e->weight);
		json_key(j, "inline");
		json_bool(j, e->inl);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* printTree's entries for the nodes whose name matches rx. 0, or
 * VIEW_NOT_FOUND when none does. */
static int peek_json(const struct cgraph *g, const struct prof *p, int t, const struct rx *rx, struct json *j)
{
	json_obj_begin(j);
	json_key(j, "sample_type");
	view_json_sample_type(j, p, t);
	json_key(j, "total");
	json_int(j, g->total);
	json_key(j, "entries");
	json_arr_begin(j);
	int64_t flat_sum = 0;
	uint32_t matched = 0;
	for (uint32_t i = 0; i < g->n_nodes; i++) {
		const struct cgraph_node *n = &g->nodes[i];
		const struct cgraph_name *nm = &g->names[n->name];
		if (!rx_match(rx, cgraph_str(g, nm->off), nm->len))
			continue;
		matched++;
		flat_sum += n->flat;
		json_obj_begin(j);
		json_key(j, "function");
		json_strn(j, cgraph_str(g, nm->off), nm->len);
		json_key(j, "flat");
		json_int(j, n->flat);
		json_key(j, "flat_sum");
		json_int(j, flat_sum);
		json_key(j, "cum");
		json_int(j, n->cum);
		json_key(j, "callers");
		peek_edges(j, g, g->in_edges + n->in_off, n->n_in, true);
		json_key(j, "callees");
		peek_edges(j, g, g->out_edges + n->out_off, n->n_out, false);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
	return matched ? 0 : VIEW_NOT_FOUND;
}

enum what { GRAPH, PEEK };

static enum MHD_Result graph_view(struct req *r, const char *id, enum what what)
{
	if (!util_is_id(id))
		return reply_error(r, 404, "not_found", "no profile with id %.40s", id);
	struct cgraph_opts go = { CGRAPH_DEFAULT_NODEFRACTION, CGRAPH_DEFAULT_EDGEFRACTION, CGRAPH_DEFAULT_NODECOUNT,
		                  CGRAPH_FUNCTIONS, true };
	enum { F_DOT, F_SVG, F_JSON } fmt = F_JSON;
	if (view_gran_parse(req_arg(r, "granularity")) < 0)
		return reply_error(r, 400, "bad_granularity", "granularity must be %s", VIEW_GRAN_LIST);
	struct rx peek_rx;
	memset(&peek_rx, 0, sizeof(peek_rx));
	if (what == GRAPH) {
		const char *f = req_arg(r, "format");
		if (!f || !*f || !strcmp(f, "svg"))
			fmt = F_SVG;
		else if (!strcmp(f, "dot"))
			fmt = F_DOT;
		else if (!strcmp(f, "json"))
			fmt = F_JSON;
		else
			return reply_error(r, 400, "bad_request", "format must be dot, svg or json");
		if (arg_fraction(r, "nodefraction", CGRAPH_DEFAULT_NODEFRACTION, &go.nodefraction) < 0)
			return reply_error(r, 400, "bad_request", "nodefraction must be a number in [0, 1]");
		if (arg_fraction(r, "edgefraction", CGRAPH_DEFAULT_EDGEFRACTION, &go.edgefraction) < 0)
			return reply_error(r, 400, "bad_request", "edgefraction must be a number in [0, 1]");
		long maxn = fmt == F_SVG ? FDX_MAX_GRAPH_SVG_NODES : FDX_MAX_GRAPH_NODECOUNT;
		if (req_long(r, "nodecount", CGRAPH_DEFAULT_NODECOUNT, 1, maxn, &go.nodecount) < 0)
			return reply_error(r, 400, "bad_request", "nodecount must be an integer in [1, %ld]%s", maxn,
			                   fmt == F_SVG ? " for svg (FDX_MAX_GRAPH_SVG_NODES)" : "");
	} else {
		/* -peek: no trimming, text order */
		go.nodefraction = go.edgefraction = 0;
		go.nodecount = 0;
		go.visual = false;
		const char *re = req_arg(r, "re");
		if (!re || !*re)
			return reply_error(r, 400, "bad_request", "peek needs re=REGEX");
		char err[256];
		if (rx_compile(&peek_rx, re, strlen(re), 0, err, sizeof(err)) < 0)
			return reply_error(r, 400, "bad_regex", "re: %s", err);
	}

	struct view_opts o;
	enum MHD_Result res;
	struct prof *prof = views_load(r, id, &o, &res);
	if (!prof) {
		rx_release(&peek_rx);
		return res;
	}
	go.gran = o.gran; /* views_parse_opts checked it is available */
	struct cgraph cg;
	int rc = cgraph_build(prof, &o, &go, &cg);
	struct buf out = BUF_INIT;
	const char *ctype = "application/json";
	char why[256] = "";
	if (rc == 0) {
		if (what == PEEK) {
			struct json j;
			json_init(&j, &out);
			rc = peek_json(&cg, prof, o.type, &peek_rx, &j);
		} else if (fmt == F_JSON) {
			struct json j;
			json_init(&j, &out);
			graph_json(&cg, prof, o.type, &go, &j);
		} else {
			char legend[300];
			snprintf(legend, sizeof(legend), "Type: %.256s",
			         prof->n_types ? prof_str(prof, prof->type_type[o.type]) : "");
			const char *lines[] = { legend };
			cgraph_dot(&cg, &go, unit_of(prof, o.type), lines, 1, &out);
			ctype = "text/vnd.graphviz; charset=utf-8";
			if (fmt == F_SVG && !out.oom) {
				if (cg.n_edges > FDX_MAX_GRAPH_SVG_EDGES) {
					rc = 400;
					snprintf(why, sizeof(why), "the graph has %u edges, more than svg lays out (%u); raise edgefraction",
					         cg.n_edges, FDX_MAX_GRAPH_SVG_EDGES);
				} else {
					struct buf svg = BUF_INIT;
					rc = view_graph_svg(out.data, out.len, &svg, why, sizeof(why));
					buf_release(&out);
					out = svg;
					ctype = "image/svg+xml";
				}
			}
		}
		if (rc == 0 && out.oom)
			rc = -1;
		cgraph_release(&cg);
	}
	view_opts_release(&o);
	store_release(prof);
	rx_release(&peek_rx);
	if (rc != 0)
		buf_release(&out);
	int stop = work_poll();
	if (rc != 0 && stop != WORK_OK)
		return reply_stopped(r, stop);
	if (rc == VIEW_NOT_FOUND)
		return reply_error(r, 404, "not_found", "no function of this view matches re");
	if (rc == VIEW_OVERFLOW)
		return reply_error(r, 422, "overflow", "the values overflow 64 bits");
	if (rc == 400)
		return reply_error(r, 400, "graph_too_large", "%s", why);
	if (rc == VIEW_GRAPH_UNAVAILABLE)
		return reply_error(r, 501, "svg_unavailable", "%s", why);
	if (rc != 0)
		return reply_error(r, 500, "internal", "%s", why[0] ? why : "out of memory building the graph");
	return reply_buf(r, 200, ctype, &out);
}

struct graph_args {
	const char *id;
	enum what what;
};

static enum MHD_Result graph_run(struct req *r, void *ctx)
{
	struct graph_args *a = ctx;
	return graph_view(r, a->id, a->what);
}

enum MHD_Result route_graph(struct req *r, const struct route_params *p)
{
	struct graph_args a = { route_param(p, "id"), GRAPH };
	return views_heavy(r, graph_run, &a);
}

enum MHD_Result route_graph_peek(struct req *r, const struct route_params *p)
{
	struct graph_args a = { route_param(p, "id"), PEEK };
	return views_heavy(r, graph_run, &a);
}
