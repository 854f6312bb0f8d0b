/*
 * test_runtime_share.c: the runtime categories of CPU samples
 * (runtime_share.h).
 *
 * Stacks are leaf first, in the shape the runtime writes them; each says
 * where it comes from:
 *
 *   go1.19   go tool pprof -traces of tests/data/runtime/gogc10.pprof,
 *            written by tests/progs/runtimeprof under Debian's Go 1.19.8
 *   go1.2x   a later release's names, from that release's runtime source
 *   guard    a name a rule exists for, in a stack made up for it
 *
 * Every rule of the table decides at least one stack below or one name of
 * the per-release list, and the suite fails when a rule is added without
 * one. The real profiles' category totals are checked against go tool
 * pprof in tests/api/test_runtime.py; here they are checked against the
 * numbers pprof printed for them (the commands are next to the numbers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "jsoncheck.h"
#include "prof.h"
#include "runtime_share.h"
#include "tests.h"
#include "view.h"

#define MAXF 20

struct stack_case {
	const char *from;
	const char *frames[MAXF]; /* leaf first, NULL-terminated */
	enum runtime_share_cat want;
	const char *rule; /* the rule of the deciding frame; NULL: user */
};

#define MAIN_ALLOC                                                                                  \
	"runtime.makeslice", "main.allocPhase", "main.main.func1", "runtime/pprof.Do", "main.main", \
		"runtime.main"
#define MAIN_GC                                                                                  \
	"runtime.newobject", "main.gcPhase", "main.main.func1", "runtime/pprof.Do", "main.main", \
		"runtime.main"
#define WRITE                                                                                  \
	"syscall.write", "internal/poll.(*FD).Write", "os.(*File).Write", "main.syscallPhase", \
		"main.main.func1", "runtime/pprof.Do", "main.main", "runtime.main"

