/*
 * scrape.c: the scraper (see scrape.h).
 */
#include "autoconfig.h"
#include "scrape.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budget.h"
#include "config.h"
#include "ingest.h"
#include "limits.h"
#include "scrape_config.h"
#include "store.h"
#include "util.h"
#include "work.h"

struct slot {
	int refs;        /* the slot table's and a running fetch's, under mu */
	bool removed;    /* no longer in the configuration */
	char key[FDX_SCRAPE_MAX_NAME * 2 + FDX_SCRAPE_MAX_HOST + 3];   /* job \x1f instance \x1f profile */
	char job[FDX_SCRAPE_MAX_NAME + 1], instance[FDX_SCRAPE_MAX_HOST + 1], profile[FDX_SCRAPE_MAX_NAME + 1];
	/* what to fetch: changed by a reload */
	char url[FDX_SCRAPE_MAX_HOST + FDX_SCRAPE_MAX_PATH + 40];
	unsigned interval_ms, timeout_ms, seconds;
	struct store_label labels[FDX_MAX_PROFILE_LABELS];
	int n_labels;
	/* schedule */
	double next_ms;  /* util_mono_ms() */
	bool running;
	unsigned fails;
	/* the last fetch */
	int health;      /* 0: not fetched yet, 1: up, -1: down */
	int64_t last_ns;
	double last_duration_ms;
	uint64_t last_bytes;
	char last_error[FDX_SCRAPE_MAX_ERROR];
	char last_id[FDX_ID_LEN + 1];
	uint64_t scrapes;
};

/* Counters by job and outcome, kept across reloads. */
enum outcome { OUT_OK, OUT_HTTP, OUT_TRANSPORT, OUT_TOO_LARGE, OUT_DECODE, OUT_STORE, N_OUT };
static const char *const outcome_names[N_OUT] = { "ok", "http_error", "transport_error", "too_large",
	                                          "decode_error", "store_error" };
static const double dur_buckets[] = { 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };
#define N_BUCKETS (int)(sizeof(dur_buckets) / sizeof(dur_buckets[0]))
struct job_stats {
	char job[FDX_SCRAPE_MAX_NAME + 1];
	uint64_t outcomes[N_OUT];
	uint64_t buckets[N_BUCKETS];   /* not cumulative here */
	double dur_sum;
	uint64_t dur_count;
	uint64_t bytes;                /* bytes of the profiles stored */
};
#define MAX_JOB_STATS (FDX_SCRAPE_MAX_JOBS * 2)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct slot **slots;
static int n_slots;
static struct job_stats jstats[MAX_JOB_STATS];
static int n_jstats;
static bool stopping, started;
static pthread_t workers[FDX_SCRAPE_WORKERS];
static int n_workers;
static struct work *running_work[FDX_SCRAPE_WORKERS];   /* under mu */
static atomic_int abort_all;
static bool curl_ready;

/* ---- slots ------------------------------------------------------------- */

static void slot_unref(struct slot *s)
{
	if (--s->refs == 0)
		free(s);
}

static int cmp_slot_key(const void *a, const void *b)
{
	return strcmp((*(struct slot *const *)a)->key, (*(struct slot *const *)b)->key);
}

/* The first fetch's offset into the interval, from the key: fixed, so that a
 * restart keeps the spread. */
static double jitter_ms(const char *key, unsigned interval_ms)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return (double)(h % interval_ms);
}

static void slot_set(struct slot *s, const struct scrape_job *j, const struct scrape_target *t,
                     const struct scrape_profile *p)
{
	snprintf(s->job, sizeof(s->job), "%s", j->name);
	snprintf(s->instance, sizeof(s->instance), "%s", t->host);
	snprintf(s->profile, sizeof(s->profile), "%s", p->name);
	snprintf(s->key, sizeof(s->key), "%s\x1f%s\x1f%s", j->name, t->host, p->name);
	if (p->cpu || p->delta)
		snprintf(s->url, sizeof(s->url), "%s://%s%s?seconds=%u", j->scheme, t->host, p->path, p->seconds);
	else
		snprintf(s->url, sizeof(s->url), "%s://%s%s", j->scheme, t->host, p->path);
	s->interval_ms = j->interval_ms;
	s->timeout_ms = j->timeout_ms;
	s->seconds = p->cpu || p->delta ? p->seconds : 0;
	s->n_labels = 0;
	snprintf(s->labels[0].key, sizeof(s->labels[0].key), "job");
	snprintf(s->labels[0].value, sizeof(s->labels[0].value), "%s", j->name);
	snprintf(s->labels[1].key, sizeof(s->labels[1].key), "instance");
	snprintf(s->labels[1].value, sizeof(s->labels[1].value), "%s", t->host);
	s->n_labels = 2;
	for (int i = 0; i < t->n_labels && s->n_labels < (int)FDX_MAX_PROFILE_LABELS; i++) {
		snprintf(s->labels[s->n_labels].key, sizeof(s->labels[0].key), "%s", t->labels[i].key);
		snprintf(s->labels[s->n_labels].value, sizeof(s->labels[0].value), "%s", t->labels[i].value);
		s->n_labels++;
	}
}

