/*
 * fuzz_config.c: libFuzzer target for the scrape configuration parser
 * (scrape_config.h, the --config YAML file).
 *
 * Input: the file's text. Oracles beyond "no sanitizer report":
 *   - a refusal has a message and no configuration, and the same text is
 *     refused with the same message again;
 *   - an accepted configuration keeps scrape_config.h's invariants: unique
 *     valid job names, intervals and timeouts of at least
 *     FDX_SCRAPE_MIN_INTERVAL_MS, scheme http or https, 1..MAX profiles each
 *     with a path starting with '/' and seconds >= 1 when cpu or delta,
 *     targets host:port unique in their job, label keys that are not job or
 *     instance, counts within the limits (n_targets is their sum);
 *   - parsing the same text twice gives the same configuration.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "limits.h"
#include "scrape_config.h"

static void check(const struct scrape_config *c)
{
	ORACLE(c->n_jobs >= 0 && c->n_jobs <= FDX_SCRAPE_MAX_JOBS, "%d jobs", c->n_jobs);
	int total = 0;
	for (int i = 0; i < c->n_jobs; i++) {
		const struct scrape_job *j = &c->jobs[i];
		ORACLE(j->name[0], "job %d has no name", i);
		for (int k = 0; k < i; k++)
			ORACLE(strcmp(c->jobs[k].name, j->name) != 0, "job %s twice", j->name);
		ORACLE(j->interval_ms >= FDX_SCRAPE_MIN_INTERVAL_MS && j->timeout_ms >= FDX_SCRAPE_MIN_INTERVAL_MS,
		       "interval %u timeout %u", j->interval_ms, j->timeout_ms);
		ORACLE(!strcmp(j->scheme, "http") || !strcmp(j->scheme, "https"), "scheme %s", j->scheme);
		ORACLE(j->n_profiles >= 1 && j->n_profiles <= FDX_SCRAPE_MAX_PROFILES, "%d profiles", j->n_profiles);
		for (int p = 0; p < j->n_profiles; p++) {
			const struct scrape_profile *pr = &j->profiles[p];
			ORACLE(pr->path[0] == '/' && !strchr(pr->path, '?') && !strchr(pr->path, ' '), "path %s", pr->path);
			ORACLE(pr->name[0], "profile without a name");
			if (pr->cpu || pr->delta)
				ORACLE(pr->seconds >= 1 && pr->seconds * 1000ULL <= j->interval_ms, "seconds %u", pr->seconds);
		}
		for (int t = 0; t < j->n_targets; t++) {
			const struct scrape_target *tg = &j->targets[t];
			ORACLE(strchr(tg->host, ':') != NULL, "target %s", tg->host);
			for (int u = 0; u < t; u++)
				ORACLE(strcmp(j->targets[u].host, tg->host) != 0, "target %s twice", tg->host);
			ORACLE(tg->n_labels >= 0 && tg->n_labels <= (int)FDX_MAX_PROFILE_LABELS - 2, "%d labels", tg->n_labels);
			for (int l = 0; l < tg->n_labels; l++)
				ORACLE(strcmp(tg->labels[l].key, "job") && strcmp(tg->labels[l].key, "instance") &&
				       tg->labels[l].key[0] && tg->labels[l].value[0], "label %s", tg->labels[l].key);
		}
		total += j->n_targets;
	}
	ORACLE(total == c->n_targets && total <= FDX_SCRAPE_MAX_TARGETS, "%d targets, counted %d", total, c->n_targets);
}

static void same(const struct scrape_config *a, const struct scrape_config *b)
{
	ORACLE(a->n_jobs == b->n_jobs && a->n_targets == b->n_targets, "two parses differ in counts");
	for (int i = 0; i < a->n_jobs; i++) {
		const struct scrape_job *x = &a->jobs[i], *y = &b->jobs[i];
		ORACLE(!strcmp(x->name, y->name) && x->interval_ms == y->interval_ms && x->timeout_ms == y->timeout_ms &&
		       x->n_profiles == y->n_profiles && x->n_targets == y->n_targets &&
		       !memcmp(x->profiles, y->profiles, sizeof(x->profiles)), "two parses differ in job %d", i);
		for (int t = 0; t < x->n_targets; t++)
			ORACLE(!strcmp(x->targets[t].host, y->targets[t].host) &&
			       x->targets[t].n_labels == y->targets[t].n_labels, "two parses differ in a target");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], err2[512];
	struct scrape_config *c = NULL, *c2 = NULL;
	int rc = scrape_config_parse((const char *)data, size, &c, err, sizeof(err));
	int rc2 = scrape_config_parse((const char *)data, size, &c2, err2, sizeof(err2));
	ORACLE(rc == rc2, "parsed twice: %d then %d", rc, rc2);
	if (rc != 0) {
		ORACLE(c == NULL && err[0], "refused without a message or with a configuration");
		ORACLE(!strcmp(err, err2), "refused twice differently: %s / %s", err, err2);
	} else {
		ORACLE(c != NULL, "accepted without a configuration");
		check(c);
		same(c, c2);
	}
	scrape_config_free(c);
	scrape_config_free(c2);
	return 0;
}
