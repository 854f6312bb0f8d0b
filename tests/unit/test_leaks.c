/*
 * test_leaks.c: wait kinds and blocking sites (leaks_kind.h), the words
 * of the leak table's reasons (leaks.h), and times given at upload
 * (timearg.h).
 *
 * Every row of every table decides at least one stack below, and the suite
 * fails when a row is added without one. Stacks are leaf first, in the
 * shape the runtime writes them; each says where it comes from:
 *
 *   go1.19 proto   go tool pprof -traces of a goroutine profile (debug=0)
 *                  written by a program run with Debian's Go 1.19.8
 *   go1.19 text    the same program's debug=2 dump, which leaves the
 *                  runtime's own frames (runtime.gopark, ...) out
 *   go1.2x         a later release's frame or reason names, from that
 *                  release's sources or dumps it printed
 *   guard          a name the row exists for, in a stack no release
 *                  writes today (the row guards a rename)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leaks.h"
#include "leaks_kind.h"
#include "prof.h"
#include "tests.h"
#include "textdump.h"
#include "timearg.h"

#define MAXF 12

struct stack_case {
	const char *from;
	const char *reason;             /* text dumps: the wait reason; NULL: proto */
	const char *frames[MAXF];       /* leaf first, NULL-terminated */
	const char *kind;               /* the wait kind expected */
	const struct leaks_table *table; /* the table of the row that decides ... */
	const char *row;                /* ... and its text; NULL: no row */
	const char *site;               /* the first frame outside the infra rows; NULL: none */
};

#define PARK "runtime.gopark"
#define SEMA_PARK PARK, "runtime.goparkunlock", "runtime.semacquire1"

static const struct leaks_rule unset; /* a row no function returns */

static const struct leaks_table *const K = &leaks_kind_park_rows, *const P = &leaks_kind_parked_rows,
	*const R = &leaks_kind_reason_rows, *const F = &leaks_kind_frame_rows;

