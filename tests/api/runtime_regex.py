"""The runtime categories of docs/RUNTIME.md as go tool pprof regexes.

Written by hand from the document (not from the server's table), so that
tests/api/test_runtime.py compares the server with pprof on what the
document says. Each category is a -focus of its regex with an -ignore of
every category above it in the precedence gc > alloc > syscall > sched;
user code is what none of them keeps.
"""

GC = (r"^runtime\.(gcBgMark|gcDrain|gcAssistAlloc|gcMark|markroot|gcWriteBarrier|wbBufFlush|"
      r"bulkBarrierPreWrite|\(\*gcWork\)\.|\(\*wbBuf\)\.|\(\*sweepLocked\)\.|\(\*activeSweep\)\.|"
      r"\(\*scavengerState\)\.|\(\*pageAlloc\)\.scavenge|\(\*mheap\)\.scavenge|\(\*mheap\)\.reclaim)"
      r"|^runtime\.(gcParkAssist|gcFlushBgCredit|gcStart|gcSweep|gcResetMarkState|gcWaitOnMark|GC|gcstopm|"
      r"stopTheWorldWithSema|startTheWorldWithSema|stopTheWorldGC|startTheWorldGC|scanstack|"
      r"scanframeworker|scanblock|scanobject|scanConservative|greyobject|shade|gcmarknewobject|bgsweep|"
      r"sweepone|\(\*mspan\)\.sweep|\(\*mspan\)\.ensureSwept|deductSweepCredit|finishsweep_m|bgscavenge|_GC)$")
ALLOC = r"^runtime\.mallocgc"
SYSCALL = (r"^(syscall\.|runtime/internal/syscall\.|internal/runtime/syscall[./]|"
           r"golang\.org/x/sys/unix\.(Raw)?Syscall|runtime\.entersyscall|runtime\.exitsyscallfast|"
           r"runtime\.asmcgocall)|^runtime\.(reentersyscall|exitsyscall|cgocall|asmstdcall|_ExternalCode|_VDSO)$")
SCHED = (r"^runtime\.(\(\*timers\)\.|goready|newproc|asyncPreempt)|^runtime\.(schedule|findRunnable|findrunnable|"
         r"mcall|park_m|gosched_m|goschedImpl|gopreempt_m|preemptPark|goexit0|goexit1|exitsyscall0|execute|"
         r"stealWork|runqsteal|runqgrab|checkTimers|stopm|startm|wakep|handoffp|resetspinning|injectglist|"
         r"sysmon|retake|templateThread|netpoll|gopark|goparkunlock|ready|Gosched|goyield|_System)$")

ORDER = [("gc", GC), ("alloc", ALLOC), ("syscall", SYSCALL), ("sched", SCHED)]


def filters(key):
    """((flag, regex), ...) selecting category key ("user": none of the others)."""
    higher = []
    for k, rx in ORDER:
        if k == key:
            out = [("focus", rx)]
            if higher:
                out.append(("ignore", "|".join(higher)))
            return tuple(out)
        higher.append(rx)
    return (("ignore", "|".join(higher)),)
