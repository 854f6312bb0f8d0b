// keepalive_server: an HTTP server with 32 keep-alive client connections.
// Between rounds of requests every server connection goroutine waits for the
// next request in net I/O ("IO wait") and the client's per-connection loops
// wait too; the connection count stays the same (NOT a leak).
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"time"

	"../../snapshot"
)

//go:noinline
func keepAliveStatusHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "ok %s\n", r.URL.Path)
}

//go:noinline
func fetchStatus(c *http.Client, url string, wg *sync.WaitGroup) {
	defer wg.Done()
	resp, err := c.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func main() {
	snap := snapshot.New(false)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/status", keepAliveStatusHandler)
	srv := &http.Server{Handler: mux, IdleTimeout: time.Minute}
	go srv.Serve(ln)

	const conns = 32
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     time.Minute,
	}}
	url := "http://" + ln.Addr().String() + "/status"
	burst := func() {
		var wg sync.WaitGroup
		for i := 0; i < conns; i++ {
			wg.Add(1)
			go fetchStatus(client, url, &wg)
		}
		wg.Wait()
		time.Sleep(40 * time.Millisecond)
	}
	// Warm up: the service has been running for a while before the first
	// snapshot, so all 32 connections are open (main, accept loop and three
	// goroutines per connection).
	for i := 0; i < 40 && runtime.NumGoroutine() < 2+3*conns; i++ {
		burst()
	}
	for round := 0; round < 10; round++ {
		for i := 0; i < 3; i++ {
			burst()
		}
		snap.Take()
	}
	srv.Close()
}
