/*
 * cgraph.h: pprof's call graph of one profile (internal/graph and
 * report.newTrimmedGraph of go tool pprof), the model behind the graph
 * (-dot) and peek (-peek) views.
 *
 * A node is one printed name at the chosen granularity (functions,
 * filefunctions, files, lines, addresses: view_granularity.h); an edge joins a caller to a callee. Each
 * kept sample (view_kept_samples) is walked from the root to the leaf as
 * pprof walks it:
 *   - a node's cum gets the sample's value once per sample, however often
 *     the node recurs on the stack; flat goes to the leaf node;
 *   - an edge (caller, callee) gets it once per sample; an edge from a
 *     node to itself is never made;
 *   - an edge into a frame inlined in the same location is "inline"
 *     (it stays inline only while every sample that adds to it says so);
 *   - when nodes are trimmed away the edges that jump over them are
 *     "residual", and a sample whose leaf was trimmed adds no flat.
 * Trimming is newTrimmedGraph's: the nodes with |cum| below
 * nodefraction * (sum of flat) go, the graph is rebuilt from the samples;
 * nodes are sorted (visual: pprof's entropy order, counting each node's
 * label tags as nodes when choosing nodecount of them; else flat order)
 * and the first nodecount kept, rebuilt again; edges below edgefraction
 * go, and (visual) residual edges redundant with another path go.
 *
 * Invariants: nodes are in pprof's final order (the order of -dot's
 * N1, N2, ... and of -peek's entries); edges are in pprof's edge order
 * (|weight| descending, then caller name, then callee name); every edge
 * joins two nodes of the graph. Values are the profile's, never scaled.
 * The long loops poll work_poll(); a stopped work fails the build.
 */
#ifndef FDX_CGRAPH_H
#define FDX_CGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "filter.h"
#include "prof.h"
#include "view_granularity.h"

/* The granularities are view_granularity.h's, which names the frames. */
enum cgraph_gran {
	CGRAPH_FUNCTIONS = VIEW_GRAN_FUNCTIONS,
	CGRAPH_FILEFUNCTIONS = VIEW_GRAN_FILEFUNCTIONS,
	CGRAPH_FILES = VIEW_GRAN_FILES,
	CGRAPH_LINES = VIEW_GRAN_LINES,
	CGRAPH_ADDRESSES = VIEW_GRAN_ADDRESSES,
};

/* The granularity named s (NULL or "": functions); -1 when unknown. */
int cgraph_gran_parse(const char *s);

/* pprof's defaults for -dot / -svg */
#define CGRAPH_DEFAULT_NODEFRACTION 0.005
#define CGRAPH_DEFAULT_EDGEFRACTION 0.001
#define CGRAPH_DEFAULT_NODECOUNT 80

struct cgraph_opts {
	double nodefraction, edgefraction; /* in [0, 1] */
	long nodecount;                    /* 0: no limit */
	int gran;                          /* enum cgraph_gran */
	bool visual;                       /* -dot's heuristics (entropy order, tags, redundant edges) */
};

struct cgraph_node {
	uint32_t name;          /* index into the graph's names */
	int64_t flat, cum;
	uint32_t in_off, n_in;  /* into in_edges: edges into the node, in edge order */
	uint32_t out_off, n_out;
	bool nodelets;          /* pprof -dot would draw label nodelets for it */
};

struct cgraph_edge {
	uint32_t src, dst;      /* node indices */
	int64_t weight;
	bool residual, inl;
};

/* The parts of a node's name pprof prints (NodeInfo). */
struct cgraph_name {
	uint32_t off, len;      /* printable name (NodeInfo.PrintableName) */
	uint32_t fn_off, fn_len;/* function name ("" when the granularity has none) */
	uint32_t file_off, file_len;
	uint64_t addr;          /* printed first when not 0 (addresses) */
	int64_t line;           /* 0 unless lines or addresses */
	uint32_t obj_off, obj_len; /* printed "[binary]" or "<unknown>" when there is no function name */
};

struct cgraph {
	int64_t total;          /* pprof's report total (before filters) */
	int64_t kept_total;     /* view_build's total (over the kept samples) */
	int64_t flat_sum;       /* sum of flat over the nodes shown */
	uint32_t orig_count;    /* nodes after nodefraction, before nodecount */
	uint32_t dropped_nodes; /* by nodefraction */
	uint32_t dropped_edges; /* by edgefraction, last step */
	int64_t node_cutoff, edge_cutoff;
	uint32_t n_nodes;
	struct cgraph_node *nodes;
	uint32_t n_edges;
	struct cgraph_edge *edges;
	uint32_t *in_edges, *out_edges; /* edge indices */
	struct cgraph_name *names;
	uint32_t n_names;
	char *arena;
	size_t arena_len;
};

/* Build the graph of p under the filters o and options go into g.
 * 0, -1 (out of memory or the work was stopped), or VIEW_OVERFLOW
 * (view.h) when a sum does not fit in int64. g is released on failure. */
int cgraph_build(const struct prof *p, const struct view_opts *o, const struct cgraph_opts *go, struct cgraph *g);
void cgraph_release(struct cgraph *g);

static inline const char *cgraph_str(const struct cgraph *g, uint32_t off)
{
	return g->arena + off;
}

/* pprof's graph.ShortenFunctionName for Go and Java names: the package
 * path before the last '/' and a major version suffix "/vN" go
 * ("github.com/a/b/v2.F" -> "b.F"). Written to out (NUL-terminated). */
void cgraph_shorten(const char *name, size_t len, struct buf *out);

/* Write g as go tool pprof -dot -unit=UNIT writes it (UNIT the sample
 * type's unit, so values are exact): the legend (the lines given, then
 * pprof's "Showing nodes accounting for ...", dropped nodes and edges,
 * "Showing top N nodes out of M"), nodes N1.. with labels, font sizes,
 * colours and tooltips "NAME (cum)", edges with weights, tooltips
 * "CALLER -> CALLEE (weight)" ("..." for residual ones), inline marks.
 * Every name is escaped for DOT. Label nodelets are not drawn (edges
 * leaving a node that has them get pprof's minlen=2). */
void cgraph_dot(const struct cgraph *g, const struct cgraph_opts *go, const char *unit,
                const char *const *legend, int n_legend, struct buf *out);
/* DOT's escString escaping of pprof's escapeForDot: \ and \" escaped,
 * newlines as \l. */
void cgraph_dot_escape(const char *s, size_t n, struct buf *out);

/* The value v as pprof prints it with -unit set to the sample unit:
 * "12345ns", "4096B", "17" (counts). */
void cgraph_fmt_value(int64_t v, const char *unit, char *out, size_t cap);
/* measurement.Percentage: "12.50%", "  100%", " 0.05%" (no trimming). */
void cgraph_fmt_pct(int64_t v, int64_t total, char *out, size_t cap);

#endif
