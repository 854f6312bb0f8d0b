// restart_leak: the service is restarted (a deploy) halfway through the
// series. Before and after the restart a fan-out hub leaks one sender
// goroutine per client that disconnects without unsubscribing: the sender
// blocks in "chan send" forever. The count drops to near zero at the restart
// and grows again (LEAK). The program re-executes itself for the second
// process, so the snapshots come from two processes, as after a real restart.
package main

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"
)

type client struct {
	feed chan string
}

// leakFanoutSender pushes one update to a client; a client that went away
// without unsubscribing never reads it.
//
//go:noinline
func leakFanoutSender(c *client, msg string) {
	c.feed <- msg
}

//go:noinline
func publish(clients []*client, msg string) {
	for _, c := range clients {
		go leakFanoutSender(c, msg)
	}
}

// shortClient reads n updates and disconnects; a well-behaved client would
// unsubscribe first, and one that leaves before its first read strands the
// sender.
//
//go:noinline
func shortClient(c *client, n int) {
	for i := 0; i < n; i++ {
		<-c.feed
	}
}

// sessionReader is a long-lived client that reads every update.
//
//go:noinline
func sessionReader(c *client) {
	for range c.feed {
	}
}

//go:noinline
func indexer(stop <-chan struct{}) {
	t := time.NewTicker(30 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-stop:
			return
		}
	}
}

func serve(snap *snapshots, seed int64, rounds int) {
	rng := rand.New(rand.NewSource(seed))
	stop := make(chan struct{})
	go indexer(stop)
	go indexer(stop)
	for i := 0; i < 6; i++ {
		c := &client{feed: make(chan string)}
		go sessionReader(c)
		defer close(c.feed)
	}
	for round := 0; round < rounds; round++ {
		for i := 0; i < 12; i++ {
			c := &client{feed: make(chan string)}
			reads := 1
			if rng.Intn(3) == 0 {
				reads = 0 // disconnects before the welcome message
			}
			go shortClient(c, reads)
			publish([]*client{c}, "welcome")
			time.Sleep(15 * time.Millisecond)
		}
		snap.take()
	}
	close(stop)
}

func main() {
	snap := newSnapshots(false)
	if p := os.Getenv("RESTART_LEAK_PHASE"); p != "" {
		phase, _ := strconv.Atoi(p)
		snap.n = 5 * phase
		serve(snap, int64(15+phase), 5)
		return
	}
	for phase := 0; phase < 2; phase++ {
		cmd := exec.Command(os.Args[0], os.Args[1])
		cmd.Env = append(os.Environ(), fmt.Sprintf("RESTART_LEAK_PHASE=%d", phase))
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "phase", phase, err)
			os.Exit(1)
		}
	}
}

// ---- snapshot writer (the same block in every scenario) ----

// snapshots writes numbered profiles into the directory given as argv[1]:
// goroutine-NN.pb.gz (proto) and goroutine-NN.txt (debug=2 dump), or for a
// heap scenario heap-NN.pb.gz taken right after a full GC.
type snapshots struct {
	dir  string
	n    int
	heap bool
}

func newSnapshots(heap bool) *snapshots {
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s OUTDIR\n", os.Args[0])
		os.Exit(2)
	}
	if err := os.MkdirAll(os.Args[1], 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return &snapshots{dir: os.Args[1], heap: heap}
}

func (s *snapshots) take() {
	if s.heap {
		runtime.GC()
		s.write(fmt.Sprintf("heap-%02d.pb.gz", s.n), "heap", 0)
	} else {
		settle()
		s.write(fmt.Sprintf("goroutine-%02d.pb.gz", s.n), "goroutine", 0)
		s.write(fmt.Sprintf("goroutine-%02d.txt", s.n), "goroutine", 2)
	}
	s.n++
}

func (s *snapshots) write(name, profile string, debug int) {
	f, err := os.Create(filepath.Join(s.dir, name))
	if err == nil {
		err = pprof.Lookup(profile).WriteTo(f, debug)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// settle waits (at most 300 ms) until the number of goroutines has not
// changed for 25 ms, so that a snapshot sees goroutines parked where they
// will stay rather than on their way there.
func settle() {
	deadline := time.Now().Add(300 * time.Millisecond)
	last, same := runtime.NumGoroutine(), 0
	for same < 5 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		if n := runtime.NumGoroutine(); n == last {
			same++
		} else {
			last, same = n, 0
		}
	}
}
