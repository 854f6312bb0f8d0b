/*
 * leaks_kind.c: the wait-kind and blocking-site tables (see leaks_kind.h).
 *
 * Versions: the stacks of Go 1.19 (Debian's golang-go) were captured from
 * running programs (tests/unit/test_leaks.c has them); names of later
 * runtimes are from their sources and from dumps they printed, and a row
 * that only a later runtime needs says from which release on.
 */
#include "leaks_kind.h"

#include <string.h>

static const struct leaks_kind RECV = { "chan receive", 1.0 }, SEND = { "chan send", 1.0 },
	SELECT = { "select", 0.8 }, SELECT0 = { "select {}", 1.0 }, MUTEX = { "mutex", 0.9 },
	WG = { "waitgroup", 0.9 }, COND = { "cond", 0.8 }, IO = { "io", 0.1 },
	SLEEP = { "sleep", 0.2 }, SYSCALL = { "syscall", 0.1 }, RUN = { "running", 0.05 },
	OTHER = { "other", 0.5 };

#define ROWS(a) { a, (int)(sizeof(a) / sizeof((a)[0])) }

/*
 * Frame rows: the function names a goroutine or debug=1 profile writes
 * between runtime.gopark and the program's code. Go 1.19 to 1.26:
 * runtime.chanrecv/chanrecv1/chanrecv2, runtime.chansend/chansend1,
 * runtime.selectgo, runtime.block (select {}), sync.(*WaitGroup).Wait,
 * sync.(*Cond).Wait over sync.runtime_notifyListWait, sync.(*Mutex).*,
 * sync.(*RWMutex).*, internal/poll.runtime_pollWait over
 * runtime.netpollblock, time.Sleep (the runtime's timeSleep, linknamed),
 * syscall.* and runtime.cgocall. Go 1.19 to 1.22 put the raw system call
 * in runtime/internal/syscall, Go 1.23 on in internal/runtime/syscall
 * (leaf frames of CPU profiles; a goroutine blocked in a system call is
 * written from syscall.Syscall). Go 1.24 on implement sync.Mutex in
 * internal/sync.(*Mutex). sync.(*Cond).Wait guards a rename of
 * runtime_notifyListWait, which every release writes leaf-ward of it.
 */
static const struct leaks_rule frame_rows[] = {
	{ "runtime.chanrecv", LEAKS_PREFIX, &RECV, false },
	{ "runtime.chansend", LEAKS_PREFIX, &SEND, false },
	{ "runtime.selectgo", LEAKS_WHOLE, &SELECT, false },
	{ "runtime.block", LEAKS_WHOLE, &SELECT0, false },
	{ "sync.(*WaitGroup).Wait", LEAKS_PREFIX, &WG, false },
	{ "sync.(*Cond).Wait", LEAKS_PREFIX, &COND, false },
	{ "sync.runtime_notifyListWait", LEAKS_WHOLE, &COND, false },
	{ "sync.(*Mutex).", LEAKS_PREFIX, &MUTEX, false },
	{ "sync.(*RWMutex).", LEAKS_PREFIX, &MUTEX, false },
	{ "internal/sync.(*Mutex)", LEAKS_PREFIX, &MUTEX, false },
	{ "internal/poll.runtime_pollWait", LEAKS_WHOLE, &IO, false },
	{ "runtime.netpollblock", LEAKS_WHOLE, &IO, false },
	{ "time.Sleep", LEAKS_WHOLE, &SLEEP, false },
	{ "syscall.", LEAKS_PREFIX, &SYSCALL, false },
	{ "internal/runtime/syscall.", LEAKS_PREFIX, &SYSCALL, false },
	{ "runtime/internal/syscall.", LEAKS_PREFIX, &SYSCALL, false },
	{ "runtime.cgocall", LEAKS_WHOLE, &SYSCALL, false },
};

/*
 * Semaphore rows: the sync semaphores, read only when no frame row names
 * the caller, because a semaphore frame is leaf-ward of the
 * sync.(*WaitGroup).Wait or sync.(*Mutex).lockSlow that called it. They
 * decide for packages that link the semaphore in themselves (gvisor's
 * pkg/sync does, through go:linkname) and for a caller a later runtime
 * renames:
 * sync.runtime_Semacquire (WaitGroup, Go 1.19 to 1.24),
 * sync.runtime_SemacquireMutex (Go 1.19 to 1.23),
 * sync.runtime_SemacquireRWMutex/RWMutexR (Go 1.20 on),
 * sync.runtime_SemacquireWaitGroup (Go 1.25 on),
 * internal/sync.runtime_SemacquireMutex (Go 1.24 on).
 */
static const struct leaks_rule semaphore_rows[] = {
	{ "sync.runtime_Semacquire", LEAKS_PREFIX, &MUTEX, false },
	{ "internal/sync.runtime_Semacquire", LEAKS_PREFIX, &MUTEX, false },
};

