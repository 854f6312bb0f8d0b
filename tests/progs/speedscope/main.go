// Command speedscope converts between speedscope JSON files and pprof
// profiles, for the API tests of the speedscope import
// (tests/api/test_speedscope.py). It is the reference the server's
// import_speedscope.c is compared with: written from the file format's
// spec (speedscope's src/lib/file-format-spec.ts) with encoding/json and
// github.com/google/pprof/profile, sharing no code with the server.
//
//	speedscope to-pprof IN.json OUT.pb.gz [INDEX|all]
//	    The profile INDEX (default: activeProfileIndex, else 0), or every
//	    profile with a "profile" label of its name, as a pprof profile with
//	    the sample type the unit gives (time: cpu/nanoseconds, bytes:
//	    space/bytes, none: samples/count). A sampled profile's samples are
//	    pprof samples; an evented one's intervals between events are
//	    samples of the stack open during them. Values: value times the
//	    unit's factor, rounded half away from zero (math.Round); an evented
//	    profile's times are rounded and then subtracted.
//	speedscope from-pprof IN.pb.gz OUT.json SAMPLE_INDEX
//	    One sampled speedscope profile of sample type SAMPLE_INDEX of a
//	    pprof profile: a frame per (function, file, line) of each location
//	    line (inlined callees their own frames), stacks root first, the
//	    unit nanoseconds, bytes or none (anything else).
//
// Build: GO111MODULE=off GOPATH=/usr/share/gocode go build.
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"

	"github.com/google/pprof/profile"
)

const schema = "https://www.speedscope.app/file-format-schema.json"

type frame struct {
	Name string `json:"name"`
	File string `json:"file,omitempty"`
	Line int64  `json:"line,omitempty"`
	Col  int64  `json:"col,omitempty"`
}

type event struct {
	Type  string  `json:"type"`
	Frame int     `json:"frame"`
	At    float64 `json:"at"`
}

type prof struct {
	Type       string      `json:"type"`
	Name       string      `json:"name"`
	Unit       string      `json:"unit"`
	StartValue float64     `json:"startValue"`
	EndValue   float64     `json:"endValue"`
	Events     []event     `json:"events,omitempty"`
	Samples    [][]int     `json:"samples,omitempty"`
	Weights    []float64   `json:"weights,omitempty"`
}

type file struct {
	Schema             string `json:"$schema"`
	Shared             struct {
		Frames []frame `json:"frames"`
	} `json:"shared"`
	Profiles           []prof `json:"profiles"`
	ActiveProfileIndex *int   `json:"activeProfileIndex,omitempty"`
	Exporter           string `json:"exporter,omitempty"`
}

func die(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "speedscope: "+f+"\n", a...)
	os.Exit(1)
}

var units = map[string]struct {
	scale      float64
	typ, unit  string
}{
	"nanoseconds":  {1, "cpu", "nanoseconds"},
	"microseconds": {1e3, "cpu", "nanoseconds"},
	"milliseconds": {1e6, "cpu", "nanoseconds"},
	"seconds":      {1e9, "cpu", "nanoseconds"},
	"bytes":        {1, "space", "bytes"},
	"none":         {1, "samples", "count"},
	"":             {1, "samples", "count"},
}

type builder struct {
	f     *file
	p     *profile.Profile
	funcs map[[2]string]*profile.Function
	locs  map[int]*profile.Location
}

func (b *builder) loc(i int) *profile.Location {
	if l, ok := b.locs[i]; ok {
		return l
	}
	fr := b.f.Shared.Frames[i]
	k := [2]string{fr.Name, fr.File}
	fn, ok := b.funcs[k]
	if !ok {
		fn = &profile.Function{ID: uint64(len(b.p.Function) + 1), Name: fr.Name, SystemName: fr.Name, Filename: fr.File}
		b.p.Function = append(b.p.Function, fn)
		b.funcs[k] = fn
	}
	l := &profile.Location{ID: uint64(i + 1), Line: []profile.Line{{Function: fn, Line: fr.Line}}}
	b.p.Location = append(b.p.Location, l)
	b.locs[i] = l
	return l
}

func (b *builder) sample(stack []int, v int64, label string) {
	s := &profile.Sample{Value: []int64{v}}
	for i := len(stack) - 1; i >= 0; i-- {
		s.Location = append(s.Location, b.loc(stack[i]))
	}
	if label != "" {
		s.Label = map[string][]string{"profile": {label}}
	}
	b.p.Sample = append(b.p.Sample, s)
}

