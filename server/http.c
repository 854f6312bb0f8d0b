/*
 * http.c: libmicrohttpd glue, request lifetime, replies (see http.h).
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "budget.h"
#include "config.h"
#include "json.h"
#include "limits.h"
#include "util.h"

static struct MHD_Daemon *daemon_;
static struct sockaddr_storage listen_addr;
static http_dispatch_fn dispatch_;

#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

static const char *const method_names[M_COUNT] = {
	[M_GET] = "GET", [M_HEAD] = "HEAD", [M_POST] = "POST", [M_PUT] = "PUT",
	[M_DELETE] = "DELETE", [M_PATCH] = "PATCH", [M_OPTIONS] = "OPTIONS", [M_OTHER] = "OTHER",
};

enum http_method http_method_parse(const char *s)
{
	for (int m = 0; m < M_OTHER; m++)
		if (strcmp(s, method_names[m]) == 0)
			return (enum http_method)m;
	return M_OTHER;
}

const char *http_method_name(enum http_method m)
{
	return (unsigned)m < M_COUNT ? method_names[m] : "OTHER";
}

const char *req_arg(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* Iterator over the query: sets *(const char **)cls to the name of the
 * first parameter whose name or value is longer than FDX_MAX_PARAM_LEN. */
static enum MHD_Result find_long_param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	if (strlen(key) <= FDX_MAX_PARAM_LEN && (!value || strlen(value) <= FDX_MAX_PARAM_LEN))
		return MHD_YES;
	*(const char **)cls = key;
	return MHD_NO; /* stop */
}