/* Parked rows: the leaf of every parked goroutine in goroutine profiles,
 * Go 1.19 to 1.26 (runtime.goparkunlock and the other ways to park all
 * call it). Text dumps leave it out: see leaks_kind_of_reason. */
static const struct leaks_rule parked_rows[] = {
	{ "runtime.gopark", LEAKS_WHOLE, &OTHER, false },
};

/*
 * Reason rows: the bracket of "goroutine 7 [chan receive, 5 minutes]:".
 * Go 1.19 to 1.26: "chan receive", "chan send" (and their "(nil chan)"
 * forms), "select", "select (no cases)", "sync.Cond.Wait", "IO wait",
 * "sleep", "semacquire" (every sync semaphore in Go 1.19; WaitGroup and
 * sync.runtime_Semacquire callers until Go 1.24), and the states
 * "running", "runnable", "syscall". Go 1.20 on: "sync.Mutex.Lock",
 * "sync.RWMutex.Lock", "sync.RWMutex.RLock". Go 1.25 on:
 * "sync.WaitGroup.Wait" and the synctest forms ("chan receive
 * (durable)", "select (durable)", ...), matched by their prefixes; Go
 * 1.26's goroutineleak dumps add "(leaked)" the same way.
 */
static const struct leaks_rule reason_rows[] = {
	{ "chan receive", LEAKS_PREFIX, &RECV, false },
	{ "chan send", LEAKS_PREFIX, &SEND, false },
	{ "select (no cases)", LEAKS_PREFIX, &SELECT0, false },
	{ "select", LEAKS_PREFIX, &SELECT, false },
	{ "sync.WaitGroup", LEAKS_PREFIX, &WG, false },
	{ "sync.Cond", LEAKS_PREFIX, &COND, false },
	{ "sync.Mutex", LEAKS_PREFIX, &MUTEX, false },
	{ "sync.RWMutex", LEAKS_PREFIX, &MUTEX, false },
	{ "IO wait", LEAKS_PREFIX, &IO, false },
	{ "sleep", LEAKS_PREFIX, &SLEEP, false },
	{ "syscall", LEAKS_PREFIX, &SYSCALL, false },
	{ "running", LEAKS_PREFIX, &RUN, false },
	{ "runnable", LEAKS_PREFIX, &RUN, false },
	{ "semacquire", LEAKS_PREFIX, &MUTEX, true },
};

/*
 * Infra rows: packages whose frames sit between a blocked goroutine's
 * code and the runtime, in every Go release: runtime, runtime/...,
 * internal/... (internal/poll, internal/sync of Go 1.24 on,
 * internal/runtime/syscall of Go 1.23 on), sync, sync/atomic, syscall,
 * and time.Sleep itself.
 */
static const struct leaks_rule infra_rows[] = {
	{ "runtime.", LEAKS_PREFIX, NULL, false },
	{ "runtime/", LEAKS_PREFIX, NULL, false },
	{ "internal/", LEAKS_PREFIX, NULL, false },
	{ "sync.", LEAKS_PREFIX, NULL, false },
	{ "sync/", LEAKS_PREFIX, NULL, false },
	{ "syscall.", LEAKS_PREFIX, NULL, false },
	{ "time.Sleep", LEAKS_WHOLE, NULL, false },
};

const struct leaks_table leaks_kind_frame_rows = ROWS(frame_rows), leaks_kind_semaphore_rows = ROWS(semaphore_rows),
	leaks_kind_parked_rows = ROWS(parked_rows), leaks_kind_reason_rows = ROWS(reason_rows),
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

const struct leaks_kind *leaks_kind_of_stack(const char *const *frames, int n, const struct leaks_rule **rule)
{
	const struct leaks_rule *r = first_frame(&leaks_kind_frame_rows, frames, n);
	if (!r)
		r = first_frame(&leaks_kind_semaphore_rows, frames, n);
	if (!r)
		r = first_frame(&leaks_kind_parked_rows, frames, n);
	if (rule)
		*rule = r;
	return r ? r->kind : &RUN;
}

const struct leaks_kind *leaks_kind_of_reason(const char *reason, const char *const *frames, int n,
                                              const struct leaks_rule **rule)
{
	const struct leaks_rule *r = first_row(&leaks_kind_reason_rows, reason);
	if (!r) {
		/* a text dump leaves runtime.gopark out: a goroutine with a wait
		 * reason no row names is parked all the same */
		const struct leaks_kind *k = leaks_kind_of_stack(frames, n, rule);
		return k == &RUN && *reason ? &OTHER : k;
	}
	if (rule)
		*rule = r;
	if (r->ask_frames) {
		const struct leaks_kind *k = leaks_kind_of_stack(frames, n, NULL);
		if (k == &WG || k == &COND)
			return k;
	}
	return r->kind;
}

const struct leaks_rule *leaks_kind_infra(const char *frame)
{
	return first_row(&leaks_kind_infra_rows, frame);
}
