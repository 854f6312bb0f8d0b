/*
 * downsample.c: scraped profiles merged per series and bucket once they are
 * old (see downsample.h).
 *
 * A pass: delete the members a previous pass marked merged (after a crash,
 * or a delete that failed), delete downsampled profiles past
 * --downsample-retention, then walk the complete buckets oldest first.
 * A bucket's candidates are read a page at a time, series by series
 * (store_ds_page); each series is folded (merge.h) one decoded profile at
 * a time, written (profwrite.h), decoded back as an upload of those bytes
 * would be (ingest.h) and stored with store_add, which marks the members;
 * then the members are deleted one store_delete each.
 */
#include "downsample.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "budget.h"
#include "config.h"
#include "findex.h"
#include "ingest.h"
#include "limits.h"
#include "merge.h"
#include "profwrite.h"
#include "store.h"
#include "util.h"
#include "work.h"

#define DOWNSAMPLE_PERIOD_MS 1000
/* candidates read at once: one page of a bucket */
#define DOWNSAMPLE_PAGE FDX_MAX_SELECTION
/* deletions read at once */
#define DOWNSAMPLE_BATCH 32
/* the lease: renewed when less than half of it is left */
#define DOWNSAMPLE_LEASE_NS (30LL * 1000000000LL)
/* a bucket where a series failed (a profile that does not load, a member
 * deleted meanwhile) is walked again after this long */
#define DOWNSAMPLE_RESCAN_MS (600.0 * 1000)

enum { AGG_SUM, AGG_AVG };
static const char *const agg_names[] = { "sum", "avg" };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;   /* settings, stop, current */
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct scrape_downsample flags_set, file_set;
static bool use_file;
/* the jobs with a policy of their own (the file's jobs[].downsample), as
 * given: resolved against the active settings when used */
struct job_policy {
	char job[FDX_SCRAPE_MAX_NAME + 1];
	struct scrape_downsample own;
};
static struct job_policy *job_set;
static int n_job_set;
static unsigned gen;                /* bumped by downsample_configure */
static bool stop_flag, th_on;
static pthread_t th;
static struct work *current;        /* the pass's work, to stop it */
static const char *hold_path;       /* the test hook (downsample.h) */

static char holder[FDX_ID_LEN + 1];  /* this process, in the lease */
static int64_t lease_until;          /* the pass thread's own */
/* per job: buckets before this are not walked again until the rescan
 * (one failed); the pass thread's own */
struct job_state {
	char job[FDX_SCRAPE_MAX_NAME + 1];
	int64_t done_until;
};
static struct job_state *states;
static int n_states, cap_states;
static unsigned states_gen;
static double last_rescan;

static atomic_ullong n_merged, n_members, n_expired, bytes_in, bytes_out;

/* ---- settings ---------------------------------------------------------- */

static struct scrape_downsample active(void)
{
	pthread_mutex_lock(&mu);
	struct scrape_downsample s = use_file ? file_set : flags_set;
	pthread_mutex_unlock(&mu);
	return s;
}

/* A job's settings: the base (the file's top level, or the flags') with
 * the keys the job gives in its own downsample: instead. */
static struct scrape_downsample resolve(const struct scrape_downsample *base, const struct scrape_downsample *own)
{
	struct scrape_downsample s = *base;
	if (!s.step_s)
		s.step_s = 3600;
	if (!own || !own->set)
		return s;
	if (own->given & SCRAPE_DS_AFTER)
		s.after_s = own->after_s;
	if (own->given & SCRAPE_DS_STEP)
		s.step_s = own->step_s;
	if (own->given & SCRAPE_DS_RETENTION)
		s.retention_s = own->retention_s;
	if (own->off)
		s.after_s = 0;
	s.set = true;
	s.given = own->given;
	s.off = own->off;
	s.line = own->line;
	return s;
}

static const struct scrape_downsample *own_of(const struct job_policy *js, int n, const char *job)
{
	for (int i = 0; job && i < n; i++)
		if (!strcmp(js[i].job, job))
			return &js[i].own;
	return NULL;
}