/* Install c (NULL: nothing to scrape): mu held. -1 out of memory, nothing
 * changed. */
static int install(const struct scrape_config *c)
{
	int n = 0;
	for (int i = 0; c && i < c->n_jobs; i++)
		n += c->jobs[i].n_targets * c->jobs[i].n_profiles;
	struct slot **ns = n ? calloc((size_t)n, sizeof(*ns)) : NULL;
	if (n && !ns)
		return -1;
	struct slot **old_sorted = n_slots ? malloc((size_t)n_slots * sizeof(*old_sorted)) : NULL;
	if (n_slots && !old_sorted) {
		free(ns);
		return -1;
	}
	if (n_slots) {
		memcpy(old_sorted, slots, (size_t)n_slots * sizeof(*slots));
		qsort(old_sorted, (size_t)n_slots, sizeof(*old_sorted), cmp_slot_key);
	}
	double now = util_mono_ms();
	int k = 0;
	for (int i = 0; c && i < c->n_jobs; i++) {
		const struct scrape_job *j = &c->jobs[i];
		for (int t = 0; t < j->n_targets; t++) {
			for (int p = 0; p < j->n_profiles; p++) {
				struct slot probe, *pp = &probe, **found = NULL;
				snprintf(probe.key, sizeof(probe.key), "%s\x1f%s\x1f%s", j->name, j->targets[t].host,
				         j->profiles[p].name);
				if (n_slots)
					found = bsearch(&pp, old_sorted, (size_t)n_slots, sizeof(*old_sorted), cmp_slot_key);
				struct slot *s;
				if (found && !(*found)->removed) {
					s = *found;
					unsigned was = s->interval_ms;
					slot_set(s, j, &j->targets[t], &j->profiles[p]);
					if (was != s->interval_ms && !s->running)
						s->next_ms = now + jitter_ms(s->key, s->interval_ms);
					s->refs++;
					s->removed = true;   /* marks "taken"; cleared below */
				} else {
					s = calloc(1, sizeof(*s));
					if (!s) {
						for (int u = 0; u < k; u++) {
							ns[u]->removed = false;
							slot_unref(ns[u]);
						}
						free(ns);
						free(old_sorted);
						return -1;
					}
					slot_set(s, j, &j->targets[t], &j->profiles[p]);
					s->refs = 1;
					s->next_ms = now + jitter_ms(s->key, s->interval_ms);
					s->removed = true;
				}
				ns[k++] = s;
			}
		}
	}
	/* The new table's slots are marked; every old one not taken goes. */
	for (int i = 0; i < n_slots; i++) {
		if (!slots[i]->removed) {
			slots[i]->removed = true;
			slot_unref(slots[i]);
		} else {
			slot_unref(slots[i]);   /* the old table's reference */
			slots[i] = NULL;
		}
	}
	for (int i = 0; i < k; i++)
		ns[i]->removed = false;
	free(old_sorted);
	free(slots);
	slots = ns;
	n_slots = k;
	pthread_cond_broadcast(&cv);
	return 0;
}

/* ---- one fetch --------------------------------------------------------- */