static const struct stack_case cases[] = {
	/* ---- proto stacks: the park, parked and frame tables ---- */
	{ "go1.19 proto", NULL, { PARK, "runtime.chanrecv", "runtime.chanrecv1", "main.kRecv" },
	  "chan receive", K, "runtime.chanrecv", "main.kRecv" },
	{ "go1.19 proto, v, ok := <-c", NULL, { PARK, "runtime.chanrecv", "runtime.chanrecv2", "main.kRecv2" },
	  "chan receive", K, "runtime.chanrecv", "main.kRecv2" },
	{ "go1.19 proto", NULL, { PARK, "runtime.chansend", "runtime.chansend1", "main.kSend" },
	  "chan send", K, "runtime.chansend", "main.kSend" },
	{ "go1.19 proto", NULL, { PARK, "runtime.selectgo", "main.kSelect" },
	  "select", K, "runtime.selectgo", "main.kSelect" },
	{ "go1.19 proto, select {}", NULL, { PARK, "runtime.block", "main.kSelect0" },
	  "select {}", K, "runtime.block", "main.kSelect0" },
	{ "go1.19 proto", NULL, { SEMA_PARK, "sync.runtime_Semacquire", "sync.(*WaitGroup).Wait", "main.kWG" },
	  "waitgroup", F, "sync.(*WaitGroup).Wait", "main.kWG" },
	{ "go1.25 proto", NULL, { SEMA_PARK, "sync.runtime_SemacquireWaitGroup", "sync.(*WaitGroup).Wait", "main.kWG" },
	  "waitgroup", F, "sync.(*WaitGroup).Wait", "main.kWG" },
	{ "go1.19 proto", NULL,
	  { PARK, "runtime.goparkunlock", "sync.runtime_notifyListWait", "sync.(*Cond).Wait", "main.kCond" },
	  "cond", F, "sync.runtime_notifyListWait", "main.kCond" },
	{ "guard: notifyListWait renamed", NULL,
	  { PARK, "runtime.goparkunlock", "sync.runtime_notifyListWait2", "sync.(*Cond).Wait", "main.kCond" },
	  "cond", F, "sync.(*Cond).Wait", "main.kCond" },
	{ "go1.19 proto", NULL,
	  { SEMA_PARK, "sync.runtime_SemacquireMutex", "sync.(*Mutex).lockSlow", "sync.(*Mutex).Lock", "main.kMutex" },
	  "mutex", F, "sync.(*Mutex).", "main.kMutex" },
	{ "go1.19 proto, RWMutex.Lock: the leaf-most row decides", NULL,
	  { SEMA_PARK, "sync.runtime_SemacquireMutex", "sync.(*Mutex).lockSlow", "sync.(*Mutex).Lock",
	    "sync.(*RWMutex).Lock", "main.kWLock" },
	  "mutex", F, "sync.(*Mutex).", "main.kWLock" },
	{ "go1.19 proto", NULL, { SEMA_PARK, "sync.runtime_SemacquireMutex", "sync.(*RWMutex).RLock", "main.kRLock" },
	  "mutex", F, "sync.(*RWMutex).", "main.kRLock" },
	{ "go1.20 proto, RWMutex.Lock waiting for readers", NULL,
	  { SEMA_PARK, "sync.runtime_SemacquireRWMutex", "sync.(*RWMutex).Lock", "main.kWLock" },
	  "mutex", F, "sync.(*RWMutex).", "main.kWLock" },
	{ "go1.24 proto", NULL,
	  { SEMA_PARK, "internal/sync.runtime_SemacquireMutex", "internal/sync.(*Mutex).lockSlow",
	    "internal/sync.(*Mutex).Lock", "sync.(*Mutex).Lock", "main.kMutex" },
	  "mutex", F, "internal/sync.(*Mutex)", "main.kMutex" },
	{ "go1.19 proto", NULL,
	  { PARK, "runtime.netpollblock", "internal/poll.runtime_pollWait", "internal/poll.(*pollDesc).wait",
	    "internal/poll.(*pollDesc).waitRead", "internal/poll.(*FD).Accept", "net.(*netFD).accept",
	    "net.(*TCPListener).accept", "net.(*TCPListener).Accept", "main.kIO" },
	  "io", K, "runtime.netpollblock", "net.(*netFD).accept" },
	{ "guard: netpollblock renamed, parked in internal/poll", NULL,
	  { PARK, "runtime.netpollblock2", "internal/poll.runtime_pollWait", "internal/poll.(*pollDesc).wait", "internal/poll.(*pollDesc).waitRead",
	    "internal/poll.(*FD).Read", "net.(*netFD).Read", "net.(*conn).Read", "main.kIO" },
	  "io", F, "internal/poll.runtime_pollWait", "net.(*netFD).Read" },
	{ "go1.19 proto", NULL, { PARK, "time.Sleep", "main.kSleep" }, "sleep", F, "time.Sleep", "main.kSleep" },
	{ "go1.19 proto", NULL, { "syscall.Syscall", "syscall.read", "syscall.Read", "main.kSyscall" },
	  "syscall", F, "syscall.", "main.kSyscall" },
	{ "go1.23 CPU-profile leaf, a stack taken inside the raw system call", NULL,
	  { "internal/runtime/syscall.Syscall6", "syscall.RawSyscall6", "syscall.Syscall", "syscall.write",
	    "internal/poll.(*FD).Write", "os.(*File).Write", "main.kWrite" },
	  "syscall", F, "internal/runtime/syscall.", "os.(*File).Write" },
	{ "go1.19 CPU-profile leaf, a stack taken inside the raw system call", NULL,
	  { "runtime/internal/syscall.Syscall6", "syscall.RawSyscall6", "syscall.Syscall", "syscall.write",
	    "internal/poll.(*FD).Write", "os.(*File).Write", "main.kWrite" },
	  "syscall", F, "runtime/internal/syscall.", "os.(*File).Write" },
	{ "go1.19 proto, cgo", NULL, { "runtime.cgocall", "main._Cfunc_sleep", "main.kCgo" },
	  "syscall", K, "runtime.cgocall", "main._Cfunc_sleep" },
	{ "go1.19 proto, os/signal's loop", NULL, { "runtime.notetsleepg", "os/signal.signal_recv", "os/signal.loop" },
	  "syscall", K, "runtime.notetsleepg", "os/signal.signal_recv" },
	{ "go1.19 proto, a second Accept on one listener waits for the fd's lock", NULL,
	  { SEMA_PARK, "internal/poll.runtime_Semacquire", "internal/poll.(*fdMutex).rwlock",
	    "internal/poll.(*FD).readLock", "internal/poll.(*FD).Accept", "net.(*netFD).accept",
	    "net.(*TCPListener).accept", "net.(*TCPListener).Accept", "main.kAccept" },
	  "io", F, "internal/poll.runtime_Semacquire", "net.(*netFD).accept" },
	{ "go1.19 proto, runtime.GC's semaphore", NULL,
	  { SEMA_PARK, "runtime.semacquire", "runtime.GC", "main.kGC" }, "mutex", K, "runtime.semacquire", "main.kGC" },
	{ "go1.19 proto, a package that links the semaphore in (as gvisor's pkg/sync does)", NULL,
	  { SEMA_PARK, "sync.runtime_Semacquire", "example.com/locks.(*Sema).Acquire", "main.kSema" },
	  "mutex", K, "runtime.semacquire", "example.com/locks.(*Sema).Acquire" },
	{ "guard: go1.24 proto with internal/sync's caller renamed", NULL,
	  { SEMA_PARK, "internal/sync.runtime_SemacquireMutex", "internal/sync.(*Mutex2).lockSlow", "main.kMutex" },
	  "mutex", K, "runtime.semacquire", "main.kMutex" },
	{ "go1.19 proto, runtime.GC waiting: parked, no row names why", NULL,
	  { PARK, "runtime.goparkunlock", "runtime.gcWaitOnMark", "runtime.GC", "main.kGC" },
	  "other", P, "runtime.gopark", "main.kGC" },
	{ "go1.19 proto, running (preempted)", NULL, { "runtime.asyncPreempt2", "runtime.asyncPreempt", "main.kRun" },
	  "running", NULL, NULL, "main.kRun" },
	{ "go1.19 proto, the goroutine writing the profile", NULL,
	  { "runtime.goroutineProfileWithLabels", "runtime/pprof.runtime_goroutineProfileWithLabels",
	    "runtime/pprof.writeRuntimeProfile", "runtime/pprof.writeGoroutine", "runtime/pprof.(*Profile).WriteTo",
	    "main.main", "runtime.main" },
	  "running", NULL, NULL, "main.main" },

	/* ---- text dumps: the reason table, then the frames ---- */
	{ "go1.19 text", "chan receive", { "main.kRecv" }, "chan receive", R, "chan receive", "main.kRecv" },
	{ "go1.19 text, nil channel", "chan receive (nil chan)", { "main.kNil" },
	  "chan receive", R, "chan receive", "main.kNil" },
	{ "go1.19 text", "chan send", { "main.kSend" }, "chan send", R, "chan send", "main.kSend" },
	{ "go1.19 text", "select (no cases)", { "main.kSelect0" }, "select {}", R, "select (no cases)", "main.kSelect0" },
	{ "go1.19 text", "select", { "main.kSelect" }, "select", R, "select", "main.kSelect" },
	{ "go1.25 text, synctest", "select (durable)", { "main.kSelect" }, "select", R, "select", "main.kSelect" },
	{ "go1.25 text", "sync.WaitGroup.Wait", { "sync.runtime_SemacquireWaitGroup", "sync.(*WaitGroup).Wait", "main.kWG" },
	  "waitgroup", R, "sync.WaitGroup", "main.kWG" },
	{ "go1.19 text", "sync.Cond.Wait", { "sync.runtime_notifyListWait", "sync.(*Cond).Wait", "main.kCond" },
	  "cond", R, "sync.Cond", "main.kCond" },
	{ "go1.24 text", "sync.Mutex.Lock",
	  { "internal/sync.runtime_SemacquireMutex", "internal/sync.(*Mutex).lockSlow", "internal/sync.(*Mutex).Lock",
	    "sync.(*Mutex).Lock", "main.main" },
	  "mutex", R, "sync.Mutex", "main.main" },
	{ "go1.20 text", "sync.RWMutex.RLock", { "sync.runtime_SemacquireRWMutexR", "sync.(*RWMutex).RLock", "main.kRLock" },
	  "mutex", R, "sync.RWMutex", "main.kRLock" },
	{ "go1.19 text", "IO wait",
	  { "internal/poll.runtime_pollWait", "internal/poll.(*pollDesc).wait", "internal/poll.(*pollDesc).waitRead",
	    "internal/poll.(*FD).Accept", "net.(*netFD).accept", "net.(*TCPListener).accept",
	    "net.(*TCPListener).Accept", "main.kIO" },
	  "io", R, "IO wait", "net.(*netFD).accept" },
	{ "go1.19 text", "sleep", { "time.Sleep", "main.kSleep" }, "sleep", R, "sleep", "main.kSleep" },
	{ "go1.19 text", "syscall", { "syscall.Syscall", "syscall.read", "syscall.Read", "main.kSyscall" },
	  "syscall", R, "syscall", "main.kSyscall" },
	{ "go1.19 text, cgo", "syscall", { "main._Cfunc_sleep", "main.kCgo" }, "syscall", R, "syscall", "main._Cfunc_sleep" },
	{ "go1.19 text", "running",
	  { "runtime/pprof.writeGoroutineStacks", "runtime/pprof.writeGoroutine", "runtime/pprof.(*Profile).WriteTo",
	    "main.main" },
	  "running", R, "running", "main.main" },
	{ "go1.19 text", "runnable", { "main.kRun" }, "running", R, "runnable", "main.kRun" },
	{ "go1.19 text, WaitGroup: the frames refine semacquire", "semacquire",
	  { "sync.runtime_Semacquire", "sync.(*WaitGroup).Wait", "main.kWG" }, "waitgroup", F, "sync.(*WaitGroup).Wait",
	  "main.kWG" },
	{ "go1.19 text, Mutex", "semacquire",
	  { "sync.runtime_SemacquireMutex", "sync.(*Mutex).lockSlow", "sync.(*Mutex).Lock", "main.kMutex" },
	  "mutex", F, "sync.(*Mutex).", "main.kMutex" },
	{ "go1.19 text, a second Accept on one listener", "semacquire",
	  { "internal/poll.runtime_Semacquire", "internal/poll.(*fdMutex).rwlock", "internal/poll.(*FD).readLock",
	    "internal/poll.(*FD).Accept", "net.(*netFD).accept", "main.kAccept" },
	  "io", F, "internal/poll.runtime_Semacquire", "net.(*netFD).accept" },
	{ "go1.19 text, os/signal's loop", "syscall", { "os/signal.signal_recv", "os/signal.loop" },
	  "syscall", R, "syscall", "os/signal.signal_recv" },
	{ "go1.19 text, runtime.GC's semaphore", "semacquire", { "runtime.GC", "main.kGC" },
	  "mutex", R, "semacquire", "main.kGC" },
	{ "go1.19 text, a reason no row names: parked, not running", "wait for GC cycle", { "runtime.GC", "main.kGC" },
	  "other", NULL, NULL, "main.kGC" },
	{ "go1.19 text with GOTRACEBACK=system, which keeps runtime frames", "force gc (idle)",
	  { PARK, "runtime.goparkunlock", "runtime.forcegchelper" }, "other", NULL, NULL, NULL },
};