void downsample_settings(struct scrape_downsample *out)
{
	*out = active();
}

void downsample_settings_for(const char *job, struct scrape_downsample *out)
{
	pthread_mutex_lock(&mu);
	struct scrape_downsample base = use_file ? file_set : flags_set;
	*out = resolve(&base, own_of(job_set, n_job_set, job));
	pthread_mutex_unlock(&mu);
}

/* Can job's own settings (resolved against base) be used? */
static int check_job(const struct scrape_job *job, const struct scrape_downsample *base, char *err, size_t cap)
{
	struct scrape_downsample s = resolve(base, &job->downsample);
	unsigned line = job->downsample.line;
	if (!s.off && !s.after_s) {
		snprintf(err, cap,
		         "line %u: job \"%s\": downsample needs after: neither the job, the top-level downsample nor "
		         "--downsample-after gives one (or say enabled: false)",
		         line, job->name);
		return -1;
	}
	if (s.after_s && s.retention_s && s.retention_s <= s.after_s) {
		snprintf(err, cap, "line %u: job \"%s\": downsample retention (%us) must be longer than after (%us)", line,
		         job->name, s.retention_s, s.after_s);
		return -1;
	}
	if (s.after_s && cfg.retention_s && cfg.retention_s <= s.after_s) {
		snprintf(err, cap,
		         "line %u: job \"%s\": --retention %us deletes scraped profiles before downsampling (after %us) "
		         "merges them: make it longer, or keep the history with a downsample retention",
		         line, job->name, cfg.retention_s, s.after_s);
		return -1;
	}
	return 0;
}

int downsample_check(const struct scrape_config *c, char *err, size_t cap)
{
	const struct scrape_downsample *d = c ? &c->downsample : NULL;
	struct scrape_downsample s = { 0 };
	if (d && d->set) {
		s = *d;
	} else {
		s.after_s = cfg.downsample_after_s;
		s.step_s = cfg.downsample_step_s ? cfg.downsample_step_s : 3600;
		s.retention_s = cfg.downsample_retention_s;
		if (!s.after_s && (cfg.downsample_step_s || cfg.downsample_retention_s)) {
			snprintf(err, cap, "--downsample-step and --downsample-retention need --downsample-after");
			return -1;
		}
		if (s.after_s && s.retention_s && s.retention_s <= s.after_s) {
			snprintf(err, cap, "--downsample-retention must be longer than --downsample-after");
			return -1;
		}
	}
	if (s.after_s && cfg.retention_s && cfg.retention_s <= s.after_s) {
		snprintf(err, cap,
		         "--retention %us deletes scraped profiles before downsampling (after %us) merges them: make it "
		         "longer, or keep the history with --downsample-retention",
		         cfg.retention_s, s.after_s);
		return -1;
	}
	for (int i = 0; c && i < c->n_jobs; i++)
		if (c->jobs[i].downsample.set && check_job(&c->jobs[i], &s, err, cap) < 0)
			return -1;
	return 0;
}

int downsample_configure(const struct scrape_config *c)
{
	int n = 0;
	for (int i = 0; c && i < c->n_jobs; i++)
		n += c->jobs[i].downsample.set;
	struct job_policy *js = n ? calloc((size_t)n, sizeof(*js)) : NULL;
	if (n && !js)
		return -1;
	n = 0;
	for (int i = 0; c && i < c->n_jobs; i++) {
		if (!c->jobs[i].downsample.set)
			continue;
		snprintf(js[n].job, sizeof(js[n].job), "%s", c->jobs[i].name);
		js[n++].own = c->jobs[i].downsample;
	}
	pthread_mutex_lock(&mu);
	use_file = c && c->downsample.set;
	if (use_file)
		file_set = c->downsample;
	free(job_set);
	job_set = js;
	n_job_set = n;
	gen++;
	pthread_mutex_unlock(&mu);
	return 0;
}

static bool should_stop(void)
{
	pthread_mutex_lock(&mu);
	bool s = stop_flag;
	pthread_mutex_unlock(&mu);
	return s || work_poll() != WORK_OK;
}

