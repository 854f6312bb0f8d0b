// lazy_plateau: a tenant cache starts one refresher goroutine per tenant the
// first time the tenant is seen. Tenants come online during the first
// snapshots, so the number of refreshers (parked in "select") grows, then
// stays at the fixed number of tenants, 40 (NOT a leak).
package main

import (
	"fmt"
	"math/rand"
	"sync"
	"time"

	"../../snapshot"
)

type tenantCache struct {
	mu      sync.Mutex
	entries map[int]*tenantEntry
	stop    chan struct{}
}

type tenantEntry struct {
	mu   sync.Mutex
	conf string
}

// tenantRefresher reloads one tenant's settings every few seconds.
//
//go:noinline
func tenantRefresher(id int, e *tenantEntry, stop <-chan struct{}) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			e.mu.Lock()
			e.conf = fmt.Sprintf("tenant-%d@%d", id, time.Now().Unix())
			e.mu.Unlock()
		case <-stop:
			return
		}
	}
}

//go:noinline
func (c *tenantCache) get(id int) *tenantEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[id]
	if e == nil {
		e = &tenantEntry{conf: fmt.Sprintf("tenant-%d", id)}
		c.entries[id] = e
		go tenantRefresher(id, e, c.stop)
	}
	return e
}

func main() {
	snap := snapshot.New(false)
	rng := rand.New(rand.NewSource(9))
	c := &tenantCache{entries: map[int]*tenantEntry{}, stop: make(chan struct{})}
	online := []int{14, 25, 33, 38, 40, 40, 40, 40, 40, 40} // tenants online per round
	for round := 0; round < 10; round++ {
		for i := 0; i < 400; i++ {
			c.get(rng.Intn(online[round]))
			if i%40 == 0 {
				time.Sleep(20 * time.Millisecond)
			}
		}
		snap.Take()
	}
	close(c.stop)
}
