// svc.go: a small service under steady load, for bench/series: an HTTP
// server whose handlers do what real Go services do (JSON in and out,
// regexps, sorting, hashing, gzip, string building, maps), a client in the
// same process calling it without pause, and net/http/pprof on the same
// port. go run svc.go ADDR
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	_ "net/http/pprof"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

type item struct {
	ID    int               `json:"id"`
	Name  string            `json:"name"`
	Tags  []string          `json:"tags"`
	Price float64           `json:"price"`
	Attrs map[string]string `json:"attrs"`
}

var (
	catalog []item
	mu      sync.RWMutex
	wordRe  = regexp.MustCompile(`[a-z]+[0-9]*`)
)

func seed() {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		it := item{ID: i, Name: fmt.Sprintf("item-%d-%x", i, r.Int63()), Price: r.Float64() * 100,
			Attrs: map[string]string{}}
		for j := 0; j < 1+r.Intn(5); j++ {
			it.Tags = append(it.Tags, fmt.Sprintf("tag%d", r.Intn(50)))
			it.Attrs[fmt.Sprintf("k%d", j)] = strings.Repeat("v", 1+r.Intn(20))
		}
		catalog = append(catalog, it)
	}
}

func search(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query().Get("q")
	mu.RLock()
	var out []item
	for _, it := range catalog {
		if strings.Contains(it.Name, q) || wordRe.MatchString(it.Name+q) && len(out) < 50 {
			out = append(out, it)
		}
	}
	mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Price < out[j].Price })
	json.NewEncoder(w).Encode(out)
}

func ingest(w http.ResponseWriter, req *http.Request) {
	var batch []item
	if err := json.NewDecoder(req.Body).Decode(&batch); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	h := sha256.New()
	for _, it := range batch {
		fmt.Fprintf(h, "%d:%s:%v", it.ID, it.Name, it.Tags)
	}
	mu.Lock()
	for i := range batch {
		catalog[batch[i].ID%len(catalog)].Price = batch[i].Price
	}
	mu.Unlock()
	fmt.Fprintf(w, "%x", h.Sum(nil))
}

func report(w http.ResponseWriter, req *http.Request) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	mu.RLock()
	counts := map[string]int{}
	for _, it := range catalog {
		for _, t := range it.Tags {
			counts[t]++
		}
	}
	mu.RUnlock()
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		sb.WriteString(fmt.Sprintf("%s,%d\n", k, counts[k]))
	}
	zw.Write([]byte(sb.String()))
	zw.Close()
	w.Write(buf.Bytes())
}

func load(base string) {
	r := rand.New(rand.NewSource(2))
	c := &http.Client{}
	for {
		switch r.Intn(3) {
		case 0:
			resp, err := c.Get(fmt.Sprintf("%s/search?q=%d", base, r.Intn(100)))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		case 1:
			batch := make([]item, 20)
			for i := range batch {
				batch[i] = item{ID: r.Intn(2000), Name: fmt.Sprintf("n%d", r.Int()), Price: r.Float64(),
					Tags: []string{"a", "b"}}
			}
			b, _ := json.Marshal(batch)
			resp, err := c.Post(base+"/ingest", "application/json", bytes.NewReader(b))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		case 2:
			resp, err := c.Get(base + "/report")
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}
}

func main() {
	addr := os.Args[1]
	seed()
	http.HandleFunc("/search", search)
	http.HandleFunc("/ingest", ingest)
	http.HandleFunc("/report", report)
	go func() {
		time.Sleep(200 * time.Millisecond)
		for i := 0; i < 2; i++ {
			go load("http://" + addr)
		}
	}()
	panic(http.ListenAndServe(addr, nil))
}
