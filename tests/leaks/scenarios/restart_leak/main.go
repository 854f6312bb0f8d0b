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
	"strconv"
	"time"

	"../../snapshot"
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

func serve(snap *snapshot.Writer, seed int64, rounds int) {
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
		snap.Take()
	}
	close(stop)
}

func main() {
	snap := snapshot.New(false)
	if p := os.Getenv("RESTART_LEAK_PHASE"); p != "" {
		phase, _ := strconv.Atoi(p)
		snap.N = 5 * phase
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
