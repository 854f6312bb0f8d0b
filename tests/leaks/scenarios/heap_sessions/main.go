// heap_sessions: a login handler records every session in a global map and
// nothing ever deletes them, so the session objects (and the map) only grow
// and stay reachable. Request parsing churns through short-lived buffers on
// the side (LEAK: heap, in-use bytes at heapLeakRecordSession grow steadily).
package main

import (
	"fmt"
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
