/*
 * view_sandwich.c: the callers and callees of one function (see view.h).
 *
 * Callees: every outermost occurrence of F (no F above it), its subtree
 * merged under one root. Callers: the path above each outermost F,
 * reversed, merged under one root. Both roots weigh F's cum.
 */
#include "view.h"

#include <stdlib.h>
#include <string.h>

/* Fill ce and ca (one column: totals) from the view; *cumf gets F's cum. */
static int sandwich_trees(const struct view *v, uint32_t fkey, struct ntree *ce, struct ntree *ca, int64_t *cumf)
{
	const struct ntree *t = &v->t;
	const int64_t *tot = t->col[VIEW_TOT];
	int rc = -1;
	uint8_t *above = calloc((size_t)t->n + 1, 1); /* F is strictly above i */
	uint32_t *map = malloc(((size_t)t->n + 1) * sizeof(uint32_t)); /* node -> node of ce */
	if (!above || !map || ntree_init(ce, 1, fkey, 256) < 0 || ntree_init(ca, 1, fkey, 256) < 0)
		goto out;
	memset(map, 0xff, ((size_t)t->n + 1) * sizeof(uint32_t));
	*cumf = 0;
	for (uint32_t i = 1; i < t->n; i++) {
		uint32_t par = ntree_parent(t, i);
		above[i] = above[par] || (par && ntree_key(t, par) == fkey);
		if (ntree_key(t, i) == fkey && !above[i]) {
			map[i] = 0;
			ce->col[0][0] += tot[i];
			*cumf += tot[i];
		} else if (above[i] && map[par] != NTREE_NONE) {
			uint32_t c = ntree_child(ce, map[par], ntree_key(t, i));
			if (c == NTREE_NONE)
				goto out;
			ce->col[0][c] += tot[i];
			map[i] = c;
		}
	}
	for (uint32_t i = 1; i < t->n; i++) {
		if (ntree_key(t, i) != fkey || above[i])
			continue;
		ca->col[0][0] += tot[i];
		uint32_t cur = 0;
		for (uint32_t a = ntree_parent(t, i); a != 0; a = ntree_parent(t, a)) {
			if ((cur = ntree_child(ca, cur, ntree_key(t, a))) == NTREE_NONE)
				goto out;
			ca->col[0][cur] += tot[i];
		}
	}
	struct ntree_names names = prof_names(v->p);
	if (ntree_finish(ce, &names, false) < 0 || ntree_finish(ca, &names, false) < 0)
		goto out;
	rc = 0;
out:
	free(above);
	free(map);
	return rc;
}

int view_sandwich_json(const struct view *v, const char *function, long max_nodes, struct json *j)
{
	const struct prof *p = v->p;
	uint32_t fkey = PROF_NONE;
	for (uint32_t i = 1; i < v->t.n && fkey == PROF_NONE; i++)
		if (strcmp(prof_str(p, ntree_key(&v->t, i)), function) == 0)
			fkey = ntree_key(&v->t, i);
	if (fkey == PROF_NONE)
		return VIEW_NOT_FOUND;
	struct ntree ce, ca;
	memset(&ce, 0, sizeof(ce));
	memset(&ca, 0, sizeof(ca));
	int64_t cumf = 0;
	int rc = -1;
	if (sandwich_trees(v, fkey, &ce, &ca, &cumf) < 0)
		goto out;
	json_obj_begin(j);
	view_json_header(v, j);
	json_key(j, "function");
	json_str(j, function);
	json_key(j, "cum");
	json_int(j, cumf);
	json_key(j, "callees");
	json_obj_begin(j);
	if (view_tree_json(p, &ce, 0, max_nodes, function, j) < 0)
		goto out;
	json_obj_end(j);
	json_key(j, "callers");
	json_obj_begin(j);
	if (view_tree_json(p, &ca, 0, max_nodes, function, j) < 0)
		goto out;
	json_obj_end(j);
	json_obj_end(j);
	rc = j->out->oom ? -1 : 0;
out:
	ntree_release(&ce);
	ntree_release(&ca);
	return rc;
}