/* "1h", "30m", "90s": the step as the label says it. */
static void step_text(unsigned s, char *out, size_t cap)
{
	if (s % 86400 == 0)
		snprintf(out, cap, "%ud", s / 86400);
	else if (s % 3600 == 0)
		snprintf(out, cap, "%uh", s / 3600);
	else if (s % 60 == 0)
		snprintf(out, cap, "%um", s / 60);
	else
		snprintf(out, cap, "%us", s);
}

static int64_t floor_to(int64_t t, int64_t step)
{
	int64_t q = t / step;
	if (t % step < 0)
		q--;
	return q * step;
}

/* ---- the lease ----------------------------------------------------------- */

/* Hold the lease for a while more: true when this process may merge. */
static bool lease(void)
{
	int64_t now = util_now_nanos();
	if (lease_until - now > DOWNSAMPLE_LEASE_NS / 2)
		return true;
	int rc = store_lock_take("downsample", holder, DOWNSAMPLE_LEASE_NS);
	if (rc == 0) {
		lease_until = now + DOWNSAMPLE_LEASE_NS;
		return true;
	}
	if (rc < 0)
		util_log("level=error msg=\"downsample: cannot take the lease\"");
	lease_until = 0;
	return false;
}

/* ---- deleting ------------------------------------------------------------ */

/* Delete what list() finds until it finds nothing; the count, -1 on error. */
static int sweep(int (*list)(const char *job, int64_t arg, char (*ids)[23], int64_t *bytes, int max, int *n),
                 const char *job, int64_t arg)
{
	int total = 0;
	while (!should_stop()) {
		char ids[DOWNSAMPLE_BATCH][23];
		int64_t bytes[DOWNSAMPLE_BATCH];
		int n = 0;
		if (list(job, arg, ids, bytes, DOWNSAMPLE_BATCH, &n) < 0)
			return -1;
		if (n == 0)
			break;
		int gone = 0;
		for (int i = 0; i < n; i++) {
			int rc = store_delete(ids[i]);
			if (rc < 0)
				return -1;
			gone += rc == 0;
		}
		total += gone;
		if (gone == 0)
			break;   /* deleted by someone else meanwhile: read again next pass */
	}
	return total;
}

static int list_merged(const char *job, int64_t arg, char (*ids)[23], int64_t *bytes, int max, int *n)
{
	(void)job;
	(void)arg;
	return store_ds_merged(ids, bytes, max, n);
}

static int list_expired(const char *job, int64_t before, char (*ids)[23], int64_t *bytes, int max, int *n)
{
	return store_ds_expired(job, before, ids, bytes, max, n);
}

/* ---- merging -------------------------------------------------------------- */

/* sum for a profile over a window (CPU, a delta), avg for a snapshot */
static int agg_of(const struct prof *p)
{
	return p->kind == PROF_KIND_CPU || p->duration_nanos > 0 ? AGG_SUM : AGG_AVG;
}

struct chunk {
	char (*ids)[23];   /* the members, FDX_MAX_SELECTION of room */
	int n;
	int agg;
	int64_t bytes;     /* theirs */
	size_t charged;    /* of the in-flight budget */
};

static bool charge(struct chunk *ch, size_t now)
{
	if (now <= ch->charged)
		return true;
	if (!budget_take(now - ch->charged))
		return false;
	ch->charged = now;
	return true;
}

/* Fold ch's members again (the merge that found an incompatible one is
 * unusable). NULL on failure. */
static struct merge *refold(struct chunk *ch)
{
	struct merge *m = merge_new();
	for (int i = 0; m && i < ch->n; i++) {
		int st = 0;
		struct prof *p = store_get(ch->ids[i], &st);
		char why[512];
		int rc = p ? merge_add(m, p, why, sizeof(why)) : -1;
		if (p)
			store_release(p);
		if (rc != 0 || !charge(ch, merge_mem_bytes(m))) {
			merge_free(m);
			m = NULL;
		}
	}
	return m;
}

