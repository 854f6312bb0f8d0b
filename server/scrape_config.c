/*
 * scrape_config.c: the --config YAML file (see scrape_config.h).
 *
 * libyaml loads the file into a document (its node tree); the text is
 * first scanned for aliases, which are refused (an alias repeated makes a
 * small file describe a huge tree). The walk below knows the schema: each
 * mapping has a table of keys, and anything else is an error naming the
 * key and its line.
 */
#include "scrape_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct ctx {
	yaml_document_t *doc;
	char *err;
	size_t cap;
	struct scrape_config *c;
};

__attribute__((format(printf, 3, 4))) static int fail(struct ctx *x, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		snprintf(x->err, x->cap, "line %zu: %s", (size_t)n->start_mark.line + 1, msg);
	else
		snprintf(x->err, x->cap, "%s", msg);
	return -1;
}

static yaml_node_t *node(struct ctx *x, int id)
{
	return yaml_document_get_node(x->doc, id);
}

static const char *type_name(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ? "a scalar" : n->type == YAML_SEQUENCE_NODE ? "a list" : "a mapping";
}

/* A scalar's text, NUL-terminated into out (cap bytes); what names it in
 * messages is what. */
static int scalar(struct ctx *x, const yaml_node_t *n, const char *what, char *out, size_t cap)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(x, n, "%s must be a scalar, not %s", what, type_name(n));
	size_t len = n->data.scalar.length;
	if (memchr(n->data.scalar.value, 0, len))
		return fail(x, n, "%s contains a NUL byte", what);
	if (len >= cap)
		return fail(x, n, "%s is longer than %zu bytes", what, cap - 1);
	memcpy(out, n->data.scalar.value, len);
	out[len] = '\0';
	return 0;
}

static int boolean(struct ctx *x, const yaml_node_t *n, const char *what, bool *out)
{
	char s[8];
	if (scalar(x, n, what, s, sizeof(s)) < 0)
		return fail(x, n, "%s must be true or false", what);
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		*out = false;
	else
		return fail(x, n, "%s must be true or false, not \"%s\"", what, s);
	return 0;
}

int scrape_config_duration(const char *s, uint64_t *ms)
{
	static const struct { const char *u; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 }, { "w", 7 * 86400000ULL }, { "y", 365 * 86400000ULL },
	};
	const uint64_t max = 10 * 366 * 86400000ULL;
	uint64_t total = 0;
	if (!*s)
		return -1;
	if (!strcmp(s, "0"))
		return *ms = 0, 0;
	while (*s) {
		if (*s < '0' || *s > '9')
			return -1;
		uint64_t v = 0;
		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > max)
				return -1;
			s++;
		}
		size_t best = 0, which = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].u);
			if (!strncmp(s, units[i].u, l) && l > best)
				best = l, which = i;
		}
		if (!best)
			return -1;
		s += best;
		total += v * units[which].ms;
		if (total > max)
			return -1;
	}
	*ms = total;
	return 0;
}

static int duration(struct ctx *x, const yaml_node_t *n, const char *what, unsigned *ms)
{
	char s[64];
	uint64_t v;
	if (scalar(x, n, what, s, sizeof(s)) < 0)
		return -1;
	if (scrape_config_duration(s, &v) < 0)
		return fail(x, n, "%s: \"%s\" is not a duration (like 500ms, 10s, 1m30s, 2h, 7d)", what, s);
	if (v < FDX_SCRAPE_MIN_INTERVAL_MS)
		return fail(x, n, "%s: %s is shorter than the shortest allowed, %us", what, s,
		            FDX_SCRAPE_MIN_INTERVAL_MS / 1000);
	if (v > 86400000ULL)
		return fail(x, n, "%s: %s is longer than a day", what, s);
	*ms = (unsigned)v;
	return 0;
}

/* Look a mapping key up in names (NULL-terminated); its index, or an
 * "unknown key" error. seen catches duplicates. */
static int key_index(struct ctx *x, const yaml_node_t *k, const char *const *names, const char *where,
                     unsigned *seen)
{
	char s[FDX_SCRAPE_MAX_NAME + 1];
	if (k->type != YAML_SCALAR_NODE)
		return fail(x, k, "a key in %s must be a scalar, not %s", where, type_name(k));
	if (scalar(x, k, "a key", s, sizeof(s)) < 0) {
		snprintf(x->err, x->cap, "line %zu: unknown key in %s (too long)", (size_t)k->start_mark.line + 1, where);
		return -1;
	}
	for (int i = 0; names[i]; i++) {
		if (!strcmp(s, names[i])) {
			if (*seen & (1u << i))
				return fail(x, k, "key \"%s\" appears twice in %s", s, where);
			*seen |= 1u << i;
			return i;
		}
	}
	return fail(x, k, "unknown key \"%s\" in %s (docs/SCRAPE.md lists the supported keys)", s, where);
}

