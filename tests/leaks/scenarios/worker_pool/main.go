// worker_pool: a fixed pool of 64 workers ranges over a job channel; between
// bursts of work all 64 sit in "chan receive". Many goroutines blocked on a
// channel, but the count never changes (NOT a leak).
package main

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"
)

type job struct {
	id      int
	payload []byte
	done    *sync.WaitGroup
}

var checksum int64

//go:noinline
func poolWorker(jobs <-chan job, wg *sync.WaitGroup) {
	defer wg.Done()
	for j := range jobs {
		sum := 0
		for _, b := range j.payload {
			sum += int(b)
		}
		atomic.AddInt64(&checksum, int64(sum))
		j.done.Done()
	}
}

//go:noinline
func statsTicker(stop <-chan struct{}) {
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
	rng := rand.New(rand.NewSource(8))
	jobs := make(chan job)
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go poolWorker(jobs, &wg)
	}
	stop := make(chan struct{})
	go statsTicker(stop)

	id := 0
	for round := 0; round < 10; round++ {
		n := 100 + rng.Intn(200)
		var batch sync.WaitGroup
		for i := 0; i < n; i++ {
			id++
			batch.Add(1)
			jobs <- job{id: id, payload: make([]byte, 256+rng.Intn(4096)), done: &batch}
			if i%20 == 0 {
				time.Sleep(3 * time.Millisecond)
			}
		}
		batch.Wait()
		time.Sleep(100 * time.Millisecond)
		snap.take()
	}
	close(stop)
	close(jobs)
	wg.Wait()
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
