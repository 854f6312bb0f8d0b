// nil_select: a pub/sub hub starts a watcher goroutine per subscription. The
// prefetch path builds its subscriber without making the updates channel and
// with context.Background(), whose Done() is nil, so its watcher selects on
// two nil channels and blocks forever ("select (no cases)"). Normal
// subscriptions are cancelled when their client goes away (LEAK).
package main

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"
)

type subscriber struct {
	topic   string
	updates chan string
	ctx     context.Context
}

// leakNilSelectWatcher forwards updates until the subscriber's context ends.
// With a nil updates channel and a nil Done channel it can never wake up.
//
//go:noinline
func leakNilSelectWatcher(s *subscriber) {
	for {
		select {
		case u := <-s.updates:
			_ = u
		case <-s.ctx.Done():
			return
		}
	}
}

//go:noinline
func subscribe(ctx context.Context, topic string) *subscriber {
	s := &subscriber{topic: topic, updates: make(chan string, 1), ctx: ctx}
	go leakNilSelectWatcher(s)
	return s
}

//go:noinline
func prefetch(topic string) {
	s := &subscriber{topic: topic, ctx: context.Background()} // bug: no updates channel, no cancel
	go leakNilSelectWatcher(s)
}

//go:noinline
func sessionReaper(stop <-chan struct{}) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-stop:
			return
		}
	}
}

//go:noinline
func publishLoop(in <-chan string) {
	for m := range in {
		_ = m
	}
}

func main() {
	snap := newSnapshots(false)
	rng := rand.New(rand.NewSource(5))
	stop := make(chan struct{})
	go sessionReaper(stop)
	pub := make(chan string, 8)
	for i := 0; i < 3; i++ {
		go publishLoop(pub)
	}

	for round := 0; round < 10; round++ {
		n := 20 + rng.Intn(10)
		for i := 0; i < n; i++ {
			topic := fmt.Sprintf("topic-%d", rng.Intn(50))
			ctx, cancel := context.WithCancel(context.Background())
			s := subscribe(ctx, topic)
			s.updates <- "hello"
			pub <- topic
			if rng.Intn(4) == 0 {
				prefetch(topic)
			}
			time.Sleep(5 * time.Millisecond)
			cancel() // client went away
		}
		snap.take()
	}
	close(stop)
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