static int count(const char *const *frames)
{
	int n = 0;
	while (n < MAXF && frames[n])
		n++;
	return n;
}

static const struct leaks_kind *classify(const struct stack_case *c, const struct leaks_rule **rule)
{
	int n = count(c->frames);
	return c->reason ? leaks_kind_of_reason(c->reason, c->frames, n, rule) : leaks_kind_of_stack(c->frames, n, rule);
}

/* Marks the row r of table t as exercised. */
static void hit(bool *hits, const struct leaks_table *t, const struct leaks_rule *r)
{
	ck_assert_msg(r >= t->rows && r < t->rows + t->n, "row \"%s\" is not in the table", r->text);
	hits[r - t->rows] = true;
}

static void all_hit(const bool *hits, const struct leaks_table *t, const char *name)
{
	for (int i = 0; i < t->n; i++)
		ck_assert_msg(hits[i], "%s row %d \"%s\" decides no stack in test_leaks.c", name, i, t->rows[i].text);
}

START_TEST(every_row_decides_a_stack)
{
	bool hk[64] = { false }, hp[64] = { false }, hr[64] = { false }, hf[64] = { false };
	const struct leaks_table *tables[] = { K, P, R, F };
	bool *hits[] = { hk, hp, hr, hf };
	for (size_t t = 0; t < ARRLEN(tables); t++)
		ck_assert_int_le(tables[t]->n, 64);
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		const struct stack_case *c = &cases[i];
		const struct leaks_rule *r = &unset;
		const struct leaks_kind *k = classify(c, &r);
		ck_assert_msg(!strcmp(k->name, c->kind), "case %zu (%s, %s): kind %s, want %s", i, c->from,
		              c->frames[0], k->name, c->kind);
		if (!c->row) {
			ck_assert_msg(r == NULL, "case %zu (%s): row \"%s\", want none", i, c->from, r ? r->text : "");
			continue;
		}
		ck_assert_msg(r != NULL && !strcmp(r->text, c->row), "case %zu (%s): row \"%s\", want \"%s\"", i, c->from,
		              r ? r->text : "(none)", c->row);
		for (size_t t = 0; t < ARRLEN(tables); t++)
			if (tables[t] == c->table)
				hit(hits[t], c->table, r);
	}
	all_hit(hk, K, "park");
	all_hit(hp, P, "parked");
	all_hit(hr, R, "reason");
	all_hit(hf, F, "frame");
}
END_TEST