static bool name_ok(const char *s, const char *extra)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr(extra, c)))
			return false;
	}
	return true;
}

static bool label_key_ok(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* host:port, host a name, an IPv4 address or [IPv6]. */
static bool target_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s)
		return false;
	if (s[0] == '[') {
		if (colon[-1] != ']' || colon - s < 3)
			return false;
		for (const char *p = s + 1; p < colon - 1; p++)
			if (!strchr("0123456789abcdefABCDEF:.", *p))
				return false;
	} else {
		for (const char *p = s; p < colon; p++) {
			unsigned char c = (unsigned char)*p;
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			      c == '-' || c == '_'))
				return false;
		}
	}
	const char *p = colon + 1;
	if (!*p || strlen(p) > 5)
		return false;
	long port = 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		port = port * 10 + (*p - '0');
	}
	return port >= 1 && port <= 65535;
}

/* ---- profiles ---------------------------------------------------------- */

struct known_profile {
	const char *name, *path;
	bool enabled, cpu, delta;
};
/* Parca's defaults, with memory read from the heap profile. */
static const struct known_profile known[] = {
	{ "process_cpu", "/debug/pprof/profile", true, true, false },
	{ "memory", "/debug/pprof/heap", true, false, false },
	{ "goroutine", "/debug/pprof/goroutine", true, false, false },
	{ "mutex", "/debug/pprof/mutex", true, false, true },
	{ "block", "/debug/pprof/block", true, false, true },
	{ "allocs", "/debug/pprof/allocs", false, false, true },
	{ "threadcreate", "/debug/pprof/threadcreate", false, false, false },
	{ "goroutineleak", "/debug/pprof/goroutineleak", false, false, false },
};
#define N_KNOWN (int)(sizeof(known) / sizeof(known[0]))

struct pending_profile {
	struct scrape_profile p;
	bool enabled;
	bool has_seconds;
	const yaml_node_t *at;
};

static int path_check(struct ctx *x, const yaml_node_t *n, const char *path)
{
	if (path[0] != '/')
		return fail(x, n, "path \"%s\" must start with /", path);
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '?' || *p == '#' || *p == 0x7f)
			return fail(x, n, "path \"%s\" may not hold spaces, control characters, ? or #", path);
	return 0;
}

static int parse_pprof_config(struct ctx *x, const yaml_node_t *m, struct pending_profile *pp, int *n_pp)
{
	if (m->type != YAML_MAPPING_NODE)
		return fail(x, m, "pprof_config must be a mapping of profile names, not %s", type_name(m));
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node(x, pr->key), *v = node(x, pr->value);
		char name[FDX_SCRAPE_MAX_NAME + 1];
		if (scalar(x, k, "a profile name", name, sizeof(name)) < 0)
			return -1;
		if (!name_ok(name, "_"))
			return fail(x, k, "profile name \"%s\" must be lower-case letters, digits and _", name);
		int at = -1;
		for (int i = 0; i < *n_pp; i++)
			if (!strcmp(pp[i].p.name, name))
				at = i;
		if (at >= 0 && pp[at].at)
			return fail(x, k, "profile \"%s\" appears twice in pprof_config", name);
		if (at < 0) {
			if (*n_pp >= FDX_SCRAPE_MAX_PROFILES)
				return fail(x, k, "more than %d profiles in a job", FDX_SCRAPE_MAX_PROFILES);
			at = (*n_pp)++;
			memset(&pp[at], 0, sizeof(pp[at]));
			snprintf(pp[at].p.name, sizeof(pp[at].p.name), "%s", name);
		}
		struct pending_profile *q = &pp[at];
		q->at = k;
		q->enabled = true;   /* listed: wanted, unless enabled: false says otherwise */
		if (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0)
			continue;   /* "goroutine:" alone: the defaults */
		if (v->type != YAML_MAPPING_NODE)
			return fail(x, v, "pprof_config.%s must be a mapping, not %s", name, type_name(v));
		static const char *const keys[] = { "enabled", "path", "delta", "seconds", NULL };
		unsigned seen = 0;
		char where[96];
		snprintf(where, sizeof(where), "pprof_config.%s", name);
		for (yaml_node_pair_t *p2 = v->data.mapping.pairs.start; p2 < v->data.mapping.pairs.top; p2++) {
			yaml_node_t *k2 = node(x, p2->key), *v2 = node(x, p2->value);
			int ki = key_index(x, k2, keys, where, &seen);
			if (ki < 0)
				return -1;
			if (ki == 0 && boolean(x, v2, "enabled", &q->enabled) < 0)
				return -1;
			if (ki == 1) {
				if (scalar(x, v2, "path", q->p.path, sizeof(q->p.path)) < 0 || path_check(x, v2, q->p.path) < 0)
					return -1;
			}
			if (ki == 2 && boolean(x, v2, "delta", &q->p.delta) < 0)
				return -1;
			if (ki == 3) {
				char s[16];
				if (scalar(x, v2, "seconds", s, sizeof(s)) < 0)
					return -1;
				char *end;
				errno = 0;
				unsigned long sec = strtoul(s, &end, 10);
				if (errno || end == s || *end || s[0] == '-' || sec < 1 || sec > 3600)
					return fail(x, v2, "seconds must be a whole number from 1 to 3600, not \"%s\"", s);
				q->p.seconds = (unsigned)sec;
				q->has_seconds = true;
			}
		}
	}
	return 0;
}

