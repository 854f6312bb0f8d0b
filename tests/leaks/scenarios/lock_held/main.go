// lock_held: a transfer handler runs in its own goroutine per request and
// updates balances under a mutex. An overdraft makes leakLockedUpdate return
// early with the mutex still held; from then on every new request goroutine
// blocks forever in Mutex.Lock ("semacquire") (LEAK).
package main

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

type accountStore struct {
	mu       sync.Mutex
	balances map[int]int
}

var errOverdraft = errors.New("overdraft")

// leakLockedUpdate applies a balance change under s.mu.
//
//go:noinline
func leakLockedUpdate(s *accountStore, id, delta int) error {
	s.mu.Lock()
	if s.balances[id]+delta < 0 {
		return errOverdraft // bug: returns with s.mu held
	}
	s.balances[id] += delta
	s.mu.Unlock()
	return nil
}

//go:noinline
func handleTransfer(s *accountStore, id, delta int, done chan<- error) {
	err := leakLockedUpdate(s, id, delta)
	select {
	case done <- err:
	default:
	}
}

//go:noinline
func receiptMailer(in <-chan error) {
	for e := range in {
		_ = e
	}
}

//go:noinline
func cacheJanitor(stop <-chan struct{}) {
	t := time.NewTicker(30 * time.Millisecond)
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
	rng := rand.New(rand.NewSource(6))
	s := &accountStore{balances: map[int]int{}}
	for i := 0; i < 100; i++ {
		s.balances[i] = 1000
	}
	done := make(chan error, 64)
	for i := 0; i < 3; i++ {
		go receiptMailer(done)
	}
	stop := make(chan struct{})
	go cacheJanitor(stop)

	req := 0
	for round := 0; round < 10; round++ {
		n := 8 + rng.Intn(6)
		for i := 0; i < n; i++ {
			req++
			delta := rng.Intn(200) - 100
			if req == 5 {
				delta = -5000 // the one overdraft that wedges the store
			}
			go handleTransfer(s, rng.Intn(100), delta, done)
			time.Sleep(15 * time.Millisecond)
		}
		snap.take()
	}
	close(stop)
	_ = fmt.Sprint(req)
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
