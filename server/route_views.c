/*
 * route_views.c: views of one profile.
 *
 *   GET /api/v1/profiles/{id}/top?sample_type=&sort=flat|cum&limit=N&<filters>
 *   GET /api/v1/profiles/{id}/flamegraph?sample_type=&max_nodes=N&<filters>
 *   GET /api/v1/profiles/{id}/tags?sample_type=&<filters>
 *   GET /api/v1/profiles/{id}/sandwich?function=NAME&sample_type=&<filters>
 *   GET /api/v1/profiles/{id}/list?fn=RE&sample_type=&<filters>   (always at lines)
 *
 * <filters>: focus, ignore, hide, show, show_from, prune_from (regexes),
 * tagfocus, tagignore; granularity= (view_granularity.h) on every view.
 * A tag total beyond 64 bits is a 422 overflow naming the key.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answers.h"
#include "config.h"
#include "encoding.h"
#include "heavy.h"
#include "json.h"
#include "limits.h"
#include "respcache.h"
#include "routes.h"
#include "store.h"
#include "util.h"
#include "view.h"
#include "view_granularity.h"
#include "view_pseudo.h"
#include "work.h"


/* Fill o from the query. Returns 0, or replies with a 400 and returns -1
 * (the reply result is stored in *res). */
int views_parse_opts(struct req *r, const struct prof *p, struct view_opts *o, enum MHD_Result *res)
{
	memset(o, 0, sizeof(*o));
	const char *st = req_arg(r, "sample_type");
	if (st && strlen(st) > 256) {
		*res = reply_error(r, 400, "unknown_sample_type", "sample_type is too long");
		return -1;
	}
	int t = p->n_types ? prof_sample_index(p, st) : 0;
	if (t < 0) {
		struct buf b = BUF_INIT;
		for (uint32_t i = 0; i < p->n_types; i++)
			buf_printf(&b, "%s%s", i ? ", " : "", prof_str(p, p->type_type[i]));
		*res = reply_error(r, 400, "unknown_sample_type", "sample_type %.64s is not one of: %s", st,
		                   b.data ? b.data : "");
		buf_release(&b);
		return -1;
	}
	o->type = t;
	/* granularity (view_granularity.h), on every view */
	const char *g = req_arg(r, "granularity");
	int gran = view_gran_parse(g);
	if (gran < 0) {
		*res = reply_error(r, 400, "bad_granularity", "granularity must be %s", VIEW_GRAN_LIST);
		return -1;
	}
	if (!view_gran_available(p, gran)) {
		*res = reply_error(r, 400, "bad_granularity",
		                   "this profile was stored without location addresses (before flamedex kept them, "
		                   "or it is a merge or an import); upload it again to view it at addresses");
		return -1;
	}
	o->gran = gran;
	char err[256];
	static const char *const rx_names[] = { "focus", "ignore", "hide", "show", "show_from", "prune_from" };
	struct rx *rxs[] = { &o->focus, &o->ignore, &o->hide, &o->show, &o->show_from, &o->prune_from };
	bool *has[] = { &o->has_focus, &o->has_ignore, &o->has_hide,
	                &o->has_show, &o->has_show_from, &o->has_prune_from };
	for (int i = 0; i < 6; i++) {
		const char *v = req_arg(r, rx_names[i]);
		if (!v || !*v)
			continue;
		if (rx_compile(rxs[i], v, strlen(v), 0, err, sizeof(err)) < 0) {
			view_opts_release(o);
			*res = reply_error(r, 400, "bad_regex", "%s: %s", rx_names[i], err);
			return -1;
		}
		*has[i] = true;
	}
	static const char *const tag_names[] = { "tagfocus", "tagignore" };
	struct tagfilter *tfs[] = { &o->tagfocus, &o->tagignore };
	bool *thas[] = { &o->has_tagfocus, &o->has_tagignore };
	for (int i = 0; i < 2; i++) {
		const char *v = req_arg(r, tag_names[i]);
		if (!v || !*v)
			continue;
		if (strlen(v) > FDX_MAX_REGEX_LEN || tagfilter_parse(tfs[i], v, err, sizeof(err)) < 0) {
			if (strlen(v) > FDX_MAX_REGEX_LEN)
				snprintf(err, sizeof(err), "longer than %u bytes", FDX_MAX_REGEX_LEN);
			view_opts_release(o);
			*res = reply_error(r, 400, "bad_regex", "%s: %s", tag_names[i], err);
			return -1;
		}
		*thas[i] = true;
	}
	static const char *const key_names[] = { "tagroot", "tagleaf" };
	int *nkeys[] = { &o->n_tagroot, &o->n_tagleaf };
	char(*keys[])[FDX_MAX_TAG_KEY_LEN + 1] = { o->tagroot, o->tagleaf };
	for (int i = 0; i < 2; i++) {
		const char *v = req_arg(r, key_names[i]);
		while (v && *v) {
			const char *c = strchr(v, ',');
			size_t len = c ? (size_t)(c - v) : strlen(v);
			if (len > 0) { /* empty keys are dropped, as pprof drops them */
				if (*nkeys[i] >= FDX_MAX_TAG_KEYS || len > FDX_MAX_TAG_KEY_LEN) {
					view_opts_release(o);
					*res = reply_error(r, 400, "bad_request", "%s takes at most %d label keys of at most %d bytes",
					                   key_names[i], FDX_MAX_TAG_KEYS, FDX_MAX_TAG_KEY_LEN);
					return -1;
				}
				memcpy(keys[i][*nkeys[i]], v, len);
				keys[i][*nkeys[i]][len] = '\0';
				(*nkeys[i])++;
			}
			v = c ? c + 1 : NULL;
		}
	}
	const char *cr = req_arg(r, "collapse_recursion");
	if (cr && *cr) {
		if (strcmp(cr, "0") != 0 && strcmp(cr, "1") != 0) {
			view_opts_release(o);
			*res = reply_error(r, 400, "bad_request", "collapse_recursion must be 0 or 1");
			return -1;
		}
		o->collapse_recursion = cr[0] == '1';
	}
	const char *mf = req_arg(r, "merge_fn");
	if (mf && *mf) {
		if (rx_compile(&o->merge_fn, mf, strlen(mf), 0, err, sizeof(err)) < 0) {
			view_opts_release(o);
			*res = reply_error(r, 400, "bad_regex", "merge_fn: %s", err);
			return -1;
		}
		o->has_merge_fn = true;
	}
	int pc = view_pseudo_check(p, o, err, sizeof(err));
	if (pc != 0) {
		view_opts_release(o);
		if (pc < 0)
			*res = reply_error(r, 500, "internal", "out of memory");
		else if (pc == VIEW_PSEUDO_NO_KEY)
			*res = reply_error(r, 400, "unknown_label", "%s", err);
		else
			*res = reply_error(r, 400, "unsupported_label", "%s", err);
		return -1;
	}
	return 0;
}

