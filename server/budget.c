/*
 * budget.c: the shared in-flight byte budget (see budget.h).
 */
#include "budget.h"

#include <stdatomic.h>

static atomic_size_t used;
static size_t limit = (size_t)1 << 30;

void budget_init(size_t l)
{
	limit = l;
}

bool budget_take(size_t n)
{
	size_t cur = atomic_load(&used);
	do {
		if (n > limit || cur > limit - n)
			return false;
	} while (!atomic_compare_exchange_weak(&used, &cur, cur + n));
	return true;
}

void budget_give(size_t n)
{
	atomic_fetch_sub(&used, n);
}
