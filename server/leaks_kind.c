/*
 * leaks_kind.c: the wait-kind and blocking-site tables (see leaks_kind.h).
 *
 * Versions: the stacks of Go 1.19 (Debian's golang-go) were captured from
 * running programs (tests/unit/test_leaks.c has them, tests/leaks/kinds
 * runs one); names of later runtimes are from their sources and from
 * dumps they printed, and a row that only a later runtime needs says from
 * which release on.
 */
#include "leaks_kind.h"

#include <stdio.h>
#include <string.h>

static const struct leaks_kind RECV = { "chan receive", 1.0, "blocked receiving from a channel", NULL },
	SEND = { "chan send", 1.0, "blocked sending on a channel", NULL },
	SELECT0 = { "select {}", 1.0, "blocked in an empty select {}", NULL },
	MUTEX = { "mutex", 0.9, "waiting for a lock", NULL },
	WG = { "waitgroup", 0.9, "waiting on a WaitGroup", NULL },
	SELECT = { "select", 0.8, "blocked in select", NULL },
	COND = { "cond", 0.8, "waiting on a sync.Cond", NULL },
	OTHER = { "other", 0.5, "parked for a reason no rule names", NULL },
	SLEEP = { "sleep", 0.2, "sleeping", "sleeping is what polling loops do" },
	IO = { "io", 0.1, "waiting for network I/O", "waiting for network I/O is what idle connections and listeners do" },
	SYSCALL = { "syscall", 0.1, "in a system call", "a system call is usually a blocking read or a signal handler" },
	RUN = { "running", 0.05, "running", "running goroutines are working, not blocked" };

const struct leaks_kind *const leaks_kinds[] = { &RECV, &SEND, &SELECT0, &MUTEX, &WG, &SELECT, &COND,
                                                 &OTHER, &SLEEP, &IO, &SYSCALL, &RUN };
const int leaks_n_kinds = (int)(sizeof(leaks_kinds) / sizeof(leaks_kinds[0]));

#define ROWS(a) { a, (int)(sizeof(a) / sizeof((a)[0])) }

/*
 * Park rows: the runtime's unexported frames between runtime.gopark (or
 * the system call) and the rest of the stack, which a debug=2 dump leaves
 * out, and the reason it prints instead. Go 1.19 to 1.26:
 * runtime.chanrecv/chanrecv1/chanrecv2, runtime.chansend/chansend1,
 * runtime.selectgo, runtime.block (select {}), runtime.semacquire1 (every
 * sync, internal/sync and internal/poll semaphore; Go 1.20 on print a
 * finer reason for some callers, which the frame rows refine to the same
 * kind), runtime.netpollblock, runtime.notetsleepg (os/signal's
 * signal_recv, printed "syscall"), runtime.cgocall (printed "syscall").
 */
static const struct leaks_rule park_rows[] = {
	{ "runtime.chanrecv", LEAKS_PREFIX, NULL, false, "chan receive" },
	{ "runtime.chansend", LEAKS_PREFIX, NULL, false, "chan send" },
	{ "runtime.selectgo", LEAKS_WHOLE, NULL, false, "select" },
	{ "runtime.block", LEAKS_WHOLE, NULL, false, "select (no cases)" },
	{ "runtime.semacquire", LEAKS_PREFIX, NULL, false, "semacquire" },
	{ "runtime.netpollblock", LEAKS_WHOLE, NULL, false, "IO wait" },
	{ "runtime.notetsleepg", LEAKS_WHOLE, NULL, false, "syscall" },
	{ "runtime.cgocall", LEAKS_WHOLE, NULL, false, "syscall" },
};

/* Parked rows: the leaf of every parked goroutine in goroutine profiles,
 * Go 1.19 to 1.26 (runtime.goparkunlock and the other ways to park all
 * call it). Text dumps leave it out and print a reason. */
static const struct leaks_rule parked_rows[] = {
	{ "runtime.gopark", LEAKS_WHOLE, &OTHER, false, NULL },
};

