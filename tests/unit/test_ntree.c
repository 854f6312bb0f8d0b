/*
 * test_ntree.c: name trees (ntree.h): building by child lookup, sorted
 * children and 'first' flags, borrowed copies, pruning to max_nodes, the
 * flame-graph JSON, names interned across tables and folding trees into
 * one, and every allocation failure on the way.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsoncheck.h"
#include "ntree.h"
#include "tests.h"

/* A name table of test strings; "a\0z" has a NUL inside (length 3). */
enum { K_MAIN, K_B, K_A, K_AB, K_ANUL, K_FILE_M, K_FILE_A, NKEYS };
static const char *const key_str[NKEYS] = { "main", "b", "a", "ab", "a\0z", "m.go", "a.go" };
static const uint32_t key_len[NKEYS] = { 4, 1, 1, 2, 3, 4, 4 };

static struct ntree_names test_names(void)
{
	struct ntree_names nm = { .n = NKEYS, .len = key_len, .ptr = key_str };
	return nm;
}

/* root -> main -> b -> main -> a
 *              -> ab
 *              -> a\0z
 *              -> a
 * with self values in column 0, as a profile's samples would put them. */
struct shape {
	uint32_t main, b, main2, a2, ab, anul, a;
};

static int build_shape(struct ntree *t, struct shape *s)
{
	if (ntree_init(t, 2, NTREE_NONE, 4) < 0)
		return -1;
	s->main = ntree_child(t, 0, K_MAIN);
	s->b = ntree_child(t, s->main, K_B);
	s->main2 = ntree_child(t, s->b, K_MAIN);
	s->a2 = ntree_child(t, s->main2, K_A);
	s->ab = ntree_child(t, s->main, K_AB);
	s->anul = ntree_child(t, s->main, K_ANUL);
	s->a = ntree_child(t, s->main, K_A);
	if (s->main == NTREE_NONE || s->b == NTREE_NONE || s->main2 == NTREE_NONE || s->a2 == NTREE_NONE ||
	    s->ab == NTREE_NONE || s->anul == NTREE_NONE || s->a == NTREE_NONE)
		return -1;
	t->col[0][s->a2] = 4;
	t->col[0][s->b] = 1;
	t->col[0][s->ab] = 2;
	t->col[0][s->a] = 3;
	t->col[0][0] = 5;
	return 0;
}

START_TEST(ntree_build_finish)
{
	struct ntree t;
	struct shape s;
	ck_assert_int_eq(build_shape(&t, &s), 0);
	ck_assert_uint_eq(t.n, 8);
	/* The same (parent, key) is the same node. */
	ck_assert_uint_eq(ntree_child(&t, 0, K_MAIN), s.main);
	ck_assert_uint_eq(ntree_child(&t, s.main, K_A), s.a);
	ck_assert_uint_eq(t.n, 8);
	for (uint32_t i = 1; i < t.n; i++)
		ck_assert_uint_lt(t.parent[i], i);
	struct ntree_names nm = test_names();
	ck_assert_int_eq(ntree_finish(&t, &nm, true), 0);
	/* Children by bytes, then length: "a" < "a\0z" < "ab" < "b". */
	ck_assert_uint_eq(t.koff[s.main + 1] - t.koff[s.main], 4);
	const uint32_t *kids = t.klist + t.koff[s.main];
	ck_assert_uint_eq(kids[0], s.a);
	ck_assert_uint_eq(kids[1], s.anul);
	ck_assert_uint_eq(kids[2], s.ab);
	ck_assert_uint_eq(kids[3], s.b);
	ck_assert_uint_eq(t.koff[1] - t.koff[0], 1);
	ck_assert_uint_eq(t.klist[t.koff[0]], s.main);
	/* first: main is below main only once. */
	ck_assert_uint_eq(t.first[0], 0);
	ck_assert_uint_eq(t.first[s.main], 1);
	ck_assert_uint_eq(t.first[s.b], 1);
	ck_assert_uint_eq(t.first[s.main2], 0);
	ck_assert_uint_eq(t.first[s.a2], 1);
	ck_assert_uint_eq(t.first[s.a], 1);
	/* Totals. */
	ntree_sum_up(&t, 0, 1);
	ck_assert_int_eq(t.col[1][0], 15);
	ck_assert_int_eq(t.col[1][s.main], 10);
	ck_assert_int_eq(t.col[1][s.b], 5);
	ck_assert_int_eq(t.col[1][s.main2], 4);
	ck_assert_int_eq(t.col[0][s.main], 0); /* the source column is left alone */
	ntree_release(&t);
	ck_assert_ptr_null(t.parent);
	ntree_release(&t); /* twice is safe */
}
END_TEST