int req_long(struct req *r, const char *name, long def, long min, long max, long *out)
{
	const char *s = req_arg(r, name);
	if (!s || !*s) {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*end || errno || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

const char *req_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

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
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	MHD_add_response_header(resp, "X-Request-Id", r->rid);
	enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	r->status = status;
	r->replied = true;
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

enum MHD_Result reply_owned(struct req *r, int status, const char *ctype, void *data, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(data);
		return MHD_NO;
	}
	r->resp_bytes = len;
	return send_resp(r, status, resp, ctype);
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

enum MHD_Result reply_error(struct req *r, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (status >= 500)
		util_log("level=error rid=%s code=%s msg=\"%s\"", r->rid, code, msg);
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	json_obj_begin(&j);
	json_key(&j, "error");
	json_obj_begin(&j);
	json_key(&j, "code");
	json_str(&j, code);
	json_key(&j, "message");
	json_str(&j, status >= 500 ? "internal error (see the server log for this request id)" : msg);
	json_key(&j, "request_id");
	json_str(&j, r->rid);
	json_obj_end(&j);
	json_obj_end(&j);
	buf_addc(&b, '\n');
	size_t len;
	char *data = buf_detach(&b, &len);
	if (!data)
		return MHD_NO;
	return reply_owned(r, status, "application/json", data, len);
}

/* ---- body handling ---------------------------------------------------- */

/* Multipart parts: only the first "file" part is kept; later ones are
 * counted (the upload route refuses them) and their bytes dropped. */
static enum MHD_Result on_post_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *filename, const char *content_type,
                                     const char *transfer_encoding, const char *data, uint64_t off,
                                     size_t size)
{
	struct req *r = cls;
	if (strcmp(key, "file") != 0 || r->too_large)
		return MHD_YES;
	if (off == 0)
		r->n_files++; /* a part starts */
	if (r->n_files > 1)
		return MHD_YES;
	if (filename && !r->file_name[0])
		snprintf(r->file_name, sizeof(r->file_name), "%s", filename);
	if (r->file.len + size > cfg.max_body) {
		r->too_large = true;
		buf_release(&r->file);
		return MHD_YES;
	}
	if (!budget_take(size)) {
		r->busy = true;
		return MHD_YES;
	}
	r->reserved += size;
	buf_add(&r->file, data, size);
	return MHD_YES;
}

static bool is_multipart(struct req *r)
{
	const char *ct = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	return ct && strncasecmp(ct, "multipart/form-data", 19) == 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct req *r = *con_cls;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->conn = conn;
		r->method = http_method_parse(method);
		r->method_str = method;
		r->url = url;
		r->t0 = util_mono_ms();
		char id[FDX_ID_LEN + 1];
		if (util_new_id(id) == 0)
			snprintf(r->rid, sizeof(r->rid), "%.16s", id);
		*con_cls = r;
		/* Refuse an announced oversize body before reading it. */
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		unsigned long long announced = cl ? strtoull(cl, NULL, 10) : 0;
		if (announced > cfg.max_body) {
			r->too_large = true;
			return reply_error(r, 413, "body_too_large", "request body is larger than the limit of %zu bytes",
			                   cfg.max_body);
		}
		const char *too_long = NULL;
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, find_long_param, &too_long);
		if (too_long)
			return reply_error(r, 400, "bad_request", "query parameter \"%.64s%s\" is longer than %u bytes",
			                   too_long, strlen(too_long) > 64 ? "…" : "", FDX_MAX_PARAM_LEN);
		/* Size the body buffer once (bytes are still reserved as they come). */
		if (announced > 0 && r->method == M_POST && !is_multipart(r))
			buf_grow(&r->body, (size_t)announced);
		if (r->method == M_POST && is_multipart(r)) {
			r->multipart = true;
			r->pp = MHD_create_post_processor(conn, 64 * 1024, on_post_field, r);
			if (!r->pp)
				return reply_error(r, 400, "bad_request", "cannot parse the multipart body");
		}
		return MHD_YES;
	}
	if (r->replied) {
		*upload_data_size = 0; /* discard the rest of a refused body */
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (r->multipart) {
			/* A malformed multipart body simply yields no "file" field,
			 * which the upload route reports. */
			(void)MHD_post_process(r->pp, upload_data, *upload_data_size);
		} else if (!r->too_large) {
			if (r->body.len + *upload_data_size > cfg.max_body) {
				r->too_large = true;
				buf_release(&r->body);
			} else if (!r->busy && budget_take(*upload_data_size)) {
				r->reserved += *upload_data_size;
				buf_add(&r->body, upload_data, *upload_data_size);
			} else {
				r->busy = true;
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->too_large)
		return reply_error(r, 413, "body_too_large", "request body is larger than the limit of %zu bytes",
		                   cfg.max_body);
	if (r->busy)
		return reply_error(r, 429, "busy", "too many large uploads in flight; retry shortly");
	if (r->body.oom || r->file.oom)
		return reply_error(r, 500, "internal", "out of memory reading the body");
	return dispatch_(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;
	if (!r)
		return;
	char path[512], method[32];
	util_log_escape(r->url, path, sizeof(path));
	util_log_escape(r->method_str, method, sizeof(method));
	util_log("rid=%s method=%s path=%s status=%d bytes=%zu in=%zu ms=%.1f%s", r->rid, method, path,
	         r->status, r->resp_bytes, r->body.len + r->file.len, util_mono_ms() - r->t0,
	         toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
	if (r->pp)
		MHD_destroy_post_processor(r->pp);
	budget_give(r->reserved);
	buf_release(&r->body);
	buf_release(&r->file);
	free(r);
	*con_cls = NULL;
}

static int parse_listen(const char *spec)
{
	char host[256], port[16];
	const char *colon = strrchr(spec, ':');
	if (!colon || colon == spec || strlen(colon + 1) >= sizeof(port))
		return -1;
	size_t hl = (size_t)(colon - spec);
	if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host[0] ? host : NULL, port, &hints, &res) != 0 || !res)
		return -1;
	memcpy(&listen_addr, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	char esc[600];
	util_log_escape(msg, esc, sizeof(esc));
	util_log("level=warn component=mhd msg=%s", esc);
}

int http_start(http_dispatch_fn dispatch)
{
	dispatch_ = dispatch;
	if (parse_listen(cfg.listen) < 0) {
		util_log("level=error msg=\"bad --listen address\" listen=%s", cfg.listen);
		return -1;
	}
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
	                 MHD_USE_ERROR_LOG;
	if (listen_addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	uint16_t port = listen_addr.ss_family == AF_INET6
		? ntohs(((struct sockaddr_in6 *)&listen_addr)->sin6_port)
		: ntohs(((struct sockaddr_in *)&listen_addr)->sin_port);
	daemon_ = MHD_start_daemon(flags, port, NULL, NULL, on_request, NULL,
	                           MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	                           MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&listen_addr,
	                           MHD_OPTION_CONNECTION_LIMIT, cfg.max_conns,
	                           MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)FDX_CONN_TIMEOUT_S,
	                           MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	                           MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
	                           MHD_OPTION_END);
	if (!daemon_) {
		util_log("level=error msg=\"cannot listen\" listen=%s", cfg.listen);
		return -1;
	}
	return 0;
}

void http_stop(void)
{
	if (!daemon_)
		return;
	MHD_quiesce_daemon(daemon_);     /* stop accepting */
	MHD_stop_daemon(daemon_);        /* joins connection threads */
	daemon_ = NULL;
}