struct body {
	uint8_t *data;
	size_t len, cap, charged;
	bool over, no_budget;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;
	if (n > FDX_SCRAPE_MAX_BODY - b->len) {
		b->over = true;
		return 0;   /* aborts the transfer */
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 64 * 1024;
		while (cap < b->len + n)
			cap *= 2;
		if (cap > FDX_SCRAPE_MAX_BODY)
			cap = FDX_SCRAPE_MAX_BODY;
		if (!budget_take(cap - b->charged)) {
			b->no_budget = true;
			return 0;
		}
		uint8_t *d = realloc(b->data, cap);
		if (!d) {
			budget_give(cap - b->charged);
			b->no_budget = true;
			return 0;
		}
		b->charged = cap;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	return n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)arg;
	return atomic_load(&abort_all) ? 1 : 0;
}

struct fetch_params {
	char url[sizeof(((struct slot *)0)->url)];
	char job[FDX_SCRAPE_MAX_NAME + 1], instance[FDX_SCRAPE_MAX_HOST + 1], profile[FDX_SCRAPE_MAX_NAME + 1];
	unsigned timeout_ms, seconds;
	struct store_label labels[FDX_MAX_PROFILE_LABELS];
	int n_labels;
};

struct fetch_result {
	enum outcome outcome;
	char error[FDX_SCRAPE_MAX_ERROR];
	uint64_t bytes;
	char id[FDX_ID_LEN + 1];
};

static void fetch(const struct fetch_params *fp, struct fetch_result *res)
{
	memset(res, 0, sizeof(*res));
	struct body b = { 0 };
	CURL *h = curl_easy_init();
	if (!h) {
		res->outcome = OUT_TRANSPORT;
		snprintf(res->error, sizeof(res->error), "out of memory");
		return;
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	long total_ms = (long)fp->timeout_ms + (long)fp->seconds * 1000L;
	curl_easy_setopt(h, CURLOPT_URL, fp->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)(fp->timeout_ms < FDX_SCRAPE_CONNECT_MS ? fp->timeout_ms : FDX_SCRAPE_CONNECT_MS));
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)FDX_SCRAPE_MAX_BODY);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "flamedex/" PACKAGE_VERSION " (scraper)");
	int64_t t_ns = util_now_nanos();
	CURLcode rc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	char *redirect = NULL;
	curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &redirect);
	if (b.over || rc == CURLE_FILESIZE_EXCEEDED) {
		res->outcome = OUT_TOO_LARGE;
		snprintf(res->error, sizeof(res->error), "body larger than %u bytes: transfer aborted",
		         FDX_SCRAPE_MAX_BODY);
	} else if (b.no_budget) {
		res->outcome = OUT_TRANSPORT;
		snprintf(res->error, sizeof(res->error), "server busy: in-flight memory budget spent");
	} else if (rc != CURLE_OK) {
		res->outcome = OUT_TRANSPORT;
		snprintf(res->error, sizeof(res->error), "%s", rc == CURLE_ABORTED_BY_CALLBACK ? "stopped: server stopping"
		                                               : errbuf[0] ? errbuf : curl_easy_strerror(rc));
	} else if (status >= 300 && status < 400) {
		res->outcome = OUT_HTTP;
		snprintf(res->error, sizeof(res->error), "HTTP %ld: redirect to %.150s not followed", status,
		         redirect ? redirect : "(no Location)");
	} else if (status != 200) {
		res->outcome = OUT_HTTP;
		snprintf(res->error, sizeof(res->error), "HTTP %ld", status);
	} else if (b.len == 0) {
		res->outcome = OUT_DECODE;
		snprintf(res->error, sizeof(res->error), "empty body");
	}
	curl_easy_cleanup(h);
	res->bytes = b.len;
	if (res->error[0]) {
		free(b.data);
		budget_give(b.charged);
		return;
	}
	struct decode_err derr;
	memset(&derr, 0, sizeof(derr));
	struct prof *p = ingest_decode(b.data, b.len, cfg.max_inflated, &derr);
	if (!p) {
		res->outcome = OUT_DECODE;
		snprintf(res->error, sizeof(res->error), "not a profile flamedex reads (%s): %.180s",
		         derr.code ? derr.code : "bad_profile", derr.message);
	} else {
		char name[FDX_SCRAPE_MAX_NAME * 2 + FDX_SCRAPE_MAX_HOST + 3];
		snprintf(name, sizeof(name), "%s %s %s", fp->job, fp->profile, fp->instance);
		struct store_new sn = {
			.name = name,
			.labels = fp->labels,
			.n_labels = fp->n_labels,
			.raw = b.data,
			.raw_len = b.len,
			.prof = p,
			.client_time = t_ns,
			.uploaded_by = NULL,
			.scrape_job = fp->job,
		};
		int src = store_add(&sn, res->id);
		if (src != 0) {
			res->outcome = OUT_STORE;
			res->id[0] = '\0';
			snprintf(res->error, sizeof(res->error), "%s",
			         src == STORE_FULL ? "disk or --max-db-bytes full: not stored" : "could not store the profile");
		}
		prof_free(p);
	}
	free(b.data);
	budget_give(b.charged);
}

