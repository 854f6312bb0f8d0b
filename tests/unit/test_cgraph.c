/*
 * test_cgraph.c: pprof's call graph (cgraph.h) on the tree profile of
 * test_view.c, worked out by hand with graph.newGraph's rules: a node's cum
 * once per sample, an edge's weight once per sample, no edge from a node
 * to itself, the edge into a frame inlined in its location "inline", flat
 * to the leaf unless it was trimmed away; nodes in flat order outside
 * visual mode; edges by weight, caller, callee. Then trimming, the DOT
 * writer's escaping and number formats, name shortening, and allocation
 * failures.
 *
 * Tree profile, samples/count, root first:
 *   S1 main -> alpha -> beta 10; S2 main -> alpha -> beta -> alpha 5;
 *   S3 main -> [gamma -> inlined] 3; S4 (no locations) 7;
 *   S5 main -> beta -> gamma 2.
 */
#include <stdlib.h>
#include <string.h>

#include "cgraph.h"
#include "filter.h"
#include "prof.h"
#include "tests.h"
#include "view.h"

static const char *nname(const struct cgraph *g, uint32_t node)
{
	return cgraph_str(g, g->names[g->nodes[node].name].off);
}

static struct cgraph build(const struct prof *p, double nf, long nodecount, bool visual)
{
	struct view_opts o;
	memset(&o, 0, sizeof(o));
	struct cgraph_opts go = { nf, 0, nodecount, CGRAPH_FUNCTIONS, visual };
	struct cgraph g;
	ck_assert_int_eq(cgraph_build(p, &o, &go, &g), 0);
	return g;
}

START_TEST(counts_as_pprof)
{
	struct prof *p = test_tree_profile();
	struct cgraph g = build(p, 0, 0, false);
	ck_assert_int_eq(g.total, 27);
	static const struct {
		const char *name;
		int64_t flat, cum;
	} want[] = { { "pkg.beta", 10, 17 }, { "pkg.alpha", 5, 15 }, { "pkg.inlined", 3, 3 },
		     { "pkg.gamma", 2, 5 }, { "main.main", 0, 20 } };
	ck_assert_uint_eq(g.n_nodes, 5);
	for (uint32_t i = 0; i < 5; i++) {
		ck_assert_str_eq(nname(&g, i), want[i].name);
		ck_assert_int_eq(g.nodes[i].flat, want[i].flat);
		ck_assert_int_eq(g.nodes[i].cum, want[i].cum);
	}
	static const struct {
		const char *src, *dst;
		int64_t w;
		bool inl;
	} we[] = { { "main.main", "pkg.alpha", 15, false }, { "pkg.alpha", "pkg.beta", 15, false },
		   { "pkg.beta", "pkg.alpha", 5, false },   { "main.main", "pkg.gamma", 3, false },
		   { "pkg.gamma", "pkg.inlined", 3, true }, { "main.main", "pkg.beta", 2, false },
		   { "pkg.beta", "pkg.gamma", 2, false } };
	ck_assert_uint_eq(g.n_edges, 7);
	for (uint32_t i = 0; i < 7; i++) {
		ck_assert_str_eq(nname(&g, g.edges[i].src), we[i].src);
		ck_assert_str_eq(nname(&g, g.edges[i].dst), we[i].dst);
		ck_assert_int_eq(g.edges[i].weight, we[i].w);
		ck_assert(g.edges[i].inl == we[i].inl);
		ck_assert(!g.edges[i].residual);
	}
	/* beta: in from alpha (15) and main (2), out to alpha (5), gamma (2) */
	ck_assert_uint_eq(g.nodes[0].n_in, 2);
	ck_assert_uint_eq(g.nodes[0].n_out, 2);
	ck_assert_str_eq(nname(&g, g.edges[g.in_edges[g.nodes[0].in_off]].src), "pkg.alpha");
	ck_assert_str_eq(nname(&g, g.edges[g.out_edges[g.nodes[0].out_off + 1]].dst), "pkg.gamma");
	cgraph_release(&g);
	prof_free(p);
}
END_TEST

START_TEST(nodecount_rebuilds_from_samples)
{
	struct prof *p = test_tree_profile();
	/* top 3 by flat: beta, alpha, inlined; S5's leaf gamma is gone so it
	 * adds no flat; main is gone, so nothing enters alpha */
	struct cgraph g = build(p, 0, 3, false);
	ck_assert_uint_eq(g.n_nodes, 3);
	ck_assert_uint_eq(g.orig_count, 5);
	ck_assert_str_eq(nname(&g, 0), "pkg.beta");
	ck_assert_int_eq(g.nodes[0].flat, 10);
	ck_assert_int_eq(g.nodes[0].cum, 17);
	ck_assert_int_eq(g.nodes[1].cum, 15);
	ck_assert_uint_eq(g.n_edges, 2);
	ck_assert_int_eq(g.flat_sum, 18);
	cgraph_release(&g);
	/* nodefraction 0.5 of the flat sum (20): cum >= 10 stays */
	g = build(p, 0.5, 0, false);
	ck_assert_uint_eq(g.n_nodes, 3);
	ck_assert_uint_eq(g.dropped_nodes, 2);
	ck_assert_int_eq(g.node_cutoff, 10);
	cgraph_release(&g);
	prof_free(p);
}
END_TEST

