/*
 * leaks.h: leak candidates from goroutine and heap snapshots.
 *
 * Goroutines are grouped by blocking site (the first frame outside the
 * runtime and the standard synchronisation packages) and wait kind
 * (channel receive/send, select, select {}, mutex, WaitGroup, cond,
 * network I/O, sleep, syscall, running), read from the wait reason of
 * text dumps or from the runtime frames of proto profiles by the tables
 * of leaks_kind.h, which give both inputs one classification. Heap
 * samples are grouped by allocation site.
 *
 * One snapshot: LeakProf-style ranking, goroutines at a site weighted by
 * how suspicious their wait kind is. A series: per site the Theil–Sen
 * slope, the Mann–Kendall trend statistic, whether the minimum keeps
 * rising, its share of the growth of the sites that grew, a plateau test,
 * restarts (the total
 * falls by half) cut the series; with text dumps, goroutine ids and the
 * minutes a dump prints give lifetimes. Times are real times, from the
 * profile, the client's time= or the upload (leak_snap.time_source), and
 * the answer says which were upload times. leaks_judge.h judges each
 * candidate; docs/LEAKS.md has the rules and thresholds.
 */
#ifndef FDX_LEAKS_H
#define FDX_LEAKS_H

#include <stdint.h>

#include "json.h"
#include "prof.h"

struct leak_snap {
	const struct prof *p;
	char id[23];
	int64_t time_ns;   /* the profile's time (store_time of store.h) */
	const char *time_source; /* "profile", "client" or "upload": where time_ns
	                          * is from (NULL: "profile") */
};

struct leak_opts {
	double min_age_s;      /* text dumps: goroutines at least this old (s) ... */
	long min_count;        /* ... this many of them at one site make a leak */
	long single_min_count; /* one proto snapshot: this many suspicious goroutines */
	int duplicate_ids;     /* not an option: the ids the request listed twice,
	                        * which the answer reports */
};

/* The answer of GET /api/v1/leaks (docs/API.md) into j. Snapshots must be
 * ordered by time. Returns 0, or -1 (out of memory), or -2 when the
 * snapshots are not all goroutine or all heap profiles; on an error j
 * holds a partial answer. */
int leaks_json(const struct leak_snap *snaps, int n, const struct leak_opts *o, struct json *j);

#endif
