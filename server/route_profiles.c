/*
 * route_profiles.c: upload, list, metadata, raw bytes, delete, labels.
 *
 *   POST   /api/v1/profiles[?name=&labels=k:v,k:v&time=T]
 *   GET    /api/v1/profiles[?limit=&offset=&label=k:v&type=&q=]
 *   GET    /api/v1/profiles/{id}
 *   GET    /api/v1/profiles/{id}/raw
 *   PATCH  /api/v1/profiles/{id}          {"name": "...", "labels": {"k": "v"}}
 *   DELETE /api/v1/profiles/{id}
 *   GET    /api/v1/labels[?key=K]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "config.h"
#include "findex.h"
#include "import_speedscope.h"
#include "ingest.h"
#include "json.h"
#include "jsonrd.h"
#include "limits.h"
#include "profwrite.h"
#include "routes.h"
#include "store.h"
#include "timearg.h"
#include "util.h"
#include "work.h"

/* One label as a PATCH body gives it, checked as labels= is: key and
 * value 1..FDX_MAX_LABEL_LEN bytes, no ':' or ',' in the key and no ','
 * in the value, so that labels=k:v,k:v and label=k:v can name it.
 * 0, or -1 with a message. */
static int check_label(const char *k, size_t kl, const char *v, size_t vl, char *err, size_t cap)
{
	if (!kl || !vl) {
		snprintf(err, cap, "label keys and values must not be empty");
		return -1;
	}
	if (kl > FDX_MAX_LABEL_LEN || vl > FDX_MAX_LABEL_LEN) {
		snprintf(err, cap, "label keys and values are limited to %u bytes", FDX_MAX_LABEL_LEN);
		return -1;
	}
	if (memchr(k, ':', kl) || memchr(k, ',', kl) || memchr(v, ',', vl)) {
		snprintf(err, cap, "label keys may not contain ':' or ',', nor values ','");
		return -1;
	}
	return 0;
}

/* Parse "k1:v1,k2:v2" into labels; 0 or -1 with a message. */
static int parse_labels(const char *s, struct store_label *out, int *n, char *err, size_t cap)
{
	*n = 0;
	while (s && *s) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		const char *colon = memchr(s, ':', len);
		if (!colon || colon == s || colon == s + len - 1) {
			snprintf(err, cap, "labels must look like key:value,key:value");
			return -1;
		}
		size_t kl = (size_t)(colon - s), vl = len - kl - 1;
		if (kl > FDX_MAX_LABEL_LEN || vl > FDX_MAX_LABEL_LEN) {
			snprintf(err, cap, "label keys and values are limited to %u bytes", FDX_MAX_LABEL_LEN);
			return -1;
		}
		if (*n >= (int)FDX_MAX_PROFILE_LABELS) {
			snprintf(err, cap, "at most %u labels", FDX_MAX_PROFILE_LABELS);
			return -1;
		}
		memcpy(out[*n].key, s, kl);
		out[*n].key[kl] = '\0';
		memcpy(out[*n].value, colon + 1, vl);
		out[*n].value[vl] = '\0';
		(*n)++;
		s = comma ? comma + 1 : NULL;
	}
	return 0;
}

/* A benchmark hook (bench/downsample): when FLAMEDEX_TEST_UPLOAD_SCRAPE_JOB
 * is set, uploads are stored as scraped by that job, so that a day of
 * fast-forwarded scrapes can be stored in minutes and downsampled. */
static const char *test_scrape_job(void)
{
	const char *j = getenv("FLAMEDEX_TEST_UPLOAD_SCRAPE_JOB");
	return j && *j ? j : NULL;
}

enum MHD_Result route_profiles_upload(struct req *r, const struct route_params *rp)
{
	struct buf *body = r->multipart ? &r->file : &r->body;
	if (r->multipart && r->n_files == 0)
		return reply_error(r, 400, "bad_request", "multipart upload without a \"file\" field");
	if (r->multipart && r->n_files > 1)
		return reply_error(r, 400, "bad_request",
		                   "multipart upload with %d \"file\" parts: send one profile per request", r->n_files);
	const char *name = req_arg(r, "name");
	if (!name || !*name)
		name = r->file_name[0] ? r->file_name : "profile";
	if (strlen(name) > FDX_MAX_NAME_LEN)
		return reply_error(r, 400, "bad_request", "name is longer than %u bytes", FDX_MAX_NAME_LEN);
	struct store_label labels[FDX_MAX_PROFILE_LABELS];
	int n_labels = 0;
	char err[256];
	if (parse_labels(req_arg(r, "labels"), labels, &n_labels, err, sizeof(err)) < 0)
		return reply_error(r, 400, "bad_request", "%s", err);
	/* time=: the profile's time when the file has none (store.h) */
	int64_t client_time = 0;
	const char *time_arg = req_arg(r, "time");
	if (time_arg && *time_arg && timearg_parse(time_arg, &client_time, err, sizeof(err)) < 0)
		return reply_error(r, 400, "bad_request", "%s", err);