/* Fold a prefix of rows[0, n) (one series, oldest first) into *out: it
 * ends before a member of the other agg, one that cannot be merged with
 * the others, one that does not load, or at FDX_MAX_SELECTION members.
 * The rows consumed (members, and those deleted meanwhile), or -1 when
 * the first does not load or the work stops. */
static int fold(const struct store_ds_cand *rows, int n, struct chunk *ch, struct merge **out)
{
	struct merge *m = merge_new();
	if (!m)
		return -1;
	bool redo = false;
	int i;
	for (i = 0; i < n && ch->n < FDX_MAX_SELECTION; i++) {
		if (should_stop())
			goto fail;
		int st = 0;
		struct prof *p = store_get(rows[i].id, &st);
		if (!p) {
			if (st == 404)
				continue;   /* deleted meanwhile */
			if (ch->n == 0) {
				if (!should_stop())
					util_log("level=error msg=\"downsample: cannot load a profile\" id=%s status=%d", rows[i].id,
					         st);
				goto fail;
			}
			break;          /* the next chunk starts with it */
		}
		int agg = agg_of(p);
		if (ch->n && agg != ch->agg) {
			store_release(p);
			break;
		}
		char why[512] = "";
		int rc = merge_add(m, p, why, sizeof(why));
		store_release(p);
		if (rc == MERGE_INCOMPATIBLE || rc == MERGE_OVERFLOW) {
			if (ch->n == 0)
				goto fail;
			char esc[1100];
			util_log_escape(why, esc, sizeof(esc));
			util_log("level=info msg=\"downsample: series changes here, another merged profile\" id=%s why=\"%s\"",
			         rows[i].id, esc);
			redo = true;
			break;
		}
		if (rc != 0)
			goto fail;
		ch->agg = agg;
		memcpy(ch->ids[ch->n++], rows[i].id, sizeof(ch->ids[0]));
		ch->bytes += rows[i].bytes;
		if (!charge(ch, merge_mem_bytes(m)))
			goto fail;
	}
	if (redo) {
		merge_free(m);
		if (!(m = refold(ch)))
			return -1;
	}
	*out = m;
	return i;
fail:
	merge_free(m);
	return -1;
}

/* Write the merge m of ch (first: its oldest member) as one profile of
 * the bucket starting at from, and store it. 0, STORE_CHANGED, STORE_FULL
 * or -1. */
