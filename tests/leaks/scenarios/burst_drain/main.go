// burst_drain: a traffic burst of 300 requests arrives at once; each request
// goroutine waits for one of 16 slots of a concurrency limiter ("chan send" on
// the semaphore channel) and the backlog drains over the next snapshots. A
// second burst of 180 comes and drains as well; the last snapshots are back
// at the baseline (NOT a leak).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

// burstHandleRequest waits for a limiter slot, does its work and leaves.
//
//go:noinline
func burstHandleRequest(sem chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	sem <- struct{}{}
	time.Sleep(60 * time.Millisecond) // the work
	<-sem
}

//go:noinline
func listenerLoop(conns <-chan int) {
	for c := range conns {
		_ = c
	}
}

func main() {
	snap := newSnapshots(false)
	sem := make(chan struct{}, 16)
	conns := make(chan int)
	for i := 0; i < 6; i++ {
		go listenerLoop(conns)
	}
	var wg sync.WaitGroup
	burst := func(n int) {
		for i := 0; i < n; i++ {
			wg.Add(1)
			go burstHandleRequest(sem, &wg)
		}
	}
	for round := 0; round < 10; round++ {
		switch round {
		case 1:
			burst(300)
		case 5:
			burst(180)
		}
		time.Sleep(200 * time.Millisecond)
		snap.take()
	}
	wg.Wait()
	close(conns)
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
