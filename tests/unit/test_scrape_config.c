/*
 * test_scrape_config.c: the --config parser (scrape_config.h): defaults,
 * what the file overrides, durations, and the message of each refusal.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape_config.h"
#include "tests.h"

static struct scrape_config *parse_ok(const char *text)
{
	struct scrape_config *c;
	char err[512];
	int rc = scrape_config_parse(text, strlen(text), &c, err, sizeof(err));
	ck_assert_msg(rc == 0, "refused: %s", err);
	return c;
}

static void refused(const char *text, const char *needle)
{
	struct scrape_config *c;
	char err[512];
	ck_assert_int_eq(scrape_config_parse(text, strlen(text), &c, err, sizeof(err)), -1);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, needle) != NULL, "message \"%s\" lacks \"%s\"", err, needle);
}

static const struct scrape_profile *find(const struct scrape_job *j, const char *name)
{
	for (int i = 0; i < j->n_profiles; i++)
		if (!strcmp(j->profiles[i].name, name))
			return &j->profiles[i];
	return NULL;
}

START_TEST(test_defaults)
{
	struct scrape_config *c = parse_ok("scrape_configs:\n  - job_name: app\n    static_configs:\n"
	                                   "      - targets: ['10.0.0.1:6060']\n");
	ck_assert_int_eq(c->n_jobs, 1);
	const struct scrape_job *j = &c->jobs[0];
	ck_assert_str_eq(j->name, "app");
	ck_assert_str_eq(j->scheme, "http");
	ck_assert_uint_eq(j->interval_ms, 10000);
	ck_assert_uint_eq(j->timeout_ms, 10000);
	ck_assert_int_eq(j->n_profiles, 5);
	const struct scrape_profile *cpu = find(j, "process_cpu"), *mem = find(j, "memory"), *mx = find(j, "mutex");
	ck_assert(cpu && cpu->cpu && cpu->seconds == 9);
	ck_assert_str_eq(cpu->path, "/debug/pprof/profile");
	ck_assert(mem && !mem->delta);
	ck_assert_str_eq(mem->path, "/debug/pprof/heap");
	ck_assert(mx && mx->delta && mx->seconds == 9);
	ck_assert(find(j, "goroutine") && find(j, "block") && !find(j, "allocs"));
	ck_assert_int_eq(c->n_targets, 1);
	ck_assert_str_eq(j->targets[0].host, "10.0.0.1:6060");
	scrape_config_free(c);
}
END_TEST

START_TEST(test_overrides)
{
	struct scrape_config *c = parse_ok(
		"object_storage: {bucket: {type: FILESYSTEM}}\n"
		"scrape_configs:\n"
		"  - job_name: checkout\n    scrape_interval: 1m30s\n    scrape_timeout: 5s\n    scheme: https\n"
		"    static_configs:\n      - targets: ['a:1', '[::1]:2']\n        labels: {env: prod}\n"
		"      - targets: ['b:3']\n"
		"    profiling_config:\n      path_prefix: /app/\n      pprof_config:\n"
		"        block: {enabled: false}\n        memory: {path: /debug/pprof/allocs, delta: true, seconds: 30}\n"
		"        fgprof: {path: /debug/fgprof, delta: true}\n        goroutineleak:\n");
	const struct scrape_job *j = &c->jobs[0];
	ck_assert_uint_eq(j->interval_ms, 90000);
	ck_assert_uint_eq(j->timeout_ms, 5000);
	ck_assert_str_eq(j->scheme, "https");
	ck_assert_ptr_null(find(j, "block"));
	const struct scrape_profile *m = find(j, "memory"), *f = find(j, "fgprof"), *g = find(j, "goroutineleak");
	ck_assert(m && m->delta && m->seconds == 30);
	ck_assert_str_eq(m->path, "/app/debug/pprof/allocs");
	ck_assert(f && f->delta && f->seconds == 89);
	ck_assert_str_eq(f->path, "/app/debug/fgprof");
	ck_assert(g != NULL);
	ck_assert_str_eq(g->path, "/app/debug/pprof/goroutineleak");
	ck_assert_int_eq(j->n_targets, 3);
	ck_assert_int_eq(j->targets[0].n_labels, 1);
	ck_assert_str_eq(j->targets[0].labels[0].key, "env");
	ck_assert_str_eq(j->targets[1].labels[0].value, "prod");
	ck_assert_int_eq(j->targets[2].n_labels, 0);
	scrape_config_free(c);
	/* an empty file and an empty list: nothing to scrape */
	c = parse_ok("");
	ck_assert_int_eq(c->n_jobs, 0);
	scrape_config_free(c);
	c = parse_ok("scrape_configs:\n");
	ck_assert_int_eq(c->n_jobs, 0);
	scrape_config_free(c);
}
END_TEST

