// worker_pool: a fixed pool of 64 workers ranges over a job channel; between
// bursts of work all 64 sit in "chan receive". Many goroutines blocked on a
// channel, but the count never changes (NOT a leak).
package main

import (
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	"../../snapshot"
)

type job struct {
	id      int
	payload []byte
	done    *sync.WaitGroup
}

var checksum int64

//go:noinline
func poolWorker(jobs <-chan job, wg *sync.WaitGroup) {
	defer wg.Done()
	for j := range jobs {
		sum := 0
		for _, b := range j.payload {
			sum += int(b)
		}
		atomic.AddInt64(&checksum, int64(sum))
		j.done.Done()
	}
}

//go:noinline
func statsTicker(stop <-chan struct{}) {
	t := time.NewTicker(30 * time.Millisecond)
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
	rng := rand.New(rand.NewSource(8))
	jobs := make(chan job)
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go poolWorker(jobs, &wg)
	}
	stop := make(chan struct{})
	go statsTicker(stop)

	id := 0
	for round := 0; round < 10; round++ {
		n := 100 + rng.Intn(200)
		var batch sync.WaitGroup
		for i := 0; i < n; i++ {
			id++
			batch.Add(1)
			jobs <- job{id: id, payload: make([]byte, 256+rng.Intn(4096)), done: &batch}
			if i%20 == 0 {
				time.Sleep(3 * time.Millisecond)
			}
		}
		batch.Wait()
		time.Sleep(100 * time.Millisecond)
		snap.Take()
	}
	close(stop)
	close(jobs)
	wg.Wait()
}
