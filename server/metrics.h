/*
 * metrics.h: request counters for GET /metrics (route_targets.c).
 *
 * router.c notes each dispatched request: its route (method and pattern,
 * as in the route table), its status and the handler's time (from the
 * request's start to its reply being queued). Kept per route in a fixed
 * table (METRICS_MAX_ROUTES; more routes are counted under "other"),
 * statuses as counted codes, times in a fixed-bucket histogram. Uploads
 * and their outcomes are the POST /api/v1/profiles rows.
 * Invariants: thread-safe (one mutex), no allocation; knows nothing above
 * buf.h.
 */
#ifndef FDX_METRICS_H
#define FDX_METRICS_H

#include "buf.h"

void metrics_request(const char *method, const char *pattern, int status, double ms);
/* Prometheus text: flamedex_http_requests_total{method,route,status} and
 * flamedex_http_request_duration_seconds{method,route}. */
void metrics_write(struct buf *out);

#endif