START_TEST(test_durations)
{
	uint64_t ms;
	ck_assert_int_eq(scrape_config_duration("1h30m", &ms), 0);
	ck_assert_uint_eq(ms, 5400000);
	ck_assert_int_eq(scrape_config_duration("500ms", &ms), 0);
	ck_assert_uint_eq(ms, 500);
	ck_assert_int_eq(scrape_config_duration("7d", &ms), 0);
	ck_assert_uint_eq(ms, 7 * 86400000ULL);
	ck_assert_int_eq(scrape_config_duration("1w", &ms), 0);
	ck_assert_int_eq(scrape_config_duration("0", &ms), 0);
	ck_assert_uint_eq(ms, 0);
	static const char *const bad[] = { "", "10", "s", "10 s", "-1s", "1.5s", "10q", "99999999999999999999s", "11y" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(scrape_config_duration(bad[i], &ms) == -1, "accepted \"%s\"", bad[i]);
}
END_TEST

START_TEST(test_refusals)
{
	refused("scrape_configs:\n  - job_name: a\n    scrape_interva: 1s\n", "line 3: unknown key \"scrape_interva\"");
	refused("scrape_configs:\n  - job_name: a\n    scrape_interval: 10\n", "line 3: scrape_interval: \"10\" is not a duration");
	refused("scrape_configs:\n  - job_name: a\n    scrape_interval: 100ms\n", "shorter than");
	refused("scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: ['h']\n", "line 4: target \"h\"");
	refused("scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: ['h:99999']\n", "not host:port");
	refused("scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: ['h:1', 'h:1']\n", "appears twice");
	refused("scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: ['h:1']\n"
	        "        labels: {job: x}\n", "set by the scraper");
	refused("scrape_configs:\n  - scrape_interval: 1s\n", "line 2: a scrape config has no job_name");
	refused("scrape_configs:\n  - job_name: a\n    scheme: ftp\n", "scheme must be http or https");
	refused("scrape_configs:\n  - job_name: a\n    profiling_config:\n      pprof_config:\n"
	        "        x: {enabled: true}\n", "line 5: profile \"x\" is not one flamedex knows");
	refused("scrape_configs:\n  - job_name: a\n    profiling_config:\n      pprof_config:\n"
	        "        goroutine: {seconds: 3}\n", "seconds applies only");
	refused("scrape_configs:\n  - job_name: a\n    scrape_interval: 2s\n    profiling_config:\n      pprof_config:\n"
	        "        process_cpu: {seconds: 3}\n", "longer than scrape_interval");
	refused("scrape_configs:\n  - job_name: a\n    profiling_config:\n      pprof_config:\n"
	        "        goroutine: {enabled: yes}\n", "must be true or false");
	refused("a: &x 1\nb: *x\n", "line 2: YAML aliases");
	refused("scrape_configs: [\n", "YAML syntax");
	refused("---\na: 1\n---\nb: 2\n", "more than one YAML document");
	refused("global: {}\n", "line 1: unknown key \"global\" in the configuration");
	refused("- 1\n", "must be a mapping");
	refused("scrape_configs:\n  - job_name: a b\n", "job_name \"a b\"");
	refused("scrape_configs:\n  - job_name: a\n    job_name: b\n", "appears twice");
}
END_TEST

/* Every file of dir through the parser, as fuzz_config does: refused
 * with a message and no configuration, or accepted; the count of files. */
static int replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "cannot open %s", dir);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct scrape_config *c;
		char err[512] = "";
		int rc = scrape_config_load(path, &c, err, sizeof(err));
		if (rc < 0)
			ck_assert_msg(c == NULL && err[0], "%s: refused without a message", path);
		else
			ck_assert_msg(c != NULL, "%s: accepted without a configuration", path);
		scrape_config_free(c);
		n++;
	}
	closedir(d);
	return n;
}

START_TEST(test_replay)
{
	ck_assert_msg(replay_dir(FDX_FUZZ_CRASHES) > 0, "%s holds no file", FDX_FUZZ_CRASHES);
	char seeds[4096];
	snprintf(seeds, sizeof(seeds), "%s/../seeds/fuzz_config", FDX_FUZZ_CRASHES);
	ck_assert_msg(replay_dir(seeds) >= 5, "%s holds fewer than 5 seeds", seeds);
	/* the example of deploy/ parses */
	char example[4096];
	snprintf(example, sizeof(example), "%s/../../../deploy/scrape.yaml", FDX_FUZZ_CRASHES);
	struct scrape_config *c;
	char err[512];
	ck_assert_msg(scrape_config_load(example, &c, err, sizeof(err)) == 0, "deploy/scrape.yaml: %s", err);
	ck_assert_int_eq(c->n_jobs, 2);
	ck_assert(!c->jobs[0].downsample.set);
	ck_assert(c->jobs[1].downsample.set);   /* search's own step and retention */
	ck_assert_uint_eq(c->jobs[1].downsample.given, SCRAPE_DS_STEP | SCRAPE_DS_RETENTION);
	ck_assert_uint_eq(c->jobs[1].downsample.step_s, 6 * 3600);
	scrape_config_free(c);
	/* deep nesting and a long flow sequence are refused, not a crash */
	size_t big = 200000;
	char *deep = malloc(big + 1);
	ck_assert_ptr_nonnull(deep);
	memset(deep, '[', big);
	deep[big] = '\0';
	ck_assert_int_eq(scrape_config_parse(deep, big, &c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "nested deeper than") != NULL, "%s", err);
	memset(deep, '[', 60);   /* shallower: libyaml's own message */
	ck_assert_int_eq(scrape_config_parse(deep, 60, &c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "YAML syntax") != NULL, "%s", err);
	free(deep);
}
END_TEST