/* ---- workers ----------------------------------------------------------- */

static struct job_stats *stats_for(const char *job)
{
	for (int i = 0; i < n_jstats; i++)
		if (!strcmp(jstats[i].job, job))
			return &jstats[i];
	if (n_jstats >= MAX_JOB_STATS)
		return NULL;
	struct job_stats *s = &jstats[n_jstats++];
	memset(s, 0, sizeof(*s));
	snprintf(s->job, sizeof(s->job), "%s", job);
	return s;
}

static void *worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	pthread_mutex_lock(&mu);
	while (!stopping) {
		double now = util_mono_ms(), soonest = now + 1000;
		struct slot *pick = NULL;
		for (int i = 0; i < n_slots; i++) {
			struct slot *s = slots[i];
			if (s->running)
				continue;
			if (s->next_ms <= now && (!pick || s->next_ms < pick->next_ms))
				pick = s;
			if (s->next_ms < soonest)
				soonest = s->next_ms;
		}
		if (!pick) {
			double wait = soonest - now;
			if (wait < 1)
				wait = 1;
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			long long ns = (long long)ts.tv_nsec + (long long)(wait * 1e6);
			ts.tv_sec += (time_t)(ns / 1000000000LL);
			ts.tv_nsec = (long)(ns % 1000000000LL);
			pthread_cond_timedwait(&cv, &mu, &ts);
			continue;
		}
		pick->running = true;
		pick->refs++;
		struct fetch_params fp;
		snprintf(fp.url, sizeof(fp.url), "%s", pick->url);
		snprintf(fp.job, sizeof(fp.job), "%s", pick->job);
		snprintf(fp.instance, sizeof(fp.instance), "%s", pick->instance);
		snprintf(fp.profile, sizeof(fp.profile), "%s", pick->profile);
		fp.timeout_ms = pick->timeout_ms;
		fp.seconds = pick->seconds;
		fp.n_labels = pick->n_labels;
		memcpy(fp.labels, pick->labels, sizeof(fp.labels));
		struct work w;
		running_work[me] = &w;
		pthread_mutex_unlock(&mu);

		double t0 = util_mono_ms();
		struct fetch_result *res = malloc(sizeof(*res));
		work_begin(&w, 0);
		if (res)
			fetch(&fp, res);
		work_end(&w);
		double t1 = util_mono_ms();

		pthread_mutex_lock(&mu);
		running_work[me] = NULL;
		pick->running = false;
		pick->scrapes++;
		pick->last_ns = util_now_nanos();
		pick->last_duration_ms = t1 - t0;
		enum outcome oc = res ? res->outcome : OUT_TRANSPORT;
		int was_health = pick->health;
		pick->last_bytes = res ? res->bytes : 0;
		if (oc == OUT_OK) {
			pick->health = 1;
			pick->fails = 0;
			pick->last_error[0] = '\0';
			snprintf(pick->last_id, sizeof(pick->last_id), "%s", res->id);
			pick->next_ms = t0 + pick->interval_ms;
		} else {
			pick->health = -1;
			snprintf(pick->last_error, sizeof(pick->last_error), "%s", res ? res->error : "out of memory");
			if (pick->fails < 31)
				pick->fails++;
			unsigned steps = pick->fails >= 5 ? FDX_SCRAPE_MAX_BACKOFF_STEPS : 1u << (pick->fails - 1);
			if (steps > FDX_SCRAPE_MAX_BACKOFF_STEPS)
				steps = FDX_SCRAPE_MAX_BACKOFF_STEPS;
			double delay = (double)pick->interval_ms * steps;
			if (delay > FDX_SCRAPE_MAX_BACKOFF_S * 1000.0)
				delay = FDX_SCRAPE_MAX_BACKOFF_S * 1000.0;
			if (delay < pick->interval_ms)
				delay = pick->interval_ms;
			pick->next_ms = t0 + delay;
		}
		if (pick->next_ms < t1)
			pick->next_ms = t1;   /* a fetch longer than its interval: next one at once, not a burst */
		struct job_stats *js = stats_for(fp.job);
		if (js) {
			js->outcomes[oc]++;
			double sec = (t1 - t0) / 1000.0;
			int bi = 0;
			while (bi < N_BUCKETS && sec > dur_buckets[bi])
				bi++;
			if (bi < N_BUCKETS)
				js->buckets[bi]++;
			js->dur_sum += sec;
			js->dur_count++;
			if (oc == OUT_OK)
				js->bytes += pick->last_bytes;
		}
		if (oc != OUT_OK || was_health != 1) {   /* failures, first successes and recoveries */
			char esc[FDX_SCRAPE_MAX_ERROR * 2];
			util_log_escape(pick->last_error, esc, sizeof(esc));
			if (oc == OUT_OK)
				util_log("level=info msg=scraped job=%s instance=%s profile=%s id=%s bytes=%llu ms=%.0f", fp.job,
				         fp.instance, fp.profile, pick->last_id, (unsigned long long)pick->last_bytes, t1 - t0);
			else
				util_log("level=warn msg=\"scrape failed\" job=%s instance=%s profile=%s outcome=%s err=\"%s\" "
				         "failures=%u",
				         fp.job, fp.instance, fp.profile, outcome_names[oc], esc, pick->fails);
		}
		free(res);
		slot_unref(pick);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* ---- start, reload, stop ----------------------------------------------- */

int scrape_start(void)
{
	if (!cfg.scrape_config[0])
		return scrape_retention_start();
	char err[512];
	struct scrape_config *c;
	if (scrape_config_load(cfg.scrape_config, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "flamedex: --config %s: %s\n", cfg.scrape_config, err);
		return -1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "flamedex: cannot initialise libcurl\n");
		scrape_config_free(c);
		return -1;
	}
	curl_ready = true;
	pthread_mutex_lock(&mu);
	int rc = install(c);
	stopping = false;
	pthread_mutex_unlock(&mu);
	int jobs = c->n_jobs, targets = c->n_targets;
	scrape_config_free(c);
	if (rc < 0) {
		fprintf(stderr, "flamedex: out of memory loading --config\n");
		return -1;
	}
	for (int i = 0; i < FDX_SCRAPE_WORKERS; i++) {
		if (pthread_create(&workers[i], NULL, worker, (void *)(intptr_t)i) != 0)
			break;
		n_workers++;
	}
	if (n_workers == 0) {
		fprintf(stderr, "flamedex: cannot start the scraper\n");
		return -1;
	}
	started = true;
	util_log("level=info msg=\"scraping\" config=%s jobs=%d targets=%d slots=%d workers=%d", cfg.scrape_config,
	         jobs, targets, n_slots, n_workers);
	return scrape_retention_start();
}

