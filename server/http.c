/*
 * http.c: libmicrohttpd glue, request lifetime, the handlers on the
 * worker pool, the reply to a stopped work, start and stop (see http.h;
 * the other replies are in reply.c).
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
#include <unistd.h>

#include "budget.h"
#include "config.h"
#include "conn.h"
#include "hdr.h"
#include "limits.h"
#include "store.h"
#include "util.h"

static struct MHD_Daemon *daemon_;
static struct sockaddr_storage listen_addr;
static http_dispatch_fn dispatch_;
static http_admit_fn admit_;
static atomic_bool stopping;         /* http_stop began: no handler starts */
static char *tls_cert, *tls_key;     /* PEM, read at start (TLS on: cfg.tls_cert[0]) */
static size_t tls_key_len;

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

/* The one mapping from a stopped work to the reply (work.h). */
enum MHD_Result reply_stopped(struct req *r, int why)
{
	r->stopped = why;
	if (why == WORK_CANCELLED)
		return MHD_NO; /* nobody to answer: libmicrohttpd closes the connection */
	char retry[16];
	snprintf(retry, sizeof(retry), "%d", why == WORK_NOMEM ? FDX_RETRY_AFTER_S : 5);
	reply_header(r, "Retry-After", retry);
	if (why == WORK_SHUTDOWN) {
		r->close = true;
		return reply_error(r, 503, "shutting_down", "the server is stopping; retry shortly");
	}
	if (why == WORK_DEADLINE && r->work.over_units)
		return reply_error(r, 503, "over_budget", "the request needed more than its budget of %zu work units "
		                   "(--max-request-work)", cfg.request_work);
	if (why == WORK_DEADLINE)
		return reply_error(r, 503, "over_budget", "the request ran longer than its time budget of %u s "
		                   "(--max-request-time)", cfg.request_time_s);
	return reply_error(r, 503, "busy", "%s; retry shortly", work_reason(why));
}

/* Short names of the reasons, for the log. */
static const char *stop_name(int why)
{
	static const char *const names[] = { [WORK_OK] = "", [WORK_CANCELLED] = "cancelled",
	                                     [WORK_SHUTDOWN] = "shutdown", [WORK_DEADLINE] = "deadline",
	                                     [WORK_NOMEM] = "nomem" };
	return why >= 0 && why <= WORK_NOMEM ? names[why] : "stopped";
}

/* conn.h's stop hook: stop the work of request ctx; a handler still
 * waiting in the queue does not run at all: the request is answered (or,
 * cancelled, closed) now. */
static bool req_stop(void *ctx, int why)
{
	struct req *r = ctx;
	int expected = WORK_OK;
	if (!atomic_compare_exchange_strong(&r->stop, &expected, why))
		return false;
	work_stop(&r->work, why);
	util_log("level=info rid=%s msg=\"work stopped\" reason=%s", r->rid, stop_name(why));
	if (!pool_cancel(&r->job))
		return false; /* running (or done): it sees the stop */
	r->res = reply_stopped(r, why);
	r->done = true;
	MHD_resume_connection(r->conn);
	return true;
}

/* The handler, on a worker thread (pool.h). The work begins here; a stop
 * asked for before (r->stop) is applied after work_begin, which resets
 * the flag, and then the handler does not run at all. */
static void run_req(struct pool_job *job)
{
	struct req *r = (struct req *)(void *)((char *)job - offsetof(struct req, job));
	work_begin(&r->work, (int64_t)cfg.request_time_s * 1000);
	int why = atomic_load(&r->stop);
	if (why != WORK_OK)
		work_stop(&r->work, why);
	store_unavailable_clear();
	enum MHD_Result res = why == WORK_OK ? dispatch_(r) : MHD_YES;
	why = atomic_load(&r->work.stop);
	work_end(&r->work);
	if (why == WORK_OK && r->replied && r->status >= 500 && store_unavailable()) {
		/* The handler failed because the database cannot be reached
		 * (PostgreSQL down or restarting; store.h): say so, and when to
		 * try again. The store reconnects by itself on a later request. */
		if (r->resp)
			MHD_destroy_response(r->resp);
		r->resp = NULL;
		r->hdrs_len = 0;
		reply_header(r, "Retry-After", "5");
		res = reply_error(r, 503, "database_unavailable", "the database cannot be reached; retry shortly");
	}
	if (why != WORK_OK && (!r->replied || r->status >= 500)) {
		/* The handler unwound (or never ran): the stop decides the reply. */
		if (r->resp)
			MHD_destroy_response(r->resp);
		r->resp = NULL;
		r->hdrs_len = 0;
		res = reply_stopped(r, why);
	} else if (why != WORK_OK) {
		r->stopped = why; /* stopped too late to matter: the reply stands */
	}
	r->res = res;
	r->done = true;
	conn_worked(r->c);
	MHD_resume_connection(r->conn);
}