	/* profile=: which profile of a speedscope file (import_speedscope.h) */
	struct ingest_opts io = { .speedscope_profile = IMPORT_SPEEDSCOPE_DEFAULT };
	const char *which = req_arg(r, "profile");
	if (which && *which) {
		long idx;
		if (!strcmp(which, "all"))
			io.speedscope_profile = IMPORT_SPEEDSCOPE_ALL;
		else if (req_long(r, "profile", 0, 0, FDX_MAX_SPEEDSCOPE_PROFILES - 1, &idx) == 0)
			io.speedscope_profile = (int)idx;
		else
			return reply_error(r, 400, "bad_request", "profile must be all or a profile index from 0 to %u",
			                   FDX_MAX_SPEEDSCOPE_PROFILES - 1);
	}

	struct decode_err perr;
	const char *format = NULL;
	double t0 = util_mono_ms();
	struct prof *p = ingest_decode_opts((const uint8_t *)body->data, body->len, cfg.max_inflated, &io, &format,
	                                    &perr);
	if (!p)
		return reply_error(r, perr.status, perr.code, "%s", perr.message);
	double t1 = util_mono_ms();
	char id[FDX_ID_LEN + 1];
	struct findex fx;
	if (findex_build(p, &fx) < 0) {
		prof_free(p);
		int why = work_poll();
		if (why != WORK_OK)
			return reply_stopped(r, why);
		return reply_error(r, 500, "internal", "could not index the profile's functions");
	}
	struct store_new sn = {
		.name = name,
		.labels = labels,
		.n_labels = n_labels,
		.raw = (const uint8_t *)body->data,
		.raw_len = body->len,
		.prof = p,
		.client_time = client_time,
		.format = format,
		.uploaded_by = access_name(r),
		.findex = &fx.rows,
		.scrape_job = test_scrape_job(),
		.redecodable = ingest_redecodes(format),
	};
	int src = store_add(&sn, id);
	findex_release(&fx);
	/* The upload's bytes are stored: release them before the views are
	 * primed, the peak of the request (a body as large as the gzipped
	 * profile would otherwise sit beside the name tree and a view). */
	r->in_released += body->len;
	buf_release(body);
	if (src == STORE_FULL) {
		prof_free(p);
		return reply_error(r, 507, "insufficient_storage",
		                   "no room to store the profile (disk or --max-db-bytes full): delete profiles to free space");
	}
	if (src < 0) {
		prof_free(p);
		return reply_error(r, 500, "internal", "could not store the profile");
	}
	double t2 = util_mono_ms();
	util_log("rid=%s msg=stored id=%s samples=%llu nodes=%u decode_ms=%.1f store_ms=%.1f", r->rid, id,
	         (unsigned long long)p->orig_samples, p->n_nodes, t1 - t0, t2 - t1);
	access_note_profile(r, id);
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	if (store_meta(id, &j) != 0) {
		store_cache_add(id, p);
		buf_release(&out);
		return reply_error(r, 500, "internal", "stored profile not readable");
	}
	/* After the answer is written (a prime that runs out of the request's
	 * time or memory is only skipped), before the cache takes p (it may
	 * free it). */
	if (work_poll() == WORK_OK)
		views_prime(id, p);
	store_cache_add(id, p);
	return reply_buf(r, 201, "application/json", &out);
}

