// early_return: a profile-lookup handler starts a worker goroutine to fetch
// the result, but returns early on a validation error before receiving from
// the worker's unbuffered channel. Each rejected request leaves one worker
// blocked forever in "chan send" (LEAK).
package main

import (
	"errors"
	"fmt"
	"math/rand"
	"time"

	"../../snapshot"
)

type profileResult struct {
	user  string
	score int
}

var errBadRequest = errors.New("bad request")

// leakEarlyReturnWorker computes the result and hands it to the handler. When
// the handler has already returned, nobody receives and it blocks forever.
//
//go:noinline
func leakEarlyReturnWorker(id int, out chan<- profileResult) {
	r := profileResult{user: fmt.Sprintf("user-%d", id), score: id % 97}
	out <- r
}

//go:noinline
func handleProfile(id int, valid bool) (profileResult, error) {
	out := make(chan profileResult)
	go leakEarlyReturnWorker(id, out)
	if !valid {
		return profileResult{}, errBadRequest // bug: returns before <-out
	}
	return <-out, nil
}

// Background that every service has: a few log shippers and a flush loop.
//
//go:noinline
func logShipper(lines <-chan string) {
	for l := range lines {
		_ = len(l)
	}
}

//go:noinline
func metricsFlushLoop(stop <-chan struct{}) {
	t := time.NewTicker(50 * time.Millisecond)
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
	rng := rand.New(rand.NewSource(1))
	lines := make(chan string, 16)
	for i := 0; i < 3; i++ {
		go logShipper(lines)
	}
	stop := make(chan struct{})
	go metricsFlushLoop(stop)

	id := 0
	for round := 0; round < 10; round++ {
		n := 20 + rng.Intn(12)
		for i := 0; i < n; i++ {
			id++
			_, err := handleProfile(id, rng.Intn(10) >= 3)
			if err != nil {
				lines <- fmt.Sprintf("request %d: %v", id, err)
			}
			time.Sleep(6 * time.Millisecond)
		}
		snap.Take()
	}
	close(stop)
}