START_TEST(site_is_first_frame_outside_infra)
{
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		const struct stack_case *c = &cases[i];
		const char *site = NULL;
		for (int k = 0; k < count(c->frames) && !site; k++)
			if (!leaks_kind_infra(c->frames[k]))
				site = c->frames[k];
		ck_assert_msg(site && c->site ? !strcmp(site, c->site) : site == c->site, "case %zu (%s): site %s, want %s",
		              i, c->from, site ? site : "(none)", c->site ? c->site : "(none)");
	}
}
END_TEST

START_TEST(infra_rows)
{
	/* one real function name per row, and names the rows must not take */
	static const struct { const char *frame, *row; } fr[] = {
		{ "runtime.gopark", "runtime." },
		{ "runtime/pprof.writeGoroutine", "runtime/" },
		{ "internal/poll.(*FD).Read", "internal/" },
		{ "internal/sync.(*Mutex).Lock", "internal/" },
		{ "sync.(*Mutex).Lock", "sync." },
		{ "sync/atomic.(*Value).Load", "sync/" },
		{ "syscall.Syscall", "syscall." },
		{ "time.Sleep", "time.Sleep" },
		{ "time.(*Timer).Stop", NULL },
		{ "time.Sleeper", NULL },
		{ "net.(*netFD).accept", NULL },
		{ "main.kRecv", NULL },
		{ "runtimex.Foo", NULL },
		{ "syncmap.(*Map).Load", NULL },
		{ "golang.org/x/sync/errgroup.(*Group).Wait", NULL },
		{ "example.com/internal/store.Get", NULL },
	};
	bool hits[64] = { false };
	const struct leaks_table *t = &leaks_kind_infra_rows;
	ck_assert_int_le(t->n, 64);
	for (size_t i = 0; i < ARRLEN(fr); i++) {
		const struct leaks_rule *r = leaks_kind_infra(fr[i].frame);
		if (!fr[i].row) {
			ck_assert_msg(r == NULL, "%s: infra row \"%s\", want none", fr[i].frame, r->text);
			continue;
		}
		ck_assert_msg(r && !strcmp(r->text, fr[i].row), "%s: infra row \"%s\", want \"%s\"", fr[i].frame,
		              r ? r->text : "(none)", fr[i].row);
		ck_assert_ptr_null(r->kind);
		hit(hits, t, r);
	}
	all_hit(hits, t, "infra");
}
END_TEST

