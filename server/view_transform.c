/*
 * view_transform.c: collapse recursion, merge a function (see
 * view_transform.h).
 *
 * The view's tree T0 is walked parents first (parent[i] < i); m[i] is the
 * node of the new tree for T0's node i: m[parent] itself when the frame
 * is dropped, else the child of m[parent] for i's name. Whether a name is
 * on the new path is answered by walking the new tree's parents (a path
 * is at most the stack depth).
 */
#include "view_transform.h"

#include <stdlib.h>
#include <string.h>

#include "work.h"

bool view_transform_wanted(const struct view_opts *o)
{
	return o->collapse_recursion || o->has_merge_fn;
}

int view_transform(struct view *v, const struct view_opts *o)
{
	const struct prof *p = v->p;
	const struct ntree *t0 = &v->t;
	uint32_t *m = malloc(((size_t)t0->n + 1) * sizeof(uint32_t));
	uint8_t *merge = o->has_merge_fn ? calloc((size_t)p->n_strs + 1, 1) : NULL; /* 0 unknown, 1 no, 2 yes */
	struct ntree t = { 0 };
	int rc = -1;
	if (!m || (o->has_merge_fn && !merge) || ntree_init(&t, VIEW_NCOLS, PROF_NONE, (size_t)t0->n + 1) < 0)
		goto out;
	m[0] = 0;
	t.col[VIEW_SELF][0] += t0->col[VIEW_SELF][0];
	for (uint32_t i = 1; i < t0->n; i++) {
		if ((i & 1023) == 0 && work_poll() != WORK_OK)
			goto out;
		uint32_t par = m[ntree_parent(t0, i)], key = ntree_key(t0, i);
		bool drop = false;
		if (merge && key < p->n_strs) {
			if (!merge[key])
				merge[key] = rx_match(&o->merge_fn, prof_str(p, key), prof_strlen(p, key)) ? 2 : 1;
			drop = merge[key] == 2;
		}
		for (uint32_t x = par; o->collapse_recursion && !drop && x != 0; x = ntree_parent(&t, x))
			drop = ntree_key(&t, x) == key;
		if (drop) {
			m[i] = par;
		} else if ((m[i] = ntree_child(&t, par, key)) == NTREE_NONE) {
			goto out;
		}
		t.col[VIEW_SELF][m[i]] += t0->col[VIEW_SELF][i];
	}
	if (o->has_merge_fn && rx_failed(&o->merge_fn))
		goto out;
	struct ntree_names names = prof_names(p);
	if (ntree_finish(&t, &names, true) < 0)
		goto out;
	ntree_release(&v->t);
	v->t = t;
	memset(&t, 0, sizeof(t));
	rc = 0;
out:
	free(m);
	free(merge);
	ntree_release(&t);
	return rc;
}