static int put(struct merge *m, struct chunk *ch, const struct store_ds_cand *first, int64_t from,
               const struct scrape_downsample *s)
{
	struct prof *mp = merge_finish(m);
	if (!mp || !charge(ch, prof_mem_bytes(mp))) {
		prof_free(mp);
		return -1;
	}
	mp->time_nanos = from;
	if (ch->agg == AGG_AVG)
		mp->duration_nanos = (int64_t)s->step_s * 1000000000LL;   /* sum: the members' durations */
	struct profwrite_opts o = { 0 };
	if (ch->agg == AGG_AVG && ch->n > 1)
		o.scale = 1.0 / (double)ch->n;   /* /merge's agg=avg */
	uint8_t *raw = NULL;
	size_t len = 0;
	int rc = profwrite_gz(mp, &o, &raw, &len);
	prof_free(mp);
	if (rc != 0)
		return -1;
	/* what is stored is what an upload of these bytes gives */
	struct decode_err derr;
	memset(&derr, 0, sizeof(derr));
	struct prof *p = ingest_decode(raw, len, cfg.max_inflated, &derr);
	if (!p) {
		util_log("level=error msg=\"downsample: the merged profile does not decode\" err=%s",
		         derr.code ? derr.code : "?");
		free(raw);
		return -1;
	}
	struct findex fx;
	if (findex_build(p, &fx) < 0) {
		prof_free(p);
		free(raw);
		return -1;
	}
	struct store_label labels[FDX_MAX_PROFILE_LABELS + 1];
	int n_labels = 0;
	if (store_labels_of(first->id, labels, (int)FDX_MAX_PROFILE_LABELS, &n_labels) != 0)
		rc = STORE_CHANGED;   /* gone since the page was read */
	char step[16];
	step_text(s->step_s, step, sizeof(step));
	int at = n_labels;
	for (int i = 0; i < n_labels; i++)
		if (!strcmp(labels[i].key, "downsampled"))
			at = i;
	snprintf(labels[at].key, sizeof(labels[at].key), "downsampled");
	snprintf(labels[at].value, sizeof(labels[at].value), "%s", step);
	if (at == n_labels)
		n_labels++;
	char fname[FDX_MAX_NAME_LEN + 1] = "", suffix[64], name[FDX_MAX_NAME_LEN + 64];
	if (rc == 0 && store_name(first->id, fname, sizeof(fname)) != 0)
		rc = STORE_CHANGED;
	snprintf(suffix, sizeof(suffix), " (%s, %d merged)", step, ch->n);
	size_t keep = strlen(fname), room = FDX_MAX_NAME_LEN - strlen(suffix);
	snprintf(name, sizeof(name), "%.*s%s", (int)(keep < room ? keep : room), fname, suffix);
	struct store_ds ds = { .step_s = s->step_s, .agg = agg_names[ch->agg], .members = (const char (*)[23])ch->ids,
		               .n_members = ch->n };
	struct store_new sn = {
		.name = name,
		.labels = labels,
		.n_labels = n_labels,
		.raw = raw,
		.raw_len = len,
		.prof = p,
		.findex = &fx.rows,
		.scrape_job = first->job,
		.ds = &ds,
	};
	char id[FDX_ID_LEN + 1];
	if (rc == 0)
		rc = store_add(&sn, id);
	findex_release(&fx);
	prof_free(p);
	free(raw);
	if (rc == 0) {
		atomic_fetch_add(&n_merged, 1);
		atomic_fetch_add(&n_members, (unsigned long long)ch->n);
		atomic_fetch_add(&bytes_in, (unsigned long long)ch->bytes);
		atomic_fetch_add(&bytes_out, (unsigned long long)len);
		char ts[40];
		util_rfc3339(from, ts);
		util_log("level=info msg=downsampled id=%s bucket=%s step=%s agg=%s members=%d bytes_in=%lld bytes_out=%zu",
		         id, ts, step, agg_names[ch->agg], ch->n, (long long)ch->bytes, len);
	} else if (rc == STORE_CHANGED) {
		util_log("level=info msg=\"downsample: a member changed meanwhile; merged again later\" first=%s", first->id);
	}
	return rc;
}

/* One series of a bucket, rows[0, n): merge and store a prefix, then
 * delete its members. The rows consumed, or -1 (the series is skipped). */
static int series(const struct store_ds_cand *rows, int n, int64_t from, const struct scrape_downsample *s,
                  bool *full)
{
	struct chunk ch = { 0 };
	ch.ids = malloc((size_t)FDX_MAX_SELECTION * sizeof(*ch.ids));
	if (!ch.ids)
		return -1;
	struct merge *m = NULL;
	int used = fold(rows, n, &ch, &m);
	int rc = -1;
	if (used >= 0 && ch.n == 0) {
		merge_free(m);
		rc = 0;                     /* every one was deleted meanwhile */
	} else if (used >= 0) {
		rc = put(m, &ch, &rows[0], from, s);
		if (rc == STORE_FULL)
			*full = true;
	}
	if (ch.charged)
		budget_give(ch.charged);
	if (rc == 0 && ch.n) {
		util_test_hold(hold_path, should_stop);
		for (int i = 0; i < ch.n && !should_stop(); i++)
			if (store_delete(ch.ids[i]) < 0)
				break;              /* the next pass's sweep deletes the rest */
	}
	free(ch.ids);
	return rc == 0 ? used : -1;
}

/* Walk the bucket [from, from + step): every series' candidates, a page
 * at a time. false when the walk must end (stopped, lease lost, disk
 * full); *failed when a series was skipped (its candidates stay). */