START_TEST(ntree_borrowed)
{
	struct ntree t, b;
	struct shape s;
	ck_assert_int_eq(build_shape(&t, &s), 0);
	struct ntree_names nm = test_names();
	ck_assert_int_eq(ntree_finish(&t, &nm, true), 0);
	ck_assert_int_eq(ntree_borrow(&b, &t, 2), 0);
	ck_assert_uint_eq(b.n, t.n);
	ck_assert_ptr_eq(b.parent, t.parent);
	ck_assert_ptr_eq(b.klist, t.klist);
	ck_assert_ptr_eq(b.first, t.first);
	ck_assert_ptr_ne(b.col[0], t.col[0]);
	for (uint32_t i = 0; i < b.n; i++)
		ck_assert_int_eq(b.col[0][i], 0);
	b.col[0][s.a] = 7;
	ntree_sum_up(&b, 0, 0);
	ck_assert_int_eq(b.col[0][0], 7);
	ck_assert_int_eq(t.col[0][s.a], 3);
	ntree_release(&b); /* frees b's columns only */
	ck_assert_uint_eq(t.parent[s.a], s.main);
	ntree_release(&t);
}
END_TEST

/* Prune by the weights w (ids 0..n-1 in creation order) and return the
 * shown ids in pre-order as a string like "0 1 2". */
