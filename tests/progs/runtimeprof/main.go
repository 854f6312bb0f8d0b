// runtimeprof writes a CPU profile whose time is spent in known parts of
// the Go runtime, for the runtime-share strip (docs/RUNTIME.md):
//
//	alloc    many small pointer-free allocations (runtime.mallocgc)
//	gc       a large live pointer graph and pointerful churn with a small
//	         GOGC, so background mark workers, assists and sweeping run
//	syscall  one-byte writes to /dev/null and getpid (syscall.Syscall)
//	sched    goroutines ping-ponging over unbuffered channels (scheduler)
//	user     pure computation
//
// Every sample carries the pprof labels phase=<name> and, unless -version
// is empty, go_version=<value> (default: runtime.Version()).
//
//	go run . -o out.pprof [-gogc 100] [-version go1.19.8] [-seconds 1]
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"
)

var sinkU uint64
var sinkB []byte

type node struct {
	next, other *node
	v           [4]int
}

var live []*node

//go:noinline
func allocPhase(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := 0; i < 1000; i++ {
			b := make([]byte, 64+i%256)
			b[0] = byte(i)
			sinkB = b
		}
	}
}

//go:noinline
func gcPhase(d time.Duration) {
	live = make([]*node, 0, 1<<20)
	var prev *node
	for i := 0; i < 1<<20; i++ {
		n := &node{next: prev}
		if i > 7 {
			n.other = live[i/2]
		}
		live = append(live, n)
		prev = n
	}
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := 0; i < 1000; i++ {
			n := &node{next: live[i], other: prev}
			live[(i*7919)%len(live)] = n
			prev = n
		}
	}
}

//go:noinline
func syscallPhase(d time.Duration) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	one := []byte{1}
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := 0; i < 200; i++ {
			f.Write(one)
			sinkU += uint64(syscall.Getpid())
		}
	}
}

//go:noinline
func schedPhase(d time.Duration) {
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for k := 0; k < 4; k++ {
		ping, pong := make(chan int), make(chan int)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					close(ping)
					return
				case ping <- 1:
				}
				<-pong
			}
		}()
		go func() {
			defer wg.Done()
			for v := range ping {
				pong <- v
			}
		}()
	}
	time.Sleep(d)
	close(stop)
	wg.Wait()
}

//go:noinline
func userPhase(d time.Duration) {
	var x uint64 = 1
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := 0; i < 20000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	sinkU += x
}

func main() {
	out := flag.String("o", "", "output file")
	gogc := flag.Int("gogc", 100, "GOGC during the run")
	version := flag.String("version", runtime.Version(), "value of the go_version label (empty: no label)")
	secs := flag.Float64("seconds", 1, "seconds per phase")
	flag.Parse()
	if *out == "" {
		log.Fatal("-o is required")
	}
	debug.SetGCPercent(*gogc)
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatal(err)
	}
	d := time.Duration(*secs * float64(time.Second))
	phases := []struct {
		name string
		fn   func(time.Duration)
	}{{"alloc", allocPhase}, {"gc", gcPhase}, {"syscall", syscallPhase}, {"sched", schedPhase}, {"user", userPhase}}
	for _, ph := range phases {
		kv := []string{"phase", ph.name}
		if *version != "" {
			kv = append(kv, "go_version", *version)
		}
		pprof.Do(context.Background(), pprof.Labels(kv...), func(context.Context) { ph.fn(d) })
	}
	live = nil
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
