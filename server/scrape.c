/*
 * scrape.c: the scraper (see scrape.h).
 */
#include "autoconfig.h"
#include "scrape.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budget.h"
#include "config.h"
#include "downsample.h"
#include "findex.h"
#include "ingest.h"
#include "limits.h"
#include "scrape_config.h"
#include "store.h"
#include "util.h"
#include "work.h"

struct xfer;

struct slot {
	int refs;        /* the slot table's and a running fetch's, under mu */
	bool removed;    /* no longer in the configuration */
	char key[FDX_SCRAPE_MAX_NAME * 2 + FDX_SCRAPE_MAX_HOST + 3];   /* job \x1f instance \x1f profile */
	char job[FDX_SCRAPE_MAX_NAME + 1], instance[FDX_SCRAPE_MAX_HOST + 1], profile[FDX_SCRAPE_MAX_NAME + 1];
	/* what to fetch: changed by a reload */
	char url[FDX_SCRAPE_MAX_HOST + FDX_SCRAPE_MAX_PATH + 40];
	unsigned interval_ms, timeout_ms, seconds;
	bool keep_raw;   /* the job's keep_raw (scrape_config.h) */
	struct store_label labels[FDX_MAX_PROFILE_LABELS];
	int n_labels;
	/* schedule */
	double next_ms;  /* util_mono_ms() */
	bool running;
	double lease_until_ms;   /* util_mono_ms(): this process may scrape it until then (leases) */
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

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;   /* slots, stats, n_active, stopping */
static struct slot **slots;
static int n_slots;
static struct job_stats jstats[MAX_JOB_STATS];
static int n_jstats;
static int n_active;           /* transfers begun and not yet done (fetching or queued to decode) */
static bool stopping, started;
static CURLM *multi;           /* the fetcher's; curl_multi_wakeup from any thread */
static pthread_t fetch_th;
static bool fetch_on;
static bool curl_ready;
/* the decode queue */
static pthread_mutex_t qmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcv = PTHREAD_COND_INITIALIZER;
static struct xfer *qhead, *qtail;
static bool qstop;
static pthread_t decoders[FDX_SCRAPE_WORKERS];
static int n_decoders;
static struct work *running_work[FDX_SCRAPE_WORKERS];   /* under qmu */
/* Leases (store_lease): with replicas on one database, a slot is scraped
 * only by the process holding its lease. The leaser thread renews them
 * every SCRAPE_LEASE_RENEW_MS for SCRAPE_LEASE_TTL_MS; this process counts
 * a lease as its own for a renewal period less than that (the margin
 * covers the time the renewal took and the clocks' rates), so when it
 * cannot renew (dead, or the database gone) it stops before another can
 * take over, and a dead replica's targets move within TTL + one renewal. */
#define SCRAPE_LEASE_RENEW_MS 1000
#define SCRAPE_LEASE_TTL_MS   3000
static bool leases_on;       /* set before the threads start, cleared after they end */
static bool lease_th_on;
static pthread_t lease_th;
static pthread_mutex_t lmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lcv = PTHREAD_COND_INITIALIZER;
static bool lstop;

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
	s->keep_raw = j->keep_raw;
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
	return 0;
}

/* ---- transfers ---------------------------------------------------------- */

struct body {
	uint8_t *data;
	size_t len, cap, charged;
	bool over, no_budget;
};

struct fetch_params {
	char url[sizeof(((struct slot *)0)->url)];
	char job[FDX_SCRAPE_MAX_NAME + 1], instance[FDX_SCRAPE_MAX_HOST + 1], profile[FDX_SCRAPE_MAX_NAME + 1];
	unsigned timeout_ms, seconds;
	bool keep_raw;
	struct store_label labels[FDX_MAX_PROFILE_LABELS];
	int n_labels;
};

/* One fetch, from its start on the fetcher thread to its end on a decoder
 * (or on the fetcher when the transfer itself failed). */
