/*
 * budget.c: the memory account (see budget.h).
 */
#include "budget.h"

#include <stdatomic.h>

static atomic_size_t used, peak;
static atomic_ullong refused;
static size_t limit = (size_t)1 << 30;

void budget_init(size_t l)
{
	limit = l;
}

static void note_peak(size_t now)
{
	size_t p = atomic_load(&peak);
	while (now > p && !atomic_compare_exchange_weak(&peak, &p, now))
		;
}

bool budget_take(size_t n)
{
	size_t cur = atomic_load(&used);
	do {
		if (n > limit || cur > limit - n) {
			atomic_fetch_add(&refused, 1);
			return false;
		}
	} while (!atomic_compare_exchange_weak(&used, &cur, cur + n));
	note_peak(cur + n);
	return true;
}

void budget_force(size_t n)
{
	note_peak(atomic_fetch_add(&used, n) + n);
}

void budget_give(size_t n)
{
	atomic_fetch_sub(&used, n);
}

void budget_stats(struct budget_stats *out)
{
	out->used = atomic_load(&used);
	out->limit = limit;
	out->peak = atomic_load(&peak);
	out->refused = atomic_load(&refused);
}
