/*
 * route_profiles.c: upload, list, metadata, raw bytes, delete, labels.
 *
 *   POST   /api/v1/profiles[?name=&labels=k:v,k:v&time=T]
 *   GET    /api/v1/profiles[?limit=&offset=&label=k:v&type=&q=]
 *   GET    /api/v1/profiles/{id}
 *   GET    /api/v1/profiles/{id}/raw
 *   DELETE /api/v1/profiles/{id}
 *   GET    /api/v1/labels[?key=K]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "config.h"
#include "ingest.h"
#include "json.h"
#include "limits.h"
#include "routes.h"
#include "store.h"
#include "timearg.h"
#include "util.h"

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

	struct decode_err perr;
	double t0 = util_mono_ms();
	struct prof *p = ingest_decode((const uint8_t *)body->data, body->len, cfg.max_inflated, &perr);
	if (!p)
		return reply_error(r, perr.status, perr.code, "%s", perr.message);
	double t1 = util_mono_ms();
	char id[FDX_ID_LEN + 1];
	struct store_new sn = {
		.name = name,
		.labels = labels,
		.n_labels = n_labels,
		.raw = (const uint8_t *)body->data,
		.raw_len = body->len,
		.prof = p,
		.client_time = client_time,
		.uploaded_by = access_name(r),
	};
	int src = store_add(&sn, id);
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
	store_cache_add(id, p);
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	if (store_meta(id, &j) != 0) {
		buf_release(&out);
		return reply_error(r, 500, "internal", "stored profile not readable");
	}
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

enum MHD_Result route_profiles_raw(struct req *r, const struct route_params *rp)
{
	const char *id = route_param(rp, "id");
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = util_is_id(id) ? store_raw(id, &data, &len) : 1;
	if (rc == 1)
		return reply_error(r, 404, "not_found", "no profile with id %.40s", id);
	if (rc < 0)
		return reply_error(r, 500, "internal", "raw lookup failed");
	char disp[96];
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s.pb.gz\"", id);
	reply_header(r, "Content-Disposition", disp);
	return reply_owned(r, 200, "application/octet-stream", data, len);
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