struct xfer {
	struct slot *slot;          /* a reference */
	struct fetch_params fp;
	struct body b;
	CURL *h;
	char errbuf[CURL_ERROR_SIZE];
	double t0;
	int64_t t_ns;
	enum outcome outcome;
	char error[FDX_SCRAPE_MAX_ERROR];
	char id[FDX_ID_LEN + 1];
	struct xfer *next;          /* the fetcher's list, then the decode queue */
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

static int xfer_begin(struct xfer *x)
{
	x->h = curl_easy_init();
	if (!x->h)
		return -1;
	CURL *h = x->h;
	const struct fetch_params *fp = &x->fp;
	curl_easy_setopt(h, CURLOPT_URL, fp->url);
	curl_easy_setopt(h, CURLOPT_PRIVATE, x);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	/* a connection per fetch: what a lying target leaves on one (bytes past
	 * its Content-Length) must not become the next fetch's answer */
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)fp->timeout_ms + (long)fp->seconds * 1000L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)(fp->timeout_ms < FDX_SCRAPE_CONNECT_MS ? fp->timeout_ms : FDX_SCRAPE_CONNECT_MS));
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)FDX_SCRAPE_MAX_BODY);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x->b);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "flamedex/" PACKAGE_VERSION " (scraper)");
	x->t0 = util_mono_ms();
	x->t_ns = util_now_nanos();
	return 0;
}

/* The transfer ended with rc: judge it (x->error set on failure). */
static void xfer_judge(struct xfer *x, CURLcode rc)
{
	long status = 0;
	char *redirect = NULL;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->h, CURLINFO_REDIRECT_URL, &redirect);
	x->outcome = OUT_OK;
	if (x->b.over || rc == CURLE_FILESIZE_EXCEEDED) {
		x->outcome = OUT_TOO_LARGE;
		snprintf(x->error, sizeof(x->error), "body larger than %u bytes: transfer aborted", FDX_SCRAPE_MAX_BODY);
	} else if (x->b.no_budget) {
		x->outcome = OUT_TRANSPORT;
		snprintf(x->error, sizeof(x->error), "server busy: in-flight memory budget spent");
	} else if (rc != CURLE_OK) {
		x->outcome = OUT_TRANSPORT;
		snprintf(x->error, sizeof(x->error), "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
	} else if (status >= 300 && status < 400) {
		x->outcome = OUT_HTTP;
		snprintf(x->error, sizeof(x->error), "HTTP %ld: redirect to %.150s not followed", status,
		         redirect ? redirect : "(no Location)");
	} else if (status != 200) {
		x->outcome = OUT_HTTP;
		snprintf(x->error, sizeof(x->error), "HTTP %ld", status);
	} else if (x->b.len == 0) {
		x->outcome = OUT_DECODE;
		snprintf(x->error, sizeof(x->error), "empty body");
	}
}

/* Decode and store a fetched body (a decoder thread). */
static void xfer_store(struct xfer *x)
{
	const struct fetch_params *fp = &x->fp;
	struct decode_err derr;
	memset(&derr, 0, sizeof(derr));
	const char *format = NULL;
	struct prof *p = ingest_decode_opts(x->b.data, x->b.len, cfg.max_inflated, NULL, &format, &derr);
	if (!p) {
		x->outcome = OUT_DECODE;
		snprintf(x->error, sizeof(x->error), "not a profile flamedex reads (%s): %.180s",
		         derr.code ? derr.code : "bad_profile", derr.message);
		return;
	}
	char name[FDX_SCRAPE_MAX_NAME * 2 + FDX_SCRAPE_MAX_HOST + 3];
	snprintf(name, sizeof(name), "%s %s %s", fp->job, fp->profile, fp->instance);
	/* the function index in the same transaction, as for an upload: the
	 * timeline of a scraped series reads it (timeline.h) */
	struct findex fx;
	if (findex_build(p, &fx) < 0) {
		x->outcome = OUT_STORE;
		snprintf(x->error, sizeof(x->error), "could not index the profile's functions");
		prof_free(p);
		return;
	}
	struct store_new sn = {
		.name = name,
		.labels = fp->labels,
		.n_labels = fp->n_labels,
		.raw = x->b.data,
		.raw_len = x->b.len,
		.raw_dropped = !fp->keep_raw,
		.format = format,
		.prof = p,
		.client_time = x->t_ns,
		.uploaded_by = NULL,
		.scrape_job = fp->job,
		.findex = &fx.rows,
		.redecodable = ingest_redecodes(format),
	};
	int src = store_add(&sn, x->id);
	findex_release(&fx);
	if (src != 0) {
		x->outcome = OUT_STORE;
		x->id[0] = '\0';
		snprintf(x->error, sizeof(x->error), "%s",
		         src == STORE_FULL ? "disk or --max-db-bytes full: not stored" : "could not store the profile");
	}
	prof_free(p);
}

