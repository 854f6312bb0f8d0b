/*
 * view_granularity.c: names at a granularity, and the profile keyed by
 * them (see view_granularity.h).
 *
 * The derived profile is built in O(frames) (O(location frames) at
 * addresses, where one frame of the profile can sit at many addresses):
 * each frame's name is printed once and interned by its bytes (a hash of
 * the bytes to the new string id, collisions probed), so two frames with
 * one printed name have one key, as pprof merges nodes with one NodeInfo.
 */
#include "view_granularity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "work.h"

static const char *const gran_names[VIEW_GRAN_COUNT] = { "functions", "filefunctions", "files", "lines",
	                                                 "addresses" };

int view_gran_parse(const char *s)
{
	if (!s || !*s)
		return VIEW_GRAN_FUNCTIONS;
	for (int i = 0; i < VIEW_GRAN_COUNT; i++)
		if (!strcmp(s, gran_names[i]))
			return i;
	return -1;
}

const char *view_gran_name(int gran)
{
	return gran >= 0 && gran < VIEW_GRAN_COUNT ? gran_names[gran] : "functions";
}

bool view_gran_available(const struct prof *p, int gran)
{
	return gran != VIEW_GRAN_ADDRESSES || p->loc_addr || p->n_locs == 0;
}

/* Go's filepath.Clean of s[0..n) appended to out. */
static void path_clean(const char *s, size_t n, struct buf *out)
{
	size_t start = out->len;
	bool rooted = n > 0 && s[0] == '/';
	if (rooted)
		buf_addc(out, '/');
	size_t base = out->len; /* where elements begin */
	size_t i = 0;
	while (i < n) {
		while (i < n && s[i] == '/')
			i++;
		size_t j = i;
		while (j < n && s[j] != '/')
			j++;
		size_t el = j - i;
		if (el == 0 || (el == 1 && s[i] == '.')) {
			/* skip */
		} else if (el == 2 && s[i] == '.' && s[i + 1] == '.') {
			/* back up to the previous element, unless it is ".." */
			size_t e = out->len;
			bool can = e > base && !(e - base >= 2 && out->data[e - 1] == '.' && out->data[e - 2] == '.' &&
			                         (e - base == 2 || out->data[e - 3] == '/'));
			if (can) {
				while (e > base && out->data[e - 1] != '/')
					e--;
				if (e > base)
					e--; /* the separator */
				out->len = e;
			} else if (!rooted) {
				if (out->len > base)
					buf_addc(out, '/');
				buf_add(out, "..", 2);
			}
		} else {
			if (out->len > base)
				buf_addc(out, '/');
			buf_add(out, s + i, el);
		}
		i = j;
	}
	if (out->len == start)
		buf_addc(out, '.');
}

/* report.trimPath without -trim_path / -source_path: the /proc/self/cwd
 * prefixes go. */
static void trim_path(const char **s, size_t *n)
{
	static const char *const pre[] = { "/proc/self/cwd/./", "/proc/self/cwd/" };
	for (int i = 0; i < 2; i++) {
		size_t l = strlen(pre[i]);
		if (*n >= l && memcmp(*s, pre[i], l) == 0) {
			*s += l;
			*n -= l;
			return;
		}
	}
}

/* "[base of the mapping file]" or "<unknown>" (NodeInfo with only an
 * object file). */
static void obj_name(const struct prof *p, uint32_t map_file, struct buf *out)
{
	const char *s = prof_str(p, map_file);
	size_t n = map_file == PROF_NONE ? 0 : prof_strlen(p, map_file);
	if (n == 0) {
		buf_adds(out, "<unknown>");
		return;
	}
	while (n > 1 && s[n - 1] == '/')
		n--;
	size_t b = n;
	while (b > 0 && s[b - 1] != '/')
		b--;
	buf_addc(out, '[');
	if (n == 1 && s[0] == '/')
		buf_addc(out, '/');
	else
		buf_add(out, s + b, n - b);
	buf_addc(out, ']');
}

void view_gran_parts_release(struct view_gran_parts *pt)
{
	buf_release(&pt->file);
	buf_release(&pt->obj);
	memset(pt, 0, sizeof(*pt));
}

