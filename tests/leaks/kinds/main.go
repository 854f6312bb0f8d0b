// kinds: a program with goroutines parked in every wait kind the leak
// table names, for the test that proto and debug=2 snapshots of one moment
// classify every goroutine alike (tests/leaks/test_leaks.py,
// test_kinds_of_a_real_program). Each goroutine's root function says its
// kind: kRecv "chan receive", kAccept "io" (two goroutines accept on one
// listener: one waits for I/O, the other for the listener's fd lock, which
// is the case that read "other" in proto and "mutex" in dumps), and so on.
// It writes goroutine.pb.gz and goroutine.txt into argv[1], then exits.
package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"
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
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s OUTDIR\n", os.Args[0])
		os.Exit(2)
	}
	dir := os.Args[1]
	fail(os.MkdirAll(dir, 0o755))
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
	// the pair, as the scenarios write theirs (see pair in any of them):
	// the proto between two dumps that agree, with no goroutine runnable
	for try := 0; try < 100; try++ {
		time.Sleep(50 * time.Millisecond)
		var dumps [2]bytes.Buffer
		for k := range dumps {
			goroutines(&dumps[k], 2)
			if k == 0 {
				create(filepath.Join(dir, "goroutine.pb.gz"), func(f *os.File) { goroutines(f, 0) })
			}
		}
		a, b := others(dumps[0].Bytes()), others(dumps[1].Bytes())
		if bytes.Equal(a, b) && !bytes.Contains(a, []byte(" [runnable")) && !bytes.Contains(a, []byte(" [running")) {
			create(filepath.Join(dir, "goroutine.txt"), func(f *os.File) { _, err := f.Write(dumps[0].Bytes()); fail(err) })
			return
		}
	}
	fail(fmt.Errorf("no two dumps around the proto agreed in 100 tries"))
}

// goroutines writes the goroutine profile from one line for every format.
func goroutines(w io.Writer, debug int) { fail(pprof.Lookup("goroutine").WriteTo(w, debug)) }

// others is a debug=2 dump without its first goroutine, the one writing it.
func others(dump []byte) []byte {
	if i := bytes.Index(dump, []byte("\n\n")); i >= 0 {
		return dump[i:]
	}
	return nil
}

func create(name string, fill func(*os.File)) {
	f, err := os.Create(name)
	fail(err)
	fill(f)
	fail(f.Close())
}
