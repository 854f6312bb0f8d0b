// autoscale_pool: a worker pool that follows the load. A manager grows the
// pool when the queue is busy and retires workers when it is quiet, so the
// number of workers parked in "select" (waiting for a job or a retire signal)
// rises and falls between 20 and 60 with no trend (NOT a leak).
package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"../../snapshot"
)

type pool struct {
	jobs   chan int
	retire chan struct{}
	size   int
	wg     sync.WaitGroup
}

// scaledWorker serves jobs until the manager retires it.
//
//go:noinline
func scaledWorker(p *pool) {
	defer p.wg.Done()
	for {
		select {
		case j := <-p.jobs:
			time.Sleep(time.Duration(j%3) * time.Millisecond)
		case <-p.retire:
			return
		}
	}
}

//go:noinline
func (p *pool) resize(n int) {
	for p.size < n {
		p.wg.Add(1)
		go scaledWorker(p)
		p.size++
	}
	for p.size > n {
		p.retire <- struct{}{}
		p.size--
	}
}

func main() {
	snap := snapshot.New(false)
	p := &pool{jobs: make(chan int), retire: make(chan struct{})}
	load := []int{22, 48, 60, 36, 24, 52, 30, 44, 26, 22} // jobs per tick, by round
	for round := 0; round < 10; round++ {
		p.resize(load[round])
		for tick := 0; tick < 10; tick++ {
			for j := 0; j < load[round]; j++ {
				p.jobs <- j
			}
			time.Sleep(15 * time.Millisecond)
		}
		time.Sleep(40 * time.Millisecond)
		snap.Take()
	}
	p.resize(0)
	p.wg.Wait()
	fmt.Fprint(os.Stderr, "")
}
