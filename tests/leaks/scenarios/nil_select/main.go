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
	"time"

	"../../snapshot"
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
	snap := snapshot.New(false)
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
		snap.Take()
	}
	close(stop)
}