static bool bucket(const char *job, int64_t from, const struct scrape_downsample *s, bool *failed)
{
	int64_t to = from + (int64_t)s->step_s * 1000000000LL;
	struct store_ds_key cursor = { 0 };
	bool go = true, full = false;
	*failed = false;
	while (go) {
		if (should_stop())
			go = false;
		struct store_ds_page pg;
		if (!go || store_ds_page(job, from, to, &cursor, DOWNSAMPLE_PAGE, &pg) < 0)
			break;
		if (pg.n == 0) {
			store_ds_page_free(&pg);
			break;
		}
		/* a full page's last series may go on in the next page: take it
		 * from its start there, unless it is the only one */
		int groups = pg.full && pg.n_groups > 1 ? pg.n_groups - 1 : pg.n_groups;
		for (int g = 0; g < groups; g++) {
			if (should_stop() || !lease()) {
				go = false;
				break;
			}
			int first = pg.first[g], n = pg.first[g + 1] - first;
			int used = series(&pg.rows[first], n, from, s, &full);
			if (full) {
				go = false;
				break;
			}
			bool open_ended = pg.full && g == pg.n_groups - 1;
			if (used > 0 && (used < n || open_ended))
				break;   /* the rest of this series comes first in the next page */
			if (used < 0)
				*failed = true;
			/* done with it, or it failed: on to the next series */
			if (store_ds_key_copy(&cursor, &pg.keys[g]) < 0) {
				go = false;
				break;
			}
		}
		store_ds_page_free(&pg);
	}
	store_ds_key_free(&cursor);
	if (full)
		util_log("level=warn msg=\"downsample: no room for a merged profile (disk or --max-db-bytes full)\"");
	return go && !full;
}

/* The pass thread's state of job (made when missing); NULL: no memory. */
static struct job_state *state_of(const char *job)
{
	for (int i = 0; i < n_states; i++)
		if (!strcmp(states[i].job, job))
			return &states[i];
	if (n_states == cap_states) {
		int cap = cap_states ? 2 * cap_states : 16;
		struct job_state *ns = realloc(states, (size_t)cap * sizeof(*ns));
		if (!ns)
			return NULL;
		states = ns;
		cap_states = cap;
	}
	struct job_state *st = &states[n_states++];
	snprintf(st->job, sizeof(st->job), "%s", job);
	st->done_until = INT64_MIN;
	return st;
}

/* One job's part of a pass under its settings s: its downsampled
 * profiles past retention, then its complete buckets, oldest first. 0
 * (on to the next job), 1 (the pass must end: stopped, lease lost, disk
 * full) or -1. */
static int job_pass(const char *job, const struct scrape_downsample *s)
{
	if (s->retention_s) {
		int rc = sweep(list_expired, job, util_now_nanos() - (int64_t)s->retention_s * 1000000000LL);
		if (rc < 0)
			return -1;
		atomic_fetch_add(&n_expired, (unsigned long long)rc);
	}
	if (!s->after_s || !s->step_s)
		return 0;
	struct job_state *js = state_of(job);
	if (!js)
		return -1;
	int64_t step = (int64_t)s->step_s * 1000000000LL;
	int64_t cutoff = floor_to(util_now_nanos() - (int64_t)s->after_s * 1000000000LL, step);
	while (!should_stop()) {
		struct store_ds_cand c;
		int rc = store_ds_oldest(job, js->done_until, cutoff, &c);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
		if (!lease())
			return 1;
		int64_t from = floor_to(c.time, step);
		bool failed;
		bool go = bucket(job, from, s, &failed);
		if (failed && (js = state_of(job)) != NULL)
			js->done_until = from + step;   /* what failed waits for the next rescan */
		if (!go)
			return 1;
		if (!js)
			return -1;
	}
	return 1;
}

