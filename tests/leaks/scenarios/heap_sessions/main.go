// heap_sessions: a login handler records every session in a global map and
// nothing ever deletes them, so the session objects (and the map) only grow
// and stay reachable. Request parsing churns through short-lived buffers on
// the side (LEAK: heap, in-use bytes at heapLeakRecordSession grow steadily).
package main

import (
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"time"

	"../../snapshot"
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
	snap := snapshot.New(true)
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
		snap.Take()
	}
	fmt.Fprintln(os.Stderr, len(sessions), "sessions")
}