/* ---- scheduling and bookkeeping ----------------------------------------- */

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

/* The end of a fetch, whichever thread: record it on its slot, schedule
 * the next one, free x. */
static void xfer_done(struct xfer *x)
{
	double t1 = util_mono_ms();
	uint64_t bytes = x->b.len;
	free(x->b.data);
	budget_give(x->b.charged);
	x->b.data = NULL;
	x->b.charged = 0;
	pthread_mutex_lock(&mu);
	struct slot *s = x->slot;
	enum outcome oc = x->outcome;
	int was_health = s->health;
	s->running = false;
	s->scrapes++;
	s->last_ns = util_now_nanos();
	s->last_duration_ms = t1 - x->t0;
	s->last_bytes = bytes;
	if (oc == OUT_OK) {
		s->health = 1;
		s->fails = 0;
		s->last_error[0] = '\0';
		snprintf(s->last_id, sizeof(s->last_id), "%s", x->id);
		s->next_ms = x->t0 + s->interval_ms;
	} else {
		s->health = -1;
		snprintf(s->last_error, sizeof(s->last_error), "%s", x->error);
		if (s->fails < 31)
			s->fails++;
		unsigned steps = s->fails >= 5 ? FDX_SCRAPE_MAX_BACKOFF_STEPS : 1u << (s->fails - 1);
		if (steps > FDX_SCRAPE_MAX_BACKOFF_STEPS)
			steps = FDX_SCRAPE_MAX_BACKOFF_STEPS;
		double delay = (double)s->interval_ms * steps;
		if (delay > FDX_SCRAPE_MAX_BACKOFF_S * 1000.0)
			delay = FDX_SCRAPE_MAX_BACKOFF_S * 1000.0;
		if (delay < s->interval_ms)
			delay = s->interval_ms;
		s->next_ms = x->t0 + delay;
	}
	if (s->next_ms < t1)
		s->next_ms = t1;   /* a fetch longer than its interval: the next one now, not a burst */
	struct job_stats *js = stats_for(x->fp.job);
	if (js) {
		js->outcomes[oc]++;
		double sec = (t1 - x->t0) / 1000.0;
		int bi = 0;
		while (bi < N_BUCKETS && sec > dur_buckets[bi])
			bi++;
		if (bi < N_BUCKETS)
			js->buckets[bi]++;
		js->dur_sum += sec;
		js->dur_count++;
		if (oc == OUT_OK)
			js->bytes += bytes;
	}
	n_active--;
	unsigned fails = s->fails;
	slot_unref(s);
	pthread_mutex_unlock(&mu);
	if (multi)
		curl_multi_wakeup(multi);   /* a slot is free again, a transfer slot too */
	if (oc != OUT_OK || was_health != 1) {   /* failures, first successes and recoveries */
		char esc[FDX_SCRAPE_MAX_ERROR * 2];
		util_log_escape(x->error, esc, sizeof(esc));
		if (oc == OUT_OK)
			util_log("level=info msg=scraped job=%s instance=%s profile=%s id=%s bytes=%llu ms=%.0f", x->fp.job,
			         x->fp.instance, x->fp.profile, x->id, (unsigned long long)bytes, t1 - x->t0);
		else
			util_log("level=warn msg=\"scrape failed\" job=%s instance=%s profile=%s outcome=%s err=\"%s\" "
			         "failures=%u",
			         x->fp.job, x->fp.instance, x->fp.profile, outcome_names[oc], esc, fails);
	}
	free(x);
}

/* mu held: the due slots, as new transfers (at most room of them); *wait_ms
 * is how long until the next one is due. */
