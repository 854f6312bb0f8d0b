/*
 * downsample.h: history that outlives raw retention (docs/SCRAPE.md,
 * "Downsampling").
 *
 * After `after`, the scraped profiles of each series (kind, scrape job
 * and the whole set of profile labels) in one `step` bucket (aligned to
 * the Unix epoch; by the profile's time) are replaced by one merged
 * profile. Uploads are never touched. The merge is /merge's (merge.h,
 * written by profwrite.h): agg=sum for profiles that cover a window (CPU,
 * and delta profiles: a duration_nanos, as Go's net/http/pprof sets on
 * ?seconds=N), agg=avg for snapshots (goroutine, in-use heap, block and
 * mutex counters since start: no duration), each value divided by the
 * members' count and rounded as pprof's Scale rounds. The merged profile
 * keeps the members' labels plus downsampled:<step>, its time is the
 * bucket's start, its duration the members' summed for sum (so rates stay
 * exact) and the step for avg; its metadata says how many it merged.
 *
 * Invariants:
 *   - never loses data, never counts twice: the merged profile is stored
 *     by store_add in one transaction that also marks every member as
 *     merged into it (store.h, STORE_CHANGED when one is gone); members
 *     are then deleted one small transaction each. A crash in between
 *     leaves marked members, which selections and series already leave
 *     out and the next pass deletes without merging them again;
 *   - a bucket is merged only once it is wholly older than `after`; a
 *     profile that arrives later in an already merged bucket is merged on
 *     its own into another profile of that bucket (sum stays exact);
 *   - one merged profile takes at most FDX_MAX_SELECTION members, of one
 *     agg and mutually compatible (merge.h); the others form the next;
 *   - one process at a time: a pass takes the store lease "downsample"
 *     (store_lock_take) before it merges; deleting marked members and
 *     expired downsampled profiles is safe from any number of processes;
 *   - background, in small steps: one bucket's series at a time, one
 *     decoded profile held at a time plus the merged model (charged to the
 *     in-flight budget), the thread stopped at shutdown (work_stop).
 *
 * Settings: --downsample-after, --downsample-step (default 1h),
 * --downsample-retention (0: downsampled profiles are kept), replaced by
 * the --config file's top-level `downsample: {after, step, retention}`
 * when it has one (SIGHUP applies a new one). A job's own `downsample:`
 * (in its scrape config) overrides those key by key for that job's
 * profiles (`enabled: false`: not downsampled); a pass walks the jobs
 * that have candidates or downsampled profiles one by one
 * (store_ds_next_job), each under its settings; a job no longer in the
 * file gets the base ones.
 *
 * Test hook: when FLAMEDEX_TEST_DOWNSAMPLE_HOLD names a file that exists,
 * a pass that stored a merged profile creates NAME.held and waits, before
 * deleting the members, until NAME is removed or the server stops (tests
 * look at that state and kill the server in it).
 * Layer: background (beside scrape_retention.c); scrape.c starts it.
 */
#ifndef FDX_DOWNSAMPLE_H
#define FDX_DOWNSAMPLE_H

#include <stddef.h>

#include "buf.h"
#include "json.h"
#include "scrape_config.h"

/* Check the flags (and that --retention leaves downsampling something),
 * then start the thread (when downsampling or --config is set) or delete,
 * once, the members a crash left behind. -1 with a message on stderr. */
int downsample_start(void);
void downsample_stop(void);
/* Can c's downsampling (its top-level downsample:, or NULL / none: the
 * flags'; and each job's own, resolved against it) be used with the
 * other flags? 0, or -1 with the reason in err ("line N: job \"x\": ..."). */
int downsample_check(const struct scrape_config *c, char *err, size_t cap);
/* Use c's settings from now on (its top-level downsample:, else the
 * flags'; and its jobs' own); NULL: the flags', no job of its own. 0, or
 * -1 out of memory (nothing changed). */
int downsample_configure(const struct scrape_config *c);
/* The base settings in use (after_s 0: none). */
void downsample_settings(struct scrape_downsample *out);
/* The settings that apply to scrape job `job` (NULL: an upload's: the
 * base). */
void downsample_settings_for(const char *job, struct scrape_downsample *out);
/* One pass now; the number of profiles merged away, or -1. */
int downsample_pass(void);
/* {"after_seconds", "step_seconds", "retention_seconds", "source",
 * "merged", "downsampled", "saved_bytes", "expired", "jobs": [{"job",
 * "enabled", "after_seconds", "step_seconds", "retention_seconds"}]}
 * (GET /api/v1/targets; jobs: those with settings of their own). */
void downsample_json(struct json *j);
void downsample_metrics(struct buf *out);

#endif
