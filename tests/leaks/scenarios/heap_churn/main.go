// heap_churn: a response encoder allocates large buffers for every request
// (tens of MB per snapshot interval) and drops them right after; a handful of
// in-flight responses are alive at any moment, so in-use bytes at the site go
// up and down with no trend. Allocation rate is high; retention is not
// (NOT a leak).
package main

import (
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"time"

	"../../snapshot"
)

// encodeChurnResponse renders a response into a fresh buffer.
//
//go:noinline
func encodeChurnResponse(rng *rand.Rand, n int) []byte {
	buf := make([]byte, 0, n)
	for len(buf) < n {
		buf = append(buf, "row,"...)
	}
	return buf
}

var inflight [8][]byte // responses still being written to slow clients
var written int

func main() {
	runtime.MemProfileRate = 512
	snap := snapshot.New(true)
	rng := rand.New(rand.NewSource(11))
	config := make([]byte, 256<<10) // loaded once, kept
	config[0] = 1
	for round := 0; round < 10; round++ {
		for i := 0; i < 250; i++ {
			b := encodeChurnResponse(rng, 32<<10+rng.Intn(256<<10))
			written += len(b)
			if rng.Intn(10) == 0 {
				inflight[rng.Intn(len(inflight))] = b
			}
			if rng.Intn(12) == 0 {
				inflight[rng.Intn(len(inflight))] = nil // a slow client finished
			}
			if i%25 == 0 {
				time.Sleep(3 * time.Millisecond)
			}
		}
		time.Sleep(80 * time.Millisecond)
		snap.Take()
	}
	fmt.Fprintln(os.Stderr, written>>20, "MiB written", config[0])
}