enum MHD_Result route_profiles_list(struct req *r, const struct route_params *rp)
{
	long limit, offset;
	if (req_long(r, "limit", FDX_DEFAULT_LIST_LIMIT, 1, FDX_MAX_LIST_LIMIT, &limit) < 0)
		return reply_error(r, 400, "bad_request", "limit must be an integer from 1 to %d", FDX_MAX_LIST_LIMIT);
	if (req_long(r, "offset", 0, 0, 1L << 40, &offset) < 0)
		return reply_error(r, 400, "bad_request", "offset must be a non-negative integer");
	struct store_query q = { .limit = (int)limit, .offset = (int)(offset > 1 << 30 ? 1 << 30 : offset) };
	q.kind = req_arg(r, "type");
	if (q.kind && !*q.kind)
		q.kind = NULL;
	if (q.kind && prof_kind_parse(q.kind) < 0) {
		/* Every kind name, in enum order: they parse back to themselves. */
		struct buf kinds = BUF_INIT;
		for (int k = 0; prof_kind_parse(prof_kind_name((enum prof_kind)k)) == k; k++)
			buf_printf(&kinds, "%s%s", k ? ", " : "", prof_kind_name((enum prof_kind)k));
		enum MHD_Result res = reply_error(r, 400, "bad_request", "type %.64s is not one of: %s", q.kind,
		                                  kinds.data ? kinds.data : "");
		buf_release(&kinds);
		return res;
	}
	q.q = req_arg(r, "q");
	if (q.q && !*q.q)
		q.q = NULL; /* a q longer than any name simply matches none */
	char key[FDX_MAX_LABEL_LEN + 1], value[FDX_MAX_LABEL_LEN + 1];
	const char *label = req_arg(r, "label");
	if (label && *label) {
		const char *colon = strchr(label, ':');
		if (!colon || (size_t)(colon - label) > FDX_MAX_LABEL_LEN || strlen(colon + 1) > FDX_MAX_LABEL_LEN)
			return reply_error(r, 400, "bad_request", "label must look like key:value");
		memcpy(key, label, (size_t)(colon - label));
		key[colon - label] = '\0';
		snprintf(value, sizeof(value), "%s", colon + 1);
		q.label_key = key;
		q.label_value = value;
	}
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	if (store_list(&q, &j) < 0) {
		buf_release(&out);
		return reply_error(r, 500, "internal", "listing failed");
	}
	return reply_buf(r, 200, "application/json", &out);
}

enum MHD_Result route_profiles_delete(struct req *r, const struct route_params *rp)
{
	const char *id = route_param(rp, "id");
	int rc = util_is_id(id) ? store_delete(id) : 1;
	if (rc == 1)
		return reply_error(r, 404, "not_found", "no profile with id %.40s", id);
	if (rc < 0)
		return reply_error(r, 500, "internal", "delete failed");
	return reply_empty(r, 204);
}

enum MHD_Result route_profiles_meta(struct req *r, const struct route_params *rp)
{
	const char *id = route_param(rp, "id");
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	int rc = util_is_id(id) ? store_meta(id, &j) : 1;
	if (rc == 1) {
		buf_release(&out);
		return reply_error(r, 404, "not_found", "no profile with id %.40s", id);
	}
	if (rc < 0) {
		buf_release(&out);
		return reply_error(r, 500, "internal", "metadata lookup failed");
	}
	return reply_buf(r, 200, "application/json", &out);
}

/* The extension of a download of these bytes: .pb.gz for gzip, .txt for a
 * goroutine text dump or folded stacks, .json for a speedscope file, .pb
 * for anything else (profile.proto). */
static const char *raw_ext(const uint8_t *d, size_t n)
{
	if (n >= 2 && d[0] == 0x1f && d[1] == 0x8b)
		return ".pb.gz";
	const char *fmt_name;
	enum ingest_format f = ingest_sniff(d, n, &fmt_name);
	if (f == INGEST_SPEEDSCOPE)
		return ".json";
	return f == INGEST_GOROUTINE_DEBUG1 || f == INGEST_GOROUTINE_DEBUG2 || f == INGEST_FOLDED ? ".txt" : ".pb";
}

/* name without the extensions a profile's file name carries (cpu.pb.gz,
 * heap.pprof, dump.txt): the download gets the one its bytes call for. */
static size_t name_stem(const char *name)
{
	static const char *const exts[] = { ".gz", ".pb", ".pprof", ".prof", ".proto", ".txt", ".pgo", ".out", ".json",
		                            ".speedscope", ".folded" };
	size_t n = strlen(name);
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
			size_t el = strlen(exts[i]);
			if (n >= el && strncasecmp(name + n - el, exts[i], el) == 0) {
				n -= el;
				break;
			}
		}
	return n;
}