/* ---- jobs -------------------------------------------------------------- */

static int parse_labels(struct ctx *x, const yaml_node_t *m, struct scrape_label *out, int *n)
{
	if (m->type != YAML_MAPPING_NODE)
		return fail(x, m, "labels must be a mapping, not %s", type_name(m));
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node(x, pr->key), *v = node(x, pr->value);
		if (*n >= (int)FDX_MAX_PROFILE_LABELS - 2)
			return fail(x, k, "more than %u labels", FDX_MAX_PROFILE_LABELS - 2);
		struct scrape_label *l = &out[*n];
		if (scalar(x, k, "a label name", l->key, sizeof(l->key)) < 0)
			return -1;
		if (!label_key_ok(l->key))
			return fail(x, k, "label name \"%s\" must be letters, digits and _, not starting with a digit", l->key);
		if (!strcmp(l->key, "job") || !strcmp(l->key, "instance") || !strcmp(l->key, "downsampled"))
			return fail(x, k, "label \"%s\" is set by %s and may not be configured", l->key,
			            l->key[0] == 'd' ? "downsampling" : "the scraper");
		for (int i = 0; i < *n; i++)
			if (!strcmp(out[i].key, l->key))
				return fail(x, k, "label \"%s\" appears twice", l->key);
		if (scalar(x, v, "a label value", l->value, sizeof(l->value)) < 0)
			return -1;
		if (!l->value[0])
			return fail(x, v, "label \"%s\" has an empty value", l->key);
		for (const char *p = l->value; *p; p++)
			if ((unsigned char)*p < ' ' || *p == 0x7f)
				return fail(x, v, "label \"%s\" holds a control character", l->key);
		(*n)++;
	}
	return 0;
}

