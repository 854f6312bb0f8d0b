// cpuprof writes a CPU profile with pprof labels to the path given as its
// only argument.  It burns about one second of CPU in a few distinct shapes
// so that the profile has: labelled samples (endpoint=/api/a, /api/b and
// worker=alpha/beta), direct recursion (main.fib), mutual recursion
// (main.even/main.odd), small functions the compiler inlines
// (main.mix, main.square), and an unlabelled phase.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"sync"
	"time"
)

var sink uint64

// mix and square are small enough to be inlined into their callers.
func mix(x uint64) uint64 { return x*6364136223846793005 + 1442695040888963407 }

func square(x uint64) uint64 { return x * x }

//go:noinline
func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

//go:noinline
func even(n int) bool {
	if n == 0 {
		return true
	}
	return odd(n - 1)
}

//go:noinline
func odd(n int) bool {
	if n == 0 {
		return false
	}
	return even(n - 1)
}

//go:noinline
func hashLoop(d time.Duration) {
	var x uint64 = 1
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := 0; i < 20000; i++ {
			x = mix(x) ^ square(x>>7)
		}
	}
	sink += x
}

//go:noinline
func fibLoop(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		sink += uint64(fib(22))
	}
}

//go:noinline
func parityLoop(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := 0; i < 200; i++ {
			if even(1000 + i) {
				sink++
			}
		}
	}
}

//go:noinline
func handleA(d time.Duration) {
	fibLoop(d / 2)
	hashLoop(d / 2)
}

//go:noinline
func handleB(d time.Duration) {
	parityLoop(d / 2)
	hashLoop(d / 2)
}

//go:noinline
func unlabelled(d time.Duration) {
	hashLoop(d)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: cpuprof OUT.pb.gz")
		os.Exit(2)
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	const d = 1000 * time.Millisecond
	var wg sync.WaitGroup
	run := func(endpoint, worker string, fn func(time.Duration)) {
		defer wg.Done()
		pprof.Do(context.Background(), pprof.Labels("endpoint", endpoint, "worker", worker),
			func(context.Context) { fn(d) })
	}
	wg.Add(3)
	go run("/api/a", "alpha", handleA)
	go run("/api/b", "beta", handleB)
	go run("/api/b", "alpha", handleA)
	unlabelled(d)
	wg.Wait()
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		panic(err)
	}
}
