// Hard shapes for the ingest benchmark (issue 12): profiles that are unkind
// to a trie built one hashed step at a time, each scalable (-scale) so that
// the benchmark can show how cost grows with the number of location
// references.
//
//	random  random deep leaves: 300k samples over 30k functions, stacks of
//	        up to 64 frames whose root half comes from a few hundred trunks
//	        and whose leaf half is random; one label each. Almost every deep
//	        prefix is distinct (millions of trie nodes).
//	deep    very deep recursion: 4k samples, stacks of 1,000 to 3,000
//	        frames (an interpreter's eval/apply cycle with varying callees).
//	traces  many label values per sample: 100k samples, each with its own
//	        trace_id and span_id (and one of 40 endpoints), stacks of 8 to 40
//	        frames over 5k functions.
//
// Deterministic: a fixed seed per shape; the same flags give the same bytes.
package main

import (
	"fmt"
	"math/rand"

	"github.com/google/pprof/profile"
)

type hardShape struct {
	samples, funcs int
	seed           int64
}

var hardShapes = map[string]hardShape{
	"random": {samples: 300000, funcs: 30000, seed: 1201},
	"deep":   {samples: 4000, funcs: 600, seed: 1202},
	"traces": {samples: 100000, funcs: 5000, seed: 1203},
}

func hardFuncName(i int) string {
	return fmt.Sprintf("github.com/acme/hard/pkg%03d.(*T%d).Method%d", i%397, i%53, i)
}

// makeHard builds the profile of one shape, its sample count times scale.
func makeHard(shape string, scale float64) (*profile.Profile, error) {
	hs, ok := hardShapes[shape]
	if !ok {
		return nil, fmt.Errorf("unknown shape %q (random|deep|traces)", shape)
	}
	rng := rand.New(rand.NewSource(hs.seed))
	prof := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     periodNS,
		TimeNanos:  1717243200000000000,
	}
	m := &profile.Mapping{ID: 1, Start: 0x400000, Limit: 0x400000 + uint64(hs.funcs+1)*64, File: "/usr/local/bin/hard",
		HasFunctions: true, HasFilenames: true, HasLineNumbers: true}
	prof.Mapping = []*profile.Mapping{m}
	locs := make([]*profile.Location, hs.funcs)
	for i := 0; i < hs.funcs; i++ {
		fn := &profile.Function{ID: uint64(i + 1), Name: hardFuncName(i), SystemName: hardFuncName(i),
			Filename: fmt.Sprintf("/src/acme/hard/pkg%03d/f%d.go", i%397, i%29), StartLine: int64(10 + i%200)}
		prof.Function = append(prof.Function, fn)
		locs[i] = &profile.Location{ID: uint64(i + 1), Mapping: m, Address: 0x400000 + uint64(i+1)*64,
			Line: []profile.Line{{Function: fn, Line: fn.StartLine + int64(1+i%17)}}}
	}
	prof.Location = locs
	n := int(float64(hs.samples) * scale)
	if n < 1 {
		n = 1
	}
	add := func(stack []int, lab map[string][]string) {
		s := &profile.Sample{Value: []int64{1 + int64(rng.Intn(3)), 0}, Label: lab}
		s.Value[1] = s.Value[0] * periodNS
		for i := len(stack) - 1; i >= 0; i-- { // leaf first
			s.Location = append(s.Location, locs[stack[i]])
		}
		prof.Sample = append(prof.Sample, s)
	}
	switch shape {
	case "random":
		// Root half from 400 trunks of 16-32 frames over the first 2,000
		// functions; leaf half random over all of them, to depth 64.
		trunks := make([][]int, 400)
		for t := range trunks {
			d := 16 + rng.Intn(17)
			for j := 0; j < d; j++ {
				trunks[t] = append(trunks[t], rng.Intn(2000))
			}
		}
		endpoints := make([]string, 50)
		for i := range endpoints {
			endpoints[i] = fmt.Sprintf("/api/v1/endpoint%02d", i)
		}
		for i := 0; i < n; i++ {
			t := trunks[rng.Intn(len(trunks))]
			depth := len(t) + 8 + rng.Intn(64-len(t)-7)
			st := append([]int(nil), t...)
			for len(st) < depth {
				st = append(st, rng.Intn(hs.funcs))
			}
			add(st, map[string][]string{"endpoint": {endpoints[rng.Intn(len(endpoints))]}})
		}
	case "deep":
		// main -> run -> a recursion through eval/apply/one of 40 callees
		// per level, 1,000 to 3,000 frames, then one of 200 leaves.
		for i := 0; i < n; i++ {
			depth := 1000 + rng.Intn(2001)
			st := []int{0, 1}
			for len(st) < depth-1 {
				st = append(st, 2, 3)
				if rng.Intn(8) == 0 {
					st = append(st, 4+rng.Intn(40))
				} else {
					st = append(st, 4)
				}
			}
			st = append(st[:depth-1], 100+rng.Intn(200))
			add(st, nil)
		}
	case "traces":
		endpoints := make([]string, 40)
		for i := range endpoints {
			endpoints[i] = fmt.Sprintf("/rpc/Service%02d", i)
		}
		trunks := make([][]int, 200)
		for t := range trunks {
			d := 4 + rng.Intn(12)
			for j := 0; j < d; j++ {
				trunks[t] = append(trunks[t], rng.Intn(500))
			}
		}
		for i := 0; i < n; i++ {
			t := trunks[rng.Intn(len(trunks))]
			depth := len(t) + 4 + rng.Intn(41-len(t)-4)
			st := append([]int(nil), t...)
			for len(st) < depth {
				st = append(st, 500+rng.Intn(hs.funcs-500))
			}
			lab := map[string][]string{
				"endpoint": {endpoints[rng.Intn(len(endpoints))]},
				"trace_id": {fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())},
				"span_id":  {fmt.Sprintf("%016x", rng.Uint64())},
			}
			add(st, lab)
		}
	}
	var total int64
	for _, s := range prof.Sample {
		total += s.Value[1]
	}
	prof.DurationNanos = (total/6/1e10 + 1) * 1e10
	return prof, nil
}