/*
 * Frame rows: function names that proto stacks and dumps both show, for a
 * reason that does not say enough ("semacquire") or a goroutine parked
 * without a park row (runtime.goparkunlock under sync.Cond, time.Sleep).
 * Go 1.19 to 1.26: sync.(*WaitGroup).Wait, sync.(*Cond).Wait over
 * sync.runtime_notifyListWait, sync.(*Mutex).*, sync.(*RWMutex).*,
 * internal/sync.(*Mutex) (Go 1.24 on), internal/poll.runtime_Semacquire
 * (the lock of one file descriptor, held by a goroutine in IO wait on it:
 * a second Accept or Read of the same socket waits here, and so waits for
 * I/O too), internal/poll.runtime_pollWait, time.Sleep (the runtime's
 * timeSleep, linknamed), syscall.* and the raw system call packages:
 * runtime/internal/syscall in Go 1.19 to 1.22, internal/runtime/syscall
 * from Go 1.23 (leaf frames of CPU profiles; a goroutine blocked in a
 * system call is written from syscall.Syscall). sync.(*Cond).Wait guards
 * a rename of runtime_notifyListWait, which every release writes
 * leaf-ward of it.
 */
static const struct leaks_rule frame_rows[] = {
	{ "sync.(*WaitGroup).Wait", LEAKS_PREFIX, &WG, false, NULL },
	{ "sync.(*Cond).Wait", LEAKS_PREFIX, &COND, false, NULL },
	{ "sync.runtime_notifyListWait", LEAKS_WHOLE, &COND, false, NULL },
	{ "sync.(*Mutex).", LEAKS_PREFIX, &MUTEX, false, NULL },
	{ "sync.(*RWMutex).", LEAKS_PREFIX, &MUTEX, false, NULL },
	{ "internal/sync.(*Mutex)", LEAKS_PREFIX, &MUTEX, false, NULL },
	{ "internal/poll.runtime_Semacquire", LEAKS_WHOLE, &IO, false, NULL },
	{ "internal/poll.runtime_pollWait", LEAKS_WHOLE, &IO, false, NULL },
	{ "time.Sleep", LEAKS_WHOLE, &SLEEP, false, NULL },
	{ "syscall.", LEAKS_PREFIX, &SYSCALL, false, NULL },
	{ "internal/runtime/syscall.", LEAKS_PREFIX, &SYSCALL, false, NULL },
	{ "runtime/internal/syscall.", LEAKS_PREFIX, &SYSCALL, false, NULL },
};

/*
 * Reason rows: the bracket of "goroutine 7 [chan receive, 5 minutes]:".
 * Go 1.19 to 1.26: "chan receive", "chan send" (and their "(nil chan)"
 * forms), "select", "select (no cases)", "sync.Cond.Wait", "IO wait",
 * "sleep", "semacquire" (every semaphore in Go 1.19; later the
 * WaitGroup until Go 1.24, internal/poll and other callers; the frame
 * rows say which), and the states
 * "running", "runnable", "syscall". Go 1.20 on: "sync.Mutex.Lock",
 * "sync.RWMutex.Lock", "sync.RWMutex.RLock". Go 1.25 on:
 * "sync.WaitGroup.Wait" and the synctest forms ("chan receive
 * (durable)", "select (durable)", ...), matched by their prefixes; Go
 * 1.26's goroutineleak dumps add "(leaked)" the same way.
 */
static const struct leaks_rule reason_rows[] = {
	{ "chan receive", LEAKS_PREFIX, &RECV, false, NULL },
	{ "chan send", LEAKS_PREFIX, &SEND, false, NULL },
	{ "select (no cases)", LEAKS_PREFIX, &SELECT0, false, NULL },
	{ "select", LEAKS_PREFIX, &SELECT, false, NULL },
	{ "sync.WaitGroup", LEAKS_PREFIX, &WG, false, NULL },
	{ "sync.Cond", LEAKS_PREFIX, &COND, false, NULL },
	{ "sync.Mutex", LEAKS_PREFIX, &MUTEX, false, NULL },
	{ "sync.RWMutex", LEAKS_PREFIX, &MUTEX, false, NULL },
	{ "IO wait", LEAKS_PREFIX, &IO, false, NULL },
	{ "sleep", LEAKS_PREFIX, &SLEEP, false, NULL },
	{ "syscall", LEAKS_PREFIX, &SYSCALL, false, NULL },
	{ "running", LEAKS_PREFIX, &RUN, false, NULL },
	{ "runnable", LEAKS_PREFIX, &RUN, false, NULL },
	{ "semacquire", LEAKS_PREFIX, &MUTEX, true, NULL },
};