static int add_targets(struct ctx *x, struct scrape_job *j, const yaml_node_t *sc)
{
	if (sc->type != YAML_MAPPING_NODE)
		return fail(x, sc, "an entry of static_configs must be a mapping, not %s", type_name(sc));
	static const char *const keys[] = { "targets", "labels", NULL };
	unsigned seen = 0;
	const yaml_node_t *targets = NULL;
	struct scrape_label labels[FDX_MAX_PROFILE_LABELS];
	int n_labels = 0;
	for (yaml_node_pair_t *pr = sc->data.mapping.pairs.start; pr < sc->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node(x, pr->key), *v = node(x, pr->value);
		int ki = key_index(x, k, keys, "static_configs", &seen);
		if (ki < 0)
			return -1;
		if (ki == 0)
			targets = v;
		if (ki == 1 && parse_labels(x, v, labels, &n_labels) < 0)
			return -1;
	}
	if (!targets)
		return fail(x, sc, "an entry of static_configs has no targets");
	if (targets->type != YAML_SEQUENCE_NODE)
		return fail(x, targets, "targets must be a list of host:port, not %s", type_name(targets));
	for (yaml_node_item_t *it = targets->data.sequence.items.start; it < targets->data.sequence.items.top; it++) {
		yaml_node_t *t = node(x, *it);
		if (x->c->n_targets >= FDX_SCRAPE_MAX_TARGETS)
			return fail(x, t, "more than %d targets", FDX_SCRAPE_MAX_TARGETS);
		char host[FDX_SCRAPE_MAX_HOST + 1];
		if (scalar(x, t, "a target", host, sizeof(host)) < 0)
			return -1;
		if (!target_ok(host))
			return fail(x, t, "target \"%s\" is not host:port (a port from 1 to 65535, no scheme or path)", host);
		for (int i = 0; i < j->n_targets; i++)
			if (!strcmp(j->targets[i].host, host))
				return fail(x, t, "target \"%s\" appears twice in job \"%s\"", host, j->name);
		struct scrape_target *nt = realloc(j->targets, (size_t)(j->n_targets + 1) * sizeof(*nt));
		if (!nt)
			return fail(x, t, "out of memory");
		j->targets = nt;
		struct scrape_target *tg = &nt[j->n_targets];
		memset(tg, 0, sizeof(*tg));
		snprintf(tg->host, sizeof(tg->host), "%s", host);
		if (n_labels) {
			tg->labels = malloc((size_t)n_labels * sizeof(*tg->labels));
			if (!tg->labels)
				return fail(x, t, "out of memory");
			memcpy(tg->labels, labels, (size_t)n_labels * sizeof(*tg->labels));
			tg->n_labels = n_labels;
		}
		j->n_targets++;
		x->c->n_targets++;
	}
	return 0;
}

static int parse_downsample(struct ctx *x, const yaml_node_t *m, struct scrape_downsample *d, const char *job);

