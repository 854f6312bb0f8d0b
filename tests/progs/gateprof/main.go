// gateprof writes a CPU profile of a fixed amount of work, for measuring the
// CI gate (bench/gate): run it twice and the two profiles differ by sampling
// noise and run-to-run variation only; run it with -plant 20 and
// main.render, which holds about 5% of the CPU, does 20% more work.
//
// The work is counted, not timed, so every run does the same work: about
// 30% main.parse, 20% main.compress, 15% main.hashItems, 10% main.sortItems,
// 15% main.encode (allocates: the garbage collector and the allocator
// appear under it and beside it, as in real services), 5% main.render and
// 5% main.logLine.
//
// The CPU profile rate is raised (-hz, default 250 samples per CPU second
// instead of pprof's 100): runtime.SetCPUProfileRate before
// pprof.StartCPUProfile, whose own attempt to set 100 Hz then fails with a
// warning on stderr ("cannot set cpu profile rate until previous profile
// has finished"); the profile records the rate set (its period). Linux
// checks CPU-time timers at the kernel's tick (250 Hz here), so rates above
// the tick give no more samples, only a period that undercounts the time:
// 250 is the most that is both real and correctly timed on this machine.
//
// -chunks K writes K consecutive profiles OUT.0.pb.gz … OUT.(K-1).pb.gz of
// work/K each instead of one (the same run cut in time: bench/gate uses the
// chunks as small same-code profiles and merges them into large ones).
// -workers runs the requests on that many goroutines.
//
//	gateprof [-hz 250] [-work 1] [-plant PCT] [-chunks K] [-workers N] OUT.pb.gz
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
)

var sink uint64

// unit is the kernel every function runs: about a microsecond of mixing.
//
//go:noinline
func unit(x uint64, n int) uint64 {
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

//go:noinline
func parse(units int) {
	x := uint64(1)
	for i := 0; i < units; i++ {
		x = unit(x, 400)
	}
	sink += x
}

//go:noinline
func compress(units int) {
	x := uint64(2)
	for i := 0; i < units; i++ {
		x = unit(x, 400)
	}
	sink += x
}

//go:noinline
func hashItems(units int) {
	x := uint64(3)
	for i := 0; i < units; i++ {
		x = unit(x, 400)
	}
	sink += x
}

//go:noinline
func sortItems(units int) {
	s := make([]int, 64)
	for i := 0; i < units; i++ {
		for k := range s {
			s[k] = (k*7919 + i) % 64
		}
		sort.Ints(s)
	}
	sink += uint64(s[3])
}

type record struct {
	ID    int               `json:"id"`
	Name  string            `json:"name"`
	Tags  []string          `json:"tags"`
	Attrs map[string]string `json:"attrs"`
}

//go:noinline
func encode(units int) {
	r := record{ID: 7, Name: "flamedex", Tags: []string{"a", "b", "c"}, Attrs: map[string]string{"k": "v", "x": "y"}}
	for i := 0; i < units; i++ {
		r.ID = i
		b, err := json.Marshal(&r)
		if err != nil {
			panic(err)
		}
		sink += uint64(len(b))
	}
}

//go:noinline
func render(units int) {
	x := uint64(5)
	for i := 0; i < units; i++ {
		x = unit(x, 400)
	}
	sink += x
}

//go:noinline
func logLine(units int) {
	x := uint64(6)
	for i := 0; i < units; i++ {
		x = unit(x, 400)
	}
	sink += x
}

// request is one request's worth of each function, interleaved so that
// slow phases of the machine spread over all functions alike.
//
//go:noinline
func request(scale float64, plant float64) {
	u := func(n float64) int { return int(n * scale) }
	parse(u(81))
	compress(u(54))
	hashItems(u(41))
	sortItems(u(9))
	encode(u(28))
	render(int(float64(u(14)) * (1 + plant/100)))
	logLine(u(14))
}

func main() {
	hz := flag.Int("hz", 250, "CPU profile rate, samples per CPU second")
	work := flag.Float64("work", 1, "amount of work (1: about a quarter of a CPU second)")
	plant := flag.Float64("plant", 0, "percent of extra work in main.render")
	chunks := flag.Int("chunks", 1, "write this many consecutive profiles")
	workers := flag.Int("workers", 1, "goroutines running requests")
	flag.Parse()
	if flag.NArg() != 1 || *chunks < 1 || *workers < 1 {
		fmt.Fprintln(os.Stderr, "usage: gateprof [-hz N] [-work X] [-plant PCT] [-chunks K] [-workers N] OUT.pb.gz")
		os.Exit(2)
	}
	out := flag.Arg(0)
	n := int(1000 * *work / float64(*chunks))
	for c := 0; c < *chunks; c++ {
		path := out
		if *chunks > 1 {
			path = strings.TrimSuffix(out, ".pb.gz") + fmt.Sprintf(".%d.pb.gz", c)
		}
		f, err := os.Create(path)
		if err != nil {
			panic(err)
		}
		runtime.SetCPUProfileRate(*hz)
		if err := pprof.StartCPUProfile(f); err != nil {
			panic(err)
		}
		var wg sync.WaitGroup
		for w := 0; w < *workers; w++ {
			wg.Add(1)
			go func(k int) {
				defer wg.Done()
				for i := k; i < n; i += *workers {
					request(1, *plant)
				}
			}(w)
		}
		wg.Wait()
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			panic(err)
		}
	}
}
