/*
 * reply.c: the replies of http.h (reply_* but reply_stopped), the headers every reply
 * carries, and the gate's raw refusals.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "config.h"
#include "conn.h"
#include "encoding.h"
#include "http.h"
#include "json.h"
#include "limits.h"
#include "util.h"
#include "work.h"

#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"


int reply_header(struct req *r, const char *name, const char *value)
{
	size_t nl = strlen(name) + 1, vl = strlen(value) + 1;
	if (r->hdrs_len + nl + vl > sizeof(r->hdrs))
		return -1;
	memcpy(r->hdrs + r->hdrs_len, name, nl);
	memcpy(r->hdrs + r->hdrs_len + nl, value, vl);
	r->hdrs_len += nl + vl;
	return 0;
}

static enum MHD_Result send_resp(struct req *r, int status, struct MHD_Response *resp, const char *ctype)
{
	if (!resp)
		return MHD_NO;
	for (size_t off = 0; off < r->hdrs_len;) {
		const char *name = r->hdrs + off, *value = name + strlen(name) + 1;
		MHD_add_response_header(resp, name, value);
		off = (size_t)(value + strlen(value) + 1 - r->hdrs);
	}
	if (ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	if (!MHD_get_response_header(resp, "Cache-Control")) /* a handler may set its own */
		MHD_add_response_header(resp, "Cache-Control", "no-cache");
	MHD_add_response_header(resp, "X-Request-Id", r->rid);
	bool tls = cfg.tls_cert[0] != '\0';
	if (tls) {
		char hsts[64];
		snprintf(hsts, sizeof(hsts), "max-age=%d", FDX_HSTS_MAX_AGE_S);
		MHD_add_response_header(resp, "Strict-Transport-Security", hsts);
	}
	if (!tls || r->close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	r->status = status;
	r->replied = true;
	if (r->deferred) {
		/* On a worker: queued by the access handler once the connection
		 * resumes (libmicrohttpd queues only from its own thread). */
		if (r->resp)
			MHD_destroy_response(r->resp);
		r->resp = resp;
		return MHD_YES;
	}
	enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	conn_sending(r->c);
	return ret;
}

enum MHD_Result reply_buf(struct req *r, int status, const char *ctype, struct buf *body)
{
	if (body->oom) {
		buf_release(body);
		return reply_error(r, 500, "internal", "out of memory building the response");
	}
	size_t len;
	char *data = buf_detach(body, &len);
	if (!data)
		return reply_error(r, 500, "internal", "out of memory building the response");
	return reply_owned(r, status, ctype, data, len);
}

/* A reply body held until libmicrohttpd has sent it: counted in the
 * memory account (budget.h) from reply_owned to its free, so slow readers
 * of big replies hold budget, not unaccounted memory. */
struct owned_body {
	void *data;
	size_t len;
};

static void free_owned(void *cls)
{
	struct owned_body *o = cls;
	budget_give(o->len);
	free(o->data);
	free(o);
}

enum MHD_Result reply_owned(struct req *r, int status, const char *ctype, void *data, size_t len)
{
	/* Content coding (encoding.h): the body goes gzipped when the client
	 * accepts it and it is worth it. */
	bool vary = false, gz = false;
	if (len >= ENC_MIN_BYTES && status != 204 && status != 304 && enc_compressible(ctype)) {
		vary = true;
		void *z;
		size_t zl;
		if (enc_accepts_gzip(req_header(r, "Accept-Encoding")) && enc_gzip(data, len, &z, &zl) == 0) {
			free(data);
			data = z;
			len = zl;
			gz = true;
		}
	}
	struct owned_body *o = malloc(sizeof(*o));
	struct MHD_Response *resp =
		o ? MHD_create_response_from_buffer_with_free_callback_cls(len, data, free_owned, o) : NULL;
	if (!resp) {
		free(o);
		free(data);
		return MHD_NO;
	}
	o->data = data;
	o->len = len;
	budget_force(len);
	r->resp_bytes = len;
	if (gz)
		MHD_add_response_header(resp, "Content-Encoding", "gzip");
	if (vary)
		MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	return send_resp(r, status, resp, ctype);
}