START_TEST(only_leaf_most_frames_are_read)
{
	/* A channel receive reached through LEAKS_KIND_FRAMES - 1 frames is
	 * read; one frame further it is not, nor is the gopark below it. */
	const char *frames[LEAKS_KIND_FRAMES + 2];
	for (int depth = LEAKS_KIND_FRAMES - 1; depth <= LEAKS_KIND_FRAMES; depth++) {
		for (int i = 0; i < depth; i++)
			frames[i] = "main.wrapper";
		frames[depth] = "runtime.chanrecv";
		frames[depth + 1] = PARK;
		const struct leaks_rule *r;
		const struct leaks_kind *k = leaks_kind_of_stack(frames, depth + 2, &r);
		ck_assert_str_eq(k->name, depth < LEAKS_KIND_FRAMES ? "chan receive" : "running");
	}
	/* no frames at all: running, as a goroutine with no stack */
	const struct leaks_rule *r = &unset;
	ck_assert_str_eq(leaks_kind_of_stack(frames, 0, &r)->name, "running");
	ck_assert_ptr_null(r);
	/* an empty reason is no reason: the frames decide */
	const char *recv[] = { PARK, "runtime.chanrecv", "main.f" };
	ck_assert_str_eq(leaks_kind_of_reason("", recv, 3, NULL)->name, "chan receive");
	ck_assert_str_eq(leaks_kind_of_reason("", recv + 2, 1, NULL)->name, "running");
}
END_TEST

START_TEST(weights_order_suspicion)
{
	/* docs/LEAKS.md: chan send/receive and select {} 1.0; mutex, waitgroup
	 * 0.9; select, cond 0.8; other 0.5; sleep 0.2; io, syscall 0.1;
	 * running 0.05 */
	static const struct { const char *kind; double w; } want[] = {
		{ "chan receive", 1.0 }, { "chan send", 1.0 }, { "select {}", 1.0 }, { "mutex", 0.9 },
		{ "waitgroup", 0.9 }, { "select", 0.8 }, { "cond", 0.8 }, { "other", 0.5 }, { "sleep", 0.2 },
		{ "io", 0.1 }, { "syscall", 0.1 }, { "running", 0.05 },
	};
	for (size_t w = 0; w < ARRLEN(want); w++) {
		bool found = false;
		for (size_t i = 0; i < ARRLEN(cases); i++) {
			const struct stack_case *c = &cases[i];
			if (strcmp(c->kind, want[w].kind))
				continue;
			const struct leaks_kind *k = classify(c, NULL);
			ck_assert_msg(k->weight == want[w].w, "%s weighs %g, want %g", k->name, k->weight, want[w].w);
			found = true;
		}
		ck_assert_msg(found, "no case of kind %s", want[w].kind);
	}
}
END_TEST

/* The same goroutines as a proto profile has them and as the debug=2 dump
 * of the same moment prints them (tests/leaks/kinds, Go 1.19.8; later
 * releases' reasons where they differ): one kind for both. The dump's
 * frames are the proto's without the runtime's unexported ones. */
static const struct { const char *reason; const char *frames[MAXF]; } pairs[] = {
	{ "chan receive", { PARK, "runtime.chanrecv", "runtime.chanrecv1", "main.kRecv" } },
	{ "chan receive (nil chan)", { PARK, "runtime.chanrecv", "runtime.chanrecv1", "main.kRecvNil" } },
	{ "chan send", { PARK, "runtime.chansend", "runtime.chansend1", "main.kSend" } },
	{ "select", { PARK, "runtime.selectgo", "main.kSelect" } },
	{ "select (no cases)", { PARK, "runtime.block", "main.kSelect0" } },
	{ "sleep", { PARK, "time.Sleep", "main.kSleep" } },
	{ "syscall", { "runtime.notetsleepg", "os/signal.signal_recv", "os/signal.loop" } },
	{ "syscall", { "syscall.Syscall", "syscall.read", "syscall.Read", "main.kSyscall" } },
	{ "syscall", { "runtime.cgocall", "main._Cfunc_sleep", "main.kCgo" } },
	{ "running", { "runtime.goroutineProfileWithLabels", "runtime/pprof.runtime_goroutineProfileWithLabels",
	               "runtime/pprof.writeRuntimeProfile", "runtime/pprof.writeGoroutine", "main.main" } },
	{ "runnable", { "runtime.asyncPreempt2", "runtime.asyncPreempt", "main.kRun" } },
	{ "IO wait", { PARK, "runtime.netpollblock", "internal/poll.runtime_pollWait", "internal/poll.(*pollDesc).wait",
	               "internal/poll.(*FD).Accept", "net.(*netFD).accept", "main.kAccept" } },
	{ "semacquire", { SEMA_PARK, "internal/poll.runtime_Semacquire", "internal/poll.(*fdMutex).rwlock",
	                  "internal/poll.(*FD).readLock", "internal/poll.(*FD).Accept", "net.(*netFD).accept",
	                  "main.kAccept" } },
	{ "semacquire", { SEMA_PARK, "sync.runtime_Semacquire", "sync.(*WaitGroup).Wait", "main.kWG" } },
	{ "sync.WaitGroup.Wait", { SEMA_PARK, "sync.runtime_SemacquireWaitGroup", "sync.(*WaitGroup).Wait", "main.kWG" } },
	{ "semacquire", { SEMA_PARK, "sync.runtime_SemacquireMutex", "sync.(*Mutex).lockSlow", "sync.(*Mutex).Lock",
	                  "main.kMutex" } },
	{ "sync.Mutex.Lock", { SEMA_PARK, "sync.runtime_SemacquireMutex", "sync.(*Mutex).lockSlow", "sync.(*Mutex).Lock",
	                       "main.kMutex" } },
	{ "sync.RWMutex.RLock", { SEMA_PARK, "sync.runtime_SemacquireRWMutexR", "sync.(*RWMutex).RLock", "main.kRLock" } },
	{ "semacquire", { SEMA_PARK, "runtime.semacquire", "runtime.GC", "main.kGC" } },
	{ "sync.Cond.Wait", { PARK, "runtime.goparkunlock", "sync.runtime_notifyListWait", "sync.(*Cond).Wait",
	                      "main.kCond" } },
	{ "wait for GC cycle", { PARK, "runtime.goparkunlock", "runtime.gcWaitOnMark", "runtime.GC", "main.kGC" } },
};