int scrape_reload(void)
{
	if (!cfg.scrape_config[0])
		return 0;
	char err[512], esc[1024];
	struct scrape_config *c;
	if (!started) {
		util_log("level=warn msg=\"SIGHUP: the scraper is not running\"");
		return -1;
	}
	if (scrape_config_load(cfg.scrape_config, &c, err, sizeof(err)) < 0) {
		util_log_escape(err, esc, sizeof(esc));
		util_log("level=error msg=\"config reload failed: keeping the old configuration\" config=%s err=\"%s\"",
		         cfg.scrape_config, esc);
		return -1;
	}
	pthread_mutex_lock(&mu);
	int rc = install(c);
	int n = n_slots;
	pthread_mutex_unlock(&mu);
	if (rc < 0)
		util_log("level=error msg=\"config reload failed: out of memory; keeping the old configuration\"");
	else
		util_log("level=info msg=\"config reloaded\" config=%s jobs=%d targets=%d slots=%d", cfg.scrape_config,
		         c->n_jobs, c->n_targets, n);
	scrape_config_free(c);
	return rc;
}

void scrape_stop(void)
{
	scrape_retention_stop();
	if (started) {
		pthread_mutex_lock(&mu);
		stopping = true;
		atomic_store(&abort_all, 1);
		for (int i = 0; i < FDX_SCRAPE_WORKERS; i++)
			if (running_work[i])
				work_stop(running_work[i], WORK_SHUTDOWN);
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
		for (int i = 0; i < n_workers; i++)
			pthread_join(workers[i], NULL);
		n_workers = 0;
		started = false;
	}
	pthread_mutex_lock(&mu);
	install(NULL);
	pthread_mutex_unlock(&mu);
	if (curl_ready) {
		curl_global_cleanup();
		curl_ready = false;
	}
}