int view_gran_frame(const struct prof *p, uint32_t loc, uint32_t fr, int gran, struct view_gran_parts *pt,
                    struct buf *name)
{
	struct view_gran_parts own;
	memset(&own, 0, sizeof(own));
	if (!pt)
		pt = &own;
	pt->addr = 0;
	pt->fn = "";
	pt->fn_len = 0;
	pt->file.len = 0;
	pt->obj.len = 0;
	pt->line = 0;
	const struct prof_frame *f = &p->frames[fr];
	bool addresses = gran == VIEW_GRAN_ADDRESSES;
	bool want_fn = gran != VIEW_GRAN_FILES;
	bool want_file = gran != VIEW_GRAN_FUNCTIONS;
	bool want_line = gran == VIEW_GRAN_LINES || addresses;
	if (addresses && loc != PROF_NONE && loc < p->n_locs && p->loc_addr)
		pt->addr = p->loc_addr[loc];
	if (f->func != PROF_NONE) {
		const struct prof_func *pf = &p->funcs[f->func];
		if (want_fn) {
			pt->fn = prof_str(p, pf->name);
			pt->fn_len = prof_strlen(p, pf->name);
		}
		if (want_file) {
			const char *fs = prof_str(p, pf->file);
			size_t fl = pf->file == PROF_NONE ? 0 : prof_strlen(p, pf->file);
			trim_path(&fs, &fl);
			if (fl)
				path_clean(fs, fl, &pt->file);
		}
		if (want_line)
			pt->line = f->line;
	}
	if (pt->fn_len == 0 && pt->file.len == 0 && pt->line == 0)
		obj_name(p, f->map_file, &pt->obj);
	/* PrintableName: the components joined by spaces */
	name->len = 0;
	if (pt->addr)
		buf_printf(name, "%016llx", (unsigned long long)pt->addr);
	if (pt->fn_len) {
		if (name->len)
			buf_addc(name, ' ');
		buf_add(name, pt->fn, pt->fn_len);
	}
	if (pt->line != 0) {
		if (name->len)
			buf_addc(name, ' ');
		buf_add(name, pt->file.data ? pt->file.data : "", pt->file.len);
		buf_printf(name, ":%lld", (long long)pt->line);
	} else if (pt->file.len) {
		if (name->len)
			buf_addc(name, ' ');
		buf_add(name, pt->file.data, pt->file.len);
	} else if (pt->obj.len) {
		if (name->len)
			buf_addc(name, ' ');
		buf_add(name, pt->obj.data, pt->obj.len);
	}
	int rc = name->oom || pt->file.oom || pt->obj.oom ? -1 : 0;
	view_gran_parts_release(&own);
	return rc;
}

/* ---- the derived profile --------------------------------------------------- */

struct gprof {
	struct prof p;          /* first: a struct prof * is a struct gprof * */
	bool own_loc_frames;
	size_t held;            /* bytes charged to the work that built it */
};

void view_gran_prof_free(struct prof *gp)
{
	if (!gp)
		return;
	struct gprof *g = (struct gprof *)gp;
	prof_ntree_free(gp->ntree);
	pthread_mutex_destroy(&gp->lazy_mu);
	free(gp->arena);
	free(gp->str_off);
	free(gp->str_len);
	free(gp->frames);
	if (g->own_loc_frames)
		free(gp->loc_frames);
	work_uncharge(g->held);
	free(g);
}

/* The new strings: the source's, then each new name once. */
struct names {
	struct buf arena;
	uint32_t *off, *len;
	uint32_t n, cap;
	struct u64map idx;      /* hash of the bytes (probed on collision) -> id */
};

static uint32_t names_put(struct names *nm, const char *s, size_t n)
{
	if (n > UINT32_MAX / 4)
		return PROF_NONE;
	uint64_t h = hash_bytes(s, n);
	for (;; h++) {
		if (h == UINT64_MAX)
			h = 0;
		int ins;
		uint32_t *slot = u64map_put(&nm->idx, h, &ins);
		if (!slot)
			return PROF_NONE;
		if (!ins) {
			uint32_t id = *slot;
			if (nm->len[id] == n && memcmp(nm->arena.data + nm->off[id], s, n) == 0)
				return id;
			continue;
		}
		if (nm->n == nm->cap) {
			uint32_t nc = nm->cap * 2 + 256;
			uint32_t *o = realloc(nm->off, (size_t)nc * sizeof(uint32_t));
			if (!o)
				return PROF_NONE;
			nm->off = o;
			uint32_t *l = realloc(nm->len, (size_t)nc * sizeof(uint32_t));
			if (!l)
				return PROF_NONE;
			nm->len = l;
			nm->cap = nc;
		}
		if (nm->arena.len + n + 1 > UINT32_MAX)
			return PROF_NONE;
		nm->off[nm->n] = (uint32_t)nm->arena.len;
		nm->len[nm->n] = (uint32_t)n;
		buf_add(&nm->arena, s, n);
		buf_addc(&nm->arena, 0);
		if (nm->arena.oom)
			return PROF_NONE;
		*slot = nm->n;
		return nm->n++;
	}
}

