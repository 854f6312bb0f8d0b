// blockprof writes a block profile (contentions, delay) to the path given
// as its only argument: goroutines block on channel sends and receives,
// selects, a sync.WaitGroup and a mutex.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

//go:noinline
func producer(c chan<- int, n int) {
	for i := 0; i < n; i++ {
		c <- i
		time.Sleep(100 * time.Microsecond)
	}
	close(c)
}

//go:noinline
func consumer(c <-chan int) int {
	s := 0
	for v := range c {
		s += v
	}
	return s
}

//go:noinline
func selector(a, b <-chan int, done <-chan struct{}) {
	for {
		select {
		case <-a:
		case <-b:
		case <-done:
			return
		}
	}
}

//go:noinline
func locker(mu *sync.Mutex, n int) {
	for i := 0; i < n; i++ {
		mu.Lock()
		time.Sleep(20 * time.Microsecond)
		mu.Unlock()
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: blockprof OUT.pb.gz")
		os.Exit(2)
	}
	runtime.SetBlockProfileRate(1)
	c := make(chan int)
	go producer(c, 300)
	consumer(c)

	a, b := make(chan int), make(chan int)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); selector(a, b, done) }()
	for i := 0; i < 100; i++ {
		time.Sleep(50 * time.Microsecond)
		if i%2 == 0 {
			a <- i
		} else {
			b <- i
		}
	}
	close(done)
	wg.Wait()

	var mu sync.Mutex
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); locker(&mu, 100) }()
	}
	wg.Wait()

	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.Lookup("block").WriteTo(f, 0); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}
