/*
 * timeline.h: the timeline of a selection, read from the function index's
 * per-profile rows (store_fx_profile): no profile is decoded.
 *
 * Each point is one profile, in time order, with its duration, the total
 * of each of its sample types (pprof's total: sum of |value|), and one
 * "metric" chosen by kind, the number a person watches over time:
 *   cpu        cores: total of sample type "cpu" (nanoseconds) divided by
 *              duration_ns (null when the profile has no duration)
 *   heap       inuse_bytes: total of "inuse_space"
 *   goroutine  goroutines: total of "goroutine"
 *   mutex, block  delay_ns: total of "delay"
 *   otherwise  the default sample type's total
 * A profile without that sample type (or not yet indexed) has metric null.
 */
#ifndef FDX_TIMELINE_H
#define FDX_TIMELINE_H

#include "json.h"
#include "store.h"

/* {"points":[{"id","time","kind","duration_ns","url","sample_types":
 * [{"type","total"}],"metric":{"name","value"}}]} of pr[0, n). 0 or -1. */
int timeline_json(const struct store_fx_profile *pr, int n, struct json *j);

/* The metric of p: its name (static) and value (*ok false: none). */
const char *timeline_metric(const struct store_fx_profile *p, double *value, bool *ok);

#endif
