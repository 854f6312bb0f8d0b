/*
 * budget.h: bytes that all requests together may hold at once for upload
 * bodies and inflated profiles.
 *
 * Each request is capped on its own (--max-body, --max-inflated), but
 * sixty-four hostile uploads at their caps would still exhaust memory.
 * Requests reserve what they may hold here first; when the shared budget
 * (--max-inflight) is spent the request gets 429 busy instead of the
 * server getting killed.
 */
#ifndef FDX_BUDGET_H
#define FDX_BUDGET_H

#include <stdbool.h>
#include <stddef.h>

void budget_init(size_t limit);
/* Reserve n bytes; false (nothing reserved) when they do not fit. */
bool budget_take(size_t n);
void budget_give(size_t n);

#endif
