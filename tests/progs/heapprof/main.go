// heapprof writes a heap profile (alloc_objects, alloc_space, inuse_objects,
// inuse_space) to the path given as its only argument.  Allocations come
// from distinct functions of distinct sizes; some are kept live until the
// profile is written, the others become garbage.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// Sample every 512 bytes allocated so that small allocations show up.
var _ = func() int { runtime.MemProfileRate = 512; return 0 }()

var live [][]byte
var liveMaps []map[int]string

//go:noinline
func allocSmall(n int) {
	for i := 0; i < n; i++ {
		b := make([]byte, 64)
		if i%4 == 0 {
			live = append(live, b)
		}
	}
}

//go:noinline
func allocLarge(n int) {
	for i := 0; i < n; i++ {
		b := make([]byte, 40000)
		if i%2 == 0 {
			live = append(live, b)
		}
	}
}

//go:noinline
func allocGarbage(n int) {
	var keep []byte
	for i := 0; i < n; i++ {
		keep = make([]byte, 1024+i%7)
	}
	_ = keep
}

//go:noinline
func allocMaps(n int) {
	for i := 0; i < n; i++ {
		m := make(map[int]string)
		for j := 0; j < 8; j++ {
			m[j] = fmt.Sprint(j)
		}
		liveMaps = append(liveMaps, m)
	}
}

//go:noinline
func nested(depth int) {
	if depth == 0 {
		allocSmall(300)
		return
	}
	nested(depth - 1)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: heapprof OUT.pb.gz")
		os.Exit(2)
	}
	allocSmall(2000)
	allocLarge(50)
	allocGarbage(3000)
	allocMaps(200)
	nested(5)
	runtime.GC()
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
	runtime.KeepAlive(live)
	runtime.KeepAlive(liveMaps)
}