/* ---- reading ----------------------------------------------------------- */

static void time_or_null(struct json *j, int64_t ns)
{
	if (!ns) {
		json_null(j);
		return;
	}
	char ts[40];
	util_rfc3339(ns, ts);
	json_str(j, ts);
}

static int64_t mono_to_unix_ns(double mono_ms, double now_mono, int64_t now_ns)
{
	return now_ns + (int64_t)((mono_ms - now_mono) * 1e6);
}

static const char *health_name(int h)
{
	return h > 0 ? "up" : h < 0 ? "down" : "unknown";
}

int scrape_targets_json(struct json *j)
{
	double now_mono = util_mono_ms();
	int64_t now_ns = util_now_nanos();
	json_obj_begin(j);
	json_key(j, "targets");
	json_arr_begin(j);
	pthread_mutex_lock(&mu);
	for (int i = 0; i < n_slots;) {
		int e = i;
		while (e < n_slots && !strcmp(slots[e]->job, slots[i]->job) && !strcmp(slots[e]->instance, slots[i]->instance))
			e++;
		/* one target: slots[i, e) */
		const struct slot *f = slots[i];
		int health = 1, any = 0;
		const struct slot *latest = NULL, *latest_err = NULL;
		double next = 0;
		for (int k = i; k < e; k++) {
			const struct slot *s = slots[k];
			if (s->health == 0)
				health = health < 0 ? -1 : 0;
			else if (s->health < 0)
				health = -1;
			any |= s->health != 0;
			if (s->last_ns && (!latest || s->last_ns > latest->last_ns))
				latest = s;
			if (s->health < 0 && (!latest_err || s->last_ns > latest_err->last_ns))
				latest_err = s;
			double nx = s->running ? now_mono : s->next_ms;
			if (k == i || nx < next)
				next = nx;
		}
		if (!any)
			health = 0;
		else if (health == 0)
			health = latest_err ? -1 : 1;   /* some kinds not fetched yet: judge by those that were */
		json_obj_begin(j);
		json_key(j, "job");
		json_str(j, f->job);
		json_key(j, "instance");
		json_str(j, f->instance);
		json_key(j, "labels");
		json_obj_begin(j);
		for (int l = 0; l < f->n_labels; l++) {
			json_key(j, f->labels[l].key);
			json_str(j, f->labels[l].value);
		}
		json_obj_end(j);
		json_key(j, "health");
		json_str(j, health_name(health));
		json_key(j, "last_scrape");
		time_or_null(j, latest ? latest->last_ns : 0);
		json_key(j, "last_duration_ms");
		if (latest)
			json_double(j, (double)(int64_t)(latest->last_duration_ms * 10) / 10);
		else
			json_null(j);
		json_key(j, "last_bytes");
		if (latest)
			json_uint(j, latest->last_bytes);
		else
			json_null(j);
		json_key(j, "last_error");
		if (latest_err)
			json_str(j, latest_err->last_error);
		else
			json_null(j);
		json_key(j, "next_scrape");
		time_or_null(j, mono_to_unix_ns(next, now_mono, now_ns));
		json_key(j, "profiles");
		json_arr_begin(j);
		for (int k = i; k < e; k++) {
			const struct slot *s = slots[k];
			json_obj_begin(j);
			json_key(j, "name");
			json_str(j, s->profile);
			json_key(j, "url");
			json_str(j, s->url);
			json_key(j, "interval_ms");
			json_uint(j, s->interval_ms);
			json_key(j, "health");
			json_str(j, health_name(s->health));
			json_key(j, "last_scrape");
			time_or_null(j, s->last_ns);
			json_key(j, "last_duration_ms");
			json_double(j, (double)(int64_t)(s->last_duration_ms * 10) / 10);
			json_key(j, "last_bytes");
			json_uint(j, s->last_bytes);
			json_key(j, "last_error");
			if (s->health < 0)
				json_str(j, s->last_error);
			else
				json_null(j);
			json_key(j, "last_profile");
			if (s->last_id[0])
				json_str(j, s->last_id);
			else
				json_null(j);
			json_key(j, "failures");
			json_uint(j, s->fails);
			json_key(j, "scrapes");
			json_uint(j, s->scrapes);
			json_key(j, "next_scrape");
			time_or_null(j, mono_to_unix_ns(s->running ? now_mono : s->next_ms, now_mono, now_ns));
			json_obj_end(j);
		}
		json_arr_end(j);
		json_obj_end(j);
		i = e;
	}
	pthread_mutex_unlock(&mu);
	json_arr_end(j);
	json_key(j, "config");
	if (cfg.scrape_config[0])
		json_str(j, cfg.scrape_config);
	else
		json_null(j);
	json_key(j, "retention");
	scrape_retention_json(j);
	json_obj_end(j);
	return 0;
}

