/*
 * view_flame.c: the flame-graph shape, of a view and of the sandwich's
 * trees (see view.h).
 */
#include "view.h"

#include <stdlib.h>
#include <string.h>

uint32_t *view_key_files(const struct prof *p)
{
	uint32_t *file_of = malloc(((size_t)p->n_strs + 1) * sizeof(uint32_t));
	if (!file_of)
		return NULL;
	memset(file_of, 0xff, ((size_t)p->n_strs + 1) * sizeof(uint32_t));
	for (uint32_t f = 0; f < p->n_frames; f++) {
		const struct prof_frame *fr = &p->frames[f];
		if (fr->func != PROF_NONE && file_of[fr->key] == PROF_NONE)
			file_of[fr->key] = p->funcs[fr->func].file;
	}
	return file_of;
}

int view_tree_json(const struct prof *p, const struct ntree *t, int col, long max_nodes,
                   const char *root_name, struct json *j)
{
	struct ntree_names names = prof_names(p);
	struct ntree_walk w;
	uint32_t *file_of = view_key_files(p);
	if (!file_of || ntree_walk(t, names.n, t->col[col], max_nodes, &w) < 0) {
		free(file_of);
		return -1;
	}
	ntree_json(t, &w, &names, root_name, file_of, &col, 1, j);
	ntree_walk_release(&w);
	free(file_of);
	return 0;
}

int view_flame_json(const struct view *v, long max_nodes, struct json *j)
{
	json_obj_begin(j);
	view_json_header(v, j);
	if (view_tree_json(v->p, &v->t, VIEW_TOT, max_nodes, "root", j) < 0)
		return -1;
	json_obj_end(j);
	return j->out->oom ? -1 : 0;
}
