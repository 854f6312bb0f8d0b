/*
 * http.h: libmicrohttpd setup, the request context and replies.
 *
 * Connections: conn.h accepts them, holds each plaintext one until its
 * header block has arrived whole and passed the strict checks of hdr.h,
 * enforces the connection limits and every phase's deadline, and then
 * hands it to libmicrohttpd, which runs FDX_POLL_THREADS epoll threads
 * (TLS with --tls-cert). Those threads only move bytes: when a request's
 * body is complete its connection is suspended and the handler runs on a
 * worker thread (pool.h); the reply it makes is queued when the connection
 * resumes. A plaintext connection carries one request (every reply says
 * Connection: close), so what the raw checks saw is all it ever carries;
 * TLS connections are kept alive.
 *
 * Each request has a struct work (work.h), begun on the worker: it is
 * stopped with WORK_CANCELLED when the client hangs up while the handler
 * is queued or running, with WORK_SHUTDOWN when the server stops, and by
 * its own time budget (--max-request-time). reply_stopped is the one
 * mapping from a stopped work to the reply.
 *
 * The request context owns every allocation of its request and frees it
 * in the completion callback, which also writes the one log line per
 * request.
 *
 * http.c knows no endpoint: it refuses an ambiguously framed request (two
 * Content-Length headers, Content-Length with Transfer-Encoding, HTTP/1.1
 * without Host, ...: hdr.h) with a 400 and Connection: close, reads the
 * body (refusing it with 413 over --max-body and 429 over
 * --max-inflight), refuses a query parameter longer than FDX_MAX_PARAM_LEN
 * with a 400 naming it, and then hands the request to the dispatcher given
 * to http_start (router.h), which must reply exactly once.
 */
#ifndef FDX_HTTP_H
#define FDX_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "buf.h"
#include "pool.h"
#include "work.h"

struct conn;

/* The request method, parsed once when the request starts. */
enum http_method {
	M_GET,
	M_HEAD,
	M_POST,
	M_PUT,
	M_DELETE,
	M_PATCH,
	M_OPTIONS,
	M_OTHER,   /* any other token */
	M_COUNT    /* how many there are */
};
enum http_method http_method_parse(const char *s);
/* "GET", ...; "OTHER" for M_OTHER. */
const char *http_method_name(enum http_method m);

struct req {
	struct MHD_Connection *conn;
	enum http_method method;
	const char *method_str;   /* as sent (for the log) */
	const char *url;          /* the path, percent-decoded by libmicrohttpd, no query */
	char rid[17];
	double t0;
	int status;
	size_t resp_bytes;
	/* body */
	struct buf body;
	bool too_large;
	bool multipart;
	struct MHD_PostProcessor *pp;
	struct buf file;          /* multipart: the first "file" part */
	int n_files;              /* multipart: "file" parts seen (only the first is kept) */
	char file_name[256];      /* multipart: the first file part's file name */
	size_t in_released;       /* body bytes a handler released before the end (for the log's in=) */
	bool replied;
	char hdrs[256];           /* reply_header: "name\0value\0" pairs */
	size_t hdrs_len;
	size_t reserved;          /* bytes taken from the in-flight budget */
	bool busy;                /* the budget was spent: reply 429 */
	/* connection and handler (see the top of this file) */
	struct conn *c;           /* the connection in conn.c's table, or NULL */
	struct work work;         /* the handler's budget and stop flag */
	atomic_int stop;          /* a stop asked for before the handler began */
	int stopped;              /* why the work stopped, for the log (WORK_OK: it did not) */
	struct pool_job job;      /* the handler's place in the worker queue */
	bool deferred;            /* the handler runs on a worker */
	bool done;                /* ... and has finished: res and resp are its reply */
	enum MHD_Result res;
	struct MHD_Response *resp;
	bool close;               /* the reply says Connection: close */
};

/* Answers a request whose body is complete; replies exactly once. */
typedef enum MHD_Result (*http_dispatch_fn)(struct req *r);

/* Asked, before any of a request's body is read, whether the request may
 * send one: true (having replied, with *res the result) to refuse it, so
 * that an unauthorised client cannot make the server read and hold a body.
 * Runs on a polling thread: it must not wait for long (a session lookup
 * is one indexed read). */
typedef bool (*http_admit_fn)(struct req *r, enum MHD_Result *res);

/* Listen on cfg.listen (TLS with cfg.tls_cert) and serve every request
 * through dispatch, asking admit (may be NULL) first for requests that
 * announce a body. 0, or -1 after logging why. */
int http_start(http_dispatch_fn dispatch, http_admit_fn admit);
/* Stop accepting; stop the work in flight (WORK_SHUTDOWN); let replies be
 * sent; stop. 0, or -1 when handlers were still running at the monotonic
 * time deadline_ms (util_mono_ms() scale): the server cannot then be
 * stopped cleanly and the caller should exit. */
int http_stop(double deadline_ms);

/* Query argument, or NULL. Never longer than FDX_MAX_PARAM_LEN bytes: a
 * request with a longer parameter (name or value) was refused with a 400
 * naming it before any handler ran. */
const char *req_arg(struct req *r, const char *name);
const char *req_header(struct req *r, const char *name);
/* Integer query argument in [min, max]; def when absent or empty.
 * 0, or -1 when present but not such an integer. */
int req_long(struct req *r, const char *name, long def, long min, long max, long *out);

/* Add a header to the reply this request will send (copied; a handful of
 * short headers fit). 0, or -1 when there is no room. */
int reply_header(struct req *r, const char *name, const char *value);

/* Replies (reply.c): each returns an MHD result for the access handler.
 * Every reply carries the security headers, X-Request-Id, Connection:
 * close on plaintext (or when r->close), and HSTS with TLS. */
enum MHD_Result reply_buf(struct req *r, int status, const char *ctype, struct buf *body);
enum MHD_Result reply_static(struct req *r, int status, const char *ctype, const char *text);
enum MHD_Result reply_error(struct req *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Takes ownership of data (malloc'd). */
enum MHD_Result reply_owned(struct req *r, int status, const char *ctype, void *data, size_t len);
enum MHD_Result reply_empty(struct req *r, int status);
/* A body kept gzipped (answers.h): gz[0, gz_len) (malloc'd, owned from
 * now on) is enc_gzip of raw_len bytes. Sent as it is, with
 * Content-Encoding: gzip, to a client that accepts gzip when reply_owned
 * would have gzipped the raw body (same type and size rule, so the same
 * headers and ETag); inflated and sent as reply_owned sends it otherwise.
 * A body that does not inflate to raw_len bytes is a 500. */
enum MHD_Result reply_gzipped(struct req *r, int status, const char *ctype, void *gz, size_t gz_len, size_t raw_len);
/* (http.c) The reply to a request whose work stopped for reason why (work.h):
 * WORK_CANCELLED none (the connection is closed: the client is gone);
 * WORK_SHUTDOWN 503 shutting_down, WORK_DEADLINE 503 over_budget naming
 * --max-request-time, WORK_NOMEM 503 busy; each with Retry-After. */
enum MHD_Result reply_stopped(struct req *r, int why);

/* conn.h's refuse hook: write into out (cap bytes) a whole HTTP/1.1 reply
 * with a JSON error for status (400, 408, 431, 505) and why, and
 * Connection: close; log it with peer. Returns its length. */
size_t reply_refusal(char *out, size_t cap, int status, const char *why, const char *peer);

#endif