static const struct stack_case cases[] = {
	/* ---- allocation, and the GC work done inside mallocgc ---- */
	{ "go1.19", { "runtime.mallocgc", MAIN_ALLOC }, RUNTIME_SHARE_ALLOC, "runtime.mallocgc" },
	{ "go1.19",
	  { "runtime.memclrNoHeapPointers", "runtime.mallocgc", MAIN_ALLOC },
	  RUNTIME_SHARE_ALLOC,
	  "runtime.mallocgc" },
	{ "go1.19 span refill",
	  { "runtime.(*consistentHeapStats).acquire", "runtime.(*mcache).refill",
	    "runtime.(*mcache).nextFree", "runtime.mallocgc", MAIN_ALLOC },
	  RUNTIME_SHARE_ALLOC,
	  "runtime.mallocgc" },
	{ "go1.19 heap growth",
	  { "runtime.sysHugePageOS", "runtime.sysUsedOS", "runtime.sysUsed", "runtime.(*mheap).allocSpan",
	    "runtime.(*mheap).alloc.func1", "runtime.systemstack", "runtime.(*mheap).alloc",
	    "runtime.(*mcentral).grow", "runtime.(*mcentral).cacheSpan", "runtime.(*mcache).refill",
	    "runtime.(*mcache).nextFree", "runtime.mallocgc", MAIN_GC },
	  RUNTIME_SHARE_ALLOC,
	  "runtime.mallocgc" },
	{ "go1.19 assist",
	  { "runtime.scanobject", "runtime.gcDrainN", "runtime.gcAssistAlloc1", "runtime.gcAssistAlloc.func1",
	    "runtime.systemstack", "runtime.gcAssistAlloc", "runtime.mallocgc", MAIN_GC },
	  RUNTIME_SHARE_GC,
	  "runtime.scanobject" },
	{ "go1.19 assist",
	  { "runtime.gcAssistAlloc1", "runtime.gcAssistAlloc.func1", "runtime.systemstack",
	    "runtime.gcAssistAlloc", "runtime.mallocgc", MAIN_GC },
	  RUNTIME_SHARE_GC,
	  "runtime.gcAssistAlloc" },
	{ "go1.19 mark worker roots",
	  { "runtime.markroot.func1", "runtime.markroot", "runtime.gcDrain", "runtime.gcBgMarkWorker.func2",
	    "runtime.systemstack", "runtime.gcBgMarkWorker" },
	  RUNTIME_SHARE_GC,
	  "runtime.markroot" },
	{ "go1.19 assist scans roots",
	  { "runtime.scanblock", "runtime.markrootBlock", "runtime.markroot", "runtime.gcDrainN",
	    "runtime.gcAssistAlloc1", "runtime.gcAssistAlloc.func1", "runtime.systemstack",
	    "runtime.gcAssistAlloc", "runtime.mallocgc", MAIN_ALLOC },
	  RUNTIME_SHARE_GC,
	  "runtime.scanblock" },
	{ "go1.19 assist",
	  { "runtime.greyobject", "runtime.scanobject", "runtime.gcDrainN", "runtime.gcAssistAlloc1",
	    "runtime.gcAssistAlloc.func1", "runtime.systemstack", "runtime.gcAssistAlloc", "runtime.mallocgc",
	    MAIN_GC },
	  RUNTIME_SHARE_GC,
	  "runtime.greyobject" },
	{ "go1.19 proportional sweep",
	  { "runtime.(*spanSet).pop", "runtime.(*mheap).nextSpanForSweep", "runtime.sweepone",
	    "runtime.deductSweepCredit", "runtime.(*mcentral).cacheSpan", "runtime.(*mcache).refill",
	    "runtime.(*mcache).nextFree", "runtime.mallocgc", MAIN_ALLOC },
	  RUNTIME_SHARE_GC,
	  "runtime.sweepone" },
	{ "go1.19 proportional sweep",
	  { "runtime.(*sysMemStat).add", "runtime.(*mheap).freeSpanLocked", "runtime.(*mheap).freeSpan.func1",
	    "runtime.systemstack", "runtime.(*mheap).freeSpan", "runtime.(*sweepLocked).sweep",
	    "runtime.sweepone", "runtime.deductSweepCredit", "runtime.(*mcentral).cacheSpan",
	    "runtime.mallocgc", MAIN_ALLOC },
	  RUNTIME_SHARE_GC,
	  "runtime.(*sweepLocked)." },
	{ "go1.19 GC start from mallocgc",
	  { "runtime.(*spanSet).reset", "runtime.finishsweep_m", "runtime.gcStart.func1",
	    "runtime.systemstack", "runtime.gcStart", "runtime.mallocgc", MAIN_GC },
	  RUNTIME_SHARE_GC,
	  "runtime.finishsweep_m" },
	/* ---- background GC ---- */
	{ "go1.19 mark worker",
	  { "runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker.func2", "runtime.systemstack",
	    "runtime.gcBgMarkWorker" },
	  RUNTIME_SHARE_GC,
	  "runtime.scanobject" },
	{ "go1.19 mark worker",
	  { "runtime.markBits.isMarked", "runtime.gcDrain", "runtime.gcBgMarkWorker.func2",
	    "runtime.systemstack", "runtime.gcBgMarkWorker" },
	  RUNTIME_SHARE_GC,
	  "runtime.gcDrain" },
	{ "go1.19 mark worker", { "runtime.gcBgMarkWorker" }, RUNTIME_SHARE_GC, "runtime.gcBgMark" },
	{ "go1.19 mark termination",
	  { "runtime.forEachP", "runtime.gcMarkDone.func1", "runtime.systemstack", "runtime.gcMarkDone",
	    "runtime.gcBgMarkWorker" },
	  RUNTIME_SHARE_GC,
	  "runtime.gcMark" },
	{ "go1.19 bg sweep",
	  { "runtime.sweepone", "runtime.bgsweep" },
	  RUNTIME_SHARE_GC,
	  "runtime.sweepone" },
	{ "go1.19 bg sweep",
	  { "runtime.unlock2", "runtime.unlockWithRank", "runtime.unlock", "runtime.bgsweep" },
	  RUNTIME_SHARE_GC,
	  "runtime.bgsweep" },
	{ "go1.19 bg sweep",
	  { "runtime.(*consistentHeapStats).release", "runtime.(*sweepLocked).sweep", "runtime.sweepone",
	    "runtime.bgsweep" },
	  RUNTIME_SHARE_GC,
	  "runtime.(*sweepLocked)." },
	{ "go1.19 scavenger",
	  { "runtime.madvise", "runtime.sysUnusedOS", "runtime.sysUnused", "runtime.(*pageAlloc).scavengeOne",
	    "runtime.(*pageAlloc).scavenge.func1", "runtime.systemstack", "runtime.(*pageAlloc).scavenge",
	    "runtime.(*scavengerState).init.func2", "runtime.(*scavengerState).run", "runtime.bgscavenge" },
	  RUNTIME_SHARE_GC,
	  "runtime.(*pageAlloc).scavenge" },
	{ "go1.19 write barrier",
	  { "runtime.gcWriteBarrier", "main.gcPhase", "main.main.func1", "runtime/pprof.Do", "main.main",
	    "runtime.main" },
	  RUNTIME_SHARE_GC,
	  "runtime.gcWriteBarrier" },
	{ "go1.19 write barrier",
	  { "runtime.gcWriteBarrierDX", "main.gcPhase" },
	  RUNTIME_SHARE_GC,
	  "runtime.gcWriteBarrier" },
	{ "go1.19 write barrier flush",
	  { "runtime.(*gcWork).putFast", "runtime.greyobject", "runtime.shade", "runtime.wbBufFlush1",
	    "runtime.wbBufFlush.func1", "runtime.systemstack", "runtime.wbBufFlush", "runtime.gcWriteBarrier",
	    "main.gcPhase" },
	  RUNTIME_SHARE_GC,
	  "runtime.(*gcWork)." },
	{ "go1.19 write barrier flush",
	  { "runtime.shade", "runtime.wbBufFlush1", "runtime.wbBufFlush.func1" },
	  RUNTIME_SHARE_GC,
	  "runtime.shade" },
	{ "go1.19 typedmemmove under GC",
	  { "runtime.bulkBarrierPreWrite", "runtime.typedmemmove", "main.copyStruct" },
	  RUNTIME_SHARE_GC,
	  "runtime.bulkBarrierPreWrite" },
	/* ---- system calls ---- */
	{ "go1.19 write(2)",
	  { "runtime/internal/syscall.Syscall6", "syscall.RawSyscall6", "syscall.Syscall", WRITE },
	  RUNTIME_SHARE_SYSCALL,
	  "runtime/internal/syscall." },
	{ "go1.19 entersyscall",
	  { "runtime.casgstatus", "runtime.reentersyscall", "runtime.entersyscall", "syscall.Syscall",
	    WRITE },
	  RUNTIME_SHARE_SYSCALL,
	  "runtime.reentersyscall" },
	{ "go1.19 exitsyscall",
	  { "runtime.wirep", "runtime.exitsyscallfast", "runtime.exitsyscall", "syscall.Syscall", WRITE },
	  RUNTIME_SHARE_SYSCALL,
	  "runtime.exitsyscallfast" },
	{ "go1.19 exitsyscall",
	  { "runtime.exitsyscall", "syscall.Syscall", WRITE },
	  RUNTIME_SHARE_SYSCALL,
	  "runtime.exitsyscall" },
	{ "go1.19 getpid(2)",
	  { "syscall.rawSyscallNoError", "main.syscallPhase", "main.main" },
	  RUNTIME_SHARE_SYSCALL,
	  "syscall." },
	{ "go1.19 the poll package alone is user code",
	  { "internal/poll.(*fdMutex).rwlock", "internal/poll.(*FD).Write", "os.(*File).Write",
	    "main.syscallPhase" },
	  RUNTIME_SHARE_USER,
	  NULL },
	{ "guard cgo",
	  { "runtime.asmcgocall", "runtime.cgocall", "main._Cfunc_work", "main.main" },
	  RUNTIME_SHARE_SYSCALL,
	  "runtime.asmcgocall" },
	{ "guard cgo",
	  { "runtime.cgocall", "main._Cfunc_work", "main.main" },
	  RUNTIME_SHARE_SYSCALL,
	  "runtime.cgocall" },
	{ "guard windows",
	  { "runtime.asmstdcall", "syscall.SyscallN", "main.main" },
	  RUNTIME_SHARE_SYSCALL,
	  "runtime.asmstdcall" },
	{ "guard x/sys",
	  { "golang.org/x/sys/unix.Syscall", "golang.org/x/sys/unix.ioctl", "main.main" },
	  RUNTIME_SHARE_SYSCALL,
	  "golang.org/x/sys/unix.Syscall" },
	{ "guard x/sys",
	  { "golang.org/x/sys/unix.RawSyscallNoError", "golang.org/x/sys/unix.Getpid" },
	  RUNTIME_SHARE_SYSCALL,
	  "golang.org/x/sys/unix.RawSyscall" },
	{ "go1.19 untraceable",
	  { "runtime._VDSO", "runtime._System" },
	  RUNTIME_SHARE_SYSCALL,
	  "runtime._VDSO" },
	{ "go1.19 untraceable",
	  { "runtime._ExternalCode", "runtime._System" },
	  RUNTIME_SHARE_SYSCALL,
	  "runtime._ExternalCode" },
	{ "go1.19 untraceable", { "runtime._ExternalCode", "runtime._GC" }, RUNTIME_SHARE_GC, "runtime._GC" },
	{ "go1.19 untraceable",
	  { "runtime.futex", "runtime._System" },
	  RUNTIME_SHARE_SCHED,
	  "runtime._System" },
	/* ---- the scheduler ---- */
	{ "go1.19 park",
	  { "runtime.findRunnable", "runtime.schedule", "runtime.park_m", "runtime.mcall" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.findRunnable" },
	{ "go1.19 park",
	  { "runtime.casgstatus", "runtime.execute", "runtime.schedule", "runtime.park_m", "runtime.mcall" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.execute" },
	{ "go1.19 park",
	  { "runtime.schedule", "runtime.park_m", "runtime.mcall" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.schedule" },
	{ "go1.19 park",
	  { "runtime.chanparkcommit", "runtime.park_m", "runtime.mcall" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.park_m" },
	{ "go1.19 park", { "runtime.mcall" }, RUNTIME_SHARE_SCHED, "runtime.mcall" },
	{ "go1.19 timers",
	  { "runtime.checkTimers", "runtime.findRunnable", "runtime.schedule", "runtime.park_m",
	    "runtime.mcall" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.checkTimers" },
	{ "go1.19 Gosched",
	  { "runtime.lock2", "runtime.findRunnable", "runtime.schedule", "runtime.goschedImpl",
	    "runtime.gosched_m", "runtime.mcall" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.findRunnable" },
	{ "go1.19 Gosched",
	  { "runtime.goschedImpl", "runtime.gosched_m", "runtime.mcall" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.goschedImpl" },
	{ "go1.19 Gosched",
	  { "runtime.gosched_m", "runtime.mcall" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.gosched_m" },
	{ "go1.19 stack-guard preemption",
	  { "runtime.futex", "runtime.futexwakeup", "runtime.notewakeup", "runtime.runSafePointFn",
	    "runtime.findRunnable", "runtime.schedule", "runtime.goschedImpl", "runtime.gopreempt_m",
	    "runtime.newstack", "runtime.morestack" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.findRunnable" },
	{ "go1.19 stack-guard preemption",
	  { "runtime.gopreempt_m", "runtime.newstack", "runtime.morestack" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.gopreempt_m" },
	{ "go1.19 async preemption",
	  { "runtime.asyncPreempt", "main.userPhase", "main.main.func1" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.asyncPreempt" },
	{ "go1.19 wake a receiver",
	  { "runtime.wakep", "runtime.ready", "runtime.goready.func1", "runtime.systemstack",
	    "runtime.goready", "runtime.send", "runtime.chansend", "runtime.chansend1",
	    "main.schedPhase.func2" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.wakep" },
	{ "go1.19 wake a receiver",
	  { "runtime.runqput", "runtime.ready", "runtime.goready.func1", "runtime.systemstack",
	    "runtime.goready", "runtime.recv", "runtime.chanrecv", "runtime.chanrecv1",
	    "main.schedPhase.func1" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.ready" },
	{ "go1.19 wake a receiver",
	  { "runtime.goready.func1", "runtime.systemstack", "runtime.goready", "runtime.send" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.goready" },
	{ "go1.19 channel ops without a wake-up are user code",
	  { "runtime.lock2", "runtime.lockWithRank", "runtime.lock", "runtime.chansend", "runtime.chansend1",
	    "main.schedPhase.func2" },
	  RUNTIME_SHARE_USER,
	  NULL },
	{ "go1.19 exitsyscall slow path",
	  { "runtime.stopm", "runtime.exitsyscall0", "runtime.mcall" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.stopm" },
	{ "go1.19 exitsyscall slow path",
	  { "runtime.exitsyscall0", "runtime.mcall" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.exitsyscall0" },
	{ "go1.19 exit",
	  { "runtime.gfput", "runtime.goexit0", "runtime.mcall" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.goexit0" },
	{ "go1.19 exit", { "runtime.goexit1", "runtime.goexit" }, RUNTIME_SHARE_SCHED, "runtime.goexit1" },
	{ "go1.19 preempted",
	  { "runtime.preemptPark", "runtime.mcall" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.preemptPark" },
	{ "go1.19 steal",
	  { "runtime.runqgrab", "runtime.runqsteal", "runtime.stealWork", "runtime.findRunnable",
	    "runtime.schedule" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.runqgrab" },
	{ "go1.19 steal",
	  { "runtime.runqsteal", "runtime.stealWork" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.runqsteal" },
	{ "go1.19 steal",
	  { "runtime.stealWork", "runtime.findRunnable" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.stealWork" },
	{ "go1.19 idle",
	  { "runtime.futex", "runtime.futexsleep", "runtime.notesleep", "runtime.stopm",
	    "runtime.findRunnable", "runtime.schedule", "runtime.mstart1", "runtime.mstart0",
	    "runtime.mstart" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.stopm" },
	{ "go1.19 handoff",
	  { "runtime.startm", "runtime.handoffp", "runtime.retake", "runtime.sysmon", "runtime.mstart1" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.startm" },
	{ "go1.19 handoff",
	  { "runtime.handoffp", "runtime.retake" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.handoffp" },
	{ "go1.19 sysmon",
	  { "runtime.retake", "runtime.sysmon", "runtime.mstart1" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.retake" },
	{ "go1.19 sysmon",
	  { "runtime.usleep", "runtime.sysmon", "runtime.mstart1" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.sysmon" },
	{ "go1.19 spinning",
	  { "runtime.resetspinning", "runtime.schedule" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.resetspinning" },
	{ "go1.19 netpoller",
	  { "runtime.epollwait", "runtime.netpoll", "runtime.findRunnable" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.netpoll" },
	{ "go1.19 netpoller",
	  { "runtime.injectglist", "runtime.findRunnable" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.injectglist" },
	{ "go1.19 template thread",
	  { "runtime.notesleep", "runtime.templateThread", "runtime.mstart1" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.templateThread" },
	{ "go1.19 park",
	  { "runtime.gopark", "runtime.chanrecv", "main.consumer" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.gopark" },
	{ "go1.19 park",
	  { "runtime.goparkunlock", "runtime.semacquire1" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.goparkunlock" },
	{ "go1.19 go statement",
	  { "runtime.newproc1", "runtime.newproc.func1", "runtime.systemstack", "runtime.newproc",
	    "main.spawn" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.newproc" },
	{ "go1.19 Gosched", { "runtime.Gosched", "main.spin" }, RUNTIME_SHARE_SCHED, "runtime.Gosched" },
	{ "go1.19 yield",
	  { "runtime.goyield", "runtime.semrelease1" },
	  RUNTIME_SHARE_SCHED,
	  "runtime.goyield" },
	/* ---- GC entry points not seen in the fixture's stacks ---- */
	{ "go1.19 assist park",
	  { "runtime.gcParkAssist", "runtime.gcAssistAlloc" },
	  RUNTIME_SHARE_GC,
	  "runtime.gcParkAssist" },
	{ "go1.19 credit",
	  { "runtime.gcFlushBgCredit", "main.x" },
	  RUNTIME_SHARE_GC,
	  "runtime.gcFlushBgCredit" },
	{ "go1.19 GC start", { "runtime.gcStart", "runtime.mallocgc" }, RUNTIME_SHARE_GC, "runtime.gcStart" },
	{ "go1.19 mark termination",
	  { "runtime.gcSweep", "runtime.gcMarkTermination.func1" },
	  RUNTIME_SHARE_GC,
	  "runtime.gcSweep" },
	{ "go1.19 mark",
	  { "runtime.gcResetMarkState", "runtime.gcStart.func2" },
	  RUNTIME_SHARE_GC,
	  "runtime.gcResetMarkState" },
	{ "go1.19 runtime.GC()",
	  { "runtime.gcWaitOnMark", "runtime.GC", "main.main" },
	  RUNTIME_SHARE_GC,
	  "runtime.gcWaitOnMark" },
	{ "go1.19 runtime.GC()", { "runtime.GC", "main.main" }, RUNTIME_SHARE_GC, "runtime.GC" },
	{ "go1.19 STW in findRunnable",
	  { "runtime.gcstopm", "runtime.findRunnable", "runtime.schedule" },
	  RUNTIME_SHARE_GC,
	  "runtime.gcstopm" },
	{ "go1.19 STW from ReadMemStats",
	  { "runtime.stopTheWorldWithSema", "runtime.stopTheWorld.func1", "runtime.systemstack",
	    "runtime.stopTheWorld", "runtime.ReadMemStats", "main.report" },
	  RUNTIME_SHARE_GC,
	  "runtime.stopTheWorldWithSema" },
	{ "go1.19 STW",
	  { "runtime.startTheWorldWithSema", "runtime.startTheWorld.func1" },
	  RUNTIME_SHARE_GC,
	  "runtime.startTheWorldWithSema" },
	{ "go1.19 STW for GC",
	  { "runtime.stopTheWorldGC", "runtime.gcStart" },
	  RUNTIME_SHARE_GC,
	  "runtime.stopTheWorldGC" },
	{ "go1.19 STW for GC",
	  { "runtime.startTheWorldGC", "runtime.GOMAXPROCS" },
	  RUNTIME_SHARE_GC,
	  "runtime.startTheWorldGC" },
	{ "go1.19 stacks",
	  { "runtime.scanframeworker", "runtime.scanstack", "runtime.markroot.func1" },
	  RUNTIME_SHARE_GC,
	  "runtime.scanframeworker" },
	{ "go1.19 stacks",
	  { "runtime.scanstack", "runtime.markroot.func1" },
	  RUNTIME_SHARE_GC,
	  "runtime.scanstack" },
	{ "go1.19 stacks",
	  { "runtime.scanConservative", "runtime.scanframeworker" },
	  RUNTIME_SHARE_GC,
	  "runtime.scanConservative" },
	{ "go1.19 black allocation",
	  { "runtime.gcmarknewobject", "runtime.mallocgc" },
	  RUNTIME_SHARE_GC,
	  "runtime.gcmarknewobject" },
	{ "go1.19 write barrier",
	  { "runtime.(*wbBuf).reset", "runtime.wbBufFlush1" },
	  RUNTIME_SHARE_GC,
	  "runtime.(*wbBuf)." },
	{ "go1.19 write barrier",
	  { "runtime.wbBufFlush1", "runtime.wbBufFlush.func1" },
	  RUNTIME_SHARE_GC,
	  "runtime.wbBufFlush" },
	{ "go1.19 lazy sweep",
	  { "runtime.(*mspan).ensureSwept", "runtime.setprofilebucket" },
	  RUNTIME_SHARE_GC,
	  "runtime.(*mspan).ensureSwept" },
	{ "go1.19 reclaim",
	  { "runtime.(*mheap).reclaimChunk", "runtime.(*mheap).reclaim", "runtime.(*mheap).alloc.func1" },
	  RUNTIME_SHARE_GC,
	  "runtime.(*mheap).reclaim" },
	{ "go1.19 scavenge all",
	  { "runtime.(*mheap).scavengeAll", "runtime/debug.FreeOSMemory" },
	  RUNTIME_SHARE_GC,
	  "runtime.(*mheap).scavenge" },
	{ "go1.19 scavenger", { "runtime.bgscavenge" }, RUNTIME_SHARE_GC, "runtime.bgscavenge" },
	{ "go1.19 scavenger",
	  { "runtime.(*scavengerState).sleep", "runtime.bgscavenge" },
	  RUNTIME_SHARE_GC,
	  "runtime.(*scavengerState)." },
	{ "go1.19 scavenger",
	  { "runtime.sysUnused", "runtime.(*pageAlloc).scavengeOne" },
	  RUNTIME_SHARE_GC,
	  "runtime.(*pageAlloc).scavenge" },
	{ "go1.19 proportional sweep",
	  { "runtime.deductSweepCredit", "runtime.(*mcentral).cacheSpan" },
	  RUNTIME_SHARE_GC,
	  "runtime.deductSweepCredit" },
	/* ---- what is not the runtime ---- */
	{ "go1.19 user code",
	  { "main.userPhase", "main.main.func1", "runtime/pprof.Do", "main.main", "runtime.main" },
	  RUNTIME_SHARE_USER,
	  NULL },
	{ "guard user code named like the runtime",
	  { "main.gcStart", "mysyscall.Syscall", "runtime.gcount", "runtime.NumGoroutine",
	    "main.findRunnable" },
	  RUNTIME_SHARE_USER,
	  NULL },
	{ "guard copying is not allocation",
	  { "runtime.memmove", "runtime.growslice", "main.appendAll" },
	  RUNTIME_SHARE_USER,
	  NULL },
};

/* Names of releases other than 1.19 (from their runtime sources), and
 * of the releases before it, with the rule that must match them. */
static const struct {
	const char *from, *name, *rule;
	enum runtime_share_cat want;
} names[] = {
	{ "go1.2x idle mark worker", "runtime.gcDrainMarkWorkerIdle", "runtime.gcDrain", RUNTIME_SHARE_GC },
	{ "go1.2x dedicated mark worker", "runtime.gcDrainMarkWorkerDedicated", "runtime.gcDrain",
	  RUNTIME_SHARE_GC },
	{ "go1.2x fractional mark worker", "runtime.gcDrainMarkWorkerFractional", "runtime.gcDrain",
	  RUNTIME_SHARE_GC },
	{ "go1.19 sweeper accounting", "runtime.(*activeSweep).begin", "runtime.(*activeSweep).",
	  RUNTIME_SHARE_GC },
	{ "go1.21 write barrier", "runtime.gcWriteBarrier2", "runtime.gcWriteBarrier", RUNTIME_SHARE_GC },
	{ "go1.21 write barrier buffer", "runtime.(*wbBuf).get2", "runtime.(*wbBuf).", RUNTIME_SHARE_GC },
	{ "go1.23 system calls", "internal/runtime/syscall.Syscall6", "internal/runtime/syscall.",
	  RUNTIME_SHARE_SYSCALL },
	{ "current source, system calls", "internal/runtime/syscall/linux.Syscall6",
	  "internal/runtime/syscall/", RUNTIME_SHARE_SYSCALL },
	{ "go1.23 timers", "runtime.(*timers).check", "runtime.(*timers).", RUNTIME_SHARE_SCHED },
	{ "go1.23 timers", "runtime.(*timers).run", "runtime.(*timers).", RUNTIME_SHARE_SCHED },
	{ "go1.24 malloc split", "runtime.mallocgcSmallNoscan", "runtime.mallocgc", RUNTIME_SHARE_ALLOC },
	{ "go1.24 malloc split", "runtime.mallocgcLarge", "runtime.mallocgc", RUNTIME_SHARE_ALLOC },
	{ "go1.18 and before", "runtime.findrunnable", "runtime.findrunnable", RUNTIME_SHARE_SCHED },
	{ "go1.16 and before", "runtime.(*mspan).sweep", "runtime.(*mspan).sweep", RUNTIME_SHARE_GC },
	{ "go1.19 entersyscallblock", "runtime.entersyscallblock", "runtime.entersyscall",
	  RUNTIME_SHARE_SYSCALL },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))
#define N_NAMES (sizeof(names) / sizeof(names[0]))

static int rule_index(const char *name)
{
	uint32_t n;
	const struct runtime_share_rule *r = runtime_share_rules(&n);
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(r[i].name, name))
			return (int)i;
	return -1;
}

/* The rule that decides a stack: of the highest-precedence category's
 * frames, the leaf-most. */
static int deciding_rule(const char *const *f, enum runtime_share_cat c)
{
	for (int i = 0; i < MAXF && f[i]; i++) {
		int rule;
		if (runtime_share_frame_cat(f[i], &rule) == c && rule >= 0)
			return rule;
	}
	return -1;
}

START_TEST(stacks_classified)
{
	const struct stack_case *k = &cases[_i];
	uint32_t n = 0;
	while (n < MAXF && k->frames[n])
		n++;
	enum runtime_share_cat got = runtime_share_stack_cat(k->frames, n);
	ck_assert_msg(got == k->want, "%s: %s... is %s, want %s", k->from, k->frames[0],
	              runtime_share_cat_key(got), runtime_share_cat_key(k->want));
	int want_rule = k->rule ? rule_index(k->rule) : -1;
	ck_assert_msg(!k->rule || want_rule >= 0, "%s: no rule %s", k->from, k->rule);
	int r = deciding_rule(k->frames, got);
	uint32_t nr;
	const struct runtime_share_rule *rules = runtime_share_rules(&nr);
	ck_assert_msg(r == want_rule, "%s: %s... decided by %s, want %s", k->from, k->frames[0],
	              r >= 0 ? rules[r].name : "none", k->rule ? k->rule : "none");
}
END_TEST

START_TEST(release_names)
{
	int rule;
	enum runtime_share_cat c = runtime_share_frame_cat(names[_i].name, &rule);
	ck_assert_msg(c == names[_i].want, "%s: %s is %s", names[_i].from, names[_i].name,
	              runtime_share_cat_key(c));
	ck_assert_int_eq(rule, rule_index(names[_i].rule));
}
END_TEST

/* Every rule decides at least one stack or release name. */
START_TEST(every_rule_used)
{
	uint32_t n;
	const struct runtime_share_rule *rules = runtime_share_rules(&n);
	for (uint32_t i = 0; i < n; i++) {
		bool used = false;
		for (size_t k = 0; k < N_CASES && !used; k++)
			used = cases[k].rule && !strcmp(cases[k].rule, rules[i].name);
		for (size_t k = 0; k < N_NAMES && !used; k++)
			used = !strcmp(names[k].rule, rules[i].name);
		ck_assert_msg(used, "rule %s decides no stack of the tests", rules[i].name);
		ck_assert_ptr_nonnull(rules[i].versions);
	}
	/* exact names match exactly, prefixes what starts with them */
	ck_assert_int_eq(runtime_share_frame_cat("runtime.schedule.func1", NULL), RUNTIME_SHARE_USER);
	ck_assert_int_eq(runtime_share_frame_cat("runtime.mallocgc", NULL), RUNTIME_SHARE_ALLOC);
	ck_assert_int_eq(runtime_share_frame_cat("", NULL), RUNTIME_SHARE_USER);
	ck_assert_str_eq(runtime_share_cat_label(RUNTIME_SHARE_ALLOC), "Allocation");
	ck_assert_str_eq(runtime_share_cat_key(RUNTIME_SHARE_GC), "gc");
}
END_TEST

/* ---- profiles ----------------------------------------------------------- */

struct psample {
	const char *frames[6]; /* leaf first */
	int64_t v[2];
	const char *version; /* go_version label, NULL: none */
};

/* A profile of the samples with types (type/unit)[ntypes], period type pt. */
static struct prof *stack_profile(const char *const (*types)[2], int ntypes, const char *pt,
                                  const char *label, const struct psample *s, size_t n)
{
	struct pbw w;
	pbw_init(&w);
	for (int t = 0; t < ntypes; t++)
		pbw_sample_type(&w, types[t][0], types[t][1]);
	if (pt)
		pbw_period_type(&w, pt, "nanoseconds");
	uint64_t next = 1;
	const char *fn[64];
	size_t nf = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t locs[6];
		size_t nl = 0;
		for (; nl < 6 && s[i].frames[nl]; nl++) {
			size_t k;
			for (k = 0; k < nf && strcmp(fn[k], s[i].frames[nl]); k++)
				;
			if (k == nf) {
				ck_assert_uint_lt(nf, 64);
				fn[nf++] = s[i].frames[nl];
				pbw_function(&w, next, s[i].frames[nl], "x.go");
				int64_t line = 1;
				pbw_location(&w, next, 0, 1, &next, &line);
				next++;
			}
			locs[nl] = k + 1;
		}
		struct pbw_label lab = { label, s[i].version, 0, NULL };
		pbw_sample(&w, nl, locs, (size_t)ntypes, s[i].v, s[i].version ? 1 : 0, &lab);
	}
	return test_decode(&w, true);
}

static const char *const cpu_types[2][2] = { { "samples", "count" }, { "cpu", "nanoseconds" } };

static const struct psample two_versions[] = {
	{ { "runtime.mallocgc", "main.f", NULL }, { 3, 30 }, "go1.22.1" },
	{ { "runtime.scanobject", "runtime.gcDrainN", "runtime.gcAssistAlloc", "runtime.mallocgc", "main.f",
	    NULL },
	  { 2, 20 },
	  "go1.22.1" },
	{ { "main.f", NULL }, { 5, 50 }, "go1.9.7" },
	{ { "runtime.mallocgc", "main.f", NULL }, { 1, 10 }, "go1.9.7" },
	{ { "runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker", NULL }, { 4, 40 }, NULL },
	{ { "syscall.Syscall", "main.g", NULL }, { 7, 70 }, "go1.10.2" },
};

static int64_t cat(const struct runtime_share *s, int g, enum runtime_share_cat c)
{
	return g < 0 ? s->v[c] : s->groups[g].v[c];
}

START_TEST(share_by_version)
{
	struct prof *p = stack_profile(cpu_types, 2, "cpu", "go_version", two_versions, 6);
	struct view_opts o;
	test_view_opts(&o, 1, NULL, NULL, NULL, NULL, NULL);
	struct runtime_share s;
	ck_assert_int_eq(runtime_share_build(p, &o, NULL, NULL, &s), 0);
	ck_assert(s.applicable);
	ck_assert_int_eq(s.total, 220);
	ck_assert_int_eq(cat(&s, -1, RUNTIME_SHARE_ALLOC), 40);
	ck_assert_int_eq(cat(&s, -1, RUNTIME_SHARE_GC), 60);
	ck_assert_int_eq(cat(&s, -1, RUNTIME_SHARE_SYSCALL), 70);
	ck_assert_int_eq(cat(&s, -1, RUNTIME_SHARE_USER), 50);
	ck_assert_str_eq(s.label, "go_version");
	/* natural order (1.9 < 1.10 < 1.22), the unlabelled mark worker last */
	ck_assert_uint_eq(s.n_groups, 4);
	ck_assert_str_eq(prof_str(p, s.groups[0].version), "go1.9.7");
	ck_assert_str_eq(prof_str(p, s.groups[1].version), "go1.10.2");
	ck_assert_str_eq(prof_str(p, s.groups[2].version), "go1.22.1");
	ck_assert_uint_eq(s.groups[3].version, PROF_NONE);
	ck_assert_int_eq(s.groups[0].total, 60);
	ck_assert_int_eq(cat(&s, 0, RUNTIME_SHARE_ALLOC), 10);
	ck_assert_int_eq(cat(&s, 2, RUNTIME_SHARE_GC), 20);
	ck_assert_int_eq(cat(&s, 2, RUNTIME_SHARE_ALLOC), 30);
	ck_assert_int_eq(cat(&s, 3, RUNTIME_SHARE_GC), 40);
	ck_assert_int_eq(s.unlabelled, 40);
	ck_assert(!s.unlabelled_merged);

	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	ck_assert_int_eq(runtime_share_json(&s, &j), 0);
	ck_assert_msg(json_is_valid(b.data, b.len), "invalid JSON: %s", b.data);
	ck_assert_ptr_nonnull(strstr(b.data,
	                             "\"applicable\":true,\"total\":220,\"categories\":[{\"key\":\"gc\","
	                             "\"label\":\"GC work\",\"value\":60},{\"key\":\"alloc\""));
	ck_assert_ptr_nonnull(strstr(b.data, "{\"version\":null,\"total\":40,"));
	buf_release(&b);
	runtime_share_release(&s);

	/* the sample counts of the same profile, and a filter: tagfocus keeps one version */
	view_opts_release(&o);
	test_view_opts(&o, 0, NULL, NULL, NULL, "go_version=go1.22.1", NULL);
	ck_assert_int_eq(runtime_share_build(p, &o, NULL, NULL, &s), 0);
	ck_assert_int_eq(s.total, 5);
	ck_assert_int_eq(cat(&s, -1, RUNTIME_SHARE_GC), 2);
	ck_assert_uint_eq(s.n_groups, 1);
	ck_assert(!s.unlabelled_merged);
	runtime_share_release(&s);
	/* focus and ignore as pprof's: samples through main.f without a syscall */
	view_opts_release(&o);
	test_view_opts(&o, 1, "main\\.f", "gcAssist", NULL, NULL, NULL);
	ck_assert_int_eq(runtime_share_build(p, &o, NULL, NULL, &s), 0);
	ck_assert_int_eq(s.total, 90);
	ck_assert_int_eq(cat(&s, -1, RUNTIME_SHARE_ALLOC), 40);
	ck_assert_int_eq(cat(&s, -1, RUNTIME_SHARE_GC), 0);
	runtime_share_release(&s);
	/* hide keeps the category of the hidden frames */
	view_opts_release(&o);
	test_view_opts(&o, 1, NULL, NULL, "^runtime\\.", NULL, NULL);
	ck_assert_int_eq(runtime_share_build(p, &o, NULL, NULL, &s), 0);
	ck_assert_int_eq(s.total, 180); /* the mark worker's stack is all hidden: dropped, as pprof does */
	ck_assert_int_eq(cat(&s, -1, RUNTIME_SHARE_GC), 20);
	ck_assert_int_eq(cat(&s, -1, RUNTIME_SHARE_ALLOC), 40);
	runtime_share_release(&s);
	view_opts_release(&o);
	prof_free(p);
}
END_TEST

START_TEST(share_one_version_takes_the_unlabelled)
{
	static const struct psample one[] = {
		{ { "runtime.mallocgc", "main.f", NULL }, { 3, 30 }, "go1.21.0" },
		{ { "runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker", NULL },
		  { 4, 40 },
		  NULL },
		{ { "runtime.findRunnable", "runtime.schedule", "runtime.mcall", NULL }, { 1, 10 }, NULL },
	};
	struct prof *p = stack_profile(cpu_types, 2, "cpu", "version", one, 3);
	struct view_opts o;
	test_view_opts(&o, 1, NULL, NULL, NULL, NULL, NULL);
	struct runtime_share s;
	ck_assert_int_eq(runtime_share_build(p, &o, NULL, NULL, &s), 0);
	ck_assert_str_eq(s.label, "version");
	ck_assert_uint_eq(s.n_groups, 1);
	ck_assert_str_eq(prof_str(p, s.groups[0].version), "go1.21.0");
	ck_assert_int_eq(s.groups[0].total, 80);
	ck_assert_int_eq(cat(&s, 0, RUNTIME_SHARE_GC), 40);
	ck_assert_int_eq(cat(&s, 0, RUNTIME_SHARE_SCHED), 10);
	ck_assert_int_eq(s.unlabelled, 50);
	ck_assert(s.unlabelled_merged);
	runtime_share_release(&s);
	view_opts_release(&o);
	prof_free(p);

	/* no version label at all */
	p = stack_profile(cpu_types, 2, "cpu", "phase", one, 3);
	test_view_opts(&o, 1, NULL, NULL, NULL, NULL, NULL);
	ck_assert_int_eq(runtime_share_build(p, &o, NULL, NULL, &s), 0);
	ck_assert_ptr_null(s.label);
	ck_assert_uint_eq(s.n_groups, 0);
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	ck_assert_int_eq(runtime_share_json(&s, &j), 0);
	ck_assert_ptr_nonnull(strstr(b.data,
	                             "\"label\":null,\"label_source\":null,\"unlabelled\":0,"
	                             "\"unlabelled_merged\":false,\"versions\":[]}"));
	buf_release(&b);
	runtime_share_release(&s);

	/* ... but a profile-level label of the upload: every sample is of it */
	ck_assert_int_eq(runtime_share_build(p, &o, "go_version", "go1.23.1", &s), 0);
	ck_assert_str_eq(s.label, "go_version");
	ck_assert_str_eq(s.label_source, "profile");
	ck_assert_uint_eq(s.n_groups, 1);
	ck_assert_int_eq(s.groups[0].total, 80);
	ck_assert_int_eq(cat(&s, 0, RUNTIME_SHARE_ALLOC), 30);
	b = (struct buf)BUF_INIT;
	json_init(&j, &b);
	ck_assert_int_eq(runtime_share_json(&s, &j), 0);
	ck_assert_ptr_nonnull(strstr(b.data, "\"label\":\"go_version\",\"label_source\":\"profile\","));
	ck_assert_ptr_nonnull(strstr(b.data, "\"versions\":[{\"version\":\"go1.23.1\",\"total\":80,"));
	buf_release(&b);
	runtime_share_release(&s);
	view_opts_release(&o);
	prof_free(p);

	/* sample labels win over the profile's */
	p = stack_profile(cpu_types, 2, "cpu", "version", one, 3);
	test_view_opts(&o, 1, NULL, NULL, NULL, NULL, NULL);
	ck_assert_int_eq(runtime_share_build(p, &o, "go_version", "go1.23.1", &s), 0);
	ck_assert_str_eq(s.label, "version");
	ck_assert_str_eq(s.label_source, "samples");
	ck_assert_str_eq(s.groups[0].name, "go1.21.0");
	runtime_share_release(&s);
	view_opts_release(&o);
	prof_free(p);
}
END_TEST

START_TEST(share_not_applicable)
{
	static const struct psample one[] = { { { "runtime.mallocgc", "main.f", NULL }, { 3, 300 }, NULL } };
	static const struct {
		const char *type, *unit, *pt;
		bool ok;
	} types[] = {
		{ "cpu", "nanoseconds", "cpu", true },
		{ "samples", "count", "cpu", true },
		{ "wall", "nanoseconds", "wall", true },
		{ "samples", "count", "wall", true },
		{ "time", "nanoseconds", "wall", true }, /* fgprof */
		{ "delay", "nanoseconds", "contentions", false },
		{ "inuse_space", "bytes", "space", false },
		{ "alloc_objects", "count", "space", false },
		{ "goroutine", "count", "goroutine", false },
		{ "contentions", "count", "contentions", false },
		{ "delay", "nanoseconds", "delay", false },
		{ "samples", "count", "space", false },
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		const char *const t[1][2] = { { types[i].type, types[i].unit } };
		struct prof *p = stack_profile(t, 1, types[i].pt, "go_version", one, 1);
		struct view_opts o;
		test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
		struct runtime_share s;
		ck_assert_int_eq(runtime_share_build(p, &o, NULL, NULL, &s), 0);
		ck_assert_msg(s.applicable == types[i].ok, "%s/%s (period %s): applicable %d", types[i].type,
		              types[i].unit, types[i].pt, s.applicable);
		struct buf b = BUF_INIT;
		struct json j;
		json_init(&j, &b);
		ck_assert_int_eq(runtime_share_json(&s, &j), 0);
		ck_assert_msg(json_is_valid(b.data, b.len), "invalid JSON: %s", b.data);
		if (!types[i].ok) {
			ck_assert_ptr_nonnull(s.why);
			ck_assert_ptr_nonnull(strstr(b.data, "\"applicable\":false,\"reason\":\""));
			ck_assert_ptr_null(strstr(b.data, "categories"));
		} else {
			ck_assert_int_eq(s.v[RUNTIME_SHARE_ALLOC], types[i].ok ? 3 : 0);
		}
		buf_release(&b);
		runtime_share_release(&s);
		view_opts_release(&o);
		prof_free(p);
	}
}
END_TEST

/* ---- the real profiles --------------------------------------------------- */

static struct prof *load_fixture(const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/runtime/%s", FDX_TESTDATA, name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "missing fixture %s", path);
	static uint8_t data[1 << 20];
	size_t n = fread(data, 1, sizeof(data), f);
	fclose(f);
	ck_assert_uint_gt(n, 0);
	return expect_decoded(data, n);
}

/* The numbers go tool pprof prints for tests/data/runtime/gogc10.pprof
 * (go1.19.8), cpu in ms, with
 *   GC=runtime\.(gcBgMark|gcDrain|gcAssistAlloc|...)  (docs/RUNTIME.md)
 *   go tool pprof -top -focus=GC gogc10.pprof                      -> gc
 *   go tool pprof -top -focus='^runtime\.mallocgc' -ignore=GC ...   -> alloc
 * and so on down the precedence (tests/api/runtime_regex.py has the
 * regexes; tests/api/test_runtime.py runs them); the unlabelled time is
 * -tagignore=go_version=go1.19.8. */
#define REAL_TOTAL_MS      4870
#define REAL_GC_MS         1860
#define REAL_ALLOC_MS      210
#define REAL_SYSCALL_MS    800
#define REAL_SCHED_MS      750
#define REAL_USER_MS       1250
#define REAL_UNLABELLED_MS 1480
START_TEST(share_real_go119)
{
	struct prof *p = load_fixture("gogc10.pprof");
	struct view_opts o;
	test_view_opts(&o, 1, NULL, NULL, NULL, NULL, NULL);
	struct runtime_share s;
	ck_assert_int_eq(runtime_share_build(p, &o, NULL, NULL, &s), 0);
	ck_assert(s.applicable);
	int64_t sum = 0;
	for (int c = 0; c < RUNTIME_SHARE_NCATS; c++)
		sum += s.v[c];
	ck_assert_int_eq(sum, s.total);
	ck_assert_int_eq(s.total, REAL_TOTAL_MS * 1000000LL);
	ck_assert_int_eq(s.v[RUNTIME_SHARE_GC], REAL_GC_MS * 1000000LL);
	ck_assert_int_eq(s.v[RUNTIME_SHARE_ALLOC], REAL_ALLOC_MS * 1000000LL);
	ck_assert_int_eq(s.v[RUNTIME_SHARE_SYSCALL], REAL_SYSCALL_MS * 1000000LL);
	ck_assert_int_eq(s.v[RUNTIME_SHARE_SCHED], REAL_SCHED_MS * 1000000LL);
	ck_assert_int_eq(s.v[RUNTIME_SHARE_USER], REAL_USER_MS * 1000000LL);
	/* one go_version value: the runtime's own unlabelled goroutines join it */
	ck_assert_str_eq(s.label, "go_version");
	ck_assert_uint_eq(s.n_groups, 1);
	ck_assert(s.unlabelled_merged);
	ck_assert_int_eq(s.groups[0].total, s.total);
	ck_assert_int_eq(s.unlabelled, REAL_UNLABELLED_MS * 1000000LL);
	runtime_share_release(&s);
	view_opts_release(&o);
	prof_free(p);
}
END_TEST

struct share_ctx {
	const struct prof *p;
	struct view_opts o;
};

static int op_share(void *ctx, struct buf *out)
{
	struct share_ctx *c = ctx;
	struct runtime_share s;
	int rc = runtime_share_build(c->p, &c->o, "go_version", "go1.0", &s);
	if (rc == 0) {
		struct json j;
		json_init(&j, out);
		rc = runtime_share_json(&s, &j);
	}
	runtime_share_release(&s);
	return rc;
}

START_TEST(share_failalloc)
{
	struct share_ctx c;
	struct prof *p = stack_profile(cpu_types, 2, "cpu", "go_version", two_versions, 6);
	c.p = p;
	test_view_opts(&c.o, 1, "main", NULL, NULL, "go_version=go1", NULL);
	failalloc_check("runtime_share", op_share, &c);
	prof_free(p);
	view_opts_release(&c.o);
	/* without sample labels: the profile-level label's group */
	c.p = p = stack_profile(cpu_types, 2, "cpu", "phase", two_versions, 6);
	test_view_opts(&c.o, 1, "main", NULL, NULL, NULL, NULL);
	failalloc_check("runtime_share, profile label", op_share, &c);
	view_opts_release(&c.o);
	prof_free(p);
}
END_TEST

Suite *runtime_share_suite(void)
{
	Suite *s = suite_create("runtime_share");
	TCase *tc = tcase_create("runtime_share");
	tcase_add_loop_test(tc, stacks_classified, 0, (int)N_CASES);
	tcase_add_loop_test(tc, release_names, 0, (int)N_NAMES);
	tcase_add_test(tc, every_rule_used);
	tcase_add_test(tc, share_by_version);
	tcase_add_test(tc, share_one_version_takes_the_unlabelled);
	tcase_add_test(tc, share_not_applicable);
	tcase_add_test(tc, share_real_go119);
	tcase_add_test(tc, share_failalloc);
	suite_add_tcase(s, tc);
	return s;
}
