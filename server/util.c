/*
 * util.c: ids, time, logging (see util.h).
 */
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int util_new_id(char out[FDX_ID_LEN + 1])
{
	unsigned char r[18];
	size_t got = 0;
	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	/* 18 bytes -> 24 chars; keep 22 (132 bits). */
	char tmp[25];
	for (int i = 0, o = 0; i < 18; i += 3) {
		uint32_t v = (uint32_t)r[i] << 16 | (uint32_t)r[i + 1] << 8 | r[i + 2];
		tmp[o++] = b64url[(v >> 18) & 63];
		tmp[o++] = b64url[(v >> 12) & 63];
		tmp[o++] = b64url[(v >> 6) & 63];
		tmp[o++] = b64url[v & 63];
	}
	memcpy(out, tmp, FDX_ID_LEN);
	out[FDX_ID_LEN] = '\0';
	return 0;
}

bool util_is_id(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++) {
		if (n >= FDX_ID_LEN || !strchr(b64url, s[n]))
			return false;
	}
	return n == FDX_ID_LEN;
}

void util_rfc3339(int64_t ns, char out[40])
{
	time_t secs = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	if (frac < 0) {
		frac += 1000000000;
		secs -= 1;
	}
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac) {
		char f[16];
		snprintf(f, sizeof(f), ".%09ld", frac);
		size_t fl = strlen(f);
		while (fl > 1 && f[fl - 1] == '0')
			f[--fl] = '\0';
		snprintf(out + n, 40 - n, "%sZ", f);
	} else {
		snprintf(out + n, 40 - n, "Z");
	}
}

int64_t util_now_nanos(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double util_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void util_log(const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	char ts[40];
	util_rfc3339(util_now_nanos(), ts);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "ts=%s %s\n", ts, line);
	pthread_mutex_unlock(&log_lock);
}

void util_log_escape(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (cap == 0)
		return;
	for (; s && *s && o + 5 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x21 || c == '"' || c == '\\' || c == '=' || c >= 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

void util_advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
	if (!p || bytes < UTIL_HUGE_MIN)
		return;
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1), hi = ((uintptr_t)p + bytes) & ~(huge - 1);
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
	(void)p;
	(void)bytes;
#endif
}

void util_test_hold(const char *path, bool (*stop)(void))
{
	if (!path || access(path, F_OK) != 0)
		return;
	char marker[4096];
	snprintf(marker, sizeof(marker), "%s.held", path);
	FILE *f = fopen(marker, "w");
	if (f)
		fclose(f);
	while (access(path, F_OK) == 0 && !stop()) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	unlink(marker);
}
