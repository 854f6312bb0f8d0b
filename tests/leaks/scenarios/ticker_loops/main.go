// ticker_loops: a service with 24 periodic background loops (metric flushes,
// cache refreshes, health probes), each parked in a select on its ticker and
// a stop channel, plus a few sleep-based pollers. Many goroutines blocked in
// "select", a constant count (NOT a leak).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"time"
)

var ticks int64

//go:noinline
func periodicTickerLoop(every time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			atomic.AddInt64(&ticks, 1)
		case <-stop:
			return
		}
	}
}

//go:noinline
func sleepPoller(every time.Duration, stop <-chan struct{}) {
	for {
		time.Sleep(every)
		select {
		case <-stop:
			return
		default:
		}
	}
}

func main() {
	snap := newSnapshots(false)
	stop := make(chan struct{})
	for i := 0; i < 24; i++ {
		go periodicTickerLoop(time.Duration(20+7*i)*time.Millisecond, stop)
	}
	for i := 0; i < 4; i++ {
		go sleepPoller(time.Duration(50+10*i)*time.Millisecond, stop)
	}
	for round := 0; round < 10; round++ {
		time.Sleep(220 * time.Millisecond)
		snap.take()
	}
	close(stop)
	fmt.Fprint(os.Stderr, "")
}

// ---- snapshot writer (the same block in every scenario) ----

// snapshots writes numbered profiles into the directory given as argv[1]:
// goroutine-NN.pb.gz (proto) and goroutine-NN.txt (debug=2 dump), or for a
// heap scenario heap-NN.pb.gz taken right after a full GC.
type snapshots struct {
	dir  string
	n    int
	heap bool
}

func newSnapshots(heap bool) *snapshots {
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s OUTDIR\n", os.Args[0])
		os.Exit(2)
	}
	if err := os.MkdirAll(os.Args[1], 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return &snapshots{dir: os.Args[1], heap: heap}
}

func (s *snapshots) take() {
	if s.heap {
		runtime.GC()
		s.write(fmt.Sprintf("heap-%02d.pb.gz", s.n), "heap", 0)
	} else {
		settle()
		s.write(fmt.Sprintf("goroutine-%02d.pb.gz", s.n), "goroutine", 0)
		s.write(fmt.Sprintf("goroutine-%02d.txt", s.n), "goroutine", 2)
	}
	s.n++
}

func (s *snapshots) write(name, profile string, debug int) {
	f, err := os.Create(filepath.Join(s.dir, name))
	if err == nil {
		err = pprof.Lookup(profile).WriteTo(f, debug)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// settle waits (at most 300 ms) until the number of goroutines has not
// changed for 25 ms, so that a snapshot sees goroutines parked where they
// will stay rather than on their way there.
func settle() {
	deadline := time.Now().Add(300 * time.Millisecond)
	last, same := runtime.NumGoroutine(), 0
	for same < 5 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		if n := runtime.NumGoroutine(); n == last {
			same++
		} else {
			last, same = n, 0
		}
	}
}