/*
 * Infra rows: packages whose frames sit between a blocked goroutine's
 * code and the runtime, in every Go release: runtime, runtime/...,
 * internal/... (internal/poll, internal/sync of Go 1.24 on,
 * internal/runtime/syscall of Go 1.23 on), sync, sync/atomic, syscall,
 * and time.Sleep itself.
 */
static const struct leaks_rule infra_rows[] = {
	{ "runtime.", LEAKS_PREFIX, NULL, false, NULL },
	{ "runtime/", LEAKS_PREFIX, NULL, false, NULL },
	{ "internal/", LEAKS_PREFIX, NULL, false, NULL },
	{ "sync.", LEAKS_PREFIX, NULL, false, NULL },
	{ "sync/", LEAKS_PREFIX, NULL, false, NULL },
	{ "syscall.", LEAKS_PREFIX, NULL, false, NULL },
	{ "time.Sleep", LEAKS_WHOLE, NULL, false, NULL },
};

const struct leaks_table leaks_kind_park_rows = ROWS(park_rows), leaks_kind_parked_rows = ROWS(parked_rows),
	leaks_kind_reason_rows = ROWS(reason_rows), leaks_kind_frame_rows = ROWS(frame_rows),
	leaks_kind_infra_rows = ROWS(infra_rows);

static const struct leaks_rule *first_row(const struct leaks_table *t, const char *s)
{
	for (int i = 0; i < t->n; i++) {
		const struct leaks_rule *r = &t->rows[i];
		if (r->match == LEAKS_WHOLE ? !strcmp(s, r->text) : !strncmp(s, r->text, strlen(r->text)))
			return r;
	}
	return NULL;
}

/* The first row of t that matches one of the leaf-most frames, leaf first. */
static const struct leaks_rule *first_frame(const struct leaks_table *t, const char *const *frames, int n)
{
	for (int i = 0; i < n && i < LEAKS_KIND_FRAMES; i++) {
		const struct leaks_rule *r = first_row(t, frames[i]);
		if (r)
			return r;
	}
	return NULL;
}

/* Reason row r has matched: with ask_frames a frame row, if one matches,
 * says more. *rule is the row that decided, when rule is not NULL. */
static const struct leaks_kind *refine(const struct leaks_rule *r, const char *const *frames, int n,
                                       const struct leaks_rule **rule)
{
	const struct leaks_rule *f = r->ask_frames ? first_frame(&leaks_kind_frame_rows, frames, n) : NULL;
	if (f)
		r = f;
	if (rule)
		*rule = r;
	return r->kind;
}

const struct leaks_kind *leaks_kind_of_reason(const char *reason, const char *const *frames, int n,
                                              const struct leaks_rule **rule)
{
	if (!*reason)
		return leaks_kind_of_stack(frames, n, rule);
	const struct leaks_rule *r = first_row(&leaks_kind_reason_rows, reason);
	if (r)
		return refine(r, frames, n, rule);
	r = first_frame(&leaks_kind_frame_rows, frames, n);
	if (rule)
		*rule = r;
	return r ? r->kind : &OTHER; /* parked, for a reason no row names */
}

const struct leaks_kind *leaks_kind_of_stack(const char *const *frames, int n, const struct leaks_rule **rule)
{
	const struct leaks_rule *p = first_frame(&leaks_kind_park_rows, frames, n);
	if (p) {
		/* what a dump would print; every park row's reason has a row */
		const struct leaks_rule *r = first_row(&leaks_kind_reason_rows, p->reason);
		const struct leaks_kind *k = refine(r, frames, n, rule);
		if (rule && *rule == r)
			*rule = p;
		return k;
	}
	const struct leaks_rule *f = first_frame(&leaks_kind_frame_rows, frames, n);
	const struct leaks_rule *parked = first_frame(&leaks_kind_parked_rows, frames, n);
	if (parked) {
		if (rule)
			*rule = f ? f : parked;
		return f ? f->kind : parked->kind;
	}
	/* not parked: running, unless in a system call, as a dump says */
	if (f && f->kind != &SYSCALL)
		f = NULL;
	if (rule)
		*rule = f;
	return f ? f->kind : &RUN;
}

void leaks_kind_amount(const struct leaks_kind *k, double count, char *out, size_t cap)
{
	snprintf(out, cap, "%.0f goroutine%s %s", count, count == 1 ? "" : "s", k->doing);
}

const struct leaks_rule *leaks_kind_infra(const char *frame)
{
	return first_row(&leaks_kind_infra_rows, frame);
}
