/*
 * buf.c: growable byte buffer (see buf.h).
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = false;
	b->held.w = NULL;
	b->held.n = 0;
}

void buf_release(struct buf *b)
{
	work_unhold(&b->held);
	free(b->data);
	buf_init(b);
}

int buf_grow(struct buf *b, size_t n)
{
	if (b->oom)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return -1;
		}
		cap *= 2;
	}
	if (work_hold(&b->held, cap - b->cap) < 0) {
		b->oom = true;
		return -1;
	}
	char *p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0 || buf_grow(b, n) < 0)
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addc(struct buf *b, char c)
{
	if (buf_grow(b, 1) < 0)
		return;
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		buf_add(b, small, (size_t)n);
		return;
	}
	if (buf_grow(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *buf_detach(struct buf *b, size_t *len)
{
	if (buf_grow(b, 0) < 0) {
		buf_release(b);
		return NULL;
	}
	b->data[b->len] = '\0';
	char *p = b->data;
	if (len)
		*len = b->len;
	work_unhold(&b->held);
	buf_init(b);
	return p;
}