/* The final call of the access handler: run the handler on a worker with
 * the connection suspended, or queue the reply it made. */
static enum MHD_Result dispatch_deferred(struct req *r)
{
	if (r->done) {
		struct MHD_Response *resp = r->resp;
		r->resp = NULL;
		if (!resp)
			return r->res;
		enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
		MHD_destroy_response(resp);
		conn_sending(r->c);
		return ret == MHD_YES ? r->res : MHD_NO;
	}
	if (atomic_load(&stopping))
		return reply_stopped(r, WORK_SHUTDOWN);
	r->deferred = true;
	r->job.run = run_req;
	MHD_suspend_connection(r->conn);
	conn_working(r->c, r);
	pool_submit(&r->job);
	return MHD_YES;
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

/* Iterator over the header fields: count what the framing rules need. */
static enum MHD_Result count_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	hdr_framing_add(cls, key, strlen(key), value ? value : "", value ? strlen(value) : 0);
	return MHD_YES;
}

/* The first call for a request: its context, and the refusals that need
 * only the headers. */
static enum MHD_Result begin_request(struct MHD_Connection *conn, const char *url, const char *method,
                                     const char *version, void **con_cls)
{
	struct req *r = calloc(1, sizeof(*r));
	if (!r)
		return MHD_NO;
	r->conn = conn;
	r->method = http_method_parse(method);
	r->method_str = method;
	r->url = url;
	r->t0 = util_mono_ms();
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	r->c = ci ? ci->socket_context : NULL;
	char id[FDX_ID_LEN + 1];
	if (util_new_id(id) == 0)
		snprintf(r->rid, sizeof(r->rid), "%.16s", id);
	*con_cls = r;
	conn_request(r->c);
	/* Framing that a proxy could read differently (hdr.h): refuse, close. */
	struct hdr_framing f = HDR_FRAMING_INIT;
	f.http_minor = hdr_http_minor(version);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_field, &f);
	const char *why = hdr_framing_verdict(&f);
	if (why) {
		r->close = true;
		return reply_error(r, 400, "bad_request", "%s", why);
	}
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
	/* Whoever may not send a body is refused before it is read. */
	enum MHD_Result res;
	if (admit_ && (announced > 0 || MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                                            MHD_HTTP_HEADER_TRANSFER_ENCODING)) &&
	    admit_(r, &res))
		return res;
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct req *r = *con_cls;
	if (!r)
		return begin_request(conn, url, method, version, con_cls);
	if (r->done)
		return dispatch_deferred(r); /* resumed: queue the handler's reply */
	if (r->replied) {
		*upload_data_size = 0; /* discard the rest of a refused body */
		return MHD_YES;
	}
	if (*upload_data_size) {
		conn_received(r->c, *upload_data_size);
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
	return dispatch_deferred(r);
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
	util_log("rid=%s method=%s path=%s status=%d bytes=%zu in=%zu ms=%.1f%s%s%s", r->rid, method, path,
	         r->status, r->resp_bytes, r->body.len + r->file.len + r->in_released, util_mono_ms() - r->t0,
	         toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1", r->stopped ? " stopped=" : "",
	         stop_name(r->stopped));
	conn_idle(r->c);
	if (r->resp)
		MHD_destroy_response(r->resp);
	if (r->pp)
		MHD_destroy_post_processor(r->pp);
	budget_give(r->reserved);
	buf_release(&r->body);
	buf_release(&r->file);
	free(r);
	*con_cls = NULL;
}

/* libmicrohttpd starts or ends serving a connection. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = ci ? conn_attach(ci->connect_fd) : NULL;
	} else {
		conn_detach(*socket_context);
		*socket_context = NULL;
	}
}

/* conn.h's hook: hand a connection over. */
static int handoff(int fd, const struct sockaddr *addr, socklen_t len)
{
	return MHD_add_connection(daemon_, fd, addr, len) == MHD_YES ? 0 : -1;
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

/* Read a whole PEM file (at most 1 MiB) into a string. NULL after logging. */
static char *read_pem(const char *path, const char *flag, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len <= 1024 * 1024)
		buf_add(&b, chunk, n);
	if (!f || ferror(f) || b.len == 0 || b.len > 1024 * 1024 || b.oom) {
		util_log("level=error msg=\"cannot read %s\" file=%s error=\"%s\"", flag, path,
		         !f || ferror(f) ? strerror(errno) : b.len ? "larger than 1 MiB" : "empty file");
		if (f)
			fclose(f);
		buf_release(&b);
		return NULL;
	}
	fclose(f);
	buf_addc(&b, '\0');
	*len = b.len;
	return buf_detach(&b, &n);
}

