/*
 * http.h: libmicrohttpd setup, the request context and replies.
 *
 * One thread per connection (handlers do blocking SQLite work), capped by
 * --max-conns. The request context owns every allocation of its request
 * and frees it in the completion callback, which also writes the one log
 * line per request.
 *
 * http.c knows no endpoint: it reads the body (refusing it with 413 over
 * --max-body and 429 over --max-inflight), refuses a query parameter
 * longer than FDX_MAX_PARAM_LEN with a 400 naming it, and then hands the
 * request to the dispatcher given to http_start (router.h), which must
 * reply exactly once.
 */
#ifndef FDX_HTTP_H
#define FDX_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "buf.h"

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
	bool replied;
	char hdrs[256];           /* reply_header: "name\0value\0" pairs */
	size_t hdrs_len;
	size_t reserved;          /* bytes taken from the in-flight budget */
	bool busy;                /* the budget was spent: reply 429 */
};

/* Answers a request whose body is complete; replies exactly once. */
typedef enum MHD_Result (*http_dispatch_fn)(struct req *r);

/* Listen on cfg.listen and serve every request through dispatch. 0 or -1. */
int http_start(http_dispatch_fn dispatch);
/* Stop accepting, let requests in flight finish, stop. */
void http_stop(void);

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

/* Replies: each returns an MHD result for the access handler. */
enum MHD_Result reply_buf(struct req *r, int status, const char *ctype, struct buf *body);
enum MHD_Result reply_static(struct req *r, int status, const char *ctype, const char *text);
enum MHD_Result reply_error(struct req *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Takes ownership of data (malloc'd). */
enum MHD_Result reply_owned(struct req *r, int status, const char *ctype, void *data, size_t len);
enum MHD_Result reply_empty(struct req *r, int status);

#endif