static void label_value(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_addc(out, '\\');
		if (*s == '\n') {
			buf_adds(out, "\\n");
			continue;
		}
		buf_addc(out, *s);
	}
}

void scrape_metrics(struct buf *out)
{
	pthread_mutex_lock(&mu);
	buf_adds(out, "# HELP flamedex_scrapes_total Scrapes of targets, by job and outcome.\n"
	              "# TYPE flamedex_scrapes_total counter\n");
	for (int i = 0; i < n_jstats; i++)
		for (int o = 0; o < N_OUT; o++) {
			buf_adds(out, "flamedex_scrapes_total{job=\"");
			label_value(out, jstats[i].job);
			buf_printf(out, "\",outcome=\"%s\"} %llu\n", outcome_names[o], (unsigned long long)jstats[i].outcomes[o]);
		}
	buf_adds(out, "# HELP flamedex_scrape_duration_seconds Time a scrape took, fetch, decode and store.\n"
	              "# TYPE flamedex_scrape_duration_seconds histogram\n");
	for (int i = 0; i < n_jstats; i++) {
		uint64_t cum = 0;
		for (int b = 0; b < N_BUCKETS; b++) {
			cum += jstats[i].buckets[b];
			buf_adds(out, "flamedex_scrape_duration_seconds_bucket{job=\"");
			label_value(out, jstats[i].job);
			buf_printf(out, "\",le=\"%g\"} %llu\n", dur_buckets[b], (unsigned long long)cum);
		}
		buf_adds(out, "flamedex_scrape_duration_seconds_bucket{job=\"");
		label_value(out, jstats[i].job);
		buf_printf(out, "\",le=\"+Inf\"} %llu\n", (unsigned long long)jstats[i].dur_count);
		buf_adds(out, "flamedex_scrape_duration_seconds_sum{job=\"");
		label_value(out, jstats[i].job);
		buf_printf(out, "\"} %.6f\n", jstats[i].dur_sum);
		buf_adds(out, "flamedex_scrape_duration_seconds_count{job=\"");
		label_value(out, jstats[i].job);
		buf_printf(out, "\"} %llu\n", (unsigned long long)jstats[i].dur_count);
	}
	buf_adds(out, "# HELP flamedex_scraped_bytes_total Bytes of scraped profiles stored, by job.\n"
	              "# TYPE flamedex_scraped_bytes_total counter\n");
	for (int i = 0; i < n_jstats; i++) {
		buf_adds(out, "flamedex_scraped_bytes_total{job=\"");
		label_value(out, jstats[i].job);
		buf_printf(out, "\"} %llu\n", (unsigned long long)jstats[i].bytes);
	}
	int up = 0, down = 0;
	for (int i = 0; i < n_slots; i++) {
		up += slots[i]->health > 0;
		down += slots[i]->health < 0;
	}
	buf_printf(out, "# HELP flamedex_scrape_slots Target and profile pairs configured, by health.\n"
	                "# TYPE flamedex_scrape_slots gauge\n"
	                "flamedex_scrape_slots{health=\"up\"} %d\nflamedex_scrape_slots{health=\"down\"} %d\n"
	                "flamedex_scrape_slots{health=\"unknown\"} %d\n",
	           up, down, n_slots - up - down);
	pthread_mutex_unlock(&mu);
	scrape_retention_metrics(out);
}
