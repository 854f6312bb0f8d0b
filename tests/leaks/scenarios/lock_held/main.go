// lock_held: a transfer handler runs in its own goroutine per request and
// updates balances under a mutex. An overdraft makes leakLockedUpdate return
// early with the mutex still held; from then on every new request goroutine
// blocks forever in Mutex.Lock ("semacquire") (LEAK).
package main

import (
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"time"

	"../../snapshot"
)

type accountStore struct {
	mu       sync.Mutex
	balances map[int]int
}

var errOverdraft = errors.New("overdraft")

// leakLockedUpdate applies a balance change under s.mu.
//
//go:noinline
func leakLockedUpdate(s *accountStore, id, delta int) error {
	s.mu.Lock()
	if s.balances[id]+delta < 0 {
		return errOverdraft // bug: returns with s.mu held
	}
	s.balances[id] += delta
	s.mu.Unlock()
	return nil
}

//go:noinline
func handleTransfer(s *accountStore, id, delta int, done chan<- error) {
	err := leakLockedUpdate(s, id, delta)
	select {
	case done <- err:
	default:
	}
}

//go:noinline
func receiptMailer(in <-chan error) {
	for e := range in {
		_ = e
	}
}

//go:noinline
func cacheJanitor(stop <-chan struct{}) {
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

func main() {
	snap := snapshot.New(false)
	rng := rand.New(rand.NewSource(6))
	s := &accountStore{balances: map[int]int{}}
	for i := 0; i < 100; i++ {
		s.balances[i] = 1000
	}
	done := make(chan error, 64)
	for i := 0; i < 3; i++ {
		go receiptMailer(done)
	}
	stop := make(chan struct{})
	go cacheJanitor(stop)

	req := 0
	for round := 0; round < 10; round++ {
		n := 8 + rng.Intn(6)
		for i := 0; i < n; i++ {
			req++
			delta := rng.Intn(200) - 100
			if req == 5 {
				delta = -5000 // the one overdraft that wedges the store
			}
			go handleTransfer(s, rng.Intn(100), delta, done)
			time.Sleep(15 * time.Millisecond)
		}
		snap.Take()
	}
	close(stop)
	_ = fmt.Sprint(req)
}
