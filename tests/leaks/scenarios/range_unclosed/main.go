// range_unclosed: an importer starts a consumer goroutine per batch that
// ranges over the batch's channel, but the producer never closes the channel.
// After the last event every consumer stays blocked in "chan receive" (LEAK).
package main

import (
	"bytes"
	"fmt"
	"io"
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
// goroutine-NN.pb.gz (proto) and goroutine-NN.txt (debug=2 dump) of the
// same moment, or for a heap scenario heap-NN.pb.gz taken right after a
// full GC.
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
		s.pair()
	}
	s.n++
}

// pair writes the proto and the debug=2 dump of one moment: the proto is
// written between two dumps, and again until those two are the same but
// for the goroutine writing them (every other goroutine kept its stack
// and state meanwhile) and show no goroutine runnable or running: a
// goroutine woken but not yet run still has its parked stack in a proto
// while a dump says "runnable", and a dump has no stack for one running
// on another thread. It gives up after 100 tries and leaves
// goroutine-NN.unpaired, which the tests report.
func (s *snapshots) pair() {
	for try := 0; try < 100; try++ {
		settle()
		var dumps [2]bytes.Buffer
		for k := range dumps {
			goroutines(&dumps[k], 2)
			if k == 0 {
				s.create(fmt.Sprintf("goroutine-%02d.pb.gz", s.n), func(f *os.File) { goroutines(f, 0) })
			}
		}
		a, b := others(dumps[0].Bytes()), others(dumps[1].Bytes())
		if bytes.Equal(a, b) && !bytes.Contains(a, []byte(" [runnable")) && !bytes.Contains(a, []byte(" [running")) {
			s.create(fmt.Sprintf("goroutine-%02d.txt", s.n), func(f *os.File) {
				if _, err := f.Write(dumps[0].Bytes()); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
			})
			return
		}
	}
	s.create(fmt.Sprintf("goroutine-%02d.unpaired", s.n), func(f *os.File) { goroutines(f, 2) })
}

// goroutines writes the goroutine profile, from one line for every
// format, so that the goroutine writing it has the same stack in each.
func goroutines(w io.Writer, debug int) {
	if err := pprof.Lookup("goroutine").WriteTo(w, debug); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// others is a debug=2 dump without its first goroutine, the one writing it.
func others(dump []byte) []byte {
	if i := bytes.Index(dump, []byte("\n\n")); i >= 0 {
		return dump[i:]
	}
	return nil
}

func (s *snapshots) write(name, profile string, debug int) {
	s.create(name, func(f *os.File) {
		if err := pprof.Lookup(profile).WriteTo(f, debug); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	})
}

// create writes the file name of the output directory with fill.
func (s *snapshots) create(name string, fill func(*os.File)) {
	f, err := os.Create(filepath.Join(s.dir, name))
	if err == nil {
		fill(f)
		err = f.Close()
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