static void walk_string(struct ntree *t, const int64_t *w, long max_nodes, char *out, size_t cap)
{
	struct ntree_walk wk;
	ck_assert_int_eq(ntree_walk(t, NKEYS, w, max_nodes, &wk), 0);
	size_t len = 0;
	out[0] = '\0';
	for (uint32_t i = 0; i < wk.n; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s%u", i ? " " : "", wk.order[i]);
	ntree_walk_release(&wk);
}

START_TEST(ntree_prune_ties)
{
	/* root(10) -> x(6) -> y(3); root -> z(3) -> w(3); root -> q(0)
	 * x, y, z, w, q are nodes 1..5; the root's children by name: x, q, z. */
	enum { K_X = K_A, K_Y = K_B, K_Z = K_MAIN, K_W = K_AB, K_Q = K_ANUL };
	struct ntree t;
	ck_assert_int_eq(ntree_init(&t, 1, NTREE_NONE, 8), 0);
	uint32_t x = ntree_child(&t, 0, K_X), y = ntree_child(&t, x, K_Y);
	uint32_t z = ntree_child(&t, 0, K_Z), w = ntree_child(&t, z, K_W), q = ntree_child(&t, 0, K_Q);
	ck_assert(x == 1 && y == 2 && z == 3 && w == 4 && q == 5);
	struct ntree_names nm = test_names();
	ck_assert_int_eq(ntree_finish(&t, &nm, false), 0);
	const int64_t wt[] = { 10, 6, 3, 3, 3, 0 };
	char got[64];
	walk_string(&t, wt, 0, got, sizeof(got));
	ck_assert_str_eq(got, "0 1 2 3 4"); /* zero weight: never shown */
	walk_string(&t, wt, 100, got, sizeof(got));
	ck_assert_str_eq(got, "0 1 2 3 4");
	walk_string(&t, wt, 5, got, sizeof(got));
	ck_assert_str_eq(got, "0 1 2 3 4");
	/* Threshold 3 (the 3rd largest): above it root and x; of the ties,
	 * parents first: y, then z; w would make five. */
	walk_string(&t, wt, 3, got, sizeof(got));
	ck_assert_str_eq(got, "0 1 2");
	walk_string(&t, wt, 4, got, sizeof(got));
	ck_assert_str_eq(got, "0 1 2 3");
	walk_string(&t, wt, 1, got, sizeof(got));
	ck_assert_str_eq(got, "0");
	/* Weights are compared by magnitude. */
	const int64_t neg[] = { 10, -6, 3, -3, 3, 0 };
	walk_string(&t, neg, 2, got, sizeof(got));
	ck_assert_str_eq(got, "0 1");
	/* A node whose parent is not shown is not shown. */
	const int64_t orphan[] = { 10, 0, 3, 3, 3, 0 };
	walk_string(&t, orphan, 0, got, sizeof(got));
	ck_assert_str_eq(got, "0 3 4");
	ntree_release(&t);
}
END_TEST

START_TEST(ntree_json_shape)
{
	struct ntree t;
	struct shape s;
	ck_assert_int_eq(build_shape(&t, &s), 0);
	struct ntree_names nm = test_names();
	ck_assert_int_eq(ntree_finish(&t, &nm, true), 0);
	ntree_sum_up(&t, 0, 1);
	uint32_t file_of[NKEYS];
	for (int k = 0; k < NKEYS; k++)
		file_of[k] = NTREE_NONE;
	file_of[K_MAIN] = K_FILE_M;
	file_of[K_A] = K_FILE_A;
	struct ntree_walk w;
	ck_assert_int_eq(ntree_walk(&t, NKEYS, t.col[1], 0, &w), 0);
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	json_obj_begin(&j);
	int cols[] = { 1 };
	ntree_json(&t, &w, &nm, "everything", file_of, cols, 1, &j);
	json_obj_end(&j);
	ntree_walk_release(&w);
	ck_assert_msg(json_is_valid(b.data, b.len), "%s", b.data);
	/* a\0z has no weight: not shown. main shows twice, named once. */
	ck_assert_str_eq(b.data, "{\"names\":[\"everything\",\"main\",\"a\",\"ab\",\"b\"],"
	                         "\"files\":[\"\",\"m.go\",\"a.go\",\"\",\"\"],"
	                         "\"nodes\":[[0,0,5,15],[1,1,0,10],[2,2,3,3],[3,2,2,2],[4,2,1,5],"
	                         "[1,3,0,4],[2,4,4,4]]}");
	buf_release(&b);
	/* Pruned to three nodes, two columns: what is cut folds into self. */
	ck_assert_int_eq(ntree_walk(&t, NKEYS, t.col[1], 3, &w), 0);
	json_init(&j, &b);
	json_obj_begin(&j);
	int cols2[] = { 1, 0 };
	ntree_json(&t, &w, &nm, "root", NULL, cols2, 2, &j);
	json_obj_end(&j);
	ntree_walk_release(&w);
	ck_assert_str_eq(b.data, "{\"names\":[\"root\",\"main\",\"b\"],"
	                         "\"nodes\":[[0,0,5,15,5,5],[1,1,5,10,-1,0],[2,2,5,5,1,1]]}");
	buf_release(&b);
	ntree_release(&t);
}
END_TEST

/* Two "profiles" with their own key numbering fold into one tree. */
static const char *const p1_str[] = { "main", "f", "g" };
static const uint32_t p1_len[] = { 4, 1, 1 };
static const char *const p2_str[] = { "h", "g", "main" };
static const uint32_t p2_len[] = { 1, 1, 4 };

/* p1: main -> f (2), main -> g (3); p2: main -> g (5), main -> h -> g (7).
 * Column 0 of each holds totals. */
static int build_side(struct ntree *t, int side)
{
	const struct ntree_names nm = side ? (struct ntree_names){ .n = 3, .len = p2_len, .ptr = p2_str }
	                                   : (struct ntree_names){ .n = 3, .len = p1_len, .ptr = p1_str };
	if (ntree_init(t, 1, NTREE_NONE, 4) < 0)
		return -1;
	uint32_t m = ntree_child(t, 0, side ? 2 : 0);
	if (m == NTREE_NONE)
		return -1;
	if (!side) {
		uint32_t f = ntree_child(t, m, 1), g = ntree_child(t, m, 2);
		if (f == NTREE_NONE || g == NTREE_NONE)
			return -1;
		t->col[0][f] = 2;
		t->col[0][g] = 3;
	} else {
		uint32_t g = ntree_child(t, m, 1), h = ntree_child(t, m, 0);
		uint32_t hg = h == NTREE_NONE ? NTREE_NONE : ntree_child(t, h, 1);
		if (g == NTREE_NONE || hg == NTREE_NONE)
			return -1;
		t->col[0][g] = 5;
		t->col[0][hg] = 7;
	}
	ntree_sum_up(t, 0, 0);
	return ntree_finish(t, &nm, false);
}

/* Fold both sides into one tree (columns: p1, p2) and write it. */
static int fold_both(const struct ntree *s1, const struct ntree *s2, struct buf *out)
{
	const struct ntree_names n1 = { .n = 3, .len = p1_len, .ptr = p1_str };
	const struct ntree_names n2 = { .n = 3, .len = p2_len, .ptr = p2_str };
	struct ntree_intern u;
	struct ntree t;
	struct ntree_walk w;
	memset(&t, 0, sizeof(t));
	int rc = -1;
	if (ntree_intern_init(&u, 4) < 0 || ntree_init(&t, 2, NTREE_NONE, 4) < 0 ||
	    ntree_fold(&t, &u, 0, s1, &n1, 0) != 0 || ntree_fold(&t, &u, 1, s2, &n2, 0) != 0)
		goto out;
	struct ntree_names nm = ntree_intern_names(&u);
	if (ntree_finish(&t, &nm, false) < 0 || ntree_walk(&t, nm.n, t.col[1], 0, &w) < 0)
		goto out;
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	static const int cols[] = { 0, 1 };
	ntree_json(&t, &w, &nm, "root", NULL, cols, 2, &j);
	json_obj_end(&j);
	ntree_walk_release(&w);
	rc = out->oom ? -1 : 0;
out:
	ntree_release(&t);
	ntree_intern_release(&u);
	return rc;
}

START_TEST(ntree_fold_union)
{
	struct ntree s1, s2;
	ck_assert_int_eq(build_side(&s1, 0), 0);
	ck_assert_int_eq(build_side(&s2, 1), 0);
	struct buf b = BUF_INIT;
	ck_assert_int_eq(fold_both(&s1, &s2, &b), 0);
	/* Shown by p2's totals (column 1): f has none there, so p1's f folds
	 * into main's self. Nodes: [name, depth, p1 self, p1 total, p2 self,
	 * p2 total]. */
	ck_assert_str_eq(b.data, "{\"names\":[\"root\",\"main\",\"g\",\"h\"],"
	                         "\"nodes\":[[0,0,0,5,0,12],[1,1,2,5,0,12],[2,2,3,3,5,5],[3,2,0,0,0,7],"
	                         "[2,3,0,0,7,7]]}");
	buf_release(&b);
	/* Interning: one key per distinct string, whatever table it came from. */
	struct ntree_intern u;
	ck_assert_int_eq(ntree_intern_init(&u, 2), 0);
	ck_assert_uint_eq(ntree_intern(&u, "main", 4), 0);
	ck_assert_uint_eq(ntree_intern(&u, "g", 1), 1);
	ck_assert_uint_eq(ntree_intern(&u, p2_str[2], 4), 0);
	ck_assert_uint_eq(ntree_intern(&u, "mai", 3), 2);
	struct ntree_names nm = ntree_intern_names(&u);
	uint32_t len;
	ck_assert_uint_eq(nm.n, 3);
	ck_assert(memcmp(ntree_name(&nm, 2, &len), "mai", 3) == 0 && len == 3);
	ck_assert_str_eq(ntree_name(&nm, 7, &len), ""); /* out of range: empty */
	ck_assert_uint_eq(len, 0);
	ntree_intern_release(&u);
	ntree_release(&s1);
	ntree_release(&s2);
}
END_TEST

START_TEST(ntree_fold_overflow)
{
	struct ntree s1, t;
	ck_assert_int_eq(build_side(&s1, 0), 0);
	struct ntree_intern u;
	ck_assert_int_eq(ntree_intern_init(&u, 4), 0);
	ck_assert_int_eq(ntree_init(&t, 1, NTREE_NONE, 4), 0);
	const struct ntree_names n1 = { .n = 3, .len = p1_len, .ptr = p1_str };
	ck_assert_int_eq(ntree_fold(&t, &u, 0, &s1, &n1, 0), 0);
	ck_assert_int_eq(t.col[0][0], 5);
	t.col[0][0] = INT64_MAX - 4;
	ck_assert_int_eq(ntree_fold(&t, &u, 0, &s1, &n1, 0), 1);
	ck_assert_int_eq(t.col[0][0], INT64_MAX - 4); /* the sum that overflowed is not stored */
	ntree_release(&t);
	ntree_intern_release(&u);
	ntree_release(&s1);
}
END_TEST

/* ---- allocation failures ---------------------------------------------------- */

static int op_shape(void *arg, struct buf *out)
{
	(void)arg;
	struct ntree t;
	struct shape s;
	struct ntree_walk w;
	int rc = -1;
	struct ntree_names nm = test_names();
	if (build_shape(&t, &s) < 0 || ntree_finish(&t, &nm, true) < 0)
		goto out;
	struct ntree b;
	if (ntree_borrow(&b, &t, 1) < 0) {
		ntree_release(&b);
		goto out;
	}
	ntree_release(&b);
	ntree_sum_up(&t, 0, 1);
	if (ntree_walk(&t, NKEYS, t.col[1], 3, &w) < 0)
		goto out;
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	int cols[] = { 1 };
	ntree_json(&t, &w, &nm, "root", NULL, cols, 1, &j);
	json_obj_end(&j);
	ntree_walk_release(&w);
	rc = out->oom ? -1 : 0;
out:
	ntree_release(&t);
	return rc;
}

static int op_fold(void *arg, struct buf *out)
{
	(void)arg;
	struct ntree s1, s2;
	memset(&s2, 0, sizeof(s2));
	int rc = -1;
	if (build_side(&s1, 0) == 0 && build_side(&s2, 1) == 0)
		rc = fold_both(&s1, &s2, out);
	ntree_release(&s1);
	ntree_release(&s2);
	return rc;
}

START_TEST(ntree_failalloc)
{
	failalloc_check("ntree build, finish, borrow, walk, json", op_shape, NULL);
	failalloc_check("ntree intern and fold", op_fold, NULL);
}
END_TEST

Suite *ntree_suite(void)
{
	Suite *s = suite_create("ntree");
	TCase *tc = tcase_create("ntree");
	tcase_add_test(tc, ntree_build_finish);
	tcase_add_test(tc, ntree_borrowed);
	tcase_add_test(tc, ntree_prune_ties);
	tcase_add_test(tc, ntree_json_shape);
	tcase_add_test(tc, ntree_fold_union);
	tcase_add_test(tc, ntree_fold_overflow);
	tcase_add_test(tc, ntree_failalloc);
	suite_add_tcase(s, tc);
	return s;
}