static int parse_job(struct ctx *x, const yaml_node_t *m, struct scrape_job *j)
{
	if (m->type != YAML_MAPPING_NODE)
		return fail(x, m, "an entry of scrape_configs must be a mapping, not %s", type_name(m));
	static const char *const keys[] = { "job_name", "scrape_interval", "scrape_timeout", "scheme",
	                                    "static_configs", "profiling_config", "downsample", "keep_raw", NULL };
	unsigned seen = 0;
	j->keep_raw = true;
	const yaml_node_t *statics = NULL, *prof = NULL, *timeout = NULL, *scheme_at = NULL, *ds = NULL;
	snprintf(j->scheme, sizeof(j->scheme), "http");
	j->interval_ms = 10000;
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node(x, pr->key), *v = node(x, pr->value);
		int ki = key_index(x, k, keys, "a scrape config", &seen);
		if (ki < 0)
			return -1;
		switch (ki) {
		case 0:
			if (scalar(x, v, "job_name", j->name, sizeof(j->name)) < 0)
				return -1;
			if (!name_ok(j->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.-"))
				return fail(x, v, "job_name \"%s\" must be letters, digits, _ . and -", j->name);
			break;
		case 1:
			if (duration(x, v, "scrape_interval", &j->interval_ms) < 0)
				return -1;
			break;
		case 2:
			timeout = v;
			break;
		case 3:
			if (scalar(x, v, "scheme", j->scheme, sizeof(j->scheme)) < 0)
				return -1;
			scheme_at = v;
			break;
		case 4:
			statics = v;
			break;
		case 5:
			prof = v;
			break;
		case 6:
			ds = v;   /* after the loop: its messages name the job */
			break;
		default:
			if (boolean(x, v, "keep_raw", &j->keep_raw) < 0)
				return -1;
			break;
		}
	}
	if (!j->name[0])
		return fail(x, m, "a scrape config has no job_name");
	if (ds && parse_downsample(x, ds, &j->downsample, j->name) < 0)
		return -1;
	if (scheme_at && strcmp(j->scheme, "http") && strcmp(j->scheme, "https"))
		return fail(x, scheme_at, "scheme must be http or https, not \"%s\"", j->scheme);
	j->timeout_ms = j->interval_ms;
	if (timeout && duration(x, timeout, "scrape_timeout", &j->timeout_ms) < 0)
		return -1;

	/* profiles: the known ones with their defaults, then what the file says */
	struct pending_profile pp[FDX_SCRAPE_MAX_PROFILES];
	int n_pp = 0;
	for (int i = 0; i < N_KNOWN; i++) {
		memset(&pp[n_pp], 0, sizeof(pp[n_pp]));
		snprintf(pp[n_pp].p.name, sizeof(pp[n_pp].p.name), "%s", known[i].name);
		snprintf(pp[n_pp].p.path, sizeof(pp[n_pp].p.path), "%s", known[i].path);
		pp[n_pp].enabled = known[i].enabled;
		pp[n_pp].p.cpu = known[i].cpu;
		pp[n_pp].p.delta = known[i].delta;
		n_pp++;
	}
	if (prof) {
		if (prof->type != YAML_MAPPING_NODE)
			return fail(x, prof, "profiling_config must be a mapping, not %s", type_name(prof));
		static const char *const pkeys[] = { "pprof_config", "path_prefix", NULL };
		unsigned pseen = 0;
		char prefix[FDX_SCRAPE_MAX_PATH + 1] = "";
		const yaml_node_t *prefix_at = NULL;
		for (yaml_node_pair_t *pr = prof->data.mapping.pairs.start; pr < prof->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = node(x, pr->key), *v = node(x, pr->value);
			int ki = key_index(x, k, pkeys, "profiling_config", &pseen);
			if (ki < 0)
				return -1;
			if (ki == 0 && parse_pprof_config(x, v, pp, &n_pp) < 0)
				return -1;
			if (ki == 1) {
				if (scalar(x, v, "path_prefix", prefix, sizeof(prefix)) < 0 || path_check(x, v, prefix) < 0)
					return -1;
				prefix_at = v;
			}
		}
		if (prefix_at) {
			size_t pl = strlen(prefix);
			while (pl > 0 && prefix[pl - 1] == '/')
				prefix[--pl] = '\0';
			for (int i = 0; i < n_pp; i++) {
				char joined[2 * FDX_SCRAPE_MAX_PATH + 2];
				snprintf(joined, sizeof(joined), "%s%s", prefix, pp[i].p.path);
				if (strlen(joined) > FDX_SCRAPE_MAX_PATH)
					return fail(x, prefix_at, "path_prefix makes a path longer than %d bytes",
					            FDX_SCRAPE_MAX_PATH);
				memcpy(pp[i].p.path, joined, strlen(joined) + 1);
			}
		}
	}
	for (int i = 0; i < n_pp; i++) {
		struct pending_profile *q = &pp[i];
		if (!q->enabled)
			continue;
		if (!q->p.path[0])
			return fail(x, q->at, "profile \"%s\" is not one flamedex knows: give its path", q->p.name);
		if (q->p.cpu || q->p.delta) {
			if (!q->has_seconds) {
				unsigned s = j->interval_ms / 1000;
				q->p.seconds = s > 1 ? s - 1 : 1;
			} else if (q->p.seconds * 1000ULL > j->interval_ms) {
				return fail(x, q->at, "profile \"%s\": seconds %u is longer than scrape_interval", q->p.name,
				            q->p.seconds);
			}
		} else if (q->has_seconds) {
			return fail(x, q->at, "profile \"%s\": seconds applies only to process_cpu and delta profiles",
			            q->p.name);
		}
		j->profiles[j->n_profiles++] = q->p;
	}
	if (j->n_profiles == 0)
		return fail(x, m, "job \"%s\" has no enabled profile", j->name);
	if (statics) {
		if (statics->type != YAML_SEQUENCE_NODE)
			return fail(x, statics, "static_configs must be a list, not %s", type_name(statics));
		for (yaml_node_item_t *it = statics->data.sequence.items.start; it < statics->data.sequence.items.top;
		     it++)
			if (add_targets(x, j, node(x, *it)) < 0)
				return -1;
	}
	return 0;
}

/* A duration in whole seconds, at least min_s, at most max_s (0 allowed
 * when zero_ok). */
static int seconds(struct ctx *x, const yaml_node_t *n, const char *what, unsigned min_s, unsigned max_s,
                   bool zero_ok, unsigned *out)
{
	char s[64];
	uint64_t ms;
	if (scalar(x, n, what, s, sizeof(s)) < 0)
		return -1;
	if (scrape_config_duration(s, &ms) < 0 || ms % 1000)
		return fail(x, n, "%s: \"%s\" is not a duration in whole seconds (like 30s, 1h, 24h, 7d)", what, s);
	if (ms == 0 && zero_ok) {
		*out = 0;
		return 0;
	}
	if (ms < min_s * 1000ULL || ms > max_s * 1000ULL)
		return fail(x, n, "%s: %s is out of range (%us to %us)", what, s, min_s, max_s);
	*out = (unsigned)(ms / 1000);
	return 0;
}

/* downsample: {after, step, retention} (downsample.h): the top level's
 * (job NULL) or a job's own (every key optional, and enabled). */
static int parse_downsample(struct ctx *x, const yaml_node_t *m, struct scrape_downsample *d, const char *job)
{
	char what[FDX_SCRAPE_MAX_NAME + 48];
	if (job)
		snprintf(what, sizeof(what), "job \"%s\": downsample", job);
	else
		snprintf(what, sizeof(what), "downsample");
	if (m->type != YAML_MAPPING_NODE)
		return fail(x, m, "%s must be a mapping with after and step, not %s", what, type_name(m));
	static const char *const keys[] = { "after", "step", "retention", "enabled", NULL };
	unsigned seen = 0;
	memset(d, 0, sizeof(*d));
	d->line = (unsigned)m->start_mark.line + 1;
	d->step_s = 3600;
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node(x, pr->key), *v = node(x, pr->value);
		int ki = key_index(x, k, keys, what, &seen);
		if (ki < 0)
			return -1;
		char name[sizeof(what) + 16];
		snprintf(name, sizeof(name), "%s.%s", what, keys[ki]);
		if (ki == 0 && seconds(x, v, name, 1, FDX_DOWNSAMPLE_MAX_AGE_S, false, &d->after_s) < 0)
			return -1;
		if (ki == 1 && seconds(x, v, name, 1, FDX_DOWNSAMPLE_MAX_STEP_S, false, &d->step_s) < 0)
			return -1;
		if (ki == 2 && seconds(x, v, name, 1, FDX_DOWNSAMPLE_MAX_AGE_S, true, &d->retention_s) < 0)
			return -1;
		if (ki == 3) {
			if (!job)
				return fail(x, k, "downsample.enabled is for a job's own downsample (leave downsample out "
				                  "to turn it off)");
			bool on;
			if (boolean(x, v, name, &on) < 0)
				return -1;
			d->off = !on;
		}
	}
	d->given = seen & 7u;
	d->set = true;
	if (job)
		return 0;   /* checked with what it overrides (downsample_check) */
	if (!(seen & 1))
		return fail(x, m, "downsample needs after (how old a scraped profile is before it is merged)");
	if (d->retention_s && d->retention_s <= d->after_s)
		return fail(x, m, "downsample.retention must be longer than downsample.after");
	return 0;
}