static struct xfer *take_due(int room, double *wait_ms)
{
	double now = util_mono_ms(), soonest = now + 1000;
	struct xfer *list = NULL;
	for (int i = 0; i < n_slots; i++) {
		struct slot *s = slots[i];
		if (s->running)
			continue;
		if (leases_on && s->lease_until_ms < now) {
			if (s->next_ms < now)
				s->next_ms = now + SCRAPE_LEASE_RENEW_MS;   /* not ours now: look again after a renewal */
			continue;
		}
		if (s->next_ms > now || room <= 0) {
			if (s->next_ms < soonest)
				soonest = s->next_ms;
			continue;
		}
		struct xfer *x = calloc(1, sizeof(*x));
		if (!x)
			break;
		s->running = true;
		s->refs++;
		x->slot = s;
		struct fetch_params *fp = &x->fp;
		snprintf(fp->url, sizeof(fp->url), "%s", s->url);
		snprintf(fp->job, sizeof(fp->job), "%s", s->job);
		snprintf(fp->instance, sizeof(fp->instance), "%s", s->instance);
		snprintf(fp->profile, sizeof(fp->profile), "%s", s->profile);
		fp->timeout_ms = s->timeout_ms;
		fp->seconds = s->seconds;
		fp->keep_raw = s->keep_raw;
		fp->n_labels = s->n_labels;
		memcpy(fp->labels, s->labels, sizeof(fp->labels));
		x->next = list;
		list = x;
		n_active++;
		room--;
	}
	*wait_ms = soonest - now;
	if (room <= 0)
		*wait_ms = 1000;   /* woken when a transfer ends */
	if (*wait_ms < 0)
		*wait_ms = 0;
	return list;
}

/* ---- threads ------------------------------------------------------------ */

static void enqueue(struct xfer *x)
{
	pthread_mutex_lock(&qmu);
	x->next = NULL;
	if (qtail)
		qtail->next = x;
	else
		qhead = x;
	qtail = x;
	pthread_cond_signal(&qcv);
	pthread_mutex_unlock(&qmu);
}

/* The fetcher: every transfer runs in one libcurl multi handle, so a
 * transfer that waits (a CPU profile's seconds, a slow target) costs a
 * socket, not a thread. */
static void *fetcher(void *arg)
{
	(void)arg;
	struct xfer *active = NULL;   /* in the multi handle */
	for (;;) {
		double wait = 1000;
		pthread_mutex_lock(&mu);
		bool stop = stopping;
		struct xfer *fresh = stop ? NULL : take_due(FDX_SCRAPE_MAX_TRANSFERS - n_active, &wait);
		pthread_mutex_unlock(&mu);
		if (stop)
			break;
		while (fresh) {
			struct xfer *x = fresh;
			fresh = x->next;
			if (xfer_begin(x) < 0 || curl_multi_add_handle(multi, x->h) != CURLM_OK) {
				x->outcome = OUT_TRANSPORT;
				snprintf(x->error, sizeof(x->error), "out of memory");
				if (x->h)
					curl_easy_cleanup(x->h);
				xfer_done(x);
				continue;
			}
			x->next = active;
			active = x;
		}
		int running;
		curl_multi_perform(multi, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct xfer *x = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			CURLcode rc = msg->data.result;
			xfer_judge(x, rc);
			curl_multi_remove_handle(multi, x->h);
			curl_easy_cleanup(x->h);
			x->h = NULL;
			for (struct xfer **pp = &active; *pp; pp = &(*pp)->next)
				if (*pp == x) {
					*pp = x->next;
					break;
				}
			if (x->outcome == OUT_OK)
				enqueue(x);
			else
				xfer_done(x);
		}
		curl_multi_poll(multi, NULL, 0, (int)wait + 1, NULL);
	}
	while (active) {   /* stopping: abort what is in flight */
		struct xfer *x = active;
		active = x->next;
		curl_multi_remove_handle(multi, x->h);
		curl_easy_cleanup(x->h);
		x->outcome = OUT_TRANSPORT;
		snprintf(x->error, sizeof(x->error), "stopped: server stopping");
		xfer_done(x);
	}
	return NULL;
}

