/*
 * runtime_share.h: where a Go program's CPU time went inside the runtime.
 *
 * Every sample goes to exactly one category, decided by the function names
 * of its stack (docs/RUNTIME.md lists the names and the Go releases that
 * use them):
 *
 *   gc       GC work: background mark workers, mark assists, root and
 *            object scanning, write barriers, sweeping, scavenging, and
 *            starting and stopping the world
 *   alloc    allocation: runtime.mallocgc and what it calls, except the GC
 *            work it does (assists, sweeping, scavenging are gc)
 *   syscall  system calls and cgo (package syscall, the runtime's syscall
 *            packages, runtime.entersyscall/exitsyscall, runtime.cgocall)
 *   sched    the scheduler (schedule, findRunnable, park_m, wakep, ...)
 *   user     everything else
 *
 * The rule is a precedence over the whole stack, not a walk: a sample is
 * gc if any frame is a gc frame; else alloc if any frame is an alloc
 * frame; else syscall, else sched, else user. So each category equals a
 * `go tool pprof -focus=THIS -ignore=HIGHER` of the same profile, which is
 * how tests/api/test_runtime.py checks it. Names of every supported
 * release are in one table at once (a name one release does not use is
 * never seen in its profiles).
 *
 * Only CPU-like sample types have a runtime share: cpu and wall time, and
 * the sample counts of a CPU or wall profile. For others (heap, alloc,
 * goroutine, mutex, block ...) runtime_share_build answers not applicable
 * with the reason, and computes nothing.
 *
 * Versions: when samples carry the pprof label go_version (or else
 * version), the shares are also given per value of it. The runtime's own
 * goroutines (background mark workers, the scheduler on g0) carry no
 * goroutine labels; when the labelled samples name a single value, the
 * unlabelled ones belong to it (one process); with several values they
 * form a group of their own (version null). Without such sample labels,
 * a profile-level label given by the caller (flamedex's upload labels)
 * makes every sample one group of that value.
 *
 * Filters (focus, ignore, tagfocus, tagignore; hide only drops samples it
 * leaves without frames) select samples as the views do, so the total is
 * the view's total. Hidden frames still decide the category.
 *
 * Pure domain module: no HTTP, no SQL. Functions return 0, -1 (out of
 * memory) or RUNTIME_SHARE_OVERFLOW; on anything but 0 the outputs hold nothing.
 */
#ifndef FDX_RUNTIME_SHARE_H
#define FDX_RUNTIME_SHARE_H

#include <stdbool.h>
#include <stdint.h>

#include "filter.h"
#include "json.h"
#include "prof.h"

enum {
	RUNTIME_SHARE_OVERFLOW = 2
};

/* In precedence order (the first category a stack has a frame of wins),
 * user last. */
enum runtime_share_cat {
	RUNTIME_SHARE_GC,
	RUNTIME_SHARE_ALLOC,
	RUNTIME_SHARE_SYSCALL,
	RUNTIME_SHARE_SCHED,
	RUNTIME_SHARE_USER,
	RUNTIME_SHARE_NCATS
};

/* "gc", "alloc", "syscall", "sched", "user" */
const char *runtime_share_cat_key(enum runtime_share_cat c);
/* "GC work", "Allocation", "Syscalls", "Scheduler", "User code" */
const char *runtime_share_cat_label(enum runtime_share_cat c);

/* A frame rule: a function name, exact or (prefix) its start. */
struct runtime_share_rule {
	const char *name;
	bool prefix;
	enum runtime_share_cat cat;
	const char *versions; /* the releases whose runtime has the name, for docs and tests */
};
/* The rule table (n rows). */
const struct runtime_share_rule *runtime_share_rules(uint32_t *n);
/* The category of one frame's function name: the category of the first
 * rule that matches it, or RUNTIME_SHARE_USER when none does. rule (may be NULL)
 * gets the row's index, or -1. */
enum runtime_share_cat runtime_share_frame_cat(const char *name, int *rule);
/* The category of a stack of function names (any order). */
enum runtime_share_cat runtime_share_stack_cat(const char *const *names, uint32_t n);

/* Is sample type t of p CPU-like? When not, why (static text) in *why. */
bool runtime_share_applicable(const struct prof *p, int t, const char **why);

struct runtime_share_group {
	uint32_t version; /* string id of the label value; PROF_NONE: unlabelled */
	const char *name; /* its text (in the profile's strings), NULL: unlabelled */
	int64_t total;
	int64_t v[RUNTIME_SHARE_NCATS];
};

struct runtime_share {
	const struct prof *p;
	int type;
	bool applicable;
	const char *why; /* when not applicable */
	int64_t total;   /* sum of the values of the kept samples */
	int64_t v[RUNTIME_SHARE_NCATS];
	const char *label;        /* "go_version", "version", or NULL: no such label */
	const char *label_source; /* "samples", "profile" (the caller's), or NULL */
	/* with label: the groups by value, in version order ("go1.9" < "go1.10"),
	 * the unlabelled group (if any) last */
	uint32_t n_groups;
	struct runtime_share_group *groups;
	int64_t unlabelled;     /* value of kept samples without the label */
	bool unlabelled_merged; /* they were given to the single labelled value */
};

/* Classify the samples of p kept by o (o->type the sample type; o->scale
 * ignored) into s. plabel_key/plabel_value (both NULL: none) are a
 * profile-level version label, used when no sample carries go_version or
 * version; both must outlive s. */
int runtime_share_build(const struct prof *p, const struct view_opts *o, const char *plabel_key,
                        const char *plabel_value, struct runtime_share *s);
void runtime_share_release(struct runtime_share *s);

/* {"sample_type","applicable","reason"?,"total","categories":[{"key",
 * "label","value"}…],"label","label_source","unlabelled","unlabelled_merged",
 * "versions":[{"version","total","categories":[…]}…]} (docs/API.md). */
int runtime_share_json(const struct runtime_share *s, struct json *j);

#endif
