// timeout_abandon: a search handler asks a backend in a goroutine and waits
// for the answer or a deadline. On timeout it returns, abandoning the sender,
// which later blocks forever sending on the unbuffered result channel
// ("chan send"). One leaked sender per timed-out request (LEAK).
package main

import (
	"errors"
	"fmt"
	"math/rand"
	"time"

	"../../snapshot"
)

type answer struct {
	hits int
}

var errTimeout = errors.New("deadline exceeded")

// leakTimeoutSender queries the slow backend and delivers the answer on an
// unbuffered channel that nobody reads once the handler has timed out.
//
//go:noinline
func leakTimeoutSender(q string, cost time.Duration, out chan<- answer) {
	time.Sleep(cost) // backend latency
	out <- answer{hits: len(q)}
}

//go:noinline
func handleSearch(q string, cost time.Duration) (answer, error) {
	out := make(chan answer) // bug: should be buffered (cap 1)
	go leakTimeoutSender(q, cost, out)
	select {
	case a := <-out:
		return a, nil
	case <-time.After(8 * time.Millisecond):
		return answer{}, errTimeout
	}
}

//go:noinline
func accessLogWriter(lines <-chan string) {
	for l := range lines {
		_ = len(l)
	}
}

//go:noinline
func healthProbeLoop(stop <-chan struct{}) {
	t := time.NewTicker(40 * time.Millisecond)
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
	snap := snapshot.New(false)
	rng := rand.New(rand.NewSource(2))
	lines := make(chan string, 16)
	for i := 0; i < 4; i++ {
		go accessLogWriter(lines)
	}
	stop := make(chan struct{})
	go healthProbeLoop(stop)
	go healthProbeLoop(stop)

	for round := 0; round < 10; round++ {
		n := 14 + rng.Intn(8)
		for i := 0; i < n; i++ {
			cost := time.Duration(1+rng.Intn(2)) * time.Millisecond
			if rng.Intn(4) == 0 {
				cost = 20 * time.Millisecond // a slow backend call
			}
			if _, err := handleSearch(fmt.Sprintf("q%d", i), cost); err != nil {
				lines <- err.Error()
			}
		}
		time.Sleep(30 * time.Millisecond) // let the last slow calls finish
		snap.Take()
	}
	close(stop)
}
