// Package snapshot writes the snapshots of the leak scenarios (and of
// kinds/main.go): numbered goroutine or heap profiles in the directory
// given as argv[1]. The programs import it as "../../snapshot" (GOPATH
// mode, standard library only).
//
// A goroutine snapshot is a pair of one moment: goroutine-NN.pb.gz
// (proto) and goroutine-NN.txt (debug=2 dump), see WritePair. A heap
// snapshot is heap-NN.pb.gz taken right after a full GC.
package snapshot

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"
)

// Writer numbers the snapshots of one program; N is the next number.
type Writer struct {
	Dir  string
	N    int
	heap bool
}

// New makes the output directory argv[1], or exits with a usage message.
func New(heap bool) *Writer {
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s OUTDIR\n", os.Args[0])
		os.Exit(2)
	}
	fail(os.MkdirAll(os.Args[1], 0o755))
	return &Writer{Dir: os.Args[1], heap: heap}
}

// Take writes snapshot N and counts it.
func (s *Writer) Take() {
	if s.heap {
		runtime.GC()
		create(filepath.Join(s.Dir, fmt.Sprintf("heap-%02d.pb.gz", s.N)), func(f *os.File) {
			fail(pprof.Lookup("heap").WriteTo(f, 0))
		})
	} else {
		name := filepath.Join(s.Dir, fmt.Sprintf("goroutine-%02d", s.N))
		if !WritePair(name+".pb.gz", name+".txt", Settle) {
			create(name+".unpaired", func(f *os.File) { goroutines(f, 2) })
		}
	}
	s.N++
}

// WritePair writes the proto and the debug=2 dump of one moment: the proto
// is written between two dumps, and again until those two are the same
// but for the goroutine writing them (every other goroutine kept its stack
// and state meanwhile) and show no goroutine runnable or running: a
// goroutine woken but not yet run still has its parked stack in a proto
// while a dump says "runnable", and a dump has no stack for one running on
// another thread. wait runs before each of at most 100 tries; false when
// none gave such a moment (the text file is then not written).
func WritePair(proto, text string, wait func()) bool {
	for try := 0; try < 100; try++ {
		wait()
		var dumps [2]bytes.Buffer
		for k := range dumps {
			goroutines(&dumps[k], 2)
			if k == 0 {
				create(proto, func(f *os.File) { goroutines(f, 0) })
			}
		}
		a, b := others(dumps[0].Bytes()), others(dumps[1].Bytes())
		if bytes.Equal(a, b) && !bytes.Contains(a, []byte(" [runnable")) && !bytes.Contains(a, []byte(" [running")) {
			create(text, func(f *os.File) {
				_, err := f.Write(dumps[0].Bytes())
				fail(err)
			})
			return true
		}
	}
	return false
}

// Settle waits (at most 300 ms) until the number of goroutines has not
// changed for 25 ms, so that a snapshot sees goroutines parked where they
// will stay rather than on their way there.
func Settle() {
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

// goroutines writes the goroutine profile, from one line for every
// format, so that the goroutine writing it has the same stack in each.
func goroutines(w io.Writer, debug int) {
	fail(pprof.Lookup("goroutine").WriteTo(w, debug))
}

// others is a debug=2 dump without its first goroutine, the one writing it.
func others(dump []byte) []byte {
	if i := bytes.Index(dump, []byte("\n\n")); i >= 0 {
		return dump[i:]
	}
	return nil
}

// create writes the file name with fill.
func create(name string, fill func(*os.File)) {
	f, err := os.Create(name)
	fail(err)
	fill(f)
	fail(f.Close())
}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
