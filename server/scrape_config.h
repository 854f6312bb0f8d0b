/*
 * scrape_config.h: the scrape configuration (--config FILE), a YAML file
 * whose scrape_configs section is the one Parca's configuration uses
 * (docs/SCRAPE.md says exactly what is read).
 *
 * scrape_config_parse turns the text into a struct scrape_config or a
 * message naming the line and the key (or value) that is wrong; nothing
 * is guessed: an unknown key, a duplicate key, a bad duration, a bad
 * target, an alias or a second document is an error.
 *
 * Invariants of a parsed configuration:
 *   - job names are unique, 1..FDX_SCRAPE_MAX_NAME bytes of [A-Za-z0-9_.-];
 *   - every job has 1 <= interval_ms, 1 <= timeout_ms, a scheme "http" or
 *     "https", at least one enabled profile, and each target is host:port
 *     (port 1..65535) unique within its job;
 *   - every profile has a name of [a-z0-9_], a path starting with '/'
 *     without spaces, '?' or '#', and seconds >= 1 when it is fetched for
 *     a duration (cpu or delta);
 *   - label keys are [A-Za-z_][A-Za-z0-9_]*, not job, instance nor
 *     downsampled, at most FDX_MAX_LABEL_LEN bytes like their values, and
 *     a target carries at most FDX_MAX_PROFILE_LABELS - 2 of them;
 *   - counts are within FDX_SCRAPE_MAX_JOBS, FDX_SCRAPE_MAX_TARGETS (over
 *     all jobs) and FDX_SCRAPE_MAX_PROFILES (per job).
 * This module knows nothing of HTTP nor of the store.
 */
#ifndef FDX_SCRAPE_CONFIG_H
#define FDX_SCRAPE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"

#define FDX_SCRAPE_MAX_NAME 64

struct scrape_label {
	char key[FDX_MAX_LABEL_LEN + 1], value[FDX_MAX_LABEL_LEN + 1];
};

struct scrape_target {
	char host[FDX_SCRAPE_MAX_HOST + 1];   /* host:port as written */
	struct scrape_label *labels;
	int n_labels;
};

struct scrape_profile {
	char name[FDX_SCRAPE_MAX_NAME + 1];   /* process_cpu, memory, ... */
	char path[FDX_SCRAPE_MAX_PATH + 1];   /* /debug/pprof/profile */
	bool cpu;         /* process_cpu: always fetched with ?seconds= */
	bool delta;       /* fetched with ?seconds= */
	unsigned seconds; /* of ?seconds= when cpu or delta */
};

/* The `downsample:` mapping (downsample.h). At the top level after is
 * required, step defaults to 1h; after and step at least 1 s, step at
 * most a day; retention 0 (kept) or longer than after. In a job (its own
 * policy, overriding the top level's or the flags' key by key) every key
 * is optional, `enabled: false` turns downsampling off for the job, and
 * what the job's settings come to is checked by downsample_check. */
struct scrape_downsample {
	bool set;                 /* the file (or the job) has a downsample mapping */
	unsigned after_s;         /* scraped profiles older than this are merged */
	unsigned step_s;          /* into one per series and step-long bucket */
	unsigned retention_s;     /* downsampled profiles older than this go; 0: kept */
	unsigned given;           /* in a job: SCRAPE_DS_* of the keys it gives */
	bool off;                 /* in a job: enabled: false */
	unsigned line;            /* where the mapping starts (1-based) */
};
#define SCRAPE_DS_AFTER 1u
#define SCRAPE_DS_STEP 2u
#define SCRAPE_DS_RETENTION 4u

struct scrape_job {
	char name[FDX_SCRAPE_MAX_NAME + 1];
	struct scrape_downsample downsample;   /* its own policy when .set */
	char scheme[8];
	unsigned interval_ms, timeout_ms;
	struct scrape_target *targets;
	int n_targets;
	struct scrape_profile profiles[FDX_SCRAPE_MAX_PROFILES];   /* enabled ones only */
	int n_profiles;
	/* keep_raw: false stores the scraped bytes not at all, only the model
	 * (its stacks form or its series' part, series.h): /raw then writes
	 * the model as profile.proto (profwrite.h); true (default) keeps them */
	bool keep_raw;
};

struct scrape_config {
	struct scrape_job *jobs;
	int n_jobs;
	int n_targets;   /* over all jobs */
	struct scrape_downsample downsample;
};

/* Parse a configuration; *out is a new one (free with scrape_config_free)
 * or NULL with a message in err ("line 12: unknown key \"foo\" in ..."). */
int scrape_config_parse(const char *text, size_t n, struct scrape_config **out, char *err, size_t cap);
/* Read and parse a file (at most FDX_SCRAPE_MAX_CONFIG_BYTES). */
int scrape_config_load(const char *path, struct scrape_config **out, char *err, size_t cap);
void scrape_config_free(struct scrape_config *c);

/* A Prometheus duration ("1h30m", "10s", "500ms", "7d", "1w") in ms;
 * 0 or -1. At most about 10 years. */
int scrape_config_duration(const char *s, uint64_t *ms);

#endif
