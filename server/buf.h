/*
 * buf.h: a growable byte buffer.
 *
 * Used for response bodies, upload bodies and encoded blobs. On allocation
 * failure the buffer records it (buf.oom) and further appends do nothing,
 * so callers check once at the end instead of after every append.
 *
 * Growth is charged to the current work's memory account (work.h): a
 * buffer that would take the server past its memory budget fails as out
 * of memory (and the work is stopped with WORK_NOMEM). The charge is given
 * back at buf_release and buf_detach (whoever takes detached bytes past
 * the work, like reply.c, charges them itself).
 */
#ifndef FDX_BUF_H
#define FDX_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "work.h"

struct buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;
	struct work_held held;   /* capacity charged to the current work (work.h) */
};

#define BUF_INIT { NULL, 0, 0, false, { NULL, 0 } }

void buf_init(struct buf *b);
void buf_release(struct buf *b);
/* Make room for n more bytes; returns 0 or -1 (and sets oom). */
int buf_grow(struct buf *b, size_t n);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Take ownership of the data (NUL-terminated); the buffer is reset. */
char *buf_detach(struct buf *b, size_t *len);


#endif
