// double_send: a job reporter goroutine sends its error and then, because of
// a missing return, sends a second value on the same unbuffered channel. The
// caller receives only once, so every failed job leaves the reporter blocked
// in "chan send" (LEAK).
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

var errChecksum = errors.New("checksum mismatch")

//go:noinline
func verifyJob(job, seed int) error {
	if seed%5 == 0 {
		return fmt.Errorf("job %d: %w", job, errChecksum)
	}
	return nil
}

// leakDoubleSendReporter reports a job's outcome on out.
//
//go:noinline
func leakDoubleSendReporter(job, seed int, out chan<- error) {
	if err := verifyJob(job, seed); err != nil {
		out <- err
		// bug: missing return; falls through to the second send
	}
	out <- nil
}

//go:noinline
func runJob(job, seed int) error {
	out := make(chan error)
	go leakDoubleSendReporter(job, seed, out)
	return <-out // one receive per job
}

//go:noinline
func resultUploader(results <-chan error) {
	for r := range results {
		_ = r
	}
}

//go:noinline
func heartbeat(stop <-chan struct{}) {
	t := time.NewTicker(25 * time.Millisecond)
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
	rng := rand.New(rand.NewSource(4))
	results := make(chan error, 8)
	for i := 0; i < 2; i++ {
		go resultUploader(results)
	}
	stop := make(chan struct{})
	go heartbeat(stop)

	job := 0
	for round := 0; round < 10; round++ {
		n := 25 + rng.Intn(15)
		for i := 0; i < n; i++ {
			job++
			results <- runJob(job, rng.Intn(1000))
			time.Sleep(5 * time.Millisecond)
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
