// heap_sessions: a login handler records every session in a global map and
// nothing ever deletes them, so the session objects (and the map) only grow
// and stay reachable. Request parsing churns through short-lived buffers on
// the side (LEAK: heap, in-use bytes at heapLeakRecordSession grow steadily).
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
	"time"
)

type session struct {
	id      int
	user    string
	scratch []byte // per-session state, 6 KiB
	created time.Time
}

var sessions = map[int]*session{}

// heapLeakRecordSession stores a new session; sessions are never expired.
//
//go:noinline
func heapLeakRecordSession(id int, user string) {
	s := &session{id: id, user: user, scratch: make([]byte, 6<<10), created: time.Now()}
	s.scratch[0] = byte(id)
	sessions[id] = s
}

var sink int

//go:noinline
func parseLoginRequest(rng *rand.Rand) string {
	buf := make([]byte, 2048+rng.Intn(8192)) // garbage right after
	for i := range buf {
		buf[i] = byte(i)
	}
	sink += int(buf[len(buf)-1])
	return fmt.Sprintf("user-%d", rng.Intn(100000))
}

func main() {
	runtime.MemProfileRate = 512
	snap := newSnapshots(true)
	rng := rand.New(rand.NewSource(10))
	id := 0
	for round := 0; round < 10; round++ {
		n := 120 + rng.Intn(80)
		for i := 0; i < n; i++ {
			id++
			heapLeakRecordSession(id, parseLoginRequest(rng))
			if i%20 == 0 {
				time.Sleep(2 * time.Millisecond)
			}
		}
		time.Sleep(100 * time.Millisecond)
		snap.take()
	}
	fmt.Fprintln(os.Stderr, len(sessions), "sessions")
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