START_TEST(test_downsample)
{
	struct scrape_config *c = parse_ok("scrape_configs: []\n");
	ck_assert(!c->downsample.set);
	scrape_config_free(c);
	c = parse_ok("downsample:\n  after: 24h\n");
	ck_assert(c->downsample.set);
	ck_assert_uint_eq(c->downsample.after_s, 86400);
	ck_assert_uint_eq(c->downsample.step_s, 3600);   /* the default step */
	ck_assert_uint_eq(c->downsample.retention_s, 0);
	scrape_config_free(c);
	c = parse_ok("downsample: {after: 1h30m, step: 5m, retention: 90d}\nscrape_configs:\n  - job_name: a\n"
	             "    static_configs: [{targets: ['a:1']}]\n");
	ck_assert_uint_eq(c->downsample.after_s, 5400);
	ck_assert_uint_eq(c->downsample.step_s, 300);
	ck_assert_uint_eq(c->downsample.retention_s, 90 * 86400);
	ck_assert_int_eq(c->n_jobs, 1);
	scrape_config_free(c);
	refused("downsample:\n  after: 1h\n  stepp: 1m\n", "line 3: unknown key \"stepp\" in downsample");
	refused("downsample: {step: 1m}\n", "downsample needs after");
	refused("downsample: {after: 1h, step: 2d}\n", "downsample.step: 2d is out of range");
	refused("downsample: {after: 1h, step: 1500ms}\n", "not a duration in whole seconds");
	refused("downsample: {after: soon}\n", "downsample.after: \"soon\" is not a duration");
	refused("downsample: {after: 2h, retention: 1h}\n", "retention must be longer than downsample.after");
	refused("downsample: [1h]\n", "downsample must be a mapping");
	refused("downsample: {after: 1h}\ndownsample: {after: 2h}\n", "key \"downsample\" appears twice");
	refused("scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: ['a:1']\n"
	        "        labels: {downsampled: x}\n", "label \"downsampled\" is set by downsampling");
	/* a job's own: every key optional, given ones recorded, enabled */
	c = parse_ok("scrape_configs:\n  - job_name: a\n    static_configs: [{targets: ['a:1']}]\n"
	             "    downsample: {retention: 30d}\n  - job_name: b\n    downsample: {enabled: false}\n"
	             "  - job_name: c\n");
	ck_assert(!c->downsample.set);
	ck_assert(c->jobs[0].downsample.set && !c->jobs[0].downsample.off);
	ck_assert_uint_eq(c->jobs[0].downsample.given, SCRAPE_DS_RETENTION);
	ck_assert_uint_eq(c->jobs[0].downsample.retention_s, 30 * 86400);
	ck_assert_uint_eq(c->jobs[0].downsample.line, 4);
	ck_assert(c->jobs[1].downsample.set && c->jobs[1].downsample.off);
	ck_assert_uint_eq(c->jobs[1].downsample.given, 0);
	ck_assert(!c->jobs[2].downsample.set);
	scrape_config_free(c);
	refused("scrape_configs:\n  - job_name: a\n    downsample: {after: 1h, every: 2h}\n",
	        "line 3: unknown key \"every\" in job \"a\": downsample");
	refused("scrape_configs:\n  - job_name: a\n    downsample: {step: 2d}\n",
	        "job \"a\": downsample.step: 2d is out of range");
	refused("scrape_configs:\n  - job_name: a\n    downsample: {enabled: maybe}\n",
	        "job \"a\": downsample.enabled must be true or false");
	refused("scrape_configs:\n  - job_name: a\n    downsample: 1h\n", "job \"a\": downsample must be a mapping");
	refused("downsample: {after: 1h, enabled: true}\n", "downsample.enabled is for a job");
}
END_TEST

Suite *scrape_config_suite(void)
{
	Suite *s = suite_create("scrape_config");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_overrides);
	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_replay);
	tcase_add_test(tc, test_downsample);
	suite_add_tcase(s, tc);
	return s;
}
