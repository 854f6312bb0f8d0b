/*
 * test_leaks.c: wait kinds and blocking sites (leaks_kind.h).
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
#include <string.h>

#include "leaks_kind.h"
#include "tests.h"

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

static const struct leaks_table *const F = &leaks_kind_frame_rows, *const S = &leaks_kind_semaphore_rows,
	*const P = &leaks_kind_parked_rows, *const R = &leaks_kind_reason_rows;

static const struct stack_case cases[] = {
	/* ---- proto stacks: the frame, semaphore and parked tables ---- */
	{ "go1.19 proto", NULL, { PARK, "runtime.chanrecv", "runtime.chanrecv1", "main.kRecv" },
	  "chan receive", F, "runtime.chanrecv", "main.kRecv" },
	{ "go1.19 proto, v, ok := <-c", NULL, { PARK, "runtime.chanrecv", "runtime.chanrecv2", "main.kRecv2" },
	  "chan receive", F, "runtime.chanrecv", "main.kRecv2" },
	{ "go1.19 proto", NULL, { PARK, "runtime.chansend", "runtime.chansend1", "main.kSend" },
	  "chan send", F, "runtime.chansend", "main.kSend" },
	{ "go1.19 proto", NULL, { PARK, "runtime.selectgo", "main.kSelect" },
	  "select", F, "runtime.selectgo", "main.kSelect" },
	{ "go1.19 proto, select {}", NULL, { PARK, "runtime.block", "main.kSelect0" },
	  "select {}", F, "runtime.block", "main.kSelect0" },
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
	  "io", F, "runtime.netpollblock", "net.(*netFD).accept" },
	{ "go1.19 text frames, read as a stack", NULL,
	  { "internal/poll.runtime_pollWait", "internal/poll.(*pollDesc).wait", "internal/poll.(*pollDesc).waitRead",
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
	  "syscall", F, "runtime.cgocall", "main._Cfunc_sleep" },
	{ "go1.19 proto, a package that links the semaphore in (as gvisor's pkg/sync does)", NULL,
	  { SEMA_PARK, "sync.runtime_Semacquire", "example.com/locks.(*Sema).Acquire", "main.kSema" },
	  "mutex", S, "sync.runtime_Semacquire", "example.com/locks.(*Sema).Acquire" },
	{ "guard: go1.24 proto with internal/sync's caller renamed", NULL,
	  { SEMA_PARK, "internal/sync.runtime_SemacquireMutex", "internal/sync.(*Mutex2).lockSlow", "main.kMutex" },
	  "mutex", S, "internal/sync.runtime_Semacquire", "main.kMutex" },
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
	  { "sync.runtime_Semacquire", "sync.(*WaitGroup).Wait", "main.kWG" }, "waitgroup", R, "semacquire", "main.kWG" },
	{ "go1.19 text, Mutex", "semacquire",
	  { "sync.runtime_SemacquireMutex", "sync.(*Mutex).lockSlow", "sync.(*Mutex).Lock", "main.kMutex" },
	  "mutex", R, "semacquire", "main.kMutex" },
	{ "go1.19 text, runtime.GC's semaphore", "semacquire", { "runtime.GC", "main.kGC" },
	  "mutex", R, "semacquire", "main.kGC" },
	{ "go1.19 text, a reason no row names: parked, not running", "wait for GC cycle", { "runtime.GC", "main.kGC" },
	  "other", NULL, NULL, "main.kGC" },
	{ "go1.19 text with GOTRACEBACK=system, which keeps runtime frames", "force gc (idle)",
	  { PARK, "runtime.goparkunlock", "runtime.forcegchelper" }, "other", P, "runtime.gopark", NULL },
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
	bool hf[64] = { false }, hs[64] = { false }, hp[64] = { false }, hr[64] = { false };
	const struct leaks_table *tables[] = { F, S, P, R };
	bool *hits[] = { hf, hs, hp, hr };
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
	all_hit(hf, F, "frame");
	all_hit(hs, S, "semaphore");
	all_hit(hp, P, "parked");
	all_hit(hr, R, "reason");
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

Suite *leaks_suite(void)
{
	Suite *s = suite_create("leaks");
	TCase *tc = tcase_create("kind");
	tcase_add_test(tc, every_row_decides_a_stack);
	tcase_add_test(tc, site_is_first_frame_outside_infra);
	tcase_add_test(tc, infra_rows);
	tcase_add_test(tc, only_leaf_most_frames_are_read);
	tcase_add_test(tc, weights_order_suspicion);
	suite_add_tcase(s, tc);
	return s;
}
