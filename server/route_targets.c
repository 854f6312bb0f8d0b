/*
 * route_targets.c: the scraper's state and the server's metrics.
 *
 *   GET /api/v1/targets   every scraped target (scrape.h): job, instance,
 *                         labels, health, last scrape, duration, bytes,
 *                         error, next scrape, each profile kind's own
 *                         state; and how far back scraped data goes
 *   GET /metrics          Prometheus text format (role: --metrics-role)
 */
#include "routes.h"
#include "scrape.h"

enum MHD_Result route_targets_list(struct req *r, const struct route_params *rp)
{
	(void)rp;
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	if (scrape_targets_json(&j) < 0 || out.oom) {
		buf_release(&out);
		return reply_error(r, 500, "internal", "could not list the targets");
	}
	return reply_buf(r, 200, "application/json", &out);
}

enum MHD_Result route_targets_metrics(struct req *r, const struct route_params *rp)
{
	(void)rp;
	struct buf out = BUF_INIT;
	scrape_metrics(&out);
	if (out.oom) {
		buf_release(&out);
		return reply_error(r, 500, "internal", "out of memory");
	}
	return reply_buf(r, 200, "text/plain; version=0.0.4; charset=utf-8", &out);
}