func toPprof(in, out, which string) {
	data, err := os.ReadFile(in)
	if err != nil {
		die("%v", err)
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		die("%s: %v", in, err)
	}
	if f.Schema != schema {
		die("%s: $schema %q", in, f.Schema)
	}
	all := which == "all"
	idx := 0
	if f.ActiveProfileIndex != nil {
		idx = *f.ActiveProfileIndex
	}
	if which != "" && !all {
		if idx, err = strconv.Atoi(which); err != nil {
			die("index %q", which)
		}
	}
	b := &builder{f: &f, p: &profile.Profile{}, funcs: map[[2]string]*profile.Function{}, locs: map[int]*profile.Location{}}
	unit := ""
	var duration int64
	for pi, sp := range f.Profiles {
		if !all && pi != idx {
			continue
		}
		u, ok := units[sp.Unit]
		if !ok {
			die("unit %q", sp.Unit)
		}
		if unit == "" {
			unit = sp.Unit
			b.p.SampleType = []*profile.ValueType{{Type: u.typ, Unit: u.unit}}
		}
		if u.typ == "cpu" && sp.EndValue >= sp.StartValue {
			if d := int64(math.Round((sp.EndValue - sp.StartValue) * u.scale)); d > duration {
				duration = d
			}
		}
		label := ""
		if all {
			label = sp.Name
			if label == "" {
				label = fmt.Sprintf("profile %d", pi)
			}
		}
		switch sp.Type {
		case "sampled":
			if len(sp.Samples) != len(sp.Weights) {
				die("profile %d: %d samples, %d weights", pi, len(sp.Samples), len(sp.Weights))
			}
			for i, st := range sp.Samples {
				b.sample(st, int64(math.Round(sp.Weights[i]*u.scale)), label)
			}
		case "evented":
			var stack []int
			var prev int64
			for i, ev := range sp.Events {
				t := int64(math.Round((ev.At - sp.StartValue) * u.scale))
				if len(stack) > 0 && t > prev {
					b.sample(stack, t-prev, label)
				}
				switch ev.Type {
				case "O":
					stack = append(stack, ev.Frame)
				case "C":
					if len(stack) == 0 || stack[len(stack)-1] != ev.Frame {
						die("profile %d event %d: unbalanced close", pi, i)
					}
					stack = stack[:len(stack)-1]
				default:
					die("profile %d event %d: type %q", pi, i, ev.Type)
				}
				prev = t
			}
		default:
			die("profile %d: type %q", pi, sp.Type)
		}
	}
	b.p.DurationNanos = duration
	if err := b.p.CheckValid(); err != nil {
		die("%v", err)
	}
	w, err := os.Create(out)
	if err != nil {
		die("%v", err)
	}
	if err := b.p.Write(w); err != nil {
		die("%v", err)
	}
	if err := w.Close(); err != nil {
		die("%v", err)
	}
}

func fromPprof(in, out, index string) {
	r, err := os.Open(in)
	if err != nil {
		die("%v", err)
	}
	p, err := profile.Parse(r)
	if err != nil {
		die("%s: %v", in, err)
	}
	si, err := strconv.Atoi(index)
	if err != nil || si < 0 || si >= len(p.SampleType) {
		die("sample index %q", index)
	}
	f := file{Schema: schema, Exporter: "flamedex tests/progs/speedscope"}
	f.Shared.Frames = []frame{}
	ids := map[frame]int{}
	frameOf := func(fr frame) int {
		if i, ok := ids[fr]; ok {
			return i
		}
		ids[fr] = len(f.Shared.Frames)
		f.Shared.Frames = append(f.Shared.Frames, fr)
		return ids[fr]
	}
	unit := "none"
	switch p.SampleType[si].Unit {
	case "nanoseconds":
		unit = "nanoseconds"
	case "bytes":
		unit = "bytes"
	}
	sp := prof{Type: "sampled", Name: in, Unit: unit, Samples: [][]int{}, Weights: []float64{}}
	var total int64
	for _, s := range p.Sample {
		var st []int
		for i := len(s.Location) - 1; i >= 0; i-- {
			l := s.Location[i]
			for j := len(l.Line) - 1; j >= 0; j-- {
				ln := l.Line[j]
				fr := frame{Name: ln.Function.Name, File: ln.Function.Filename, Line: ln.Line}
				st = append(st, frameOf(fr))
			}
		}
		if st == nil {
			st = []int{}
		}
		sp.Samples = append(sp.Samples, st)
		sp.Weights = append(sp.Weights, float64(s.Value[si]))
		total += s.Value[si]
	}
	sp.EndValue = float64(total)
	f.Profiles = []prof{sp}
	data, err := json.Marshal(&f)
	if err != nil {
		die("%v", err)
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		die("%v", err)
	}
}

func main() {
	if len(os.Args) < 4 {
		die("usage: speedscope to-pprof IN.json OUT.pb.gz [INDEX|all] | from-pprof IN.pb.gz OUT.json SAMPLE_INDEX")
	}
	switch os.Args[1] {
	case "to-pprof":
		which := ""
		if len(os.Args) > 4 {
			which = os.Args[4]
		}
		toPprof(os.Args[2], os.Args[3], which)
	case "from-pprof":
		if len(os.Args) < 5 {
			die("from-pprof needs a sample index")
		}
		fromPprof(os.Args[2], os.Args[3], os.Args[4])
	default:
		die("unknown command %q", os.Args[1])
	}
}