struct prof *views_load(struct req *r, const char *id, struct view_opts *o, enum MHD_Result *res)
{
	int status = 0;
	struct prof *prof = store_get(id, &status);
	if (!prof) {
		*res = status == 404 ? reply_error(r, 404, "not_found", "no profile with id %.40s", id)
		                     : reply_error(r, 500, "internal", "could not load the profile");
		return NULL;
	}
	if (views_parse_opts(r, prof, o, res) < 0) {
		store_release(prof);
		return NULL;
	}
	return prof;
}

enum MHD_Result views_busy(struct req *r, const char *msg)
{
	char retry[16];
	snprintf(retry, sizeof(retry), "%d", FDX_RETRY_AFTER_S);
	reply_header(r, "Retry-After", retry);
	return reply_error(r, 503, "busy", "%s", msg);
}

enum MHD_Result views_heavy(struct req *r, enum MHD_Result (*fn)(struct req *r, void *ctx), void *ctx)
{
	if (heavy_enter() < 0) {
		char retry[16];
		snprintf(retry, sizeof(retry), "%d", FDX_RETRY_AFTER_S);
		reply_header(r, "Retry-After", retry);
		return reply_error(r, 503, "busy", "too many views, diffs and leak analyses at once (--max-heavy); "
		                   "retry shortly");
	}
	enum MHD_Result res = fn(r, ctx);
	heavy_leave();
	return res;
}