/* A frame a debug=2 dump leaves out: the runtime's unexported functions. */
static bool hidden(const char *f)
{
	return !strncmp(f, "runtime.", 8) && !(f[8] >= 'A' && f[8] <= 'Z');
}

START_TEST(proto_and_dump_agree)
{
	for (size_t i = 0; i < ARRLEN(pairs); i++) {
		const char *dump[MAXF];
		int n = count(pairs[i].frames), nd = 0;
		for (int k = 0; k < n; k++)
			if (!hidden(pairs[i].frames[k]))
				dump[nd++] = pairs[i].frames[k];
		const struct leaks_kind *p = leaks_kind_of_stack(pairs[i].frames, n, NULL);
		const struct leaks_kind *t = leaks_kind_of_reason(pairs[i].reason, dump, nd, NULL);
		ck_assert_msg(p == t, "pair %zu (%s, %s): proto %s, dump %s", i, pairs[i].reason, pairs[i].frames[n - 1],
		              p->name, t->name);
	}
}
END_TEST

/* The words of every kind, for one goroutine and for two. */
START_TEST(amounts_read_right)
{
	static const struct { const char *kind, *one, *two; } want[] = {
		{ "chan receive", "1 goroutine blocked receiving from a channel", "2 goroutines blocked receiving from a channel" },
		{ "chan send", "1 goroutine blocked sending on a channel", "2 goroutines blocked sending on a channel" },
		{ "select {}", "1 goroutine blocked in an empty select {}", "2 goroutines blocked in an empty select {}" },
		{ "mutex", "1 goroutine waiting for a lock", "2 goroutines waiting for a lock" },
		{ "waitgroup", "1 goroutine waiting on a WaitGroup", "2 goroutines waiting on a WaitGroup" },
		{ "select", "1 goroutine blocked in select", "2 goroutines blocked in select" },
		{ "cond", "1 goroutine waiting on a sync.Cond", "2 goroutines waiting on a sync.Cond" },
		{ "other", "1 goroutine parked for a reason no rule names", "2 goroutines parked for a reason no rule names" },
		{ "sleep", "1 goroutine sleeping", "2 goroutines sleeping" },
		{ "io", "1 goroutine waiting for network I/O", "2 goroutines waiting for network I/O" },
		{ "syscall", "1 goroutine in a system call", "2 goroutines in a system call" },
		{ "running", "1 goroutine running", "2 goroutines running" },
	};
	ck_assert_int_eq(leaks_n_kinds, (int)ARRLEN(want));
	for (int k = 0; k < leaks_n_kinds; k++) {
		const struct leaks_kind *kd = leaks_kinds[k];
		size_t w = 0;
		while (w < ARRLEN(want) && strcmp(want[w].kind, kd->name))
			w++;
		ck_assert_msg(w < ARRLEN(want), "kind %s has no expected words", kd->name);
		char out[160];
		leaks_kind_amount(kd, 1, out, sizeof(out));
		ck_assert_str_eq(out, want[w].one);
		leaks_kind_amount(kd, 2, out, sizeof(out));
		ck_assert_str_eq(out, want[w].two);
		/* a kind a pile-up of which is usually benign says why */
		ck_assert_msg((kd->weight < 0.5) == (kd->usual != NULL), "kind %s: usual %s", kd->name,
		              kd->usual ? kd->usual : "(none)");
	}
}
END_TEST

/* A wait reason that gives each kind in a dump. */
static const struct { const char *kind, *reason; } dump_reason[] = {
	{ "chan receive", "chan receive" }, { "chan send", "chan send" }, { "select {}", "select (no cases)" },
	{ "mutex", "sync.Mutex.Lock" }, { "waitgroup", "sync.WaitGroup.Wait" }, { "select", "select" },
	{ "cond", "sync.Cond.Wait" }, { "other", "wait for GC cycle" }, { "sleep", "sleep" }, { "io", "IO wait" },
	{ "syscall", "syscall" }, { "running", "runnable" },
};