static int parse_root(struct ctx *x, const yaml_node_t *root)
{
	if (!root || (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0))
		return 0;   /* an empty file: nothing to scrape */
	if (root->type != YAML_MAPPING_NODE)
		return fail(x, root, "the configuration must be a mapping with scrape_configs, not %s", type_name(root));
	static const char *const keys[] = { "scrape_configs", "object_storage", "downsample", NULL };
	unsigned seen = 0;
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node(x, pr->key), *v = node(x, pr->value);
		int ki = key_index(x, k, keys, "the configuration", &seen);
		if (ki < 0)
			return -1;
		if (ki == 1)
			continue;   /* Parca's storage: not ours, ignored */
		if (ki == 2) {
			if (parse_downsample(x, v, &x->c->downsample, NULL) < 0)
				return -1;
			continue;
		}
		if (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0)
			continue;
		if (v->type != YAML_SEQUENCE_NODE)
			return fail(x, v, "scrape_configs must be a list, not %s", type_name(v));
		for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
			yaml_node_t *jn = node(x, *it);
			if (x->c->n_jobs >= FDX_SCRAPE_MAX_JOBS)
				return fail(x, jn, "more than %d jobs", FDX_SCRAPE_MAX_JOBS);
			struct scrape_job *nj = realloc(x->c->jobs, (size_t)(x->c->n_jobs + 1) * sizeof(*nj));
			if (!nj)
				return fail(x, jn, "out of memory");
			x->c->jobs = nj;
			struct scrape_job *j = &nj[x->c->n_jobs++];
			memset(j, 0, sizeof(*j));
			if (parse_job(x, jn, j) < 0)
				return -1;
			for (int i = 0; i < x->c->n_jobs - 1; i++)
				if (!strcmp(nj[i].name, j->name))
					return fail(x, jn, "job_name \"%s\" appears twice", j->name);
		}
	}
	return 0;
}