enum views_kind { VIEWS_TOP, VIEWS_FLAME, VIEWS_TAGS, VIEWS_SANDWICH, VIEWS_LIST };

/* ---- ETags: a stored profile's views are immutable until it is deleted ---- */

struct query_arg {
	const char *k, *v;
};

struct query_args {
	struct query_arg a[64];
	int n;
	bool over;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	(void)kind;
	struct query_args *q = cls;
	if (q->n == (int)(sizeof(q->a) / sizeof(q->a[0]))) {
		q->over = true;
		return MHD_NO;
	}
	q->a[q->n++] = (struct query_arg){ k, v ? v : "" };
	return MHD_YES;
}

static int cmp_arg(const void *a, const void *b)
{
	const struct query_arg *x = a, *y = b;
	int c = strcmp(x->k, y->k);
	return c ? c : strcmp(x->v, y->v);
}

/* The arguments args[0, n), sorted, appended to b length-prefixed (so
 * that no two queries serialize alike): " 5:limit=4:1000 4:sort=4:flat". */
static void args_text(struct buf *b, const struct query_arg *a, int n)
{
	for (int i = 0; i < n; i++)
		buf_printf(b, " %zu:%s=%zu:%s", strlen(a[i].k), a[i].k, strlen(a[i].v), a[i].v);
}

/* The key of a view of one stored profile, which its ETag hashes (with
 * the coding the reply will get): "view", the view, the id and the
 * query's arguments sorted (NUL-terminated in key); *args_at: where the
 * arguments start in it. 0, or -1 when the query is too big to name (the
 * view then goes without a validator). */
static int view_key(struct req *r, const char *id, enum views_kind what, struct buf *key, size_t *args_at)
{
	struct query_args q = { .n = 0, .over = false };
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_arg, &q);
	if (q.over)
		return -1;
	qsort(q.a, (size_t)q.n, sizeof(q.a[0]), cmp_arg);
	buf_printf(key, "view %d %s", (int)what, id);
	*args_at = key->len;
	args_text(key, q.a, q.n);
	buf_add(key, "", 1);
	return key->oom ? -1 : 0;
}

/* ---- answers kept in the database (answers.h) ------------------------------
 * The page's first requests of a profile: the default flame graph
 * (web/js/prefetch.js asks for it without arguments) and the table its
 * Top view asks for (sort=flat&limit=1000: profile.js's TOP_LIMIT). Both
 * come from one view of the totals, so views_prime computes them together
 * at upload. Their names in the database are their view keys without
 * "view" and the id ("1", "0 5:limit=4:1000 4:sort=4:flat"). */
static const struct query_arg top_args[] = { { "limit", "1000" }, { "sort", "flat" } };   /* sorted */

/* The database name of view `what` with the serialized arguments args
 * into name (NUL-terminated): 0, or -1 (out of memory). */
static int answer_name(enum views_kind what, const char *args, struct buf *name)
{
	buf_printf(name, "%d%s", (int)what, args);
	buf_add(name, "", 1);
	return name->oom ? -1 : 0;
}

/* Whether view `what` with the serialized arguments args is one that is
 * kept in the database. */
static bool answer_kept(enum views_kind what, const char *args)
{
	if (what == VIEWS_FLAME)
		return args[0] == '\0';
	if (what != VIEWS_TOP)
		return false;
	struct buf t = BUF_INIT;
	args_text(&t, top_args, 2);
	buf_add(&t, "", 1);
	bool same = !t.oom && strcmp(args, t.data) == 0;
	buf_release(&t);
	return same;
}

/* ---- kept answers ----------------------------------------------------------
 * A stored profile never changes until it is deleted, and ids are never
 * reused: a view's JSON is a pure function of its key (view_key), kept in
 * a response cache (respcache.h, a share of --cache-bytes) so that a
 * repeated view costs a copy. A hit is used only while the profile still
 * exists. */
