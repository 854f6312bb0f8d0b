// double_send: a job reporter goroutine sends its error and then, because of
// a missing return, sends a second value on the same unbuffered channel. The
// caller receives only once, so every failed job leaves the reporter blocked
// in "chan send" (LEAK).
package main

import (
	"errors"
	"fmt"
	"math/rand"
	"time"

	"../../snapshot"
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
	snap := snapshot.New(false)
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
		snap.Take()
	}
	close(stop)
}
