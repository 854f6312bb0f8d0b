// ticker_loops: a service with 24 periodic background loops (metric flushes,
// cache refreshes, health probes), each parked in a select on its ticker and
// a stop channel, plus a few sleep-based pollers. Many goroutines blocked in
// "select", a constant count (NOT a leak).
package main

import (
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"../../snapshot"
)

var ticks int64

//go:noinline
func periodicTickerLoop(every time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			atomic.AddInt64(&ticks, 1)
		case <-stop:
			return
		}
	}
}

//go:noinline
func sleepPoller(every time.Duration, stop <-chan struct{}) {
	for {
		time.Sleep(every)
		select {
		case <-stop:
			return
		default:
		}
	}
}

func main() {
	snap := snapshot.New(false)
	stop := make(chan struct{})
	for i := 0; i < 24; i++ {
		go periodicTickerLoop(time.Duration(20+7*i)*time.Millisecond, stop)
	}
	for i := 0; i < 4; i++ {
		go sleepPoller(time.Duration(50+10*i)*time.Millisecond, stop)
	}
	for round := 0; round < 10; round++ {
		time.Sleep(220 * time.Millisecond)
		snap.Take()
	}
	close(stop)
	fmt.Fprint(os.Stderr, "")
}
