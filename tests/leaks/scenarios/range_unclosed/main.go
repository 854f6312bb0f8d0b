// range_unclosed: an importer starts a consumer goroutine per batch that
// ranges over the batch's channel, but the producer never closes the channel.
// After the last event every consumer stays blocked in "chan receive" (LEAK).
package main

import (
	"fmt"
	"math/rand"
	"sync/atomic"
	"time"

	"../../snapshot"
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
	snap := snapshot.New(false)
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
		snap.Take()
	}
	close(stop)
}