#define ANSWER_MAX (16u << 20)   /* a flame graph of 20,000 nodes is 1-2 MB */

static struct respcache *answers;
static pthread_once_t answers_once = PTHREAD_ONCE_INIT;

static void answers_init(void)
{
	size_t bytes = cfg.cache_bytes / 16;
	answers = bytes ? respcache_new(bytes, ANSWER_MAX) : NULL;
}

void views_cache_stats(struct respcache_stats *out)
{
	pthread_once(&answers_once, answers_init);
	memset(out, 0, sizeof(*out));
	if (answers)
		respcache_stats(answers, out);
}

/* Whether a profile's kept views are worth a place in the database: only
 * a big profile is slow to view cold (--answers-min-nodes). */
static bool answers_worth(const struct prof *p)
{
	return p->n_nodes >= cfg.answers_min_nodes;
}

/* Keep one answer computed at upload: in memory (key: view `what` of id
 * with the serialized arguments args) and, when `stored`, in the database. */
static void prime_one(const char *id, enum views_kind what, const char *args, const struct buf *out, bool stored)
{
	struct buf key = BUF_INIT, name = BUF_INIT;
	buf_printf(&key, "view %d %s%s", (int)what, id, args);   /* as view_key names it */
	buf_add(&key, "", 1);
	if (!key.oom && answers)
		respcache_put(answers, key.data, out->data, out->len);
	if (stored && answer_name(what, args, &name) == 0)
		answers_put(id, name.data, out->data, out->len, NULL, NULL);
	buf_release(&name);
	buf_release(&key);
}

void views_prime(const char *id, const struct prof *p)
{
	pthread_once(&answers_once, answers_init);
	/* the options views_parse_opts gives a request without arguments (sort
	 * and limit are not options of the view) */
	struct view_opts o;
	memset(&o, 0, sizeof(o));
	o.type = p->n_types ? prof_sample_index(p, NULL) : 0;
	o.tot_only = true;
	if (o.type < 0)
		return;
	struct buf flame = BUF_INIT, top = BUF_INIT, targs = BUF_INIT;
	args_text(&targs, top_args, 2);
	buf_add(&targs, "", 1);
	struct view v;
	struct json j;
	bool stored = answers_worth(p);
	if (!targs.oom && view_build(p, &o, false, &v) == 0) {
		json_init(&j, &flame);
		if (view_flame_json(&v, FDX_DEFAULT_MAX_NODES, &j) == 0 && !flame.oom)
			prime_one(id, VIEWS_FLAME, "", &flame, stored);
		json_init(&j, &top);
		if (work_poll() == WORK_OK && view_top_json_order(&v, VIEW_TOP_FLAT, 1000, &j) == 0 && !top.oom)
			prime_one(id, VIEWS_TOP, targs.data, &top, stored);
		view_release(&v);
	}
	view_opts_release(&o);
	buf_release(&flame);
	buf_release(&top);
	buf_release(&targs);
}

static enum MHD_Result one_view_admitted(struct req *r, const char *id, enum views_kind what);

struct one_view_args {
	const char *id;
	enum views_kind what;
};

static enum MHD_Result one_view_run(struct req *r, void *ctx)
{
	struct one_view_args *a = ctx;
	return one_view_admitted(r, a->id, a->what);
}

static enum MHD_Result one_view(struct req *r, const char *id, enum views_kind what)
{
	struct one_view_args a = { id, what };
	return views_heavy(r, one_view_run, &a);
}

static enum MHD_Result one_view_admitted(struct req *r, const char *id, enum views_kind what)
{
	bool top = what == VIEWS_TOP, flame = what == VIEWS_FLAME, tags = what == VIEWS_TAGS,
	     sandwich = what == VIEWS_SANDWICH, list = what == VIEWS_LIST;
	if (!util_is_id(id))
		return reply_error(r, 404, "not_found", "no profile with id %.40s", id);

