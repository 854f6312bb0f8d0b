// mutexprof writes a mutex contention profile (contentions, delay) to the
// path given as its only argument.  Several goroutines fight over two
// mutexes from distinct call sites.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

var counter int

//go:noinline
func holdA(mu *sync.Mutex, n int) {
	for i := 0; i < n; i++ {
		mu.Lock()
		counter++
		time.Sleep(50 * time.Microsecond)
		mu.Unlock()
	}
}

//go:noinline
func holdB(mu *sync.Mutex, n int) {
	for i := 0; i < n; i++ {
		mu.Lock()
		for j := 0; j < 20000; j++ {
			counter += j & 1
		}
		mu.Unlock()
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mutexprof OUT.pb.gz")
		os.Exit(2)
	}
	runtime.SetMutexProfileFraction(1)
	var a, b sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); holdA(&a, 200) }()
		go func() { defer wg.Done(); holdB(&b, 200) }()
	}
	wg.Wait()
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.Lookup("mutex").WriteTo(f, 0); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}
