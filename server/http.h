/*
 * http.h: libmicrohttpd setup, the request context and replies.
 *
 * One thread per connection (handlers do blocking SQLite work), capped by
 * --max-conns. The request context owns every allocation of its request
 * and frees it in the completion callback, which also writes the one log
 * line per request.
 */
#ifndef FDX_HTTP_H
#define FDX_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "buf.h"

struct req {
	struct MHD_Connection *conn;
	const char *method;
	const char *url;
	char rid[17];
	double t0;
	int status;
	size_t resp_bytes;
	/* body */
	struct buf body;
	bool too_large;
	bool multipart;
	struct MHD_PostProcessor *pp;
	struct buf file;          /* multipart: the "file" field */
	bool got_file;
	char file_name[256];
	bool replied;
	size_t reserved;          /* bytes taken from the in-flight budget */
	bool busy;                /* the budget was spent: reply 429 */
};

int http_start(void);
void http_stop(void);

/* Query argument, or NULL. Longer than FDX_MAX_PARAM_LEN: treated as absent
 * and *too_long set by req_arg_checked. */
const char *req_arg(struct req *r, const char *name);
const char *req_header(struct req *r, const char *name);
/* Integer query argument in [min, max]; def when absent or empty.
 * 0, or -1 when present but not such an integer. */
int req_long(struct req *r, const char *name, long def, long min, long max, long *out);

/* Replies: each returns an MHD result for the access handler. */
enum MHD_Result reply_buf(struct req *r, int status, const char *ctype, struct buf *body);
enum MHD_Result reply_static(struct req *r, int status, const char *ctype, const char *text);
enum MHD_Result reply_error(struct req *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Takes ownership of data (malloc'd). */
enum MHD_Result reply_owned(struct req *r, int status, const char *ctype, void *data, size_t len,
                            const char *disposition);
enum MHD_Result reply_empty(struct req *r, int status);

#endif