	/* Cheap argument checks first, before loading anything. */
	long limit = 0, max_nodes = FDX_DEFAULT_MAX_NODES;
	enum view_top_order order = VIEW_TOP_FLAT;
	const char *sort = req_arg(r, "sort");
	if (sort && *sort) {
		if (!strcmp(sort, "cum"))
			order = VIEW_TOP_CUM;
		else if (!strcmp(sort, "name"))
			order = VIEW_TOP_NAME;
		else if (strcmp(sort, "flat") != 0)
			return reply_error(r, 400, "bad_request", "sort must be flat, cum or name");
	}
	if (req_long(r, "limit", 0, 0, 100000000, &limit) < 0)
		return reply_error(r, 400, "bad_request", "limit must be a non-negative integer");
	long max_values = 0;
	if (req_long(r, "max_values", 0, 0, 100000000, &max_values) < 0)
		return reply_error(r, 400, "bad_request", "max_values must be a non-negative integer");
	if (req_long(r, "max_nodes", FDX_DEFAULT_MAX_NODES, 0, 100000000, &max_nodes) < 0)
		return reply_error(r, 400, "bad_request", "max_nodes must be a non-negative integer");
	if (view_gran_parse(req_arg(r, "granularity")) < 0)
		return reply_error(r, 400, "bad_granularity", "granularity must be %s", VIEW_GRAN_LIST);
	const char *function = req_arg(r, "function");
	if (sandwich && (!function || !*function))
		return reply_error(r, 400, "bad_request", "sandwich needs function=NAME");
	/* list: fn= is a regex over function names, as pprof's -list=RE */
	struct rx fn_rx;
	memset(&fn_rx, 0, sizeof(fn_rx));
	const char *fn = req_arg(r, "fn");
	if (list) {
		if (!fn || !*fn)
			return reply_error(r, 400, "bad_request", "list needs fn=REGEX (function names, Go syntax)");
		char err[256];
		if (rx_compile(&fn_rx, fn, strlen(fn), 0, err, sizeof(err)) < 0)
			return reply_error(r, 400, "bad_regex", "fn: %s", err);
	}

	/* A stored profile's views never change until it is deleted: a client
	 * that has this one revalidates for a 304 without a decode. */
	char etag[ENC_ETAG_LEN];
	struct buf key = BUF_INIT;
	size_t args_at = 0;
	bool have_etag = view_key(r, id, what, &key, &args_at) == 0;
	if (have_etag)
		enc_etag(key.data, key.len - 1, enc_accepts_gzip(req_header(r, "Accept-Encoding")), etag);
	if (have_etag) {
		char name[8];
		const char *inm = req_header(r, "If-None-Match");
		if (inm && enc_etag_matches(inm, etag)) {
			int e = store_name(id, name, sizeof(name));
			if (e == 1) {
				buf_release(&key);
				rx_release(&fn_rx);
				return reply_error(r, 404, "not_found", "no profile with id %.40s", id);
			}
			if (e == 0) {
				buf_release(&key);
				reply_header(r, "ETag", etag);
				reply_header(r, "Vary", "Accept-Encoding");
				rx_release(&fn_rx);
				return reply_empty(r, 304);
			}
		}
	}

	pthread_once(&answers_once, answers_init);
	if (have_etag && answers) {
		struct buf kept = BUF_INIT;
		char name[8];
		if (respcache_get(answers, key.data, &kept) && !kept.oom && store_name(id, name, sizeof(name)) == 0) {
			buf_release(&key);
			rx_release(&fn_rx);
			reply_header(r, "ETag", etag);
			return reply_buf(r, 200, "application/json", &kept);
		}
		buf_release(&kept);
	}

	/* one of the views kept in the database: its answer, if this profile
	 * has one of this format (the row exists only while the profile does) */
	struct buf aname = BUF_INIT;
	bool keep = have_etag && answer_kept(what, key.data + args_at) &&
	            answer_name(what, key.data + args_at, &aname) == 0;
	if (keep) {
		void *gz;
		size_t gz_len, raw_len;
		if (answers_get(id, aname.data, &gz, &gz_len, &raw_len) == 0) {
			buf_release(&aname);
			buf_release(&key);
			rx_release(&fn_rx);
			reply_header(r, "ETag", etag);
			return reply_gzipped(r, 200, "application/json", gz, gz_len, raw_len);
		}
	}

