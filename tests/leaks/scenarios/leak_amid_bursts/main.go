// leak_amid_bursts: a batch API takes bursts of requests (hundreds of handler
// goroutines queue on a 16-slot limiter and drain, so the total goroutine
// count swings up and down), and after each request an audit goroutine waits
// for the storage ack. The retry path never sends the ack, so one audit
// goroutine in eight stays in "chan receive" forever: a steady leak hidden in
// a noisy service (LEAK).
package main

import (
	"fmt"
	"math/rand"
	"os"
	"sync"
	"time"

	"../../snapshot"
)

// leakAuditWaiter writes the audit record once storage acknowledges.
//
//go:noinline
func leakAuditWaiter(req int, ack <-chan bool) {
	if ok := <-ack; !ok {
		fmt.Fprintf(os.Stderr, "request %d not stored\n", req)
	}
}

//go:noinline
func handleBatch(req int, retry bool, sem chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	sem <- struct{}{}
	time.Sleep(30 * time.Millisecond) // the work
	<-sem
	ack := make(chan bool)
	go leakAuditWaiter(req, ack)
	if retry {
		return // bug: the retry path never acknowledges
	}
	ack <- true
}

//go:noinline
func queueConsumer(in <-chan int) {
	for v := range in {
		_ = v
	}
}

func main() {
	snap := snapshot.New(false)
	rng := rand.New(rand.NewSource(14))
	sem := make(chan struct{}, 16)
	in := make(chan int)
	for i := 0; i < 4; i++ {
		go queueConsumer(in)
	}
	var wg sync.WaitGroup
	req := 0
	send := func(n int) {
		for i := 0; i < n; i++ {
			req++
			wg.Add(1)
			go handleBatch(req, rng.Intn(8) == 0, sem, &wg)
		}
	}
	bursts := map[int]int{1: 300, 5: 250}
	for round := 0; round < 10; round++ {
		send(bursts[round] + 40) // a burst, or the usual traffic
		time.Sleep(200 * time.Millisecond)
		snap.Take()
	}
	wg.Wait()
}
