/*
 * metrics.c: request counters (see metrics.h).
 */
#include "metrics.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define METRICS_MAX_ROUTES 96
static const int statuses[] = { 200, 201, 204, 206, 304, 400, 401, 403, 404, 405, 406, 409, 413, 414, 415,
	                        421, 422, 429, 500, 503, 507 };
#define N_STATUS (int)(sizeof(statuses) / sizeof(statuses[0]))
static const double buckets[] = { 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 };
#define N_BUCKETS (int)(sizeof(buckets) / sizeof(buckets[0]))

struct route_stats {
	const char *method, *pattern;   /* static strings of the route table */
	uint64_t by_status[N_STATUS + 1];   /* the last one: any other status */
	uint64_t hist[N_BUCKETS];
	uint64_t count;
	double sum;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct route_stats routes[METRICS_MAX_ROUTES + 1];   /* the last one: "other" */
static int n_routes;

void metrics_request(const char *method, const char *pattern, int status, double ms)
{
	pthread_mutex_lock(&mu);
	struct route_stats *rs = NULL;
	for (int i = 0; i < n_routes; i++)
		if (routes[i].pattern == pattern && routes[i].method == method) {
			rs = &routes[i];
			break;
		}
	if (!rs) {
		if (n_routes < METRICS_MAX_ROUTES) {
			rs = &routes[n_routes++];
			rs->method = method;
			rs->pattern = pattern;
		} else {
			rs = &routes[METRICS_MAX_ROUTES];
			rs->method = "other";
			rs->pattern = "other";
		}
	}
	int si = N_STATUS;
	for (int i = 0; i < N_STATUS; i++)
		if (statuses[i] == status)
			si = i;
	rs->by_status[si]++;
	double sec = ms / 1000.0;
	int b = 0;
	while (b < N_BUCKETS && sec > buckets[b])
		b++;
	if (b < N_BUCKETS)
		rs->hist[b]++;
	rs->count++;
	rs->sum += sec;
	pthread_mutex_unlock(&mu);
}

static void labels(struct buf *out, const struct route_stats *rs)
{
	buf_printf(out, "method=\"%s\",route=\"", rs->method);
	for (const char *p = rs->pattern; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addc(out, '\\');
		buf_addc(out, *p);
	}
	buf_addc(out, '"');
}

void metrics_write(struct buf *out)
{
	pthread_mutex_lock(&mu);
	buf_adds(out, "# HELP flamedex_http_requests_total Requests dispatched to a route, by status "
	              "(uploads: method POST, route /api/v1/profiles).\n"
	              "# TYPE flamedex_http_requests_total counter\n");
	int n = n_routes + (routes[METRICS_MAX_ROUTES].count ? 1 : 0);
	for (int k = 0; k < n; k++) {
		const struct route_stats *rs = k < n_routes ? &routes[k] : &routes[METRICS_MAX_ROUTES];
		for (int i = 0; i <= N_STATUS; i++) {
			if (!rs->by_status[i])
				continue;
			buf_adds(out, "flamedex_http_requests_total{");
			labels(out, rs);
			if (i < N_STATUS)
				buf_printf(out, ",status=\"%d\"} %llu\n", statuses[i], (unsigned long long)rs->by_status[i]);
			else
				buf_printf(out, ",status=\"other\"} %llu\n", (unsigned long long)rs->by_status[i]);
		}
	}
	buf_adds(out, "# HELP flamedex_http_request_duration_seconds Time from a request's start to its reply "
	              "being queued, by route.\n"
	              "# TYPE flamedex_http_request_duration_seconds histogram\n");
	for (int k = 0; k < n; k++) {
		const struct route_stats *rs = k < n_routes ? &routes[k] : &routes[METRICS_MAX_ROUTES];
		uint64_t cum = 0;
		for (int b = 0; b < N_BUCKETS; b++) {
			cum += rs->hist[b];
			buf_adds(out, "flamedex_http_request_duration_seconds_bucket{");
			labels(out, rs);
			buf_printf(out, ",le=\"%g\"} %llu\n", buckets[b], (unsigned long long)cum);
		}
		buf_adds(out, "flamedex_http_request_duration_seconds_bucket{");
		labels(out, rs);
		buf_printf(out, ",le=\"+Inf\"} %llu\n", (unsigned long long)rs->count);
		buf_adds(out, "flamedex_http_request_duration_seconds_sum{");
		labels(out, rs);
		buf_printf(out, "} %.6f\n", rs->sum);
		buf_adds(out, "flamedex_http_request_duration_seconds_count{");
		labels(out, rs);
		buf_printf(out, "} %llu\n", (unsigned long long)rs->count);
	}
	pthread_mutex_unlock(&mu);
}
