// restart_leak: the service is restarted (a deploy) halfway through the
// series. Before and after the restart a fan-out hub leaks one sender
// goroutine per client that disconnects without unsubscribing: the sender
// blocks in "chan send" forever. The count drops to near zero at the restart
// and grows again (LEAK). The program re-executes itself for the second
// process, so the snapshots come from two processes, as after a real restart.
package main

import (
	"bytes"
	"fmt"
	"io"
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
// goroutine-NN.pb.gz (proto) and goroutine-NN.txt (debug=2 dump) of the
// same moment, or for a heap scenario heap-NN.pb.gz taken right after a
// full GC.
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
		s.pair()
	}
	s.n++
}

// pair writes the proto and the debug=2 dump of one moment: the proto is
// written between two dumps, and again until those two are the same but
// for the goroutine writing them (every other goroutine kept its stack
// and state meanwhile) and show no goroutine runnable or running: a
// goroutine woken but not yet run still has its parked stack in a proto
// while a dump says "runnable", and a dump has no stack for one running
// on another thread. It gives up after 100 tries and leaves
// goroutine-NN.unpaired, which the tests report.
func (s *snapshots) pair() {
	for try := 0; try < 100; try++ {
		settle()
		var dumps [2]bytes.Buffer
		for k := range dumps {
			goroutines(&dumps[k], 2)
			if k == 0 {
				s.create(fmt.Sprintf("goroutine-%02d.pb.gz", s.n), func(f *os.File) { goroutines(f, 0) })
			}
		}
		a, b := others(dumps[0].Bytes()), others(dumps[1].Bytes())
		if bytes.Equal(a, b) && !bytes.Contains(a, []byte(" [runnable")) && !bytes.Contains(a, []byte(" [running")) {
			s.create(fmt.Sprintf("goroutine-%02d.txt", s.n), func(f *os.File) {
				if _, err := f.Write(dumps[0].Bytes()); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
			})
			return
		}
	}
	s.create(fmt.Sprintf("goroutine-%02d.unpaired", s.n), func(f *os.File) { goroutines(f, 2) })
}

// goroutines writes the goroutine profile, from one line for every
// format, so that the goroutine writing it has the same stack in each.
func goroutines(w io.Writer, debug int) {
	if err := pprof.Lookup("goroutine").WriteTo(w, debug); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// others is a debug=2 dump without its first goroutine, the one writing it.
func others(dump []byte) []byte {
	if i := bytes.Index(dump, []byte("\n\n")); i >= 0 {
		return dump[i:]
	}
	return nil
}

func (s *snapshots) write(name, profile string, debug int) {
	s.create(name, func(f *os.File) {
		if err := pprof.Lookup(profile).WriteTo(f, debug); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	})
}

// create writes the file name of the output directory with fill.
func (s *snapshots) create(name string, fill func(*os.File)) {
	f, err := os.Create(filepath.Join(s.dir, name))
	if err == nil {
		fill(f)
		err = f.Close()
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
