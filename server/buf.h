/*
 * buf.h: a growable byte buffer.
 *
 * Used for response bodies, upload bodies and encoded blobs. On allocation
 * failure the buffer records it (buf.oom) and further appends do nothing,
 * so callers check once at the end instead of after every append.
 */
#ifndef FDX_BUF_H
#define FDX_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;
};

#define BUF_INIT { NULL, 0, 0, false }

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