static int pass(void)
{
	pthread_mutex_lock(&mu);
	struct scrape_downsample base = use_file ? file_set : flags_set;
	int n_js = n_job_set;
	struct job_policy *js = n_js ? malloc((size_t)n_js * sizeof(*js)) : NULL;
	if (js)
		memcpy(js, job_set, (size_t)n_js * sizeof(*js));
	unsigned g = gen;
	pthread_mutex_unlock(&mu);
	if (n_js && !js)
		return -1;
	int rc = sweep(list_merged, NULL, 0);
	unsigned long long before = atomic_load(&n_members);
	double now = util_mono_ms();
	if (now - last_rescan > DOWNSAMPLE_RESCAN_MS || g != states_gen) {
		n_states = 0;   /* every bucket walked again */
		states_gen = g;
		last_rescan = now;
	}
	/* job by job, each under its own policy (the base when it has none) */
	char job[FDX_SCRAPE_MAX_NAME + 1] = "";
	while (rc >= 0 && !should_stop()) {
		char next[sizeof(job)];
		int r = store_ds_next_job(job, next, sizeof(next));
		if (r != 0) {
			if (r < 0)
				rc = -1;
			break;
		}
		memcpy(job, next, sizeof(job));
		struct scrape_downsample s = resolve(&base, own_of(js, n_js, job));
		r = job_pass(job, &s);
		if (r < 0)
			rc = -1;
		if (r != 0)
			break;
	}
	free(js);
	if (rc < 0)
		return -1;
	return (int)(atomic_load(&n_members) - before);
}

int downsample_pass(void)
{
	struct work w;
	work_begin(&w, 0);
	pthread_mutex_lock(&mu);
	current = &w;
	pthread_mutex_unlock(&mu);
	int rc = pass();
	pthread_mutex_lock(&mu);
	current = NULL;
	pthread_mutex_unlock(&mu);
	work_end(&w);
	return rc;
}