struct prof *view_gran_prof(const struct prof *p, int gran)
{
	if (gran <= VIEW_GRAN_FUNCTIONS || gran >= VIEW_GRAN_COUNT || !view_gran_available(p, gran))
		return NULL;
	bool addresses = gran == VIEW_GRAN_ADDRESSES;
	uint32_t nfr = addresses ? p->n_loc_frames : p->n_frames;
	/* the frames (and location frames), the source's strings copied, the
	 * index; the new names' bytes are charged by their buffer */
	size_t held = (size_t)nfr * (sizeof(struct prof_frame) + (addresses ? sizeof(uint32_t) : 0) +
	                             2 * sizeof(uint32_t) + 2 * sizeof(struct u64slot)) +
	              (size_t)p->n_strs * 2 * sizeof(uint32_t) + 4096;
	if (work_charge(held) < 0)
		return NULL;
	struct gprof *g = calloc(1, sizeof(*g));
	struct names nm;
	memset(&nm, 0, sizeof(nm));
	struct buf tmp = BUF_INIT;
	struct view_gran_parts parts;
	memset(&parts, 0, sizeof(parts));
	if (!g) {
		work_uncharge(held);
		return NULL;
	}
	struct prof *gp = &g->p;
	memcpy(gp, p, sizeof(*gp));
	pthread_mutex_init(&gp->lazy_mu, NULL);
	gp->ntree = NULL;
	gp->origin = NULL; /* its frames and strings are not the group's */
	gp->arena = NULL;
	gp->str_off = gp->str_len = NULL;
	gp->frames = NULL;
	g->own_loc_frames = addresses;
	g->held = held;
	if (addresses)
		gp->loc_frames = NULL;
	bool ok = false;
	nm.cap = p->n_strs + 256;
	nm.off = malloc((size_t)nm.cap * sizeof(uint32_t));
	nm.len = malloc((size_t)nm.cap * sizeof(uint32_t));
	if (!nm.off || !nm.len || u64map_init(&nm.idx, (size_t)nfr / 4 + 64) < 0)
		goto out;
	buf_add(&nm.arena, p->arena, p->arena_len);
	for (uint32_t i = 0; i < p->n_strs; i++) {
		nm.off[i] = p->str_off[i];
		nm.len[i] = p->str_len[i];
	}
	nm.n = p->n_strs;
	gp->frames = malloc(((size_t)nfr + 1) * sizeof(struct prof_frame));
	if (addresses)
		gp->loc_frames = malloc(((size_t)nfr + 1) * sizeof(uint32_t));
	if (!gp->frames || (addresses && !gp->loc_frames) || nm.arena.oom)
		goto out;
	if (addresses) {
		for (uint32_t L = 0; L < p->n_locs; L++) {
			const struct prof_loc *l = &p->locs[L];
			if ((L & 1023) == 0 && work_poll() != WORK_OK)
				goto out;
			for (uint32_t k = 0; k < l->n; k++) {
				uint32_t slot = l->off + k, fr = p->loc_frames[slot];
				if (view_gran_frame(p, L, fr, gran, &parts, &tmp) < 0)
					goto out;
				gp->frames[slot] = p->frames[fr];
				if ((gp->frames[slot].key = names_put(&nm, tmp.data ? tmp.data : "", tmp.len)) == PROF_NONE)
					goto out;
				gp->loc_frames[slot] = slot;
			}
		}
	} else {
		for (uint32_t fr = 0; fr < p->n_frames; fr++) {
			if ((fr & 1023) == 0 && work_poll() != WORK_OK)
				goto out;
			if (view_gran_frame(p, PROF_NONE, fr, gran, &parts, &tmp) < 0)
				goto out;
			gp->frames[fr] = p->frames[fr];
			if ((gp->frames[fr].key = names_put(&nm, tmp.data ? tmp.data : "", tmp.len)) == PROF_NONE)
				goto out;
		}
	}
	gp->n_frames = nfr;
	size_t alen = 0;
	gp->arena = buf_detach(&nm.arena, &alen);
	if (!gp->arena && nm.n)
		goto out;
	gp->arena_len = alen;
	/* detached bytes are no longer the buffer's to charge */
	if (work_charge(alen + 1) < 0)
		goto out;
	g->held += alen + 1;
	gp->str_off = nm.off;
	gp->str_len = nm.len;
	gp->n_strs = nm.n;
	nm.off = nm.len = NULL;
	ok = true;
out:
	buf_release(&tmp);
	view_gran_parts_release(&parts);
	buf_release(&nm.arena);
	free(nm.off);
	free(nm.len);
	u64map_release(&nm.idx);
	if (!ok) {
		view_gran_prof_free(gp);
		return NULL;
	}
	return gp;
}