	struct view_opts o;
	enum MHD_Result res;
	struct prof *prof = views_load(r, id, &o, &res);
	if (!prof) {
		buf_release(&aname);
		buf_release(&key);
		rx_release(&fn_rx);
		return res;
	}
	if (list)
		o.gran = VIEW_GRAN_LINES; /* pprof -list is at lines, whatever -granularity says */
	struct view v;
	char why[512] = "";
	o.tot_only = top || flame;   /* they read the totals only (view.h) */
	int rc = view_build(prof, &o, tags, &v);
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	if (rc == 0) {
		if (top)
			rc = view_top_json_order(&v, order, limit, &j);
		else if (flame)
			rc = view_flame_json(&v, max_nodes, &j);
		else if (tags)
			rc = view_tags_json(&v, max_values, &j, why, sizeof(why));
		else if (list)
			rc = view_list_json(&v, &fn_rx, FDX_MAX_LIST_FUNCTIONS, &j);
		else
			rc = view_sandwich_json(&v, function, max_nodes, &j);
		view_release(&v);
	}
	view_opts_release(&o);
	keep = keep && answers_worth(prof);
	store_release(prof);
	rx_release(&fn_rx);
	if (rc != 0)
		buf_release(&out);
	else if (have_etag && answers && !out.oom)
		respcache_put(answers, key.data, out.data, out.len);
	buf_release(&key);
	/* a kept view this profile had no answer of (stored before answers
	 * were, or by another format), and the profile is big enough to keep
	 * one: keep it now, and send the gzipped bytes made for that to a
	 * client that takes them */
	void *gz = NULL;
	size_t gz_len = 0;
	if (keep && rc == 0 && !out.oom)
		answers_put(id, aname.data, out.data, out.len, &gz, &gz_len);
	buf_release(&aname);
	if (gz && !enc_accepts_gzip(req_header(r, "Accept-Encoding"))) {
		free(gz);
		gz = NULL;
	}
	if (rc == VIEW_NOT_FOUND && list)
		return reply_error(r, 404, "not_found", "no function of this view matches fn");
	if (rc == VIEW_TOO_MANY)
		return reply_error(r, 400, "too_many_functions",
		                   "more than %d functions match fn (FDX_MAX_LIST_FUNCTIONS); narrow the regex",
		                   FDX_MAX_LIST_FUNCTIONS);
	if (rc == VIEW_NOT_FOUND)
		return reply_error(r, 404, "not_found", "function %.200s is not in this view", function);
	if (rc == VIEW_OVERFLOW)
		return reply_error(r, 422, "overflow", "%s", why[0] ? why : "the values overflow 64 bits");
	if (rc != 0)
		return reply_error(r, 500, "internal", "out of memory building the view");
	if (have_etag)
		reply_header(r, "ETag", etag);
	if (gz) {
		size_t raw_len = out.len;
		buf_release(&out);
		return reply_gzipped(r, 200, "application/json", gz, gz_len, raw_len);
	}
	return reply_buf(r, 200, "application/json", &out);
}

enum MHD_Result route_views_top(struct req *r, const struct route_params *p)
{
	return one_view(r, route_param(p, "id"), VIEWS_TOP);
}

enum MHD_Result route_views_flamegraph(struct req *r, const struct route_params *p)
{
	return one_view(r, route_param(p, "id"), VIEWS_FLAME);
}

enum MHD_Result route_views_tags(struct req *r, const struct route_params *p)
{
	return one_view(r, route_param(p, "id"), VIEWS_TAGS);
}

enum MHD_Result route_views_sandwich(struct req *r, const struct route_params *p)
{
	return one_view(r, route_param(p, "id"), VIEWS_SANDWICH);
}

enum MHD_Result route_views_list(struct req *r, const struct route_params *p)
{
	return one_view(r, route_param(p, "id"), VIEWS_LIST);
}