enum MHD_Result reply_gzipped(struct req *r, int status, const char *ctype, void *gz, size_t gz_len, size_t raw_len)
{
	bool worth = raw_len >= ENC_MIN_BYTES && status != 204 && status != 304 && enc_compressible(ctype);
	if (worth && enc_accepts_gzip(req_header(r, "Accept-Encoding"))) {
		struct owned_body *o = malloc(sizeof(*o));
		struct MHD_Response *resp =
			o ? MHD_create_response_from_buffer_with_free_callback_cls(gz_len, gz, free_owned, o) : NULL;
		if (!resp) {
			free(o);
			free(gz);
			return MHD_NO;
		}
		o->data = gz;
		o->len = gz_len;
		budget_force(gz_len);
		r->resp_bytes = gz_len;
		MHD_add_response_header(resp, "Content-Encoding", "gzip");
		MHD_add_response_header(resp, "Vary", "Accept-Encoding");
		return send_resp(r, status, resp, ctype);
	}
	/* the inflated body is held until it is sent: charged first */
	if (work_charge(raw_len) < 0) {
		free(gz);
		return reply_error(r, 503, "busy", "no memory for the response now; retry shortly");
	}
	void *raw = NULL;
	int rc = enc_gunzip(gz, gz_len, raw_len, &raw);
	free(gz);
	work_uncharge(raw_len);   /* reply_owned counts it from here on */
	if (rc < 0)
		return reply_error(r, 500, "internal", "a kept answer did not inflate");
	return reply_owned(r, status, ctype, raw, raw_len);
}

enum MHD_Result reply_static(struct req *r, int status, const char *ctype, const char *text)
{
	size_t n = strlen(text);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(n, (void *)text, MHD_RESPMEM_PERSISTENT);
	r->resp_bytes = n;
	return send_resp(r, status, resp, ctype);
}

enum MHD_Result reply_empty(struct req *r, int status)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	return send_resp(r, status, resp, NULL);
}

/* The JSON body of an error: {"error": {"code", "message", "request_id"}}. */
static void error_body(struct buf *b, const char *code, const char *msg, const char *rid)
{
	struct json j;
	json_init(&j, b);
	json_obj_begin(&j);
	json_key(&j, "error");
	json_obj_begin(&j);
	json_key(&j, "code");
	json_str(&j, code);
	json_key(&j, "message");
	json_str(&j, msg);
	json_key(&j, "request_id");
	json_str(&j, rid);
	json_obj_end(&j);
	json_obj_end(&j);
	buf_addc(b, '\n');
}

enum MHD_Result reply_error(struct req *r, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (status >= 500)
		util_log("level=%s rid=%s code=%s msg=\"%s\"", status == 500 ? "error" : "warn", r->rid, code, msg);
	struct buf b = BUF_INIT;
	/* A 500 is our bug: its details stay in the log. */
	error_body(&b, code, status == 500 ? "internal error (see the server log for this request id)" : msg, r->rid);
	size_t len;
	char *data = buf_detach(&b, &len);
	if (!data)
		return MHD_NO;
	return reply_owned(r, status, "application/json", data, len);
}

size_t reply_refusal(char *out, size_t cap, int status, const char *why, const char *peer)
{
	static const struct {
		int status;
		const char *code;
	} codes[] = { { 400, "bad_request" }, { 408, "request_timeout" }, { 431, "headers_too_large" },
	              { 505, "http_version_not_supported" } };
	const char *code = "bad_request";
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].status == status)
			code = codes[i].code;
	char rid[FDX_ID_LEN + 1] = "";
	util_new_id(rid);
	rid[16] = '\0';
	util_log("rid=%s peer=%s status=%d code=%s msg=\"%s\" refused=1", rid, peer, status, code, why);
	struct buf b = BUF_INIT;
	error_body(&b, code, why, rid);
	int n = snprintf(out, cap,
	                 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	                 "Connection: close\r\nX-Request-Id: %s\r\nX-Content-Type-Options: nosniff\r\n"
	                 "Cache-Control: no-cache\r\n\r\n%s",
	                 status, MHD_get_reason_phrase_for((unsigned)status), b.len, rid, b.data ? b.data : "");
	buf_release(&b);
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}