/* Content-Disposition for a download named after the profile (RFC 6266):
 * filename= an ASCII stand-in (every byte outside a safe set becomes '_'),
 * filename*= the name itself, UTF-8 percent-encoded (RFC 8187). Path
 * separators and control bytes never reach either. */
void route_profiles_disposition(const char *name, const char *ext, struct buf *out)
{
	size_t n = name_stem(name);
	bool any = false;
	for (size_t i = 0; i < n && !any; i++)
		any = (unsigned char)name[i] > 0x20 && name[i] != '.' && name[i] != 0x7f;
	if (!any) {
		name = "profile";
		n = strlen(name);
	}
	buf_adds(out, "attachment; filename=\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		          c == '_' || c == '.' || c == ' ' || c == '(' || c == ')' || c == '+' || c == '@';
		buf_addc(out, ok ? (char)c : '_');
	}
	buf_printf(out, "%s\"; filename*=UTF-8''", ext);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		/* RFC 8187 attr-char, less the characters file systems dislike */
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		          strchr("!#$&+-.^_`~", c);
		if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f)
			buf_addc(out, '_');
		else if (ok && c)
			buf_addc(out, (char)c);
		else
			buf_printf(out, "%%%02X", c);
	}
	buf_adds(out, ext);
}

enum MHD_Result route_profiles_raw(struct req *r, const struct route_params *rp)
{
	const char *id = route_param(rp, "id");
	uint8_t *data = NULL;
	size_t len = 0;
	char name[FDX_MAX_NAME_LEN + 1] = "";
	int rc = util_is_id(id) ? store_raw(id, &data, &len) : 1;
	if (rc == 0 && store_name(id, name, sizeof(name)) < 0)
		rc = -1;
	if (rc != 0)
		free(data);
	if (rc == 1)
		return reply_error(r, 404, "not_found", "no profile with id %.40s", id);
	if (rc < 0)
		return reply_error(r, 500, "internal", "raw lookup failed");
	if (len == 0) {
		/* the original was not kept (a scrape job's keep_raw: false):
		 * the stored model, written as a gzipped profile.proto */
		free(data);
		data = NULL;
		int st = 0;
		struct prof *p = store_get(id, &st);
		if (!p)
			return st == 404 ? reply_error(r, 404, "not_found", "no profile with id %.40s", id)
			       : st == 503 ? reply_stopped(r, work_poll())
			                   : reply_error(r, 500, "internal", "could not load the profile");
		struct profwrite_opts o = { 0 };
		int wrc = profwrite_gz(p, &o, &data, &len);
		store_release(p);
		if (wrc != 0) {
			int w = work_poll();
			return w != WORK_OK ? reply_stopped(r, w) : reply_error(r, 500, "internal", "out of memory");
		}
	}
	struct buf disp = BUF_INIT;
	route_profiles_disposition(name, raw_ext(data, len), &disp);
	if (disp.oom) {
		buf_release(&disp);
		free(data);
		return reply_error(r, 500, "internal", "out of memory");
	}
	reply_header(r, "Content-Disposition", disp.data);
	buf_release(&disp);
	return reply_owned(r, 200, "application/octet-stream", data, len);
}

/* PATCH /api/v1/profiles/{id}: {"name": "...", "labels": {"k": "v"}}, either
 * or both; labels replace the profile's labels ({} removes them). Checked
 * as an upload's name= and labels= are; nothing changes on a 400. */
