// kinds: a program with goroutines parked in every wait kind the leak
// table names, for the test that proto and debug=2 snapshots of one moment
// classify every goroutine alike (tests/leaks/test_leaks.py,
// test_kinds_of_a_real_program). Each goroutine's root function says its
// kind: kRecv "chan receive", kAccept "io" (two goroutines accept on one
// listener: one waits for I/O, the other for the listener's fd lock, which
// is the case that read "other" in proto and "mutex" in dumps), and so on.
// It writes goroutine.pb.gz and goroutine.txt into argv[1] (a pair of one
// moment, as snapshot.WritePair writes them), then exits.
package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"../snapshot"
)

//go:noinline
func kRecv(c chan int) { <-c }

//go:noinline
func kRecvNil() {
	var c chan int
	<-c
}

//go:noinline
func kSend(c chan int) { c <- 1 }

//go:noinline
func kSelect(a, b chan int) {
	select {
	case <-a:
	case <-b:
	}
}

//go:noinline
func kSelect0() { select {} }

//go:noinline
func kMutex(mu *sync.Mutex) { mu.Lock() }

//go:noinline
func kRLock(mu *sync.RWMutex) { mu.RLock() }

//go:noinline
func kWLock(mu *sync.RWMutex) { mu.Lock() }

//go:noinline
func kWG(wg *sync.WaitGroup) { wg.Wait() }

//go:noinline
func kCond(c *sync.Cond) {
	c.L.Lock()
	c.Wait()
}

//go:noinline
func kSleep() { time.Sleep(time.Hour) }

//go:noinline
func kAccept(ln net.Listener) { ln.Accept() }

//go:noinline
func kRead(c net.Conn) { c.Read(make([]byte, 1)) }

//go:noinline
func kServe(ln net.Listener) {
	c, err := ln.Accept()
	if err == nil {
		defer c.Close()
	}
	select {}
}

//go:noinline
func kSyscall(fd int) { syscall.Read(fd, make([]byte, 1)) }

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func main() {
	dir := snapshot.New(false).Dir
	c := make(chan int)
	for i := 0; i < 2; i++ {
		go kRecv(c)
		go kRecvNil()
		go kSend(make(chan int))
		go kSelect(make(chan int), make(chan int))
		go kSelect0()
		go kSleep()
	}
	var mu sync.Mutex
	mu.Lock()
	go kMutex(&mu)
	var rw sync.RWMutex
	rw.Lock()
	go kRLock(&rw)
	go kWLock(&rw)
	var wg sync.WaitGroup
	wg.Add(1)
	go kWG(&wg)
	go kCond(sync.NewCond(&sync.Mutex{}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	fail(err)
	go kAccept(ln)
	go kAccept(ln)
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	fail(err)
	go kServe(ln2)
	cl, err := net.Dial("tcp", ln2.Addr().String())
	fail(err)
	go kRead(cl)
	var p [2]int
	fail(syscall.Pipe(p[:]))
	go kSyscall(p[0])
	signal.Notify(make(chan os.Signal, 1), syscall.SIGUSR1)
	proto, text := filepath.Join(dir, "goroutine.pb.gz"), filepath.Join(dir, "goroutine.txt")
	if !snapshot.WritePair(proto, text, func() { time.Sleep(50 * time.Millisecond) }) {
		fail(fmt.Errorf("no moment to write the pair of in 100 tries"))
	}
}