/* A decoder: decode and store what the fetcher received. */
static void *decoder(void *arg)
{
	int me = (int)(intptr_t)arg;
	pthread_mutex_lock(&qmu);
	for (;;) {
		while (!qhead && !qstop)
			pthread_cond_wait(&qcv, &qmu);
		if (qstop)
			break;
		struct xfer *x = qhead;
		qhead = x->next;
		if (!qhead)
			qtail = NULL;
		struct work w;
		running_work[me] = &w;
		work_begin(&w, 0);
		pthread_mutex_unlock(&qmu);
		xfer_store(x);
		pthread_mutex_lock(&qmu);
		work_end(&w);
		running_work[me] = NULL;
		pthread_mutex_unlock(&qmu);
		xfer_done(x);
		pthread_mutex_lock(&qmu);
	}
	pthread_mutex_unlock(&qmu);
	return NULL;
}

/* ---- leases ------------------------------------------------------------ */

static void lease_round(void)
{
	pthread_mutex_lock(&mu);
	int n = n_slots;
	struct slot **held = n ? malloc((size_t)n * sizeof(*held)) : NULL;
	const char **keys = n ? malloc((size_t)n * sizeof(*keys)) : NULL;
	bool *mine = n ? calloc((size_t)n, sizeof(*mine)) : NULL;
	if (n && (!held || !keys || !mine)) {
		pthread_mutex_unlock(&mu);
		free(held);
		free(keys);
		free(mine);
		return;
	}
	for (int i = 0; i < n; i++) {
		held[i] = slots[i];
		held[i]->refs++;
		keys[i] = held[i]->key;   /* a slot's key never changes */
	}
	pthread_mutex_unlock(&mu);
	double t0 = util_mono_ms();
	int rc = store_lease(keys, n, SCRAPE_LEASE_TTL_MS, mine);
	int taken = 0;
	pthread_mutex_lock(&mu);
	for (int i = 0; i < n; i++) {
		struct slot *s = held[i];
		bool had = s->lease_until_ms > util_mono_ms();
		if (rc == 0 && mine[i]) {
			s->lease_until_ms = t0 + SCRAPE_LEASE_TTL_MS - SCRAPE_LEASE_RENEW_MS;
			taken += !had;
		} else if (rc == 0) {
			s->lease_until_ms = 0;   /* another process holds it */
		}
		/* rc < 0: keep what we had; it runs out by itself */
		slot_unref(s);
	}
	pthread_mutex_unlock(&mu);
	if (taken) {
		util_log("level=info msg=\"scrape leases taken\" slots=%d", taken);
		if (multi)
			curl_multi_wakeup(multi);
	}
	free(held);
	free(keys);
	free(mine);
}

static void *leaser(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lmu);
	while (!lstop) {
		pthread_mutex_unlock(&lmu);
		lease_round();
		pthread_mutex_lock(&lmu);
		if (lstop)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)SCRAPE_LEASE_RENEW_MS % 1000 * 1000000L;
		ts.tv_sec += SCRAPE_LEASE_RENEW_MS / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&lcv, &lmu, &ts);
	}
	pthread_mutex_unlock(&lmu);
	return NULL;
}

/* ---- start, reload, stop ----------------------------------------------- */