/* Flow collections ([ and {) nested deeper than this are refused before
 * libyaml sees them: its scanner is quadratic in unclosed ones (50000 take
 * seconds). Quotes and comments are skipped; a bracket inside a plain
 * scalar counts, which only matters past this depth. */
#define MAX_FLOW_DEPTH 64

static int depth_check(const char *t, size_t n, char *err, size_t cap)
{
	int depth = 0;
	size_t line = 1;
	char quote = 0;
	bool comment = false;
	for (size_t i = 0; i < n; i++) {
		char ch = t[i];
		if (ch == '\n') {
			line++;
			comment = false;
			continue;
		}
		if (comment)
			continue;
		if (quote) {
			if (quote == '"' && ch == '\\' && i + 1 < n)
				i++;
			else if (ch == quote)
				quote = 0;
			continue;
		}
		if (ch == '#' && (i == 0 || t[i - 1] == ' ' || t[i - 1] == '\t' || t[i - 1] == '\n'))
			comment = true;
		else if (ch == '"' || ch == '\'')
			quote = ch;
		else if (ch == '[' || ch == '{') {
			if (++depth > MAX_FLOW_DEPTH) {
				snprintf(err, cap, "line %zu: [ ] and { } nested deeper than %d", line, MAX_FLOW_DEPTH);
				return -1;
			}
		} else if ((ch == ']' || ch == '}') && depth > 0)
			depth--;
	}
	return 0;
}

/* Refuse aliases and more than one document, before loading. */
static int prescan(const char *text, size_t n, char *err, size_t cap)
{
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, n);
	int rc = 0, docs = 0;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			snprintf(err, cap, "line %zu: YAML syntax: %s", (size_t)p.problem_mark.line + 1,
			         p.problem ? p.problem : "error");
			rc = -1;
			break;
		}
		yaml_event_type_t t = ev.type;
		size_t line = ev.start_mark.line + 1;
		yaml_event_delete(&ev);
		if (t == YAML_ALIAS_EVENT) {
			snprintf(err, cap, "line %zu: YAML aliases (*name) are not supported", line);
			rc = -1;
			break;
		}
		if (t == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			snprintf(err, cap, "line %zu: more than one YAML document", line);
			rc = -1;
			break;
		}
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	return rc;
}

int scrape_config_parse(const char *text, size_t n, struct scrape_config **out, char *err, size_t cap)
{
	*out = NULL;
	err[0] = '\0';
	if (n > FDX_SCRAPE_MAX_CONFIG_BYTES) {
		snprintf(err, cap, "the configuration is larger than %u bytes", FDX_SCRAPE_MAX_CONFIG_BYTES);
		return -1;
	}
	if (depth_check(text, n, err, cap) < 0 || prescan(text, n, err, cap) < 0)
		return -1;
	yaml_parser_t p;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&p)) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, n);
	if (!yaml_parser_load(&p, &doc)) {
		snprintf(err, cap, "line %zu: YAML syntax: %s", (size_t)p.problem_mark.line + 1,
		         p.problem ? p.problem : "error");
		yaml_parser_delete(&p);
		return -1;
	}
	struct scrape_config *c = calloc(1, sizeof(*c));
	struct ctx x = { .doc = &doc, .err = err, .cap = cap, .c = c };
	int rc = c ? parse_root(&x, yaml_document_get_root_node(&doc)) : -1;
	if (!c)
		snprintf(err, cap, "out of memory");
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	if (rc < 0) {
		scrape_config_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

int scrape_config_load(const char *path, struct scrape_config **out, char *err, size_t cap)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, cap, "cannot open: %s", strerror(errno));
		return -1;
	}
	char *text = malloc(FDX_SCRAPE_MAX_CONFIG_BYTES + 1);
	if (!text) {
		fclose(f);
		snprintf(err, cap, "out of memory");
		return -1;
	}
	size_t n = fread(text, 1, FDX_SCRAPE_MAX_CONFIG_BYTES + 1, f);
	int bad = ferror(f);
	fclose(f);
	int rc;
	if (bad) {
		snprintf(err, cap, "cannot read: %s", strerror(errno));
		rc = -1;
	} else {
		rc = scrape_config_parse(text, n, out, err, cap);
	}
	free(text);
	return rc;
}

void scrape_config_free(struct scrape_config *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n_jobs; i++) {
		for (int t = 0; t < c->jobs[i].n_targets; t++)
			free(c->jobs[i].targets[t].labels);
		free(c->jobs[i].targets);
	}
	free(c->jobs);
	free(c);
}
