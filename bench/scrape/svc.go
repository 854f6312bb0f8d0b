// svc.go: the benchmark's targets: one Go process serving net/http/pprof
// on N consecutive ports (go run svc.go FIRST_PORT N), with some CPU work,
// a contended mutex and mutex/block profiling on, like a real service.
package main

import (
	"fmt"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

var mu sync.Mutex

func burn() {
	for {
		x := 0
		for i := 0; i < 1000000; i++ {
			x += i * i
		}
		_ = x
		time.Sleep(20 * time.Millisecond)
	}
}

func contend() {
	for {
		mu.Lock()
		time.Sleep(time.Millisecond)
		mu.Unlock()
	}
}

func main() {
	first, _ := strconv.Atoi(os.Args[1])
	n, _ := strconv.Atoi(os.Args[2])
	runtime.SetMutexProfileFraction(10)
	runtime.SetBlockProfileRate(1000000)
	go burn()
	go contend()
	go contend()
	for i := 0; i < n; i++ {
		addr := fmt.Sprintf("127.0.0.1:%d", first+i)
		go func() { panic(http.ListenAndServe(addr, nil)) }()
	}
	select {}
}