int scrape_start(void)
{
	if (!cfg.scrape_config[0])
		return scrape_retention_start() < 0 ? -1 : downsample_start();
	char err[512];
	struct scrape_config *c;
	if (scrape_config_load(cfg.scrape_config, &c, err, sizeof(err)) < 0 ||
	    downsample_check(c, err, sizeof(err)) < 0) {
		fprintf(stderr, "flamedex: --config %s: %s\n", cfg.scrape_config, err);
		return -1;
	}
	if (downsample_configure(c) < 0) {
		fprintf(stderr, "flamedex: out of memory loading --config\n");
		scrape_config_free(c);
		return -1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(multi = curl_multi_init())) {
		fprintf(stderr, "flamedex: cannot initialise libcurl\n");
		scrape_config_free(c);
		return -1;
	}
	curl_ready = true;
	curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)FDX_SCRAPE_MAX_TRANSFERS);
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
	qstop = false;
	for (int i = 0; i < FDX_SCRAPE_WORKERS; i++) {
		if (pthread_create(&decoders[i], NULL, decoder, (void *)(intptr_t)i) != 0)
			break;
		n_decoders++;
	}
	leases_on = store_leases_shared();
	if (n_decoders == 0 || pthread_create(&fetch_th, NULL, fetcher, NULL) != 0) {
		fprintf(stderr, "flamedex: cannot start the scraper\n");
		return -1;
	}
	fetch_on = true;
	started = true;
	if (leases_on) {
		lstop = false;
		if (pthread_create(&lease_th, NULL, leaser, NULL) != 0) {
			fprintf(stderr, "flamedex: cannot start the scrape leases\n");
			return -1;
		}
		lease_th_on = true;
	}
	util_log("level=info msg=\"scraping\" config=%s jobs=%d targets=%d slots=%d transfers=%d decoders=%d",
	         cfg.scrape_config, jobs, targets, n_slots, FDX_SCRAPE_MAX_TRANSFERS, n_decoders);
	return scrape_retention_start() < 0 ? -1 : downsample_start();
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
	if (scrape_config_load(cfg.scrape_config, &c, err, sizeof(err)) < 0 ||
	    downsample_check(c, err, sizeof(err)) < 0) {
		if (c) {
			scrape_config_free(c);
			c = NULL;
		}
		util_log_escape(err, esc, sizeof(esc));
		util_log("level=error msg=\"config reload failed: keeping the old configuration\" config=%s err=\"%s\"",
		         cfg.scrape_config, esc);
		return -1;
	}
	pthread_mutex_lock(&mu);
	int rc = install(c);
	int n = n_slots;
	pthread_mutex_unlock(&mu);
	curl_multi_wakeup(multi);
	if (rc == 0 && downsample_configure(c) < 0)
		util_log("level=error msg=\"config reload: out of memory; keeping the old downsampling settings\"");
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
	downsample_stop();
	scrape_retention_stop();
	pthread_mutex_lock(&mu);
	stopping = true;
	pthread_mutex_unlock(&mu);
	if (lease_th_on) {
		pthread_mutex_lock(&lmu);
		lstop = true;
		pthread_cond_broadcast(&lcv);
		pthread_mutex_unlock(&lmu);
		pthread_join(lease_th, NULL);
		lease_th_on = false;
		pthread_mutex_lock(&mu);
		for (int i = 0; i < n_slots; i++)
			slots[i]->lease_until_ms = 0;   /* nothing more from here */
		pthread_mutex_unlock(&mu);
		store_lease_release();   /* the other replicas take them at once */
	}
	if (fetch_on) {
		curl_multi_wakeup(multi);
		pthread_join(fetch_th, NULL);
		fetch_on = false;
	}
	if (n_decoders) {
		pthread_mutex_lock(&qmu);
		qstop = true;
		for (int i = 0; i < FDX_SCRAPE_WORKERS; i++)
			if (running_work[i])
				work_stop(running_work[i], WORK_SHUTDOWN);
		pthread_cond_broadcast(&qcv);
		pthread_mutex_unlock(&qmu);
		for (int i = 0; i < n_decoders; i++)
			pthread_join(decoders[i], NULL);
		n_decoders = 0;
	}
	while (qhead) {   /* received, never stored */
		struct xfer *x = qhead;
		qhead = x->next;
		x->outcome = OUT_TRANSPORT;
		snprintf(x->error, sizeof(x->error), "stopped: server stopping");
		xfer_done(x);
	}
	qtail = NULL;
	started = false;
	pthread_mutex_lock(&mu);
	install(NULL);
	leases_on = false;
	pthread_mutex_unlock(&mu);
	if (multi) {
		curl_multi_cleanup(multi);
		multi = NULL;
	}
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
			json_key(j, "leased");
			json_bool(j, !leases_on || s->lease_until_ms > now_mono);
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
	json_key(j, "downsample");
	downsample_json(j);
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
	downsample_metrics(out);
}