START_TEST(granularity_names)
{
	struct prof *p = test_tree_profile();
	struct view_opts o;
	memset(&o, 0, sizeof(o));
	struct cgraph_opts go = { 0, 0, 0, CGRAPH_LINES, false };
	struct cgraph g;
	ck_assert_int_eq(cgraph_build(p, &o, &go, &g), 0);
	ck_assert_str_eq(nname(&g, 0), "pkg.beta /src/pkg/b.go:3");
	cgraph_release(&g);
	go.gran = CGRAPH_FILES;
	ck_assert_int_eq(cgraph_build(p, &o, &go, &g), 0);
	ck_assert_str_eq(nname(&g, 0), "/src/pkg/b.go");
	cgraph_release(&g);
	ck_assert_int_eq(cgraph_gran_parse("filefunctions"), CGRAPH_FILEFUNCTIONS);
	ck_assert_int_eq(cgraph_gran_parse(""), CGRAPH_FUNCTIONS);
	ck_assert_int_eq(cgraph_gran_parse("addresses"), CGRAPH_ADDRESSES);
	ck_assert_int_eq(cgraph_gran_parse("address"), -1);
	prof_free(p);
}
END_TEST

static void shorten_is(const char *in, const char *want)
{
	struct buf b = BUF_INIT;
	cgraph_shorten(in, strlen(in), &b);
	buf_addc(&b, 0);
	ck_assert_str_eq(b.data, want);
	buf_release(&b);
}

START_TEST(formats)
{
	char s[64];
	cgraph_fmt_value(1230000000, "nanoseconds", s, sizeof(s));
	ck_assert_str_eq(s, "1230000000ns");
	cgraph_fmt_value(4096, "bytes", s, sizeof(s));
	ck_assert_str_eq(s, "4096B");
	cgraph_fmt_value(17, "count", s, sizeof(s));
	ck_assert_str_eq(s, "17");
	cgraph_fmt_value(0, "bytes", s, sizeof(s));
	ck_assert_str_eq(s, "0");
	cgraph_fmt_pct(1, 3, s, sizeof(s));
	ck_assert_str_eq(s, "33.33%");
	cgraph_fmt_pct(1, 1000, s, sizeof(s));
	ck_assert_str_eq(s, "  0.1%");
	cgraph_fmt_pct(5, 5, s, sizeof(s));
	ck_assert_str_eq(s, "  100%");
	shorten_is("github.com/a/b/v2.F", "b.F");
	shorten_is("github.com/a/b.(*T).m", "b.(*T).m");
	shorten_is("main.T.m", "T.m");
	shorten_is("main.main", "main.main");
	shorten_is("core::ops::function::FnOnce::call_once", "FnOnce::call_once");
	struct buf e = BUF_INIT;
	cgraph_dot_escape("a\"b\\c\nd", 7, &e);
	buf_addc(&e, 0);
	ck_assert_str_eq(e.data, "a\\\"b\\\\c\\ld");
	buf_release(&e);
}
END_TEST

START_TEST(dot_of_hostile_names)
{
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	pbw_function(&w, 1, "main.\"q\\\n", "a.go");
	uint64_t id = 1;
	int64_t line = 1;
	pbw_location(&w, 1, 0, 1, &id, &line);
	int64_t v = 4;
	pbw_sample(&w, 1, &id, 1, &v, 0, NULL);
	struct prof *p = test_decode(&w, true);
	struct cgraph g = build(p, 0, 80, true);
	struct cgraph_opts go = { 0, 0, 80, CGRAPH_FUNCTIONS, true };
	struct buf out = BUF_INIT;
	cgraph_dot(&g, &go, "count", NULL, 0, &out);
	buf_addc(&out, 0);
	ck_assert_msg(strstr(out.data, "tooltip=\"main.\\\"q\\\\\\l (4)\"") != NULL, "%s", out.data);
	ck_assert_msg(strstr(out.data, "\n\"") == NULL, "a raw newline inside a string: %s", out.data);
	buf_release(&out);
	cgraph_release(&g);
	prof_free(p);
}
END_TEST

static int op_graph(void *ctx, struct buf *out)
{
	const struct prof *p = ctx;
	struct view_opts o;
	memset(&o, 0, sizeof(o));
	struct cgraph_opts go = { 0.1, 0.01, 3, CGRAPH_FUNCTIONS, true };
	struct cgraph g;
	int rc = cgraph_build(p, &o, &go, &g);
	if (rc != 0)
		return -1;
	cgraph_dot(&g, &go, "count", NULL, 0, out);
	cgraph_release(&g);
	return out->oom ? -1 : 0;
}

START_TEST(allocation_failures)
{
	struct prof *p = test_tree_profile();
	failalloc_check("cgraph", op_graph, p);
	prof_free(p);
}
END_TEST

Suite *cgraph_suite(void)
{
	Suite *s = suite_create("cgraph");
	TCase *tc = tcase_create("cgraph");
	tcase_add_test(tc, counts_as_pprof);
	tcase_add_test(tc, nodecount_rebuilds_from_samples);
	tcase_add_test(tc, granularity_names);
	tcase_add_test(tc, formats);
	tcase_add_test(tc, dot_of_hostile_names);
	tcase_add_test(tc, allocation_failures);
	suite_add_tcase(s, tc);
	return s;
}
