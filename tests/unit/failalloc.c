/*
 * failalloc.c: make the k-th allocation fail (see tests.h).
 *
 * The unit-test binary is linked with -Wl,--wrap=malloc,--wrap=calloc,
 * --wrap=realloc, so every call to those in the server library and in the
 * tests comes here first. Allocations made inside other libraries (libc's
 * strdup, RE2's C++ allocations, Check) are not seen.
 */
#include <stddef.h>
#include <string.h>

#include "tests.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static long countdown; /* 0: never fail */
static bool any_failed;

void failalloc_arm(long k)
{
	countdown = k;
	any_failed = false;
}

bool failalloc_disarm(void)
{
	countdown = 0;
	return any_failed;
}

static bool fail_now(void)
{
	if (countdown > 0 && --countdown == 0) {
		any_failed = true;
		return true;
	}
	return false;
}

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

void failalloc_check(const char *what, failalloc_op op, void *ctx)
{
	struct buf want = BUF_INIT;
	int want_rc = op(ctx, &want);
	ck_assert_msg(want_rc >= 0 && !want.oom, "%s: fails without an allocation failure (%d)", what, want_rc);
	for (long k = 1;; k++) {
		struct buf got = BUF_INIT;
		failalloc_arm(k);
		int rc = op(ctx, &got);
		bool failed = failalloc_disarm();
		if (rc >= 0)
			ck_assert_msg(rc == want_rc && !got.oom && got.len == want.len &&
			                  (want.len == 0 || memcmp(got.data, want.data, want.len) == 0),
			              "%s: allocation %ld failed, yet it answered %d with %s (want %d with %s)", what, k,
			              rc, got.oom ? "(out of memory)" : got.data ? got.data : "", want_rc,
			              want.data ? want.data : "");
		buf_release(&got);
		if (!failed)
			break; /* fewer than k allocations: every one has been failed once */
	}
	buf_release(&want);
}
