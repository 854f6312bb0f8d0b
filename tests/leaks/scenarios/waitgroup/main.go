// waitgroup: each report request starts a collector goroutine that fans out
// one fetcher per shard and waits on a WaitGroup. A fetcher that finds an
// empty shard returns without calling Done, so that request's collector
// blocks forever in WaitGroup.Wait ("semacquire") (LEAK).
package main

import (
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	"../../snapshot"
)

//go:noinline
func fetchShard(wg *sync.WaitGroup, rows int, total *int64) {
	if rows == 0 {
		return // bug: missing wg.Done()
	}
	atomic.AddInt64(total, int64(rows))
	wg.Done()
}

// leakWaitGroupCollector sums a report over its shards and publishes it.
//
//go:noinline
func leakWaitGroupCollector(shards []int, reports chan<- int64) {
	var wg sync.WaitGroup
	var total int64
	for _, rows := range shards {
		wg.Add(1)
		go fetchShard(&wg, rows, &total)
	}
	wg.Wait()
	reports <- atomic.LoadInt64(&total)
}

//go:noinline
func reportPublisher(reports <-chan int64) {
	for r := range reports {
		_ = r
	}
}

//go:noinline
func configWatcher(stop <-chan struct{}) {
	t := time.NewTicker(35 * time.Millisecond)
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
	rng := rand.New(rand.NewSource(7))
	reports := make(chan int64, 16)
	for i := 0; i < 2; i++ {
		go reportPublisher(reports)
	}
	stop := make(chan struct{})
	go configWatcher(stop)

	for round := 0; round < 10; round++ {
		n := 18 + rng.Intn(10)
		for i := 0; i < n; i++ {
			shards := make([]int, 4)
			for j := range shards {
				shards[j] = 1 + rng.Intn(100)
			}
			if rng.Intn(3) == 0 {
				shards[rng.Intn(4)] = 0 // an empty shard
			}
			go leakWaitGroupCollector(shards, reports)
			time.Sleep(8 * time.Millisecond)
		}
		snap.Take()
	}
	close(stop)
}
