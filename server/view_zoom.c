/*
 * view_zoom.c: a view cut to one frame (view_zoom.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "view_zoom.h"
#include "work.h"

/* Does the escaped path element at s[*i..] (up to an unescaped ';' or the
 * end) equal name? *i is moved past the element and its ';' either way. */
static bool element_is(const char *s, size_t len, size_t *i, const char *name, uint32_t nlen)
{
	bool same = true;
	uint32_t k = 0;
	size_t j = *i;
	for (; j < len && s[j] != ';'; j++) {
		char c = s[j];
		if (c == '\\' && j + 1 < len)
			c = s[++j];
		if (k >= nlen || name[k] != c)
			same = false;
		k++;
	}
	*i = j < len ? j + 1 : j;
	return same && k == nlen;
}

/* The child of node n named by the path element at s[*i..], or 0 (the root
 * is no one's child); *i moves past the element. */
static uint32_t child_named(const struct view *v, const struct ntree_names *nm, uint32_t n, const char *s, size_t len,
                            size_t *i)
{
	size_t start = *i, end = *i;
	for (uint32_t c = v->t.koff[n]; c < v->t.koff[n + 1]; c++) {
		uint32_t ch = v->t.klist[c], nlen;
		const char *name = ntree_name(nm, ntree_key(&v->t, ch), &nlen);
		size_t at = start;
		if (element_is(s, len, &at, name, nlen)) {
			*i = at;
			return ch;
		}
		end = at;
	}
	*i = end;
	return 0;
}

static int64_t absv(int64_t x)
{
	return x < 0 ? -x : x;
}

int view_zoom(struct view *v, const char *path, size_t len, uint32_t *depth)
{
	if (depth)
		*depth = 0;
	if (!path || !len || v->t.n < 2)
		return 0;
	struct ntree_names nm = prof_names(v->p);
	uint32_t z = 0, d = 0;
	size_t i = 0;
	while (i < len) {
		if (work_poll() != WORK_OK) /* one scan of a node's children per name */
			return -1;
		uint32_t c = child_named(v, &nm, z, path, len, &i);
		if (!c)
			break;
		z = c;
		d++;
	}
	if (depth)
		*depth = d;
	if (z == 0)
		return 0;
	uint32_t n = v->t.n;
	size_t held = (size_t)n;
	if (work_charge(held) < 0)
		return -1;
	uint8_t *in = calloc(n, 1); /* 1: below z (z included), 2: above it */
	if (!in) {
		work_uncharge(held);
		return -1;
	}
	for (uint32_t x = ntree_parent(&v->t, z);; x = ntree_parent(&v->t, x)) {
		in[x] = 2;
		if (x == 0)
			break;
	}
	in[z] = 1;
	int64_t *self = v->t.col[VIEW_SELF], *tot = v->t.col[VIEW_TOT];
	int64_t total = 0;
	int rc = 0;
	/* parents come before their children: one pass marks the subtree */
	for (uint32_t x = 1; x < n; x++) {
		if ((x & 4095) == 0 && work_poll() != WORK_OK) {
			rc = -1;
			break;
		}
		if (x > z && in[ntree_parent(&v->t, x)] == 1)
			in[x] = 1;
		if (in[x] == 1)
			total += absv(self[x]);
	}
	if (rc == 0) {
		int64_t ztot = tot[z];
		for (uint32_t x = 0; x < n; x++) {
			if (in[x] == 1)
				continue;
			self[x] = 0;
			tot[x] = in[x] == 2 ? ztot : 0;
		}
		v->total = total;
	}
	free(in);
	work_uncharge(held);
	return rc;
}
