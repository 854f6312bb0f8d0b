// autoscale_pool: a worker pool that follows the load. A manager grows the
// pool when the queue is busy and retires workers when it is quiet, so the
// number of workers parked in "select" (waiting for a job or a retire signal)
// rises and falls between 20 and 60 with no trend (NOT a leak).
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

type pool struct {
	jobs   chan int
	retire chan struct{}
	size   int
	wg     sync.WaitGroup
}

// scaledWorker serves jobs until the manager retires it.
//
//go:noinline
func scaledWorker(p *pool) {
	defer p.wg.Done()
	for {
		select {
		case j := <-p.jobs:
			time.Sleep(time.Duration(j%3) * time.Millisecond)
		case <-p.retire:
			return
		}
	}
}

//go:noinline
func (p *pool) resize(n int) {
	for p.size < n {
		p.wg.Add(1)
		go scaledWorker(p)
		p.size++
	}
	for p.size > n {
		p.retire <- struct{}{}
		p.size--
	}
}

func main() {
	snap := newSnapshots(false)
	p := &pool{jobs: make(chan int), retire: make(chan struct{})}
	load := []int{22, 48, 60, 36, 24, 52, 30, 44, 26, 22} // jobs per tick, by round
	for round := 0; round < 10; round++ {
		p.resize(load[round])
		for tick := 0; tick < 10; tick++ {
			for j := 0; j < load[round]; j++ {
				p.jobs <- j
			}
			time.Sleep(15 * time.Millisecond)
		}
		time.Sleep(40 * time.Millisecond)
		snap.take()
	}
	p.resize(0)
	p.wg.Wait()
	fmt.Fprint(os.Stderr, "")
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
