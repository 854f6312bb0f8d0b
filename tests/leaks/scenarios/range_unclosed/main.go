// range_unclosed: an importer starts a consumer goroutine per batch that
// ranges over the batch's channel, but the producer never closes the channel.
// After the last event every consumer stays blocked in "chan receive" (LEAK).
package main

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"time"
)

type event struct {
	kind string
	size int
}

var processedBytes int64

// leakRangeConsumer applies a batch's events. The range only ends when the
// channel is closed, which importBatch forgets to do.
//
//go:noinline
func leakRangeConsumer(in <-chan event) {
	for ev := range in {
		atomic.AddInt64(&processedBytes, int64(ev.size))
	}
}

//go:noinline
func importBatch(events []event) {
	in := make(chan event, 4)
	go leakRangeConsumer(in)
	for _, ev := range events {
		in <- ev
	}
	// bug: missing close(in)
}

//go:noinline
func auditWorker(jobs <-chan string) {
	for j := range jobs {
		_ = len(j)
	}
}

//go:noinline
func leaseRenewer(stop <-chan struct{}) {
	for {
		select {
		case <-time.After(30 * time.Millisecond):
		case <-stop:
			return
		}
	}
}

func main() {
	snap := newSnapshots(false)
	rng := rand.New(rand.NewSource(3))
	jobs := make(chan string, 8)
	for i := 0; i < 4; i++ {
		go auditWorker(jobs)
	}
	stop := make(chan struct{})
	go leaseRenewer(stop)

	for round := 0; round < 10; round++ {
		batches := 3 + rng.Intn(4)
		for b := 0; b < batches; b++ {
			evs := make([]event, 5+rng.Intn(20))
			for i := range evs {
				evs[i] = event{kind: "upsert", size: rng.Intn(512)}
			}
			importBatch(evs)
			jobs <- fmt.Sprintf("batch of %d", len(evs))
			time.Sleep(25 * time.Millisecond)
		}
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
