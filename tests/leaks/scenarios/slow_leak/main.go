// slow_leak: a webhook sender starts a notifier goroutine that waits for the
// receiver's acknowledgement. Only on a rare error path (about one request in
// thirty) does the sender forget to deliver the ack, so the notifier waits in
// "chan receive" forever: about one leaked goroutine per snapshot, far fewer
// goroutines than the stable pools of the look-alikes (LEAK).
package main

import (
	"errors"
	"fmt"
	"math/rand"
	"time"

	"../../snapshot"
)

var errRedirect = errors.New("unexpected redirect")

// leakRetryNotifier records the outcome once the webhook is acknowledged.
//
//go:noinline
func leakRetryNotifier(hook int, ack <-chan error, log chan<- string) {
	if err := <-ack; err != nil {
		log <- fmt.Sprintf("hook %d: %v", hook, err)
	}
}

//go:noinline
func sendWebhook(hook int, rng *rand.Rand, log chan<- string) {
	ack := make(chan error)
	go leakRetryNotifier(hook, ack, log)
	if rng.Intn(30) == 0 {
		return // bug: the redirect path never acknowledges
	}
	ack <- nil
}

//go:noinline
func logWriter(lines <-chan string) {
	for l := range lines {
		_ = len(l)
	}
}

//go:noinline
func dnsCacheRefresher(stop <-chan struct{}) {
	t := time.NewTicker(45 * time.Millisecond)
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
	rng := rand.New(rand.NewSource(13))
	log := make(chan string, 16)
	for i := 0; i < 3; i++ {
		go logWriter(log)
	}
	stop := make(chan struct{})
	go dnsCacheRefresher(stop)
	hook := 0
	for round := 0; round < 10; round++ {
		for i := 0; i < 45; i++ {
			hook++
			sendWebhook(hook, rng, log)
			time.Sleep(4 * time.Millisecond)
		}
		snap.Take()
	}
	close(stop)
	_ = errRedirect
}
