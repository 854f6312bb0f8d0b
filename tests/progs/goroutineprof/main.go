// goroutineprof writes a goroutine profile to the path given as its only
// argument, taken while goroutines are parked in channel receives, selects,
// a mutex and a sleep; some of them carry pprof labels.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

//go:noinline
func waitRecv(c chan int, ready *sync.WaitGroup) {
	ready.Done()
	<-c
}

//go:noinline
func waitSelect(a, b chan int, ready *sync.WaitGroup) {
	ready.Done()
	select {
	case <-a:
	case <-b:
	}
}

//go:noinline
func waitMutex(mu *sync.Mutex, ready *sync.WaitGroup) {
	ready.Done()
	mu.Lock()
	mu.Unlock()
}

//go:noinline
func waitSleep(ready *sync.WaitGroup) {
	ready.Done()
	time.Sleep(time.Hour)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: goroutineprof OUT.pb.gz")
		os.Exit(2)
	}
	c := make(chan int)
	a, b := make(chan int), make(chan int)
	var mu sync.Mutex
	mu.Lock()
	var ready sync.WaitGroup
	for i := 0; i < 7; i++ {
		ready.Add(1)
		go waitRecv(c, &ready)
	}
	pprof.Do(context.Background(), pprof.Labels("pool", "selectors"), func(context.Context) {
		for i := 0; i < 5; i++ {
			ready.Add(1)
			go waitSelect(a, b, &ready)
		}
	})
	pprof.Do(context.Background(), pprof.Labels("pool", "lockers"), func(context.Context) {
		for i := 0; i < 3; i++ {
			ready.Add(1)
			go waitMutex(&mu, &ready)
		}
	})
	ready.Add(2)
	go waitSleep(&ready)
	go waitSleep(&ready)
	ready.Wait()
	// Let every goroutine reach its parking point.
	for i := 0; i < 50; i++ {
		runtime.Gosched()
		time.Sleep(2 * time.Millisecond)
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.Lookup("goroutine").WriteTo(f, 0); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}