static void free_tls(void)
{
	free(tls_cert);
	if (tls_key)
		explicit_bzero(tls_key, tls_key_len);
	free(tls_key);
	tls_cert = tls_key = NULL;
}

/* 4 per CPU, at least 8: handlers are CPU-bound views and SQLite reads. */
static unsigned default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 2 ? (unsigned)n * 4 : 8;
}

#define OPT(o, v, p) (struct MHD_OptionItem){ (o), (intptr_t)(v), (p) }

int http_start(http_dispatch_fn dispatch, http_admit_fn admit)
{
	dispatch_ = dispatch;
	admit_ = admit;
	if (parse_listen(cfg.listen) < 0) {
		util_log("level=error msg=\"bad --listen address\" listen=%s", cfg.listen);
		return -1;
	}
	size_t cert_len = 0;
	if (cfg.tls_cert[0]) {
		tls_cert = read_pem(cfg.tls_cert, "--tls-cert", &cert_len);
		tls_key = tls_cert ? read_pem(cfg.tls_key, "--tls-key", &tls_key_len) : NULL;
		if (!tls_key) {
			free_tls();
			return -1;
		}
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC |
	                 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | (tls_cert ? MHD_USE_TLS : 0);
	struct MHD_OptionItem opts[] = {
		OPT(MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL),
		OPT(MHD_OPTION_THREAD_POOL_SIZE, FDX_POLL_THREADS, NULL),
		/* conn.c enforces --max-conns; libmicrohttpd must never refuse
		 * what it admitted (each polling thread gets a share of this). */
		OPT(MHD_OPTION_CONNECTION_LIMIT, cfg.max_conns * FDX_POLL_THREADS, NULL),
		OPT(MHD_OPTION_CONNECTION_TIMEOUT, FDX_IDLE_TIMEOUT_S, NULL),
		OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, FDX_CONN_MEMORY, NULL),
		OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL),
		OPT(MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL),
		/* Without TLS the list ends here. */
		OPT(tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, tls_cert),
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, tls_key),
		OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"),
		OPT(MHD_OPTION_END, 0, NULL),
	};
	daemon_ = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!daemon_) {
		util_log("level=error msg=\"cannot start the HTTP engine%s\"",
		         tls_cert ? " (is --tls-key the key of --tls-cert, both PEM, the key unencrypted?)" : "");
		free_tls();
		return -1;
	}
	unsigned workers = cfg.workers ? cfg.workers : default_workers();
	struct conn_limits lim = {
		.max_conns = cfg.max_conns,
		.per_ip = cfg.max_conns_per_ip,
		.header_ms = cfg.header_timeout_s * 1000.0,
		.keepalive_ms = cfg.keepalive_s * 1000.0,
		.grace_ms = cfg.header_timeout_s * 1000.0,
		.min_rate = cfg.min_rate,
		.max_header = FDX_MAX_HEADER_BYTES,
		.tls = tls_cert != NULL,
	};
	struct conn_hooks hooks = { .handoff = handoff, .stop = req_stop, .refuse = reply_refusal };
	socklen_t alen = listen_addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (pool_start(workers) < 0 || conn_start((struct sockaddr *)&listen_addr, alen, &lim, &hooks) < 0) {
		util_log("level=error msg=\"cannot start\" listen=%s", cfg.listen);
		MHD_stop_daemon(daemon_);
		daemon_ = NULL;
		pool_stop();
		free_tls();
		return -1;
	}
	util_log("level=info msg=connections max_conns=%u per_ip=%u header_timeout_s=%u keepalive_s=%u min_rate=%zu "
	         "workers=%u tls=%d", cfg.max_conns, cfg.max_conns_per_ip, cfg.header_timeout_s, cfg.keepalive_s,
	         cfg.min_rate, workers, tls_cert != NULL);
	return 0;
}

int http_stop(double deadline_ms)
{
	if (!daemon_)
		return 0;
	conn_stop_accepting();
	atomic_store(&stopping, true);
	conn_stop_work(WORK_SHUTDOWN);
	conn_shutdown_idle();
	if (!pool_wait_idle(deadline_ms)) {
		util_log("level=error msg=\"handlers still running at the stop deadline\" busy=%u", pool_busy());
		return -1;
	}
	/* Let the replies go out (plaintext connections then close). */
	while (conn_active() > 0 && util_mono_ms() < deadline_ms)
		usleep(20 * 1000);
	MHD_stop_daemon(daemon_);
	daemon_ = NULL;
	pool_stop();
	conn_join();
	free_tls();
	return 0;
}
