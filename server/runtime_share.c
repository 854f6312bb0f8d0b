/*
 * runtime_share.c: the runtime categories of a profile's samples (see
 * runtime_share.h; docs/RUNTIME.md is the table below in prose).
 *
 * Each frame's function name is matched against the rules once per
 * distinct name; the category bits are pushed down the location trie in
 * one pass (a node has the bits of every frame at and above it), so a
 * sample's category is the highest-precedence bit of its node.
 */
#include "runtime_share.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* versions: where the name was checked. "1.19": in Go 1.19.8's runtime
 * source (most also in its profiles, tests/data/runtime); later releases
 * keep it unless a row with their own name replaces it. "1.23+" and the
 * like: a later release's name, from that release's source; "<=1.18": an
 * older release's name, for old profiles. docs/RUNTIME.md is this table
 * in prose. */
static const struct runtime_share_rule rules[] = {
	/* ---- GC work ---------------------------------------------------- */
	/* background mark workers: gcBgMarkWorker, its closures, gcBgMarkStartWorkers, gcBgMarkPrepare */
	{ "runtime.gcBgMark", true, RUNTIME_SHARE_GC, "1.19" },
	/* gcDrain, gcDrainN; after 1.19 also gcDrainMarkWorkerIdle/Dedicated/Fractional */
	{ "runtime.gcDrain", true, RUNTIME_SHARE_GC, "1.19" },
	/* mark assists of allocating goroutines: gcAssistAlloc, gcAssistAlloc1, closures */
	{ "runtime.gcAssistAlloc", true, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.gcParkAssist", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.gcFlushBgCredit", false, RUNTIME_SHARE_GC, "1.19" },
	/* gcMark, gcMarkDone, gcMarkTermination, gcMarkRootPrepare, gcMarkTinyAllocs, ... */
	{ "runtime.gcMark", true, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.gcStart", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.gcSweep", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.gcResetMarkState", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.gcWaitOnMark", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.GC", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.gcstopm", false, RUNTIME_SHARE_GC, "1.19" },
	/* stopping and starting the world (for a GC, or ReadMemStats and the like) */
	{ "runtime.stopTheWorldWithSema", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.startTheWorldWithSema", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.stopTheWorldGC", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.startTheWorldGC", false, RUNTIME_SHARE_GC, "1.19" },
	/* roots and objects */
	{ "runtime.markroot", true, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.scanstack", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.scanframeworker", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.scanblock", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.scanobject", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.scanConservative", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.greyobject", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.shade", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.gcmarknewobject", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.(*gcWork).", true, RUNTIME_SHARE_GC, "1.19" },
	/* write barriers: gcWriteBarrier{,CX,DX,...} to 1.20, gcWriteBarrier1..8 from 1.21 */
	{ "runtime.gcWriteBarrier", true, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.wbBufFlush", true, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.(*wbBuf).", true, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.bulkBarrierPreWrite", true, RUNTIME_SHARE_GC, "1.19" },
	/* sweeping */
	{ "runtime.bgsweep", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.sweepone", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.(*sweepLocked).", true, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.(*mspan).sweep", false, RUNTIME_SHARE_GC, "<=1.16" },
	{ "runtime.(*mspan).ensureSwept", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.(*activeSweep).", true, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.deductSweepCredit", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.finishsweep_m", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.(*mheap).reclaim", true, RUNTIME_SHARE_GC, "1.19" },
	/* scavenging (returning memory to the OS) */
	{ "runtime.bgscavenge", false, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.(*scavengerState).", true, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.(*pageAlloc).scavenge", true, RUNTIME_SHARE_GC, "1.19" },
	{ "runtime.(*mheap).scavenge", true, RUNTIME_SHARE_GC, "1.19" },
	/* the profiler's stand-in when a GC stack could not be walked */
	{ "runtime._GC", false, RUNTIME_SHARE_GC, "1.19" },

	/* ---- allocation ------------------------------------------------- */
	/* mallocgc; from 1.24 also mallocgcTiny, mallocgcSmallNoscan, mallocgcLarge, ... */
	{ "runtime.mallocgc", true, RUNTIME_SHARE_ALLOC, "1.19" },

	/* ---- system calls and cgo --------------------------------------- */
	{ "syscall.", true, RUNTIME_SHARE_SYSCALL, "1.19" },
	{ "runtime/internal/syscall.", true, RUNTIME_SHARE_SYSCALL, "1.19-1.22" },
	{ "internal/runtime/syscall.", true, RUNTIME_SHARE_SYSCALL, "1.23+" },
	{ "internal/runtime/syscall/", true, RUNTIME_SHARE_SYSCALL, "after 1.23 (current source)" },
	{ "golang.org/x/sys/unix.Syscall", true, RUNTIME_SHARE_SYSCALL, "1.19" },
	{ "golang.org/x/sys/unix.RawSyscall", true, RUNTIME_SHARE_SYSCALL, "1.19" },
	{ "runtime.entersyscall", true, RUNTIME_SHARE_SYSCALL, "1.19" },
	{ "runtime.reentersyscall", false, RUNTIME_SHARE_SYSCALL, "1.19" },
	{ "runtime.exitsyscall", false, RUNTIME_SHARE_SYSCALL, "1.19" },
	{ "runtime.exitsyscallfast", true, RUNTIME_SHARE_SYSCALL, "1.19" },
	{ "runtime.cgocall", false, RUNTIME_SHARE_SYSCALL, "1.19" },
	{ "runtime.asmcgocall", true, RUNTIME_SHARE_SYSCALL, "1.19" },
	{ "runtime.asmstdcall", false, RUNTIME_SHARE_SYSCALL, "1.19 (windows)" },
	{ "runtime._ExternalCode", false, RUNTIME_SHARE_SYSCALL, "1.19" },
	{ "runtime._VDSO", false, RUNTIME_SHARE_SYSCALL, "1.19" },

	/* ---- scheduler -------------------------------------------------- */
	{ "runtime.schedule", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.findRunnable", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.findrunnable", false, RUNTIME_SHARE_SCHED, "<=1.18" },
	{ "runtime.mcall", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.park_m", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.gosched_m", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.goschedImpl", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.gopreempt_m", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.preemptPark", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.goexit0", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.goexit1", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.exitsyscall0", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.execute", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.stealWork", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.runqsteal", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.runqgrab", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.checkTimers", false, RUNTIME_SHARE_SCHED, "1.19-1.22" },
	{ "runtime.(*timers).", true, RUNTIME_SHARE_SCHED, "1.23+" },
	{ "runtime.stopm", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.startm", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.wakep", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.handoffp", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.resetspinning", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.injectglist", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.sysmon", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.retake", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.templateThread", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.netpoll", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.gopark", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.goparkunlock", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.goready", true, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.ready", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.newproc", true, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.Gosched", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.goyield", false, RUNTIME_SHARE_SCHED, "1.19" },
	{ "runtime.asyncPreempt", true, RUNTIME_SHARE_SCHED, "1.19" },
	/* the profiler's stand-in for runtime code whose stack could not be walked */
	{ "runtime._System", false, RUNTIME_SHARE_SCHED, "1.19" },
};

#define N_RULES (sizeof(rules) / sizeof(rules[0]))

static const char *const cat_keys[RUNTIME_SHARE_NCATS] = { "gc", "alloc", "syscall", "sched", "user" };
static const char *const cat_labels[RUNTIME_SHARE_NCATS] = { "GC work", "Allocation", "Syscalls", "Scheduler",
	                                                     "User code" };

const char *runtime_share_cat_key(enum runtime_share_cat c)
{
	return (unsigned)c < RUNTIME_SHARE_NCATS ? cat_keys[c] : "";
}

const char *runtime_share_cat_label(enum runtime_share_cat c)
{
	return (unsigned)c < RUNTIME_SHARE_NCATS ? cat_labels[c] : "";
}

const struct runtime_share_rule *runtime_share_rules(uint32_t *n)
{
	*n = (uint32_t)N_RULES;
	return rules;
}

/* Does a rule's name match s (len bytes)? Exact names may be followed by
 * nothing; prefixes by anything. */
static bool rule_match(const struct runtime_share_rule *r, const char *s, size_t len)
{
	size_t rl = strlen(r->name);
	if (r->prefix)
		return len >= rl && memcmp(s, r->name, rl) == 0;
	return len == rl && memcmp(s, r->name, rl) == 0;
}

static enum runtime_share_cat match_name(const char *s, size_t len, int *rule)
{
	/* every rule starts with one of a few letters: skip the rest fast */
	if (len == 0 || (s[0] != 'r' && s[0] != 's' && s[0] != 'i' && s[0] != 'g')) {
		if (rule)
			*rule = -1;
		return RUNTIME_SHARE_USER;
	}
	for (size_t i = 0; i < N_RULES; i++) {
		if (rule_match(&rules[i], s, len)) {
			if (rule)
				*rule = (int)i;
			return rules[i].cat;
		}
	}
	if (rule)
		*rule = -1;
	return RUNTIME_SHARE_USER;
}

enum runtime_share_cat runtime_share_frame_cat(const char *name, int *rule)
{
	return match_name(name, strlen(name), rule);
}

/* The category of a set of category bits (1 << cat). */
static enum runtime_share_cat bits_cat(unsigned bits)
{
	for (int c = 0; c < RUNTIME_SHARE_USER; c++)
		if (bits & (1u << c))
			return (enum runtime_share_cat)c;
	return RUNTIME_SHARE_USER;
}

enum runtime_share_cat runtime_share_stack_cat(const char *const *names, uint32_t n)
{
	unsigned bits = 0;
	for (uint32_t i = 0; i < n; i++)
		bits |= 1u << runtime_share_frame_cat(names[i], NULL);
	return bits_cat(bits);
}

/* ---- which sample types ------------------------------------------------ */

static bool is_time_unit(const char *u)
{
	static const char *const units[] = { "nanoseconds", "microseconds", "milliseconds", "seconds",
		                             "ns",          "us",           "ms",           "s" };
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(u, units[i]))
			return true;
	return false;
}

bool runtime_share_applicable(const struct prof *p, int t, const char **why)
{
	*why = NULL;
	if (p->n_types == 0 || t < 0 || (uint32_t)t >= p->n_types) {
		*why = "the profile has no sample values";
		return false;
	}
	const char *type = prof_str(p, p->type_type[t]), *unit = prof_str(p, p->type_unit[t]);
	if ((!strcmp(type, "cpu") || !strcmp(type, "wall")) && is_time_unit(unit))
		return true;
	/* fgprof's wall-clock profiles: time/nanoseconds, period type wall */
	const char *ptype = prof_str(p, p->period_type);
	if (is_time_unit(unit) && (!strcmp(ptype, "cpu") || !strcmp(ptype, "wall")))
		return true;
	if (!strcmp(type, "samples") || !strcmp(type, "sample")) {
		/* the sample counts of a CPU (or wall-clock) profile */
		const char *pt = prof_str(p, p->period_type);
		if (!strcmp(pt, "cpu") || !strcmp(pt, "wall") || p->kind == PROF_KIND_CPU)
			return true;
		for (uint32_t i = 0; i < p->n_types; i++) {
			const char *o = prof_str(p, p->type_type[i]);
			if (!strcmp(o, "cpu") || !strcmp(o, "wall"))
				return true;
		}
		*why = "samples of a profile that is not a CPU profile: the runtime share is of CPU time "
		       "only";
		return false;
	}
	if (p->kind == PROF_KIND_HEAP || strstr(type, "space") || strstr(type, "objects") ||
	    !strcmp(unit, "bytes"))
		*why = "a memory sample type: the runtime share is of CPU time only (a heap profile's "
		       "allocations are all made through runtime.mallocgc)";
	else if (p->kind == PROF_KIND_GOROUTINE || !strcmp(type, "goroutine") || !strcmp(type, "goroutines"))
		*why = "goroutine counts: the runtime share is of CPU time only";
	else if (p->kind == PROF_KIND_MUTEX || p->kind == PROF_KIND_BLOCK || !strcmp(type, "contentions") ||
	         !strcmp(type, "delay"))
		*why = "contention (mutex or block) values are time spent waiting, not running: the runtime "
		       "share is of "
		       "CPU time only";
	else
		*why = "not a CPU sample type: the runtime share is of CPU time only";
	return false;
}

/* ---- building ---------------------------------------------------------- */

void runtime_share_release(struct runtime_share *s)
{
	free(s->groups);
	memset(s, 0, sizeof(*s));
}

/* Natural order of two version strings: digit runs compare as numbers,
 * so go1.9 < go1.10. */
static int version_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			while (*a == '0')
				a++;
			while (*b == '0')
				b++;
			size_t na = 0, nb = 0;
			while (a[na] >= '0' && a[na] <= '9')
				na++;
			while (b[nb] >= '0' && b[nb] <= '9')
				nb++;
			if (na != nb)
				return na < nb ? -1 : 1;
			int c = memcmp(a, b, na);
			if (c)
				return c;
			a += na;
			b += nb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

static int group_cmp(const void *x, const void *y)
{
	const struct runtime_share_group *a = x, *b = y;
	if (a->version == b->version)
		return 0;
	if (a->version == PROF_NONE)
		return 1;
	if (b->version == PROF_NONE)
		return -1;
	int c = version_cmp(a->name, b->name);
	return c ? c : (a->version < b->version ? -1 : 1);
}

/* The string id of key name in p's labels, or PROF_NONE. */
static uint32_t label_key(const struct prof *p, const char *name)
{
	for (uint32_t i = 0; i < p->n_labels; i++)
		if (p->labels[i].str != PROF_NONE && !strcmp(prof_str(p, p->labels[i].key), name))
			return p->labels[i].key;
	return PROF_NONE;
}

int runtime_share_build(const struct prof *p, const struct view_opts *o, const char *plabel_key,
                        const char *plabel_value, struct runtime_share *s)
{
	memset(s, 0, sizeof(*s));
	s->p = p;
	s->type = o->type;
	s->applicable = runtime_share_applicable(p, o->type, &s->why);
	if (!s->applicable)
		return 0;

	int rc = -1;
	uint32_t N = p->n_nodes;
	uint8_t *fcat = NULL, *keycat = NULL, *lcat = NULL, *ncat = NULL, *fb = NULL, *lb = NULL, *nb = NULL,
		*allhid = NULL, *lsk = NULL;
	uint32_t *lsver = NULL, *gidx = NULL, *strg = NULL;
	bool name_filters = o->has_focus || o->has_ignore || o->has_hide;

	/* category bits of every frame, matched once per distinct name */
	keycat = malloc((size_t)p->n_strs + 1);
	fcat = malloc((size_t)p->n_frames + 1);
	lcat = calloc((size_t)p->n_locs + 1, 1);
	ncat = calloc((size_t)N + 1, 1);
	if (!keycat || !fcat || !lcat || !ncat)
		goto out;
	memset(keycat, 0xff, (size_t)p->n_strs + 1);
	for (uint32_t f = 0; f < p->n_frames; f++) {
		uint32_t k = p->frames[f].key;
		if (k >= p->n_strs) {
			fcat[f] = RUNTIME_SHARE_USER;
			continue;
		}
		if (keycat[k] == 0xff)
			keycat[k] = (uint8_t)match_name(prof_str(p, k), prof_strlen(p, k), NULL);
		fcat[f] = keycat[k];
	}
	for (uint32_t l = 0; l < p->n_locs; l++)
		for (uint32_t k = 0; k < p->locs[l].n; k++)
			lcat[l] |= (uint8_t)(1u << fcat[p->loc_frames[p->locs[l].off + k]]);
	for (uint32_t n = 1; n < N; n++)
		ncat[n] = ncat[p->nodes[n].parent] | lcat[p->nodes[n].loc];

	/* the filters, as view_build applies them */
	if (name_filters) {
		if (!(fb = filter_frame_bits(p, o)) || !(lb = calloc((size_t)p->n_locs + 1, 1)) ||
		    !(nb = calloc((size_t)N + 1, 1)))
			goto out;
		if (o->has_hide && !(allhid = malloc((size_t)N + 1)))
			goto out;
		for (uint32_t l = 0; l < p->n_locs; l++)
			for (uint32_t k = 0; k < p->locs[l].n; k++)
				lb[l] |= fb[p->loc_frames[p->locs[l].off + k]];
		for (uint32_t n = 1; n < N; n++)
			nb[n] = nb[p->nodes[n].parent] |
			        (lb[p->nodes[n].loc] & (FILTER_FOCUS | FILTER_IGNORE));
		if (allhid) {
			allhid[0] = 1;
			for (uint32_t n = 1; n < N; n++) {
				const struct prof_loc *l = &p->locs[p->nodes[n].loc];
				bool any = false;
				for (uint32_t k = 0; k < l->n && !any; k++)
					any = !(fb[p->loc_frames[l->off + k]] & FILTER_HIDE);
				allhid[n] = allhid[p->nodes[n].parent] && !any;
			}
		}
	}
	if ((o->has_tagfocus || o->has_tagignore) && !(lsk = filter_labelsets(p, o)))
		goto out;

	/* the version label of every label set */
	uint32_t vkey = label_key(p, "go_version");
	s->label = "go_version";
	if (vkey == PROF_NONE) {
		vkey = label_key(p, "version");
		s->label = "version";
	}
	if (vkey == PROF_NONE)
		s->label = NULL;
	else
		s->label_source = "samples";
	uint32_t ng = 0;
	if (s->label) {
		/* one group per distinct value (and one for "no value"), found
		 * through a map from string id to group */
		lsver = malloc(((size_t)p->n_labelsets + 1) * sizeof(uint32_t));
		gidx = malloc(((size_t)p->n_labelsets + 1) * sizeof(uint32_t));
		strg = malloc(((size_t)p->n_strs + 1) * sizeof(uint32_t));
		s->groups = calloc((size_t)p->n_labelsets + 1, sizeof(*s->groups));
		if (!lsver || !gidx || !strg || !s->groups)
			goto out;
		for (uint32_t k = 0; k <= p->n_strs; k++)
			strg[k] = PROF_NONE;
		uint32_t nonegroup = PROF_NONE;
		for (uint32_t ls = 0; ls < p->n_labelsets; ls++) {
			lsver[ls] = PROF_NONE;
			for (uint32_t k = 0; k < p->labelsets[ls].n; k++) {
				const struct prof_label *lab = &p->labels[p->labelsets[ls].off + k];
				if (lab->key == vkey && lab->str < p->n_strs) {
					lsver[ls] = lab->str;
					break;
				}
			}
			uint32_t *slot = lsver[ls] == PROF_NONE ? &nonegroup : &strg[lsver[ls]];
			if (*slot == PROF_NONE) {
				s->groups[ng].version = lsver[ls];
				s->groups[ng].name = lsver[ls] == PROF_NONE ? NULL : prof_str(p, lsver[ls]);
				*slot = ng++;
			}
			gidx[ls] = *slot;
		}
	}

	int64_t total_abs = 0;
	for (uint32_t i = 0; i < p->n_samples; i++) {
		uint32_t node = p->samples[i].node, ls = p->samples[i].labelset;
		if (name_filters) {
			if (node == 0 || (nb[node] & FILTER_IGNORE))
				continue;
			if (o->has_focus && !(nb[node] & FILTER_FOCUS))
				continue;
			if (allhid && allhid[node])
				continue;
		}
		if (lsk && !lsk[ls])
			continue;
		int64_t val = p->values[(size_t)i * p->n_types + (size_t)o->type];
		int64_t av = val < 0 ? -val : val;
		if (!util_add_ok(&total_abs, av)) {
			rc = RUNTIME_SHARE_OVERFLOW;
			goto out;
		}
		/* every sum below adds a subset of these values: no overflow */
		enum runtime_share_cat c = node < N ? bits_cat(ncat[node]) : RUNTIME_SHARE_USER;
		s->total += val;
		s->v[c] += val;
		if (s->label) {
			struct runtime_share_group *g = &s->groups[gidx[ls]];
			g->total += val;
			g->v[c] += val;
			if (lsver[ls] == PROF_NONE)
				s->unlabelled += val;
		}
	}

	if (!s->label && plabel_key && plabel_value && s->total != 0) {
		/* a profile-level label: every sample is of that version */
		if (!(s->groups = calloc(1, sizeof(*s->groups))))
			goto out;
		s->groups[0].version = PROF_NONE;
		s->groups[0].name = plabel_value;
		s->groups[0].total = s->total;
		memcpy(s->groups[0].v, s->v, sizeof(s->v));
		s->n_groups = 1;
		s->label = plabel_key;
		s->label_source = "profile";
	} else if (s->label) {
		/* drop the groups no kept sample has a value in */
		uint32_t w = 0;
		for (uint32_t g = 0; g < ng; g++) {
			bool any = false;
			for (int c = 0; c < RUNTIME_SHARE_NCATS; c++)
				any |= s->groups[g].v[c] != 0;
			if (any)
				s->groups[w++] = s->groups[g];
		}
		ng = w;
		/* one labelled value: the unlabelled samples are of the same process */
		int labelled = 0, single = -1, none = -1;
		for (uint32_t g = 0; g < ng; g++) {
			if (s->groups[g].version == PROF_NONE)
				none = (int)g;
			else {
				labelled++;
				single = (int)g;
			}
		}
		if (labelled == 1 && none >= 0) {
			struct runtime_share_group *a = &s->groups[single], *b = &s->groups[none];
			a->total += b->total;
			for (int c = 0; c < RUNTIME_SHARE_NCATS; c++)
				a->v[c] += b->v[c];
			s->groups[none] = s->groups[--ng];
			s->unlabelled_merged = true;
		}
		qsort(s->groups, ng, sizeof(*s->groups), group_cmp);
		s->n_groups = ng;
		if (ng == 0) {
			free(s->groups);
			s->groups = NULL;
		}
	}
	rc = 0;
out:
	free(keycat);
	free(fcat);
	free(lcat);
	free(ncat);
	free(fb);
	free(lb);
	free(nb);
	free(allhid);
	free(lsk);
	free(lsver);
	free(gidx);
	free(strg);
	if (rc != 0)
		runtime_share_release(s);
	return rc;
}

/* ---- JSON -------------------------------------------------------------- */

static void cats_json(const int64_t *v, struct json *j)
{
	json_arr_begin(j);
	for (int c = 0; c < RUNTIME_SHARE_NCATS; c++) {
		json_obj_begin(j);
		json_key(j, "key");
		json_str(j, cat_keys[c]);
		json_key(j, "label");
		json_str(j, cat_labels[c]);
		json_key(j, "value");
		json_int(j, v[c]);
		json_obj_end(j);
	}
	json_arr_end(j);
}

int runtime_share_json(const struct runtime_share *s, struct json *j)
{
	const struct prof *p = s->p;
	json_obj_begin(j);
	json_key(j, "sample_type");
	json_obj_begin(j);
	json_key(j, "type");
	json_str(j, p->n_types ? prof_str(p, p->type_type[s->type]) : "");
	json_key(j, "unit");
	json_str(j, p->n_types ? prof_str(p, p->type_unit[s->type]) : "");
	json_obj_end(j);
	json_key(j, "applicable");
	json_bool(j, s->applicable);
	if (!s->applicable) {
		json_key(j, "reason");
		json_str(j, s->why ? s->why : "");
		json_obj_end(j);
		return j->out->oom ? -1 : 0;
	}
	json_key(j, "total");
	json_int(j, s->total);
	json_key(j, "categories");
	cats_json(s->v, j);
	json_key(j, "label");
	if (s->label)
		json_str(j, s->label);
	else
		json_null(j);
	json_key(j, "label_source");
	if (s->label_source)
		json_str(j, s->label_source);
	else
		json_null(j);
	json_key(j, "unlabelled");
	json_int(j, s->unlabelled);
	json_key(j, "unlabelled_merged");
	json_bool(j, s->unlabelled_merged);
	json_key(j, "versions");
	json_arr_begin(j);
	for (uint32_t g = 0; g < s->n_groups; g++) {
		const struct runtime_share_group *gr = &s->groups[g];
		json_obj_begin(j);
		json_key(j, "version");
		if (!gr->name)
			json_null(j);
		else
			json_str(j, gr->name);
		json_key(j, "total");
		json_int(j, gr->total);
		json_key(j, "categories");
		cats_json(gr->v, j);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
	return j->out->oom ? -1 : 0;
}
