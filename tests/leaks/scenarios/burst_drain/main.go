// burst_drain: a traffic burst of 300 requests arrives at once; each request
// goroutine waits for one of 16 slots of a concurrency limiter ("chan send" on
// the semaphore channel) and the backlog drains over the next snapshots. A
// second burst of 180 comes and drains as well; the last snapshots are back
// at the baseline (NOT a leak).
package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"../../snapshot"
)

// burstHandleRequest waits for a limiter slot, does its work and leaves.
//
//go:noinline
func burstHandleRequest(sem chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	sem <- struct{}{}
	time.Sleep(60 * time.Millisecond) // the work
	<-sem
}

//go:noinline
func listenerLoop(conns <-chan int) {
	for c := range conns {
		_ = c
	}
}

func main() {
	snap := snapshot.New(false)
	sem := make(chan struct{}, 16)
	conns := make(chan int)
	for i := 0; i < 6; i++ {
		go listenerLoop(conns)
	}
	var wg sync.WaitGroup
	burst := func(n int) {
		for i := 0; i < n; i++ {
			wg.Add(1)
			go burstHandleRequest(sem, &wg)
		}
	}
	for round := 0; round < 10; round++ {
		switch round {
		case 1:
			burst(300)
		case 5:
			burst(180)
		}
		time.Sleep(200 * time.Millisecond)
		snap.Take()
	}
	wg.Wait()
	close(conns)
	fmt.Fprint(os.Stderr, "")
}