enum MHD_Result route_profiles_edit(struct req *r, const struct route_params *rp)
{
	const char *id = route_param(rp, "id");
	if (!util_is_id(id))
		return reply_error(r, 404, "not_found", "no profile with id %.40s", id);
	char name[FDX_MAX_NAME_LEN + 1];
	bool has_name = false, has_labels = false;
	struct store_label labels[FDX_MAX_PROFILE_LABELS];
	int n_labels = 0;
	char key[64], err[160] = "";
	size_t len;
	struct jsonrd j;
	jsonrd_init(&j, r->body.data, r->body.len);
	if (!jsonrd_eat(&j, '{'))
		return reply_error(r, 400, "bad_request", "the body must be a JSON object such as "
		                   "{\"name\": \"...\", \"labels\": {\"service\": \"api\"}}");
	bool first = true;
	while (!jsonrd_eat(&j, '}')) {
		if (!first && !jsonrd_eat(&j, ','))
			goto syntax;
		first = false;
		int k = jsonrd_string(&j, key, sizeof(key), &len);
		if (k == -1 || !jsonrd_eat(&j, ':'))
			goto syntax;
		if (k == 0 && !strcmp(key, "name") && !has_name) {
			int s = jsonrd_string(&j, name, sizeof(name), &len);
			if (s == -1)
				return reply_error(r, 400, "bad_request", "name must be a JSON string");
			if (s == -2)
				return reply_error(r, 400, "bad_request", "name is longer than %u bytes", FDX_MAX_NAME_LEN);
			if (len == 0)
				return reply_error(r, 400, "bad_request", "name must not be empty");
			has_name = true;
		} else if (k == 0 && !strcmp(key, "labels") && !has_labels) {
			if (!jsonrd_eat(&j, '{'))
				return reply_error(r, 400, "bad_request", "labels must be a JSON object of strings");
			bool lfirst = true;
			while (!jsonrd_eat(&j, '}')) {
				if (!lfirst && !jsonrd_eat(&j, ','))
					goto syntax;
				lfirst = false;
				if (n_labels == (int)FDX_MAX_PROFILE_LABELS)
					return reply_error(r, 400, "bad_request", "at most %u labels", FDX_MAX_PROFILE_LABELS);
				struct store_label *l = &labels[n_labels];
				size_t kl = 0, vl = 0;
				int a = jsonrd_string(&j, l->key, sizeof(l->key), &kl);
				if (a == -1 || !jsonrd_eat(&j, ':'))
					goto syntax;
				int b = jsonrd_string(&j, l->value, sizeof(l->value), &vl);
				if (b == -1)
					return reply_error(r, 400, "bad_request", "label values must be JSON strings");
				if (a == -2 || b == -2)
					return reply_error(r, 400, "bad_request", "label keys and values are limited to %u bytes",
					                   FDX_MAX_LABEL_LEN);
				if (check_label(l->key, kl, l->value, vl, err, sizeof(err)) < 0)
					return reply_error(r, 400, "bad_request", "%s", err);
				for (int i = 0; i < n_labels; i++)
					if (!strcmp(labels[i].key, l->key))
						return reply_error(r, 400, "bad_request", "label %.128s is given twice", l->key);
				n_labels++;
			}
			has_labels = true;
		} else {
			return reply_error(r, 400, "bad_request", "unknown or repeated field %.60s: the body takes "
			                   "\"name\" and \"labels\" once each", k == 0 ? key : "(too long)");
		}
	}
	if (!jsonrd_done(&j))
		goto syntax;
	if (!has_name && !has_labels)
		return reply_error(r, 400, "bad_request", "nothing to change: give \"name\", \"labels\" or both");
	int rc = store_edit(id, has_name ? name : NULL, has_labels ? labels : NULL, n_labels);
	if (rc == 1)
		return reply_error(r, 404, "not_found", "no profile with id %.40s", id);
	if (rc < 0)
		return reply_error(r, 500, "internal", "could not change the profile");
	util_log("rid=%s msg=edited id=%s name=%d labels=%d", r->rid, id, has_name, has_labels ? n_labels : -1);
	struct buf out = BUF_INIT;
	struct json jo;
	json_init(&jo, &out);
	if (store_meta(id, &jo) != 0) {
		buf_release(&out);
		return reply_error(r, 500, "internal", "changed profile not readable");
	}
	return reply_buf(r, 200, "application/json", &out);
syntax:
	return reply_error(r, 400, "bad_request", "the body is not valid JSON");
}

/* GET /api/v1/labels[?key=K]: the profile labels in use, for series pickers. */
enum MHD_Result route_profiles_labels(struct req *r, const struct route_params *rp)
{
	const char *key = req_arg(r, "key");
	if (key && (!*key || strlen(key) > FDX_MAX_LABEL_LEN))
		return reply_error(r, 400, "bad_request", "key must be 1 to %u bytes", FDX_MAX_LABEL_LEN);
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	if (store_labels(key, &j) < 0) {
		buf_release(&out);
		return reply_error(r, 500, "internal", "label lookup failed");
	}
	return reply_buf(r, 200, "application/json", &out);
}