static void *loop(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!stop_flag) {
		pthread_mutex_unlock(&mu);
		if (downsample_pass() < 0)
			util_log("level=error msg=\"downsample pass failed\"");
		pthread_mutex_lock(&mu);
		if (stop_flag)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += DOWNSAMPLE_PERIOD_MS / 1000;
		pthread_cond_timedwait(&cv, &mu, &ts);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

int downsample_start(void)
{
	char err[512];
	if (downsample_check(NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "flamedex: %s\n", err);
		return -1;
	}
	pthread_mutex_lock(&mu);
	flags_set.set = cfg.downsample_after_s != 0;
	flags_set.after_s = cfg.downsample_after_s;
	flags_set.step_s = cfg.downsample_step_s ? cfg.downsample_step_s : 3600;
	flags_set.retention_s = cfg.downsample_retention_s;
	stop_flag = false;
	struct scrape_downsample s = use_file ? file_set : flags_set;
	pthread_mutex_unlock(&mu);
	/* the file's settings were checked by scrape_start (downsample_check) */
	const char *h = getenv("FLAMEDEX_TEST_DOWNSAMPLE_HOLD");
	hold_path = h && *h ? h : NULL;
	if (!s.after_s && !cfg.scrape_config[0]) {
		/* no downsampling, and no file to turn it on: only what a crash
		 * left (marked members) goes, once */
		int gone = downsample_pass();
		if (gone < 0)
			util_log("level=error msg=\"downsample: cannot delete merged profiles\"");
		return 0;
	}
	if (util_new_id(holder) < 0) {
		fprintf(stderr, "flamedex: cannot make an id\n");
		return -1;
	}
	if (pthread_create(&th, NULL, loop, NULL) != 0) {
		fprintf(stderr, "flamedex: cannot start downsampling\n");
		return -1;
	}
	th_on = true;
	util_log("level=info msg=downsample after_s=%u step_s=%u retention_s=%u source=%s jobs_own=%d", s.after_s,
	         s.step_s, s.retention_s, use_file ? "config" : s.after_s ? "flags" : "none", n_job_set);
	return 0;
}

void downsample_stop(void)
{
	if (!th_on)
		return;
	pthread_mutex_lock(&mu);
	stop_flag = true;
	if (current)
		work_stop(current, WORK_SHUTDOWN);
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(th, NULL);
	th_on = false;
	if (lease_until)
		store_lock_drop("downsample", holder);
	lease_until = 0;
	free(states);
	states = NULL;
	n_states = cap_states = 0;
}

/* ---- reading -------------------------------------------------------------- */

static unsigned long long saved(void)
{
	unsigned long long in = atomic_load(&bytes_in), out = atomic_load(&bytes_out);
	return in > out ? in - out : 0;
}

void downsample_json(struct json *j)
{
	pthread_mutex_lock(&mu);
	struct scrape_downsample s = use_file ? file_set : flags_set;
	bool file = use_file;
	int n_js = n_job_set;
	struct job_policy *js = n_js ? malloc((size_t)n_js * sizeof(*js)) : NULL;
	if (js)
		memcpy(js, job_set, (size_t)n_js * sizeof(*js));
	else
		n_js = 0;
	pthread_mutex_unlock(&mu);
	json_obj_begin(j);
	json_key(j, "after_seconds");
	json_uint(j, s.after_s);
	json_key(j, "step_seconds");
	json_uint(j, s.after_s ? s.step_s : 0);
	json_key(j, "retention_seconds");
	json_uint(j, s.retention_s);
	json_key(j, "source");
	if (s.after_s)
		json_str(j, file ? "config" : "flags");
	else
		json_null(j);
	json_key(j, "merged");
	json_uint(j, atomic_load(&n_merged));
	json_key(j, "downsampled");
	json_uint(j, atomic_load(&n_members));
	json_key(j, "saved_bytes");
	json_uint(j, saved());
	json_key(j, "expired");
	json_uint(j, atomic_load(&n_expired));
	/* the jobs with their own policy: what it comes to */
	json_key(j, "jobs");
	json_arr_begin(j);
	for (int i = 0; i < n_js; i++) {
		struct scrape_downsample r = resolve(&s, &js[i].own);
		json_obj_begin(j);
		json_key(j, "job");
		json_str(j, js[i].job);
		json_key(j, "enabled");
		json_bool(j, r.after_s != 0);
		json_key(j, "after_seconds");
		json_uint(j, r.after_s);
		json_key(j, "step_seconds");
		json_uint(j, r.after_s ? r.step_s : 0);
		json_key(j, "retention_seconds");
		json_uint(j, r.retention_s);
		json_obj_end(j);
	}
	json_arr_end(j);
	free(js);
	json_obj_end(j);
}

void downsample_metrics(struct buf *out)
{
	buf_printf(out,
	           "# HELP flamedex_downsampled_total Scraped profiles merged into downsampled ones.\n"
	           "# TYPE flamedex_downsampled_total counter\n"
	           "flamedex_downsampled_total %llu\n"
	           "# HELP flamedex_downsample_merged_total Downsampled profiles stored.\n"
	           "# TYPE flamedex_downsample_merged_total counter\n"
	           "flamedex_downsample_merged_total %llu\n"
	           "# HELP flamedex_downsample_input_bytes_total Bytes of the scraped profiles merged.\n"
	           "# TYPE flamedex_downsample_input_bytes_total counter\n"
	           "flamedex_downsample_input_bytes_total %llu\n"
	           "# HELP flamedex_downsample_output_bytes_total Bytes of the downsampled profiles stored.\n"
	           "# TYPE flamedex_downsample_output_bytes_total counter\n"
	           "flamedex_downsample_output_bytes_total %llu\n"
	           "# HELP flamedex_downsample_saved_bytes_total Input bytes less output bytes.\n"
	           "# TYPE flamedex_downsample_saved_bytes_total counter\n"
	           "flamedex_downsample_saved_bytes_total %llu\n"
	           "# HELP flamedex_downsample_expired_total Downsampled profiles deleted by --downsample-retention.\n"
	           "# TYPE flamedex_downsample_expired_total counter\n"
	           "flamedex_downsample_expired_total %llu\n",
	           atomic_load(&n_members), atomic_load(&n_merged), atomic_load(&bytes_in), atomic_load(&bytes_out),
	           saved(), atomic_load(&n_expired));
}
