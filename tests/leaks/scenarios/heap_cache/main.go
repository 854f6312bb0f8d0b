// heap_cache: an LRU cache of rendered pages, bounded at 600 entries of
// 6 KiB. It fills during the first snapshots, then every insert evicts the
// oldest entry, so in-use bytes at the insert site grow, then stay flat
// (NOT a leak).
package main

import (
	"container/list"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"time"

	"../../snapshot"
)

type page struct {
	key  int
	body []byte
}

type pageCache struct {
	max   int
	order *list.List
	byKey map[int]*list.Element
}

// pageCachePut inserts a rendered page and evicts the least recently used
// one when the cache is full.
//
//go:noinline
func (c *pageCache) pageCachePut(key int) {
	if e, ok := c.byKey[key]; ok {
		c.order.MoveToFront(e)
		return
	}
	p := &page{key: key, body: make([]byte, 6<<10)}
	p.body[0] = byte(key)
	c.byKey[key] = c.order.PushFront(p)
	if c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.byKey, old.Value.(*page).key)
	}
}

func main() {
	runtime.MemProfileRate = 512
	snap := snapshot.New(true)
	rng := rand.New(rand.NewSource(12))
	c := &pageCache{max: 600, order: list.New(), byKey: make(map[int]*list.Element, 1024)}
	key := 0
	for round := 0; round < 10; round++ {
		for i := 0; i < 300; i++ {
			if rng.Intn(5) == 0 && key > 0 {
				c.pageCachePut(key - rng.Intn(50)) // a hit on a recent page
			} else {
				key++
				c.pageCachePut(key)
			}
			if i%20 == 0 {
				time.Sleep(2 * time.Millisecond)
			}
		}
		time.Sleep(100 * time.Millisecond)
		snap.Take()
	}
	fmt.Fprintln(os.Stderr, c.order.Len(), "pages cached")
}
