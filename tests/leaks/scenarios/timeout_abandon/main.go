// timeout_abandon: a search handler asks a backend in a goroutine and waits
// for the answer or a deadline. On timeout it returns, abandoning the sender,
// which later blocks forever sending on the unbuffered result channel
// ("chan send"). One leaked sender per timed-out request (LEAK).
package main

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"
)

type answer struct {
	hits int
}

var errTimeout = errors.New("deadline exceeded")

// leakTimeoutSender queries the slow backend and delivers the answer on an
// unbuffered channel that nobody reads once the handler has timed out.
//
//go:noinline
func leakTimeoutSender(q string, cost time.Duration, out chan<- answer) {
	time.Sleep(cost) // backend latency
	out <- answer{hits: len(q)}
}

//go:noinline
func handleSearch(q string, cost time.Duration) (answer, error) {
	out := make(chan answer) // bug: should be buffered (cap 1)
	go leakTimeoutSender(q, cost, out)
	select {
	case a := <-out:
		return a, nil
	case <-time.After(8 * time.Millisecond):
		return answer{}, errTimeout
	}
}

//go:noinline
func accessLogWriter(lines <-chan string) {
	for l := range lines {
		_ = len(l)
	}
}

//go:noinline
func healthProbeLoop(stop <-chan struct{}) {
	t := time.NewTicker(40 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-stop:
			return
		}
	}
}

func main() {
	snap := newSnapshots(false)
	rng := rand.New(rand.NewSource(2))
	lines := make(chan string, 16)
	for i := 0; i < 4; i++ {
		go accessLogWriter(lines)
	}
	stop := make(chan struct{})
	go healthProbeLoop(stop)
	go healthProbeLoop(stop)

	for round := 0; round < 10; round++ {
		n := 14 + rng.Intn(8)
		for i := 0; i < n; i++ {
			cost := time.Duration(1+rng.Intn(2)) * time.Millisecond
			if rng.Intn(4) == 0 {
				cost = 20 * time.Millisecond // a slow backend call
			}
			if _, err := handleSearch(fmt.Sprintf("q%d", i), cost); err != nil {
				lines <- err.Error()
			}
		}
		time.Sleep(30 * time.Millisecond) // let the last slow calls finish
		snap.take()
	}
	close(stop)
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