/* A debug=2 dump: one goroutine at main.bg, and count of the kind's reason at main.site. */
static struct prof *dump_of(const char *reason, int count, int64_t first_goid)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "goroutine 1 [select]:\nmain.bg()\n\t/src/app/bg.go:5 +0x1\n\n");
	for (int g = 0; g < count; g++)
		buf_printf(&b, "goroutine %lld [%s]:\nmain.site()\n\t/src/app/main.go:10 +0x1\ncreated by main.main\n"
		           "\t/src/app/main.go:3 +0x2\n\n", (long long)(first_goid + g), reason);
	struct decode_err err = { 0 };
	struct prof *p = textdump_decode((const uint8_t *)b.data, b.len, TEXTDUMP_DEBUG2, &err);
	ck_assert_msg(p != NULL, "dump does not decode: %s", err.message);
	buf_release(&b);
	return p;
}

/* The leak table's answer for the snapshots, 10 s apart, as text. */
static char *leaks_of(struct prof **ps, int n)
{
	struct leak_snap snaps[4];
	ck_assert_int_le(n, 4);
	for (int i = 0; i < n; i++) {
		snaps[i].p = ps[i];
		snprintf(snaps[i].id, sizeof(snaps[i].id), "snap%d", i);
		snaps[i].time_ns = (int64_t)i * 10 * 1000000000LL;
		snaps[i].time_source = "client";
	}
	struct leak_opts o = { 30, 50, 1000, 0 };
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	ck_assert_int_eq(leaks_json(snaps, n, &o, &j), 0);
	buf_addc(&b, '\0');
	ck_assert(!b.oom);
	return b.data;
}

START_TEST(reasons_read_right)
{
	/* every kind, with 1 and 2 goroutines at the site at the end: one
	 * snapshot, and a series growing to it (0, then the count) */
	ck_assert_int_eq((int)ARRLEN(dump_reason), leaks_n_kinds);
	for (size_t k = 0; k < ARRLEN(dump_reason); k++) {
		const struct leaks_kind *kd = NULL;
		for (int i = 0; i < leaks_n_kinds; i++)
			if (!strcmp(leaks_kinds[i]->name, dump_reason[k].kind))
				kd = leaks_kinds[i];
		ck_assert_ptr_nonnull(kd);
		for (int count = 1; count <= 2; count++) {
			char amount[160], want[240];
			leaks_kind_amount(kd, count, amount, sizeof(amount));
			snprintf(want, sizeof(want), "\"reason\":\"%s at main.go:10", amount);
			struct prof *ps[2] = { dump_of(dump_reason[k].reason, 0, 100), dump_of(dump_reason[k].reason, count, 100) };
			for (int series = 0; series < 2; series++) {
				char *out = leaks_of(ps + 1 - series, 1 + series);
				char wait[80];
				snprintf(wait, sizeof(wait), "\"wait\":\"%s\"", kd->name);
				ck_assert_msg(strstr(out, wait), "%s: no candidate of kind %s in %s", dump_reason[k].reason, kd->name, out);
				if (series == 0)
					ck_assert_msg(strstr(out, want), "%s x %d, one snapshot: no %s in %s", kd->name, count, want, out);
				else
					ck_assert_msg(strstr(out, amount), "%s x %d, series: no \"%s\" in %s", kd->name, count, amount, out);
				ck_assert_msg(!strstr(out, "1 goroutines"), "%s: \"1 goroutines\" in %s", kd->name, out);
				ck_assert_msg(!strstr(out, "in running") && !strstr(out, "running, which"), "%s: %s", kd->name, out);
				if (series == 1 && kd->usual)
					ck_assert_msg(strstr(out, kd->usual), "%s growing: no \"%s\" in %s", kd->name, kd->usual, out);
				free(out);
			}
			prof_free(ps[0]);
			prof_free(ps[1]);
		}
	}
}
END_TEST

START_TEST(growth_share_is_a_share)
{
	/* main.site grows 0 -> 4 while main.bg's neighbour shrinks 6 -> 1:
	 * the total grows by -1, yet the site holds all of the growth */
	struct buf b[2] = { BUF_INIT, BUF_INIT };
	const int site[2] = { 0, 4 }, shrinking[2] = { 6, 1 };
	struct prof *ps[2];
	for (int i = 0; i < 2; i++) {
		int g = 1;
		buf_printf(&b[i], "goroutine %d [select]:\nmain.bg()\n\t/src/app/bg.go:5 +0x1\n\n", g++);
		for (int k = 0; k < site[i]; k++, g++)
			buf_printf(&b[i], "goroutine %d [chan receive]:\nmain.site()\n\t/src/app/main.go:10 +0x1\n\n", 100 + g);
		for (int k = 0; k < shrinking[i]; k++, g++)
			buf_printf(&b[i], "goroutine %d [chan send]:\nmain.shrink()\n\t/src/app/s.go:7 +0x1\n\n", 200 + k);
		struct decode_err err = { 0 };
		ps[i] = textdump_decode((const uint8_t *)b[i].data, b[i].len, TEXTDUMP_DEBUG2, &err);
		ck_assert_ptr_nonnull(ps[i]);
		buf_release(&b[i]);
	}
	char *out = leaks_of(ps, 2);
	const char *c = strstr(out, "\"function\":\"main.site\"");
	ck_assert_ptr_nonnull(c);
	const char *sh = strstr(c, "\"growth_share\":");
	ck_assert_ptr_nonnull(sh);
	ck_assert_double_eq(strtod(sh + 15, NULL), 1.0);
	c = strstr(out, "\"function\":\"main.shrink\"");
	ck_assert_ptr_nonnull(c);
	sh = strstr(c, "\"growth_share\":");
	ck_assert_double_eq(strtod(sh + 15, NULL), 0.0);
	free(out);
	prof_free(ps[0]);
	prof_free(ps[1]);
}
END_TEST

