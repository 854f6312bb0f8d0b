// leak_amid_bursts: a batch API takes bursts of requests (hundreds of handler
// goroutines queue on a 16-slot limiter and drain, so the total goroutine
// count swings up and down), and after each request an audit goroutine waits
// for the storage ack. The retry path never sends the ack, so one audit
// goroutine in eight stays in "chan receive" forever: a steady leak hidden in
// a noisy service (LEAK).
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
	"sync"
	"time"
)

// leakAuditWaiter writes the audit record once storage acknowledges.
//
//go:noinline
func leakAuditWaiter(req int, ack <-chan bool) {
	if ok := <-ack; !ok {
		fmt.Fprintf(os.Stderr, "request %d not stored\n", req)
	}
}

//go:noinline
func handleBatch(req int, retry bool, sem chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	sem <- struct{}{}
	time.Sleep(30 * time.Millisecond) // the work
	<-sem
	ack := make(chan bool)
	go leakAuditWaiter(req, ack)
	if retry {
		return // bug: the retry path never acknowledges
	}
	ack <- true
}

//go:noinline
func queueConsumer(in <-chan int) {
	for v := range in {
		_ = v
	}
}

func main() {
	snap := newSnapshots(false)
	rng := rand.New(rand.NewSource(14))
	sem := make(chan struct{}, 16)
	in := make(chan int)
	for i := 0; i < 4; i++ {
		go queueConsumer(in)
	}
	var wg sync.WaitGroup
	req := 0
	send := func(n int) {
		for i := 0; i < n; i++ {
			req++
			wg.Add(1)
			go handleBatch(req, rng.Intn(8) == 0, sem, &wg)
		}
	}
	bursts := map[int]int{1: 300, 5: 250}
	for round := 0; round < 10; round++ {
		send(bursts[round] + 40) // a burst, or the usual traffic
		time.Sleep(200 * time.Millisecond)
		snap.take()
	}
	wg.Wait()
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