START_TEST(times_given_at_upload)
{
	static const struct { const char *s; int64_t ns; } good[] = {
		{ "2024-05-01T12:00:00Z", 1714564800000000000LL },
		{ "2024-05-01t12:00:00z", 1714564800000000000LL },
		{ "2024-05-01 12:00:00Z", 1714564800000000000LL },
		{ "2024-05-01T14:00:00.25+02:00", 1714564800250000000LL },
		{ "2024-05-01T11:30:00.123456789-00:30", 1714564800123456789LL },
		{ "2024-02-29T00:00:00Z", 1709164800000000000LL },
		{ "2000-03-01T00:00:00Z", 951868800000000000LL },
		{ "1970-01-01T00:00:00.000000001Z", 1 },
		{ "1969-12-31T23:00:01-01:00", 1000000000LL },
		{ "2016-12-31T23:59:60Z", 1483228800000000000LL },
		{ "1714564800", 1714564800000000000LL },
		{ "1714564800.5", 1714564800500000000LL },
		{ "1", 1000000000LL },
		{ "1714564800250000000", 1714564800250000000LL },
		{ "100000000000000000", 100000000000000000LL },
	};
	for (size_t i = 0; i < ARRLEN(good); i++) {
		int64_t ns = 0;
		char err[256] = "";
		ck_assert_msg(timearg_parse(good[i].s, &ns, err, sizeof(err)) == 0, "%s: %s", good[i].s, err);
		ck_assert_msg(ns == good[i].ns, "%s: %lld, want %lld", good[i].s, (long long)ns, (long long)good[i].ns);
	}
	static const struct { const char *s, *says; } bad[] = {
		{ "", "not a time" }, { "yesterday", "not a time" }, { "2024-05-01", "not a time" },
		{ "2024-05-01T12:00:00", "not a time" }, { "2024-13-01T12:00:00Z", "not a time" },
		{ "2023-02-29T12:00:00Z", "not a time" }, { "2024-04-31T12:00:00Z", "not a time" },
		{ "2024-05-01T24:00:00Z", "not a time" }, { "2024-05-01T12:00:00.Z", "not a time" },
		{ "2024-05-01T12:00:00.1234567891Z", "not a time" }, { "2024-05-01T12:00:00+2:00", "not a time" },
		{ "2024-05-01T12:00:00Zjunk", "not a time" }, { "-1714564800", "not a time" }, { "1e9", "not a time" },
		{ "1714564800.", "not a time" }, { " 1714564800", "not a time" },
		{ "1714564800000", "ambiguous" }, { "1714564800000000", "ambiguous" }, { "100000000000.5", "ambiguous" },
		{ "0", "out of range" }, { "0.0", "out of range" }, { "1970-01-01T00:00:00Z", "out of range" },
		{ "1960-01-01T00:00:00Z", "out of range" }, { "2263-01-01T00:00:00Z", "out of range" },
		{ "99999999999", "out of range" }, { "9999999999999999999", "out of range" }, { "99999999999999999999999", "out of range" },
	};
	for (size_t i = 0; i < ARRLEN(bad); i++) {
		int64_t ns = 42;
		char err[256] = "";
		ck_assert_msg(timearg_parse(bad[i].s, &ns, err, sizeof(err)) < 0, "%s parsed as %lld", bad[i].s,
		              (long long)ns);
		ck_assert_msg(strstr(err, bad[i].says), "%s: \"%s\" does not say %s", bad[i].s, err, bad[i].says);
	}
}
END_TEST

Suite *leaks_suite(void)
{
	Suite *s = suite_create("leaks");
	TCase *tc = tcase_create("kind");
	tcase_add_test(tc, every_row_decides_a_stack);
	tcase_add_test(tc, site_is_first_frame_outside_infra);
	tcase_add_test(tc, infra_rows);
	tcase_add_test(tc, only_leaf_most_frames_are_read);
	tcase_add_test(tc, weights_order_suspicion);
	tcase_add_test(tc, proto_and_dump_agree);
	tcase_add_test(tc, amounts_read_right);
	suite_add_tcase(s, tc);
	tc = tcase_create("table");
	tcase_add_test(tc, reasons_read_right);
	tcase_add_test(tc, growth_share_is_a_share);
	tcase_add_test(tc, times_given_at_upload);
	suite_add_tcase(s, tc);
	return s;
}
