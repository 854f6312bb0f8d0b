// Command gen writes a synthetic, deterministic Go CPU profile shaped like a
// busy Go service, for flamedex benchmarks (bench/run.sh).
//
// The profile is built from a layered call graph: runtime at the bottom, the
// standard library and third-party modules above it, and ~30 in-house
// "services" (github.com/acme/svcNN/pkg) on top, entered through net/http,
// gRPC, background workers, the GC and the scheduler. A sample is a random
// walk down that graph with skewed (Zipf) choices, so hot paths repeat and a
// few leaves (mallocgc, memmove, syscalls) dominate; a final pass adds one
// sample for every function the walks never reached, so the profile holds
// exactly the requested number of functions. Stacks are capped at 64 frames
// like the Go runtime caps them, some call edges are inlined (locations with
// 2-3 lines), and samples carry pprof labels (endpoint, span ids).
//
// Everything derives from a fixed seed, so the output is byte-identical from
// run to run.
//
//	go run ./bench/gen -size large -out bench/out/large.pb.gz
//	go run ./bench/gen -stats FILE      # print the shape of any profile
//	go run ./bench/gen -strip-labels FILE -out OUT.pb.gz
//
// Build with GO111MODULE=off GOPATH=/usr/share/gocode (Debian's
// golang-github-google-pprof-dev provides github.com/google/pprof/profile).
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"
)

// params sizes one profile.
type params struct {
	samples int // sample records (distinct stack+labels), at least
	funcs   int // distinct functions, exactly
	nStd    int // standard library packages besides runtime
	nThird  int // third-party packages
	nSvc    int // in-house services
	svcPkgs int // packages per service
	trunks  int // hot paths that most stacks start from
	seed    int64
}

var sizes = map[string]params{
	"large": {samples: 300000, funcs: 30000, nStd: 69, nThird: 50, nSvc: 30, svcPkgs: 6, trunks: 400, seed: 20240601},
	"mid":   {samples: 20000, funcs: 3000, nStd: 34, nThird: 20, nSvc: 9, svcPkgs: 5, trunks: 150, seed: 20240602},
}

const (
	maxDepth    = 64               // frames per stack, as the Go runtime records
	periodNS    = 10 * 1000 * 1000 // 10ms, i.e. 100 Hz
	maxInline   = 3                // lines per location
	maxSubtrees = 16               // distinct call paths kept below one function
	walkLimit   = 160              // how deep a walk goes before the runtime-like cut to maxDepth
)

// Layers of the call graph, bottom up. A function calls functions in its own
// package further down the package's list, or in lower layers.
const (
	lRuntimeLeaf = iota
	lRuntime
	lStdLow
	lStdHigh
	lThird
	lSvcLow
	lSvcMid
	lSvcTop
	nLayers
)

type edge struct {
	to     int32
	w      float64
	inline bool
}

type fn struct {
	name, file string
	pkg        int
	layer      int
	start      int64 // first line
	length     int64 // lines in the body
	selfP      float64
	small      bool // may be inlined into callers
	selfLines  []int64
	selfPCs    int // instructions where samples land when it is the leaf
	callees    []edge
	cum        []float64 // cumulative weights of callees
	callers    []int32
	role       int  // roleNone, roleHandlerHTTP, ...
	hub        bool // on an entry chain: never a random callee
	endpoint   int  // index into endpoints, for handlers
}

const (
	roleNone = iota
	roleHTTP
	roleRPC
	roleWorker
	roleMiddleware
)

type pkg struct {
	path  string
	kind  int // kStd, kThird, kSvc
	layer int
	svc   int
	role  string // for service packages: store, api, ...
	funcs []int32
	dir   string
	seeds []string
	n     int
}

const (
	kStd = iota
	kThird
	kSvc
)

// group is a list of functions of one package within one layer, in
// popularity order (callers pick early entries more often).
type group struct {
	funcs []int32
}

type gen struct {
	p       params
	rng     *rand.Rand
	fns     []*fn
	pkgs    []*pkg
	byName  map[string]int32
	layers  [nLayers][]*group          // all groups of a layer
	svcLay  map[int]*[nLayers][]*group // per service
	grpOf   []*group                   // function -> its group
	posIn   []int                      // function -> index in its group
	inlined map[uint64]bool

	// entry points: a fixed chain of frames from a root, then a walk.
	entries []entry
	entCum  []float64

	endpoints []string
	trunks    [][]int32
	sub       map[int32][][]int32 // function -> suffixes seen below it
	zipfCache map[int][]float64
}

type entry struct {
	chain []int32
	w     float64
}

func main() {
	out := flag.String("out", "", "output file (.pb.gz)")
	size := flag.String("size", "large", "large|mid")
	stats := flag.String("stats", "", "print the shape of this profile and exit")
	strip := flag.String("strip-labels", "", "write this profile without its sample labels to -out, and exit")
	walk := flag.Int64("walk-seed", 0, "N > 0: the same call graph, other samples (profile N of a series, 10 s apart)")
	shape := flag.String("shape", "", "a hard shape instead of -size: random|deep|traces (hard.go)")
	scale := flag.Float64("scale", 1, "with -shape: samples times this")
	flag.Parse()
	if *strip != "" && *out != "" {
		if err := stripLabels(*strip, *out); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		return
	}
	if *stats != "" {
		if err := printStats(*stats); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		return
	}
	if *shape != "" && *out != "" {
		prof, err := makeHard(*shape, *scale)
		if err == nil {
			err = prof.CheckValid()
		}
		if err == nil {
			err = writeProfile(prof, *out)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		return
	}
	p, ok := sizes[*size]
	if !ok || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: gen -size large|mid -out FILE.pb.gz | gen -stats FILE | gen -strip-labels FILE -out FILE.pb.gz")
		os.Exit(2)
	}
	g := &gen{p: p, rng: rand.New(rand.NewSource(p.seed)), byName: map[string]int32{},
		svcLay: map[int]*[nLayers][]*group{}, inlined: map[uint64]bool{}, zipfCache: map[int][]float64{},
		sub: map[int32][][]int32{}}
	g.makePackages()
	g.makeFunctions()
	g.makeGraph()
	if *walk > 0 {
		g.rng = rand.New(rand.NewSource(p.seed + *walk*7919))
	}
	prof := g.makeProfile()
	if *walk > 0 {
		prof.TimeNanos += *walk * 10e9
	}
	if err := prof.CheckValid(); err != nil {
		fmt.Fprintln(os.Stderr, "gen: invalid profile:", err)
		os.Exit(1)
	}
	f, err := os.Create(*out + ".tmp")
	if err == nil {
		err = prof.Write(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = os.Rename(*out+".tmp", *out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// writeProfile writes prof gzipped to out (through out.tmp).
func writeProfile(prof *profile.Profile, out string) error {
	f, err := os.Create(out + ".tmp")
	if err != nil {
		return err
	}
	err = prof.Write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(out+".tmp", out)
}

// ---------------------------------------------------------------- packages

var stdLow = []string{
	"sync", "bytes", "strings", "strconv", "syscall", "internal/poll", "reflect", "fmt",
	"bufio", "time", "sync/atomic", "unicode/utf8", "sort", "io", "os", "math",
	"internal/bytealg", "hash/crc32", "crypto/sha256", "crypto/aes", "crypto/cipher", "math/big",
	"errors", "regexp", "regexp/syntax", "encoding/binary", "encoding/base64", "encoding/hex",
	"unicode", "slices", "math/bits", "container/heap", "container/list", "hash/fnv", "crypto/sha1",
	"crypto/md5", "crypto/subtle", "internal/fmtsort", "path", "unicode/utf16", "maps",
	"crypto/internal/nistec", "hash/maphash", "internal/godebug", "internal/reflectlite",
}

var stdHigh = []string{
	"encoding/json", "net", "net/http", "crypto/tls", "compress/flate", "context", "compress/gzip",
	"net/textproto", "database/sql", "net/url", "log/slog", "mime/multipart", "text/template",
	"crypto/ecdsa", "crypto/x509", "encoding/asn1", "log", "html/template", "text/template/parse",
	"crypto/rsa", "crypto/rand", "crypto/hmac", "encoding/pem", "database/sql/driver", "mime",
	"path/filepath", "os/exec", "io/fs", "net/netip", "net/http/httputil", "encoding/csv",
	"encoding/xml", "expvar", "runtime/pprof", "crypto/elliptic", "vendor/golang.org/x/net/http2/hpack",
	"archive/zip", "os/signal", "crypto/ed25519", "net/http/internal",
}

var third = []string{
	"google.golang.org/grpc", "google.golang.org/protobuf/internal/impl", "github.com/jackc/pgx/v5/pgconn",
	"go.uber.org/zap/zapcore", "github.com/redis/go-redis/v9", "golang.org/x/net/http2",
	"google.golang.org/grpc/internal/transport", "github.com/json-iterator/go", "github.com/go-chi/chi/v5",
	"github.com/prometheus/client_golang/prometheus", "github.com/jackc/pgx/v5", "golang.org/x/sync/errgroup",
	"go.opentelemetry.io/otel/sdk/trace", "github.com/klauspost/compress/zstd", "google.golang.org/protobuf/proto",
	"github.com/jackc/pgx/v5/pgtype", "go.uber.org/zap", "github.com/segmentio/kafka-go",
	"google.golang.org/protobuf/encoding/protowire", "github.com/redis/go-redis/v9/internal/proto",
	"github.com/jackc/pgx/v5/pgproto3", "github.com/golang/snappy", "github.com/cespare/xxhash/v2",
	"go.opentelemetry.io/otel/attribute", "github.com/prometheus/common/expfmt", "golang.org/x/net/http2/hpack",
	"github.com/jackc/puddle/v2", "github.com/redis/go-redis/v9/internal/pool", "gopkg.in/yaml.v3",
	"github.com/google/uuid", "github.com/klauspost/compress/flate", "github.com/aws/aws-sdk-go-v2/service/s3",
	"github.com/aws/aws-sdk-go-v2/aws/signer/v4", "github.com/aws/smithy-go/middleware", "go.uber.org/zap/buffer",
	"github.com/segmentio/kafka-go/protocol", "golang.org/x/time/rate", "golang.org/x/sync/singleflight",
	"github.com/go-chi/chi/v5/middleware", "github.com/valyala/fastjson", "github.com/golang-jwt/jwt/v5",
	"github.com/hashicorp/golang-lru/v2", "github.com/dgraph-io/ristretto", "github.com/nats-io/nats.go",
	"github.com/tidwall/gjson", "github.com/shopspring/decimal", "github.com/sony/gobreaker",
	"github.com/cenkalti/backoff/v4", "github.com/mailru/easyjson/jlexer", "github.com/bits-and-blooms/bitset",
	"go.opentelemetry.io/otel/trace", "google.golang.org/grpc/credentials", "github.com/klauspost/compress/s2",
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc",
}

var svcRoles = map[int][]string{
	lSvcLow: {"store", "model", "cache", "codec", "util", "db", "metrics", "config"},
	lSvcMid: {"service", "billing", "auth", "search", "pricing", "inventory", "notify", "ranking", "domain", "queue"},
	lSvcTop: {"api", "rpc", "worker", "middleware"},
}

func (g *gen) makePackages() {
	p := g.p
	add := func(path string, kind, layer, svc int, role string) *pkg {
		k := &pkg{path: path, kind: kind, layer: layer, svc: svc, role: role}
		switch kind {
		case kStd:
			k.dir = "/usr/local/go/src/" + path
		case kThird:
			k.dir = "/root/go/pkg/mod/" + moduleDir(path)
		default:
			k.dir = "/src/" + strings.TrimPrefix(path, "github.com/")
		}
		g.pkgs = append(g.pkgs, k)
		return k
	}
	add("runtime", kStd, lRuntime, -1, "")
	nLow := p.nStd * len(stdLow) / (len(stdLow) + len(stdHigh))
	for i := 0; i < nLow && i < len(stdLow); i++ {
		add(stdLow[i], kStd, lStdLow, -1, "")
	}
	for i := 0; i < p.nStd-nLow && i < len(stdHigh); i++ {
		add(stdHigh[i], kStd, lStdHigh, -1, "")
	}
	for i := 0; i < p.nThird && i < len(third); i++ {
		add(third[i], kThird, lThird, -1, "")
	}
	// Services: one top package (api, rpc or worker) at least, the rest
	// spread over the lower layers; every service has a store and a service.
	for s := 0; s < p.nSvc; s++ {
		roles := []string{"store", "service"}
		switch s % 3 {
		case 0:
			roles = append(roles, "api")
		case 1:
			roles = append(roles, "rpc")
		default:
			roles = append(roles, "api", "worker")
		}
		if s%5 == 0 {
			roles = append(roles, "middleware")
		}
		for len(roles) < p.svcPkgs {
			l := []int{lSvcLow, lSvcMid, lSvcLow, lSvcMid, lSvcTop}[g.rng.Intn(5)]
			cand := svcRoles[l][g.rng.Intn(len(svcRoles[l]))]
			if !contains(roles, cand) {
				roles = append(roles, cand)
			}
		}
		roles = roles[:p.svcPkgs]
		for _, r := range roles {
			layer := lSvcLow
			for l, rs := range svcRoles {
				if contains(rs, r) {
					layer = l
				}
			}
			add(fmt.Sprintf("github.com/acme/svc%02d/%s", s, r), kSvc, layer, s, r)
		}
	}
	// Function counts: runtime ~5%, rest of std ~17%, third party ~18%,
	// services the rest, each package a skewed share of its group.
	shares := map[int]float64{kStd: 0.17, kThird: 0.18, kSvc: 0.60}
	g.pkgs[0].n = imax(len(runtimeSeeds)+len(runtimeRoots)+10, p.funcs*5/100)
	left := p.funcs - g.pkgs[0].n
	total := shares[kStd] + shares[kThird] + shares[kSvc]
	for _, kind := range []int{kStd, kThird, kSvc} { // not a map range: keep the rng order fixed
		share := shares[kind]
		var idx []int
		var ws []float64
		var wsum float64
		for i, k := range g.pkgs {
			if i > 0 && k.kind == kind {
				idx = append(idx, i)
				w := math.Exp(g.rng.NormFloat64() * 0.6)
				if k.kind != kSvc && len(idx) <= 6 {
					w *= 2.5 // net/http, encoding/json, grpc... are big
				}
				ws = append(ws, w)
				wsum += w
			}
		}
		budget := int(float64(left) * share / total)
		for j, i := range idx {
			g.pkgs[i].n = imax(4, int(float64(budget)*ws[j]/wsum))
		}
	}
	// Make the total exact by adjusting the service packages.
	sum := 0
	for _, k := range g.pkgs {
		sum += k.n
	}
	for i := len(g.pkgs) - 1; sum != p.funcs; i-- {
		if i == 0 {
			i = len(g.pkgs) - 1
		}
		k := g.pkgs[i]
		if sum < p.funcs {
			k.n++
			sum++
		} else if k.n > 4 {
			k.n--
			sum--
		}
	}
}

func moduleDir(path string) string {
	parts := strings.Split(path, "/")
	n := 3
	if strings.HasPrefix(path, "google.golang.org/") || strings.HasPrefix(path, "go.uber.org/") ||
		strings.HasPrefix(path, "gopkg.in/") {
		n = 2
	}
	if strings.HasPrefix(path, "go.opentelemetry.io/") {
		n = 2
	}
	if len(parts) > 3 && strings.HasPrefix(parts[3], "v") && len(parts[3]) == 2 {
		n = 4 // github.com/x/y/v5
	}
	if n > len(parts) {
		n = len(parts)
	}
	h := 0
	for _, c := range path {
		h = h*31 + int(c)
	}
	if h < 0 {
		h = -h
	}
	ver := fmt.Sprintf("@v%d.%d.%d", 1+h%3, h/7%40, h/11%12)
	if last := parts[n-1]; len(last) == 2 && last[0] == 'v' {
		ver = fmt.Sprintf("@%s.%d.%d", parts[n-1], h/7%10, h/11%12)
	}
	dir := strings.Join(parts[:n], "/") + ver
	if n < len(parts) {
		dir += "/" + strings.Join(parts[n:], "/")
	}
	return dir
}

// ----------------------------------------------------------------- names

// Real function names, with the layer each sits in. They give the profile a
// recognisable skeleton; generated names fill each package up to its count.
var runtimeRoots = []string{
	"runtime.goexit", "runtime.mcall", "runtime.morestack", "runtime.mstart", "runtime._System",
	"runtime._ExternalCode", "runtime._GC", "runtime.main",
}

var runtimeSeeds = map[string]int{
	"runtime.memmove": 0, "runtime.memclrNoHeapPointers": 0, "runtime.futex": 0, "runtime.epollwait": 0,
	"runtime.nanotime1": 0, "runtime.usleep": 0, "runtime.procyield": 0, "runtime.osyield": 0,
	"runtime.madvise": 0, "runtime.write1": 0, "runtime.read": 0, "runtime.aeshashbody": 0,
	"runtime.memequal": 0, "runtime.cmpbody": 0, "runtime.findObject": 0, "runtime.greyobject": 0,
	"runtime.nextFreeFast": 0, "runtime.pcvalue": 0, "runtime.findfunc": 0, "runtime.step": 0,
	"runtime.casgstatus": 0, "runtime.lock2": 0, "runtime.unlock2": 0, "runtime.(*spanSet).pop": 0,
	"runtime.bulkBarrierPreWrite": 0, "runtime.wbBufFlush1": 0, "runtime.(*gcWork).tryGet": 0,
	"runtime.(*gcWork).put": 0, "runtime.scanblock": 0, "runtime.spanOf": 0, "runtime.memhash64": 0,
	"runtime.strhash": 0, "runtime.memhash": 0, "runtime.duffzero": 0, "runtime.duffcopy": 0,
	"runtime.gogo": 0, "runtime.getitab": 0, "runtime.ifaceeq": 0, "runtime.efaceeq": 0, "runtime.tgkill": 0,
	"runtime.rtsigprocmask": 0, "runtime.cheaprand": 0, "runtime.(*pallocBits).summarize": 0,
	"runtime.(*mspan).typePointersOfUnchecked": 0, "runtime.acquirem": 0, "runtime.releasem": 0,
	"runtime.scanobject": 0, "runtime.(*lfstack).pop": 0, "runtime.markBits.isMarked": 0,
	"runtime.mallocgc": 1, "runtime.newobject": 1, "runtime.makeslice": 1, "runtime.growslice": 1,
	"runtime.mapassign_faststr": 1, "runtime.mapassign_fast64": 1, "runtime.mapaccess2_faststr": 1,
	"runtime.mapaccess1_faststr": 1, "runtime.mapaccess2": 1, "runtime.mapaccess1": 1, "runtime.mapassign": 1,
	"runtime.mapiternext": 1, "runtime.mapiterinit": 1, "runtime.makemap": 1, "runtime.slicebytetostring": 1,
	"runtime.stringtoslicebyte": 1, "runtime.concatstrings": 1, "runtime.concatstring2": 1, "runtime.rawstring": 1,
	"runtime.convTstring": 1, "runtime.convT64": 1, "runtime.convT": 1, "runtime.selectgo": 1,
	"runtime.chansend": 1, "runtime.chansend1": 1, "runtime.chanrecv": 1, "runtime.chanrecv1": 1,
	"runtime.chanrecv2": 1, "runtime.closechan": 1, "runtime.gopark": 1, "runtime.goready": 1, "runtime.ready": 1,
	"runtime.park_m": 1, "runtime.schedule": 1, "runtime.findRunnable": 1, "runtime.stealWork": 1,
	"runtime.runqsteal": 1, "runtime.runqgrab": 1, "runtime.netpoll": 1, "runtime.notesleep": 1,
	"runtime.notewakeup": 1, "runtime.futexsleep": 1, "runtime.futexwakeup": 1, "runtime.semacquire1": 1,
	"runtime.semrelease1": 1, "runtime.sync_runtime_SemacquireMutex": 1, "runtime.sync_runtime_Semrelease": 1,
	"runtime.lock": 1, "runtime.unlock": 1, "runtime.systemstack": 1, "runtime.newstack": 1, "runtime.copystack": 1,
	"runtime.(*unwinder).next": 1, "runtime.(*unwinder).resolveInternal": 1, "runtime.adjustframe": 1,
	"runtime.scanstack": 1, "runtime.scanframeworker": 1, "runtime.markroot": 1, "runtime.markrootBlock": 1,
	"runtime.markroot.func1": 1, "runtime.suspendG": 1, "runtime.gcDrain": 1, "runtime.gcDrainN": 1,
	"runtime.gcAssistAlloc": 1, "runtime.gcAssistAlloc1": 1, "runtime.deductAssistCredit": 1,
	"runtime.(*mcache).nextFree": 1, "runtime.(*mcache).refill": 1, "runtime.(*mcentral).cacheSpan": 1,
	"runtime.(*mcentral).grow": 1, "runtime.(*mheap).alloc": 1, "runtime.(*mheap).allocSpan": 1,
	"runtime.(*mheap).alloc.func1": 1, "runtime.(*pageAlloc).alloc": 1, "runtime.(*sweepLocked).sweep": 1,
	"runtime.sweepone": 1, "runtime.bgsweep": 1, "runtime.bgscavenge": 1, "runtime.(*scavengerState).run": 1,
	"runtime.(*pageAlloc).scavenge": 1, "runtime.sysUnused": 1, "runtime.wakep": 1, "runtime.startm": 1,
	"runtime.stopm": 1, "runtime.resetspinning": 1, "runtime.entersyscall": 1, "runtime.exitsyscall": 1,
	"runtime.reentersyscall": 1, "runtime.exitsyscallfast": 1, "runtime.newproc": 1, "runtime.newproc1": 1,
	"runtime.goexit0": 1, "runtime.gfget": 1, "runtime.gfput": 1, "runtime.deferreturn": 1,
	"runtime.typedmemmove": 1, "runtime.typedslicecopy": 1, "runtime.wbBufFlush": 1, "runtime.checkTimers": 1,
	"runtime.nanotime": 1, "runtime.walltime": 1, "runtime.netpollblock": 1, "runtime.poll_runtime_pollWait": 1,
	"runtime.asyncPreempt": 1, "runtime.preemptM": 1, "runtime.retake": 1, "runtime.sysmon": 1,
	"runtime.mstart0": 1, "runtime.mstart1": 1, "runtime.gcBgMarkWorker": 1, "runtime.gcBgMarkWorker.func2": 1,
	"runtime.sighandler": 1, "runtime.sigtrampgo": 1, "runtime.gcMarkDone": 1, "runtime.gcStart": 1,
	"runtime.assertE2I": 1, "runtime.mProf_Malloc": 1, "runtime.profilealloc": 1, "runtime.(*timers).run": 1,
	"runtime.runOneTimer": 1, "runtime.(*randomEnum).next": 1,
}

// Seeds outside runtime: package -> functions (without the package prefix).
var pkgSeeds = map[string][]string{
	"syscall":                {"Syscall", "Syscall6", "RawSyscall6", "write", "read", "Write", "Read", "fcntl", "Getpid"},
	"internal/poll":          {"(*FD).Write", "(*FD).Read", "(*pollDesc).waitRead", "(*pollDesc).wait", "(*FD).Accept", "(*fdMutex).rwlock", "ignoringEINTRIO", "(*FD).writeUnlock"},
	"sync":                   {"(*Mutex).Lock", "(*Mutex).lockSlow", "(*Mutex).Unlock", "(*Mutex).unlockSlow", "(*Pool).Get", "(*Pool).Put", "(*Pool).getSlow", "(*RWMutex).RLock", "(*RWMutex).RUnlock", "(*Once).doSlow", "(*Map).Load", "(*WaitGroup).Wait"},
	"bytes":                  {"(*Buffer).Write", "(*Buffer).WriteString", "(*Buffer).grow", "(*Buffer).ReadFrom", "growSlice", "IndexByte", "Equal", "(*Buffer).WriteByte"},
	"strings":                {"(*Builder).WriteString", "(*Builder).grow", "Index", "Split", "genSplit", "ToLower", "Fields", "Join", "(*Reader).Read", "EqualFold", "Contains"},
	"strconv":                {"AppendInt", "FormatInt", "formatBits", "ParseInt", "ParseUint", "appendQuotedWith", "Quote", "ParseFloat", "atof64", "AppendFloat", "genericFtoa", "ryuFtoaShortest"},
	"reflect":                {"Value.Field", "Value.Interface", "packEface", "(*rtype).Method", "Value.Call", "Value.call", "unsafe_New", "typedmemmove", "Value.Index", "Value.Elem", "Value.String", "(*structType).Field", "Value.MapIndex", "mapaccess"},
	"fmt":                    {"Sprintf", "Fprintf", "(*pp).doPrintf", "(*pp).printArg", "(*pp).handleMethods", "(*fmt).fmtInteger", "(*pp).fmtString", "newPrinter", "(*pp).free", "Errorf", "Sprint", "(*fmt).padString"},
	"bufio":                  {"(*Writer).Write", "(*Writer).Flush", "(*Reader).Read", "(*Reader).fill", "(*Reader).ReadSlice", "(*Reader).ReadLine", "(*Writer).WriteString", "(*Reader).Peek"},
	"time":                   {"Now", "now", "Since", "Time.Format", "Time.AppendFormat", "(*Timer).Reset", "NewTimer", "Time.Sub", "appendInt", "Parse", "parse"},
	"crypto/aes":             {"(*gcmAsm).Seal", "(*gcmAsm).Open", "gcmAesEnc", "gcmAesDec", "encryptBlockAsm", "(*aesCipherGCM).NewGCM"},
	"crypto/sha256":          {"(*digest).Write", "block", "blockAMD64", "(*digest).checkSum", "Sum256", "(*digest).Sum"},
	"encoding/json":          {"Marshal", "Unmarshal", "(*encodeState).marshal", "(*encodeState).reflectValue", "structEncoder.encode", "ptrEncoder.encode", "mapEncoder.encode", "arrayEncoder.encode", "sliceEncoder.encode", "stringEncoder", "appendString[...]", "(*decodeState).unmarshal", "(*decodeState).value", "(*decodeState).object", "(*decodeState).array", "(*decodeState).literalStore", "checkValid", "stateInString", "(*decodeState).scanWhile", "(*Decoder).Decode", "(*Encoder).Encode", "typeFields", "cachedTypeFields", "indirect", "(*scanner).eof", "unquoteBytes", "compact"},
	"net":                    {"(*conn).Write", "(*conn).Read", "(*netFD).Write", "(*netFD).Read", "(*TCPListener).Accept", "(*netFD).accept", "(*Dialer).DialContext", "(*sysDialer).dialSerial", "(*sysDialer).dialTCP", "(*netFD).connect", "(*Resolver).lookupIPAddr", "IP.String", "(*conn).Close"},
	"net/http":               {"(*conn).serve", "serverHandler.ServeHTTP", "HandlerFunc.ServeHTTP", "(*ServeMux).ServeHTTP", "(*conn).readRequest", "readRequest", "(*response).Write", "(*response).write", "(*chunkWriter).Write", "(*chunkWriter).writeHeader", "(*response).finishRequest", "checkConnErrorWriter.Write", "Header.writeSubset", "Header.Clone", "(*Transport).RoundTrip", "(*Transport).roundTrip", "(*persistConn).roundTrip", "(*persistConn).readLoop", "(*persistConn).writeLoop", "(*Client).Do", "(*Client).do", "(*Client).send", "send", "(*Request).write", "ReadResponse", "(*body).Read", "(*Transport).getConn", "(*Transport).dialConn", "(*Server).Serve", "(*http2serverConn).serve", "(*http2Framer).ReadFrame", "(*http2serverConn).writeFrameAsync", "(*http2ClientConn).RoundTrip", "(*http2clientConnReadLoop).run", "(*connReader).Read", "(*conn).hijacked", "(*Request).Context", "Header.Get", "CanonicalHeaderKey"},
	"crypto/tls":             {"(*Conn).Write", "(*Conn).Read", "(*Conn).writeRecordLocked", "(*Conn).write", "(*halfConn).encrypt", "(*halfConn).decrypt", "(*Conn).readRecordOrCCS", "(*Conn).readRecord", "(*Conn).readFromUntil", "atLeastReader.Read", "(*Conn).Handshake", "(*Conn).HandshakeContext", "(*Conn).handshakeContext", "(*serverHandshakeStateTLS13).handshake", "(*Conn).serverHandshake", "(*Conn).clientHandshake", "(*Conn).readHandshake"},
	"compress/flate":         {"(*Writer).Write", "(*compressor).write", "(*compressor).deflate", "(*compressor).findMatch", "matchLen", "(*compressor).writeBlock", "(*huffmanBitWriter).writeBlock", "(*huffmanBitWriter).writeTokens", "(*huffmanEncoder).generate", "(*decompressor).huffSym", "(*decompressor).huffmanBlock", "(*decompressor).Read", "(*dictDecoder).writeCopy", "(*compressor).encSpeed", "NewWriter", "(*compressor).init"},
	"compress/gzip":          {"(*Writer).Write", "(*Writer).Close", "(*Reader).Read", "NewReader", "(*Reader).Reset", "(*Reader).readHeader", "NewWriterLevel"},
	"context":                {"WithCancel", "withCancel", "(*cancelCtx).propagateCancel", "WithDeadline", "WithDeadlineCause", "(*cancelCtx).cancel", "(*valueCtx).Value", "value", "WithValue", "WithTimeout"},
	"database/sql":           {"(*DB).QueryContext", "(*DB).query", "(*DB).queryDC", "(*DB).conn", "(*Rows).Next", "(*Rows).nextLocked", "(*Rows).Scan", "convertAssignRows", "(*DB).ExecContext", "(*DB).exec", "(*DB).execDC", "(*Tx).Commit", "(*DB).BeginTx", "(*DB).putConn", "ctxDriverQuery", "(*Rows).close"},
	"google.golang.org/grpc": {"(*Server).serveStreams.func1.1", "(*Server).handleStream", "(*Server).processUnaryRPC", "(*Server).processStreamingRPC", "(*Server).sendResponse", "encode", "recvAndDecompress", "recv", "(*parser).recvMsg", "(*ClientConn).Invoke", "invoke", "(*clientStream).SendMsg", "(*clientStream).RecvMsg", "(*csAttempt).sendMsg", "(*csAttempt).recvMsg", "newClientStream", "(*serverStream).SendMsg", "(*serverStream).RecvMsg", "chainUnaryInterceptors.func1", "getChainUnaryHandler.func1", "(*Server).handleRawConn.func1", "(*Server).serveStreams"},
	"google.golang.org/protobuf/internal/impl": {"(*MessageInfo).marshal", "(*MessageInfo).marshalAppendPointer", "(*MessageInfo).unmarshal", "(*MessageInfo).unmarshalPointer", "(*MessageInfo).sizePointer", "(*MessageInfo).size", "appendStringValidateUTF8", "consumeStringValidateUTF8", "appendMessageSliceInfo", "consumeMessageSliceInfo", "sizeMessageSliceInfo", "(*MessageInfo).initOnce", "pointer.Apply", "appendBytesNoZero", "consumeBytes"},
	"github.com/jackc/pgx/v5/pgconn":           {"(*PgConn).ExecParams", "(*PgConn).execExtendedPrefix", "(*PgConn).receiveMessage", "(*PgConn).peekMessage", "(*ResultReader).NextRow", "(*ResultReader).readUntilRowDescription", "(*PgConn).flushWithPotentialWriteReadDeadlock", "(*PgConn).Exec", "(*MultiResultReader).NextResult", "(*PgConn).CopyFrom"},
	"go.uber.org/zap/zapcore":                  {"(*jsonEncoder).EncodeEntry", "(*ioCore).Write", "(*CheckedEntry).Write", "(*jsonEncoder).AppendString", "(*jsonEncoder).safeAddString", "(*jsonEncoder).AddString", "(*jsonEncoder).appendKey", "Field.AddTo", "(*lockedWriteSyncer).Write", "(*BufferedWriteSyncer).Write", "(*jsonEncoder).AppendTime", "EpochTimeEncoder", "ISO8601TimeEncoder"},
	"github.com/redis/go-redis/v9":             {"(*Client).Process", "(*baseClient).process", "(*baseClient)._process", "(*baseClient).withConn", "(*baseClient).getConn", "cmdable.Get", "cmdable.Set", "(*Pipeline).Exec", "(*baseClient).processPipeline", "(*StringCmd).readReply", "writeCmd", "(*baseClient).pipelineProcessCmds", "(*ClusterClient).process"},
	"github.com/go-chi/chi/v5":                 {"(*Mux).ServeHTTP", "(*Mux).routeHTTP", "(*Mux).routeHTTP-fm", "(*node).FindRoute", "(*node).findRoute", "(*Context).Reset", "(*Mux).Mount.func1", "(*ChainHandler).ServeHTTP", "(*node).setEndpoint"},
	"golang.org/x/sync/errgroup":               {"(*Group).Go.func1", "(*Group).Wait", "(*Group).Go", "(*Group).done"},
	"github.com/json-iterator/go":              {"(*Iterator).ReadString", "(*Iterator).readStringSlowPath", "(*Iterator).ReadObject", "(*Iterator).nextToken", "(*Iterator).Skip", "(*Iterator).skipObject", "(*generalStructDecoder).Decode", "(*Stream).WriteString", "(*frozenConfig).Marshal", "(*frozenConfig).Unmarshal", "(*structEncoder).Encode", "(*sliceDecoder).doDecode", "(*Iterator).ReadInt64", "(*Iterator).skipWhitespacesWithoutLoadMore"},
}

var sysNouns = []string{"conn", "Conn", "buf", "Buffer", "frame", "Frame", "header", "Header", "reader", "Reader", "writer", "Writer",
	"state", "node", "entry", "table", "span", "cache", "pool", "Pool", "queue", "stream", "Stream", "field", "Value", "encoder",
	"Encoder", "decoder", "Decoder", "token", "block", "chunk", "record", "handshake", "cipher", "Key", "cert", "session",
	"timer", "msg", "codec", "transport", "Transport", "listener", "Dialer", "resolver", "parser", "scanner", "printer",
	"Client", "Server", "Request", "Response", "Options", "Config", "Iterator", "Builder", "Batch", "segment", "Index",
	"tree", "Map", "set", "List", "ring", "heap", "Tracer", "Meter", "Counter", "Histogram", "Gauge", "Registry",
	"Descriptor", "Message", "Enum", "Decimal", "Hasher", "pipe", "Stmt", "Rows", "Tx", "Cmd", "Pipeline", "Cluster",
	"Loader", "Store", "Table", "Column", "Schema", "Path", "Router", "Route", "Handler", "Mux", "Logger", "Core", "Entry",
	"Level", "Sampler", "Exporter", "Provider", "Processor", "Span", "Attribute", "Label", "Metric", "Family", "Desc"}

var sysVerbs = []string{"read", "write", "Read", "Write", "flush", "Flush", "Close", "close", "init", "reset", "Reset",
	"grow", "alloc", "free", "encode", "decode", "Encode", "Decode", "marshal", "unmarshal", "Marshal", "Unmarshal",
	"parse", "Parse", "scan", "Next", "next", "Get", "Put", "get", "put", "lookup", "Lookup", "insert", "remove",
	"append", "Append", "String", "Len", "Less", "Swap", "handle", "process", "dispatch", "serve", "Serve", "Do", "do",
	"run", "Run", "wait", "Wait", "signal", "Lock", "Unlock", "acquire", "release", "compute", "hash", "Sum",
	"checksum", "compress", "Compress", "validate", "Validate", "Load", "Store", "Add", "Observe", "Inc", "emit",
	"record", "fill", "copy", "Copy", "Seek", "Peek", "Discard", "readLoop", "writeLoop", "roundTrip", "RoundTrip",
	"dial", "Dial", "accept", "Accept", "verify", "sign", "Sign", "Verify", "Size", "size", "Clone", "clone", "Apply",
	"apply", "Format", "format", "Convert", "convert", "Check", "check", "Collect", "collect", "Export", "export",
	"Start", "start", "End", "end", "Set", "set", "Match", "match", "Find", "find", "Walk", "walk", "Expand", "expand"}

var rtTypes = []string{"mheap", "mspan", "mcache", "mcentral", "gcWork", "pageAlloc", "sweepLocked", "p", "m", "g",
	"hchan", "sudog", "timer", "timers", "itab", "stackpool", "bucket", "traceBuf", "pollDesc", "wbBuf", "spanSet",
	"fixalloc", "linearAlloc", "heapArena", "gcControllerState", "scavengerState", "profBuf", "lfstack", "gList",
	"gQueue", "randomOrder", "pallocData", "pageCache", "mSpanList", "consistentHeapStats", "gcCPULimiterState",
	"traceWriter", "unwinder", "funcInfo", "moduledata", "stkframe", "hmap", "bmap", "hiter", "_panic", "_defer",
	"sysMemStat", "mSpanStateBox", "markBits", "gcBits", "pageBits", "scavChunkData", "atomicScavChunkData"}

var rtVerbs = []string{"alloc", "free", "grow", "sweep", "scan", "mark", "flush", "init", "push", "pop", "put", "get",
	"next", "refill", "release", "acquire", "lock", "unlock", "update", "reset", "record", "tryAlloc", "allocLarge",
	"freeSpan", "nextSpan", "take", "add", "remove", "empty", "find", "enqueue", "dequeue", "wake", "park", "steal",
	"drain", "balance", "shrink", "copy", "check", "trace", "emit", "write", "read", "fill", "trim", "coalesce"}

var rtNouns = []string{"Span", "Heap", "Stack", "Frame", "Bits", "Pages", "Chunk", "Arena", "Sweep", "Mark", "Roots",
	"Work", "Assist", "Timer", "Sema", "Chan", "Select", "Map", "Bucket", "Itab", "Trace", "Profile", "Signal", "Futex",
	"Note", "Sleep", "Proc", "Thread", "Sched", "Runq", "Netpoll", "Defer", "Panic", "Barrier", "Buf", "Scav", "Credit"}

var domNouns = []string{"Order", "User", "Account", "Invoice", "Payment", "Cart", "Item", "Product", "Price", "Session",
	"Token", "Tenant", "Event", "Message", "Batch", "Record", "Row", "Span", "Metric", "Request", "Response", "Query",
	"Index", "Shard", "Segment", "Block", "Chunk", "Page", "Key", "Entry", "Job", "Task", "Schedule", "Route", "Rule",
	"Policy", "Quota", "Limit", "Report", "Feature", "Flag", "Snapshot", "Stream", "Shipment", "Address", "Coupon",
	"Discount", "Refund", "Ledger", "Balance", "Transfer", "Customer", "Merchant", "Catalog", "Review", "Rating",
	"Recommendation", "Notification", "Subscription", "Plan", "Usage", "Webhook", "Audit", "Permission", "Role",
	"Group", "Warehouse", "Stock", "Reservation", "Fulfillment", "Carrier", "Tax", "Currency", "Rate", "Region"}

var domSuffix = []string{"Store", "Cache", "Client", "Server", "Handler", "Service", "Repo", "Manager", "Pool", "Queue",
	"Worker", "Encoder", "Decoder", "Builder", "Resolver", "Tracker", "Limiter", "Scheduler", "Processor", "Reader",
	"Writer", "Iterator", "Index", "Registry", "Router", "Consumer", "Producer", "Validator", "Mapper", "Loader", ""}

var domVerbs = []string{"Get", "Put", "Set", "Load", "Store", "Handle", "Process", "Encode", "Decode", "Marshal",
	"Unmarshal", "Validate", "Parse", "Write", "Read", "Flush", "Close", "Open", "Compute", "Apply", "Build",
	"Resolve", "Lookup", "Find", "List", "Create", "Update", "Delete", "Scan", "Sync", "Merge", "Split", "Sort",
	"Filter", "Fetch", "Send", "Publish", "Consume", "Dispatch", "Render", "Compress", "Hash", "Sign", "Verify",
	"Authorize", "Refresh", "Retry", "Emit", "Record", "Observe", "Reserve", "Release", "Charge", "Settle", "Reconcile",
	"Enrich", "Normalize", "Aggregate", "Rank", "Score", "Match", "Expire", "Evict", "Warm", "Index", "Notify"}

var httpRoutes = []string{
	"GET /api/v1/orders/{id}", "GET /api/v1/orders", "POST /api/v1/orders", "PUT /api/v1/orders/{id}",
	"GET /api/v1/users/{id}", "POST /api/v1/users", "GET /api/v1/users/{id}/sessions", "POST /api/v1/login",
	"POST /api/v1/logout", "GET /api/v1/products", "GET /api/v1/products/{sku}", "GET /api/v1/search",
	"POST /api/v1/cart/items", "DELETE /api/v1/cart/items/{id}", "GET /api/v1/cart", "POST /api/v1/checkout",
	"POST /api/v1/payments", "GET /api/v1/payments/{id}", "POST /api/v1/refunds", "GET /api/v1/invoices",
	"GET /api/v1/invoices/{id}/pdf", "GET /api/v1/inventory/{sku}", "POST /api/v1/shipments",
	"GET /api/v1/shipments/{id}/track", "GET /api/v1/recommendations", "POST /api/v1/reviews",
	"GET /api/v1/reviews", "POST /api/v1/webhooks/stripe", "GET /api/v1/reports/daily", "GET /api/v1/flags",
	"GET /metrics", "GET /healthz", "POST /api/v1/events", "GET /api/v1/coupons/{code}", "GET /api/v1/tenants/{id}/usage",
}

var grpcMethods = []string{
	"/acme.orders.v1.OrderService/GetOrder", "/acme.orders.v1.OrderService/ListOrders",
	"/acme.orders.v1.OrderService/CreateOrder", "/acme.users.v1.UserService/GetUser",
	"/acme.users.v1.UserService/Authenticate", "/acme.catalog.v1.CatalogService/GetProduct",
	"/acme.catalog.v1.CatalogService/Search", "/acme.pricing.v1.PricingService/Quote",
	"/acme.inventory.v1.InventoryService/Reserve", "/acme.inventory.v1.InventoryService/Release",
	"/acme.billing.v1.BillingService/Charge", "/acme.billing.v1.BillingService/GetInvoice",
	"/acme.ranking.v1.RankingService/Rank", "/acme.notify.v1.NotifyService/Send",
	"/grpc.health.v1.Health/Check",
}

var workerQueues = []string{"orders.created", "payments.settled", "invoices.render", "search.reindex",
	"notify.email", "inventory.sync", "ledger.reconcile", "events.ingest"}

func (g *gen) pick(xs []string) string { return xs[g.rng.Intn(len(xs))] }

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// newName invents a function name for package k (without the package path).
func (g *gen) newName(k *pkg, types []string) string {
	r := g.rng.Float64()
	if k.kind == kSvc {
		switch k.role {
		case "api":
			if r < 0.45 {
				return "(*Server).handle" + g.pick(domVerbs) + g.pick(domNouns)
			}
		case "rpc":
			if r < 0.25 {
				n := g.pick(domNouns)
				return "_" + n + "Service_" + g.pick(domVerbs) + n + "_Handler"
			}
			if r < 0.5 {
				n := g.pick(domNouns)
				return "(*" + n + "Server)." + g.pick(domVerbs) + n
			}
		case "worker":
			if r < 0.3 {
				return "(*" + g.pick(domNouns) + "Consumer).process" + g.pick(domNouns)
			}
		case "middleware":
			if r < 0.5 {
				return g.pick([]string{"Auth", "Logging", "Tracing", "Recover", "RateLimit", "Metrics", "Tenant",
					"CORS", "Timeout", "Compress", "RequestID"}) + g.pick([]string{"", "Middleware", "Handler"}) + ".func1"
			}
		case "util":
			if r < 0.08 {
				return g.pick([]string{"Map", "Filter", "Reduce", "Chunk", "Dedup", "Keys", "Values", "GroupBy",
					"SortBy", "Parallel", "Retry", "Memo", "Set"}) + g.pick(domNouns) + "[...]"
			}
		}
		t := types[g.rng.Intn(len(types))]
		switch {
		case r < 0.55:
			return "(*" + t + ")." + g.pick(domVerbs) + g.pick([]string{"", g.pick(domNouns)})
		case r < 0.65:
			return t + "." + g.pick(domVerbs)
		case r < 0.85:
			return g.pick(domVerbs) + g.pick(domNouns) + g.pick([]string{"", "s", "ByID", "Batch", "Locked"})
		default:
			return lowerFirst(g.pick(domVerbs)) + g.pick(domNouns)
		}
	}
	if k.path == "runtime" {
		t := g.pick(rtTypes)
		switch {
		case r < 0.45:
			return "(*" + t + ")." + g.pick(rtVerbs)
		case r < 0.55:
			return t + "." + g.pick(rtVerbs)
		default:
			return g.pick(rtVerbs) + g.pick(rtNouns) + g.pick([]string{"", "", "Locked", "Fast", "Slow", "1"})
		}
	}
	t := types[g.rng.Intn(len(types))]
	switch {
	case r < 0.5:
		return "(*" + t + ")." + g.pick(sysVerbs)
	case r < 0.6:
		return t + "." + g.pick(sysVerbs)
	case r < 0.8:
		return lowerFirst(g.pick(sysVerbs)) + strings.Title(g.pick(sysNouns))
	default:
		return g.pick(sysVerbs) + strings.Title(g.pick(sysNouns)) + g.pick([]string{"", "s", "Slow", "Locked", "Fast", "Into"})
	}
}

func (g *gen) addFunc(name string, k int, layer int) int32 {
	id := int32(len(g.fns))
	pk := g.pkgs[k]
	f := &fn{name: name, pkg: k, layer: layer, endpoint: -1}
	// File: receiver type or package name.
	local := strings.TrimPrefix(name, pk.path+".")
	file := pk.path[strings.LastIndex(pk.path, "/")+1:]
	if strings.HasPrefix(local, "(*") {
		file = strings.ToLower(local[2:strings.Index(local, ")")])
	} else if i := strings.Index(local, "."); i > 0 && local[0] >= 'A' && local[0] <= 'Z' {
		file = strings.ToLower(local[:i])
	}
	file = strings.TrimPrefix(file, "_")
	if strings.HasSuffix(pk.path, "/v5") || strings.HasSuffix(pk.path, "/v9") || strings.HasSuffix(pk.path, "/v2") {
		file = strings.TrimSuffix(file, "v5")
	}
	if len(file) > 16 {
		file = file[:16]
	}
	f.file = pk.dir + "/" + file + ".go"
	f.start = int64(10 + g.rng.Intn(2500))
	f.length = int64(5 + g.rng.Intn(120))
	nself := 1 + g.rng.Intn(6)
	for i := 0; i < nself; i++ {
		f.selfLines = append(f.selfLines, f.start+1+g.rng.Int63n(f.length))
	}
	f.small = g.rng.Float64() < 0.3
	switch layer {
	case lRuntimeLeaf:
		f.selfPCs = 8 + g.rng.Intn(150)
	case lRuntime:
		f.selfPCs = 4 + g.rng.Intn(60)
	default:
		f.selfPCs = 1 + g.rng.Intn(24)
	}
	g.fns = append(g.fns, f)
	g.byName[name] = id
	pk.funcs = append(pk.funcs, id)
	return id
}

func (g *gen) makeFunctions() {
	for ki, k := range g.pkgs {
		prefix := k.path + "."
		var names []string
		var layers []int
		if ki == 0 {
			for _, n := range runtimeRoots {
				names = append(names, n)
				layers = append(layers, lRuntime)
			}
			var seeds []string
			for n := range runtimeSeeds {
				seeds = append(seeds, n)
			}
			sort.Strings(seeds)
			g.rng.Shuffle(len(seeds), func(i, j int) { seeds[i], seeds[j] = seeds[j], seeds[i] })
			// The hottest runtime functions first: callers favour early ones.
			hot := []string{"runtime.mallocgc", "runtime.memmove", "runtime.memclrNoHeapPointers",
				"runtime.newobject", "runtime.growslice", "runtime.mapaccess2_faststr", "runtime.futex",
				"runtime.scanobject", "runtime.makeslice", "runtime.mapassign_faststr", "runtime.selectgo",
				"runtime.lock2", "runtime.systemstack", "runtime.nanotime1"}
			rest := []string{}
			for _, s := range seeds {
				if !contains(hot, s) {
					rest = append(rest, s)
				}
			}
			for _, n := range append(hot, rest...) {
				names = append(names, n)
				layers = append(layers, runtimeSeeds[n])
			}
		} else {
			for _, s := range pkgSeeds[k.path] {
				names = append(names, prefix+s)
				layers = append(layers, k.layer)
			}
		}
		// Type vocabulary of this package.
		var types []string
		nt := 3 + g.rng.Intn(12)
		for i := 0; i < nt; i++ {
			if k.kind == kSvc {
				types = append(types, g.pick(domNouns)+g.pick(domSuffix))
			} else {
				types = append(types, g.pick(sysNouns))
			}
		}
		for _, n := range names {
			if len(k.funcs) >= k.n && ki != 0 {
				break
			}
			if _, dup := g.byName[n]; !dup {
				layer := layers[len(k.funcs)]
				if ki == 0 && layer == 1 {
					layer = lRuntime
				} else if ki == 0 {
					layer = lRuntimeLeaf
				}
				g.addFunc(n, ki, layer)
			}
		}
		for tries := 0; len(k.funcs) < k.n; tries++ {
			var n string
			if len(k.funcs) > 4 && g.rng.Float64() < 0.12 {
				// A closure of an existing function.
				base := g.fns[k.funcs[g.rng.Intn(len(k.funcs))]].name
				if strings.HasSuffix(base, "[...]") {
					continue
				}
				n = base + ".func" + strconv.Itoa(1+g.rng.Intn(4))
				if g.rng.Float64() < 0.2 {
					n += "." + strconv.Itoa(1+g.rng.Intn(3))
				}
			} else {
				n = prefix + g.newName(k, types)
			}
			if _, dup := g.byName[n]; dup {
				if tries > 100000 {
					panic("cannot invent names for " + k.path)
				}
				continue
			}
			layer := k.layer
			if ki == 0 {
				layer = lRuntimeLeaf + g.rng.Intn(2)
			}
			g.addFunc(n, ki, layer)
		}
	}
	if len(g.fns) != g.p.funcs {
		panic(fmt.Sprintf("made %d functions, want %d", len(g.fns), g.p.funcs))
	}
	// Roles and endpoints of the service entry functions.
	var https, rpcs []int32
	for _, k := range g.pkgs {
		if k.kind != kSvc || k.layer != lSvcTop {
			continue
		}
		for i, id := range k.funcs {
			f := g.fns[id]
			local := strings.TrimPrefix(f.name, k.path+".")
			switch k.role {
			case "api":
				if strings.HasPrefix(local, "(*Server).handle") || i < 3 {
					f.role = roleHTTP
					https = append(https, id)
				}
			case "rpc":
				if strings.HasSuffix(local, "_Handler") || i < 3 {
					f.role = roleRPC
					rpcs = append(rpcs, id)
				}
			case "worker":
				if strings.Contains(local, "Consumer).process") || i < 3 {
					f.role = roleWorker
				}
			case "middleware":
				if strings.HasSuffix(local, ".func1") || i < 2 {
					f.role = roleMiddleware
				}
			}
		}
	}
	g.endpoints = append(append([]string{}, httpRoutes...), grpcMethods...)
	for i, id := range https {
		g.fns[id].endpoint = i % len(httpRoutes)
	}
	for i, id := range rpcs {
		g.fns[id].endpoint = len(httpRoutes) + i%len(grpcMethods)
	}
}

// ----------------------------------------------------------------- graph

func (g *gen) id(name string) int32 {
	id, ok := g.byName[name]
	if !ok {
		panic("no function " + name)
	}
	return id
}

// zipf picks an index in [0,n) with probability proportional to 1/(i+1)^1.1.
func (g *gen) zipf(n int) int {
	cum, ok := g.zipfCache[n]
	if !ok {
		cum = make([]float64, n)
		s := 0.0
		for i := 0; i < n; i++ {
			s += 1 / math.Pow(float64(i+1), 1.1)
			cum[i] = s
		}
		g.zipfCache[n] = cum
	}
	x := g.rng.Float64() * cum[n-1]
	return sort.SearchFloat64s(cum, x)
}

func (g *gen) addEdge(from, to int32, w float64, inline bool) {
	f := g.fns[from]
	for _, e := range f.callees {
		if e.to == to {
			return
		}
	}
	f.callees = append(f.callees, edge{to: to, w: w, inline: inline})
	g.fns[to].callers = append(g.fns[to].callers, from)
	if inline {
		g.inlined[uint64(from)<<32|uint64(uint32(to))] = true
	}
}

// fixedEdges give the hot skeleton of a Go service: allocation, scheduling,
// GC, syscalls, TLS, JSON, gzip, SQL, gRPC.
var fixedEdges = [][2]string{
	{"runtime.gcDrain", "runtime.scanobject"}, {"runtime.gcDrain", "runtime.markroot"},
	{"runtime.gcDrain", "runtime.(*gcWork).tryGet"}, {"runtime.scanobject", "runtime.findObject"},
	{"runtime.scanobject", "runtime.greyobject"}, {"runtime.scanobject", "runtime.spanOf"},
	{"runtime.markroot", "runtime.markrootBlock"}, {"runtime.markroot", "runtime.markroot.func1"},
	{"runtime.markroot.func1", "runtime.scanstack"}, {"runtime.markroot.func1", "runtime.suspendG"},
	{"runtime.scanstack", "runtime.scanframeworker"}, {"runtime.scanstack", "runtime.(*unwinder).next"},
	{"runtime.(*unwinder).next", "runtime.(*unwinder).resolveInternal"}, {"runtime.(*unwinder).resolveInternal", "runtime.findfunc"},
	{"runtime.scanframeworker", "runtime.pcvalue"}, {"runtime.pcvalue", "runtime.step"},
	{"runtime.markrootBlock", "runtime.scanblock"},
	{"runtime.mallocgc", "runtime.(*mcache).nextFree"}, {"runtime.mallocgc", "runtime.memclrNoHeapPointers"},
	{"runtime.mallocgc", "runtime.nextFreeFast"}, {"runtime.mallocgc", "runtime.deductAssistCredit"},
	{"runtime.mallocgc", "runtime.profilealloc"}, {"runtime.profilealloc", "runtime.mProf_Malloc"},
	{"runtime.deductAssistCredit", "runtime.gcAssistAlloc"}, {"runtime.gcAssistAlloc", "runtime.systemstack"},
	{"runtime.systemstack", "runtime.gcAssistAlloc1"}, {"runtime.gcAssistAlloc1", "runtime.gcDrainN"},
	{"runtime.gcDrainN", "runtime.scanobject"}, {"runtime.gcDrainN", "runtime.markroot"},
	{"runtime.(*mcache).nextFree", "runtime.(*mcache).refill"}, {"runtime.(*mcache).refill", "runtime.(*mcentral).cacheSpan"},
	{"runtime.(*mcentral).cacheSpan", "runtime.(*mcentral).grow"}, {"runtime.(*mcentral).cacheSpan", "runtime.(*sweepLocked).sweep"},
	{"runtime.(*mcentral).grow", "runtime.(*mheap).alloc"}, {"runtime.(*mheap).alloc", "runtime.systemstack"},
	{"runtime.systemstack", "runtime.(*mheap).alloc.func1"}, {"runtime.(*mheap).alloc.func1", "runtime.(*mheap).allocSpan"},
	{"runtime.(*mheap).allocSpan", "runtime.(*pageAlloc).alloc"}, {"runtime.(*mheap).allocSpan", "runtime.lock2"},
	{"runtime.newobject", "runtime.mallocgc"}, {"runtime.makeslice", "runtime.mallocgc"},
	{"runtime.growslice", "runtime.mallocgc"}, {"runtime.growslice", "runtime.memmove"},
	{"runtime.makemap", "runtime.newobject"}, {"runtime.slicebytetostring", "runtime.mallocgc"},
	{"runtime.slicebytetostring", "runtime.memmove"}, {"runtime.concatstrings", "runtime.rawstring"},
	{"runtime.concatstring2", "runtime.concatstrings"}, {"runtime.rawstring", "runtime.mallocgc"},
	{"runtime.convTstring", "runtime.mallocgc"}, {"runtime.convT", "runtime.mallocgc"}, {"runtime.convT64", "runtime.mallocgc"},
	{"runtime.stringtoslicebyte", "runtime.mallocgc"}, {"runtime.mapassign_faststr", "runtime.aeshashbody"},
	{"runtime.mapaccess2_faststr", "runtime.aeshashbody"}, {"runtime.mapaccess2_faststr", "runtime.memequal"},
	{"runtime.mapaccess1_faststr", "runtime.aeshashbody"}, {"runtime.mapaccess2", "runtime.memhash64"},
	{"runtime.mapassign", "runtime.newobject"}, {"runtime.mapiternext", "runtime.memhash"},
	{"runtime.schedule", "runtime.findRunnable"}, {"runtime.findRunnable", "runtime.netpoll"},
	{"runtime.findRunnable", "runtime.stealWork"}, {"runtime.findRunnable", "runtime.stopm"},
	{"runtime.findRunnable", "runtime.checkTimers"}, {"runtime.netpoll", "runtime.epollwait"},
	{"runtime.stealWork", "runtime.runqsteal"}, {"runtime.runqsteal", "runtime.runqgrab"},
	{"runtime.runqgrab", "runtime.usleep"}, {"runtime.stopm", "runtime.notesleep"},
	{"runtime.notesleep", "runtime.futexsleep"}, {"runtime.futexsleep", "runtime.futex"},
	{"runtime.schedule", "runtime.resetspinning"}, {"runtime.resetspinning", "runtime.wakep"},
	{"runtime.wakep", "runtime.startm"}, {"runtime.startm", "runtime.notewakeup"},
	{"runtime.notewakeup", "runtime.futexwakeup"}, {"runtime.futexwakeup", "runtime.futex"},
	{"runtime.checkTimers", "runtime.(*timers).run"}, {"runtime.(*timers).run", "runtime.runOneTimer"},
	{"runtime.selectgo", "runtime.gopark"}, {"runtime.selectgo", "runtime.lock"}, {"runtime.chanrecv1", "runtime.chanrecv"},
	{"runtime.chanrecv2", "runtime.chanrecv"}, {"runtime.chanrecv", "runtime.gopark"}, {"runtime.chansend1", "runtime.chansend"},
	{"runtime.chansend", "runtime.goready"}, {"runtime.goready", "runtime.systemstack"}, {"runtime.systemstack", "runtime.ready"},
	{"runtime.ready", "runtime.wakep"}, {"runtime.lock", "runtime.lock2"}, {"runtime.lock2", "runtime.procyield"},
	{"runtime.lock2", "runtime.futex"}, {"runtime.lock2", "runtime.osyield"}, {"runtime.unlock", "runtime.unlock2"},
	{"runtime.unlock2", "runtime.futexwakeup"}, {"runtime.newstack", "runtime.copystack"},
	{"runtime.copystack", "runtime.memmove"}, {"runtime.copystack", "runtime.adjustframe"},
	{"runtime.copystack", "runtime.(*unwinder).next"}, {"runtime.entersyscall", "runtime.reentersyscall"},
	{"runtime.exitsyscall", "runtime.exitsyscallfast"}, {"runtime.semacquire1", "runtime.gopark"},
	{"runtime.sync_runtime_SemacquireMutex", "runtime.semacquire1"}, {"runtime.sync_runtime_Semrelease", "runtime.semrelease1"},
	{"runtime.semrelease1", "runtime.goready"}, {"runtime.typedmemmove", "runtime.memmove"},
	{"runtime.typedmemmove", "runtime.bulkBarrierPreWrite"}, {"runtime.typedslicecopy", "runtime.memmove"},
	{"runtime.typedslicecopy", "runtime.bulkBarrierPreWrite"}, {"runtime.bulkBarrierPreWrite", "runtime.wbBufFlush"},
	{"runtime.wbBufFlush", "runtime.wbBufFlush1"}, {"runtime.wbBufFlush1", "runtime.findObject"},
	{"runtime.wbBufFlush1", "runtime.greyobject"}, {"runtime.bgsweep", "runtime.sweepone"},
	{"runtime.sweepone", "runtime.(*sweepLocked).sweep"}, {"runtime.bgscavenge", "runtime.(*scavengerState).run"},
	{"runtime.(*scavengerState).run", "runtime.(*pageAlloc).scavenge"}, {"runtime.(*pageAlloc).scavenge", "runtime.sysUnused"},
	{"runtime.sysUnused", "runtime.madvise"}, {"runtime.sysmon", "runtime.usleep"}, {"runtime.sysmon", "runtime.retake"},
	{"runtime.sysmon", "runtime.netpoll"}, {"runtime.retake", "runtime.preemptM"}, {"runtime.preemptM", "runtime.tgkill"},
	{"runtime.newproc", "runtime.systemstack"}, {"runtime.systemstack", "runtime.newproc1"},
	{"runtime.newproc1", "runtime.gfget"}, {"runtime.nanotime", "runtime.nanotime1"},
	{"runtime.gcBgMarkWorker", "runtime.systemstack"}, {"runtime.systemstack", "runtime.gcBgMarkWorker.func2"},
	{"runtime.gcBgMarkWorker.func2", "runtime.gcDrain"}, {"runtime.gcBgMarkWorker", "runtime.gcMarkDone"},
	{"runtime.poll_runtime_pollWait", "runtime.netpollblock"}, {"runtime.netpollblock", "runtime.gopark"},
	{"runtime.sigtrampgo", "runtime.sighandler"},

	{"syscall.Syscall", "runtime.entersyscall"}, {"syscall.Syscall", "runtime.exitsyscall"},
	{"syscall.Syscall", "syscall.RawSyscall6"}, {"syscall.write", "syscall.Syscall"}, {"syscall.read", "syscall.Syscall"},
	{"syscall.Write", "syscall.write"}, {"syscall.Read", "syscall.read"},
	{"internal/poll.(*FD).Write", "internal/poll.ignoringEINTRIO"}, {"internal/poll.ignoringEINTRIO", "syscall.Write"},
	{"internal/poll.ignoringEINTRIO", "syscall.Read"}, {"internal/poll.(*FD).Read", "internal/poll.ignoringEINTRIO"},
	{"internal/poll.(*FD).Read", "internal/poll.(*pollDesc).waitRead"}, {"internal/poll.(*pollDesc).waitRead", "internal/poll.(*pollDesc).wait"},
	{"internal/poll.(*pollDesc).wait", "runtime.poll_runtime_pollWait"}, {"internal/poll.(*FD).Write", "internal/poll.(*FD).writeUnlock"},
	{"net.(*conn).Write", "net.(*netFD).Write"}, {"net.(*netFD).Write", "internal/poll.(*FD).Write"},
	{"net.(*conn).Read", "net.(*netFD).Read"}, {"net.(*netFD).Read", "internal/poll.(*FD).Read"},
	{"bufio.(*Writer).Flush", "net.(*conn).Write"}, {"bufio.(*Reader).fill", "net.(*conn).Read"},
	{"bufio.(*Reader).Read", "bufio.(*Reader).fill"}, {"bufio.(*Reader).ReadSlice", "bufio.(*Reader).fill"},
	{"bufio.(*Reader).ReadLine", "bufio.(*Reader).ReadSlice"}, {"bufio.(*Writer).Write", "bufio.(*Writer).Flush"},
	{"sync.(*Mutex).Lock", "sync.(*Mutex).lockSlow"}, {"sync.(*Mutex).lockSlow", "runtime.sync_runtime_SemacquireMutex"},
	{"sync.(*Mutex).Unlock", "sync.(*Mutex).unlockSlow"}, {"sync.(*Mutex).unlockSlow", "runtime.sync_runtime_Semrelease"},
	{"sync.(*Pool).Get", "sync.(*Pool).getSlow"}, {"bytes.(*Buffer).Write", "bytes.(*Buffer).grow"},
	{"bytes.(*Buffer).WriteString", "bytes.(*Buffer).grow"}, {"bytes.(*Buffer).grow", "bytes.growSlice"},
	{"bytes.growSlice", "runtime.growslice"}, {"bytes.(*Buffer).grow", "runtime.memmove"},
	{"strings.(*Builder).WriteString", "strings.(*Builder).grow"}, {"strings.(*Builder).grow", "runtime.growslice"},
	{"strings.Split", "strings.genSplit"}, {"strings.genSplit", "runtime.makeslice"}, {"strings.genSplit", "strings.Index"},
	{"strconv.FormatInt", "strconv.formatBits"}, {"strconv.AppendInt", "strconv.formatBits"},
	{"strconv.ParseFloat", "strconv.atof64"}, {"strconv.AppendFloat", "strconv.genericFtoa"},
	{"strconv.genericFtoa", "strconv.ryuFtoaShortest"}, {"strconv.Quote", "strconv.appendQuotedWith"},
	{"fmt.Sprintf", "fmt.(*pp).doPrintf"}, {"fmt.Sprintf", "fmt.newPrinter"}, {"fmt.Sprintf", "runtime.slicebytetostring"},
	{"fmt.(*pp).doPrintf", "fmt.(*pp).printArg"}, {"fmt.(*pp).printArg", "fmt.(*fmt).fmtInteger"},
	{"fmt.(*pp).printArg", "fmt.(*pp).handleMethods"}, {"fmt.(*pp).printArg", "fmt.(*pp).fmtString"},
	{"fmt.(*pp).fmtString", "fmt.(*fmt).padString"}, {"fmt.newPrinter", "sync.(*Pool).Get"},
	{"fmt.Errorf", "fmt.(*pp).doPrintf"}, {"fmt.Fprintf", "fmt.(*pp).doPrintf"},
	{"time.Now", "time.now"}, {"time.now", "runtime.nanotime"}, {"time.now", "runtime.walltime"},
	{"time.Since", "runtime.nanotime"}, {"time.Time.Format", "time.Time.AppendFormat"}, {"time.Time.AppendFormat", "time.appendInt"},
	{"crypto/aes.(*gcmAsm).Seal", "crypto/aes.gcmAesEnc"}, {"crypto/aes.(*gcmAsm).Open", "crypto/aes.gcmAesDec"},
	{"crypto/sha256.(*digest).Write", "crypto/sha256.block"}, {"crypto/sha256.block", "crypto/sha256.blockAMD64"},
	{"crypto/sha256.Sum256", "crypto/sha256.(*digest).Write"}, {"reflect.Value.Interface", "reflect.packEface"},
	{"reflect.packEface", "runtime.mallocgc"}, {"reflect.Value.Call", "reflect.Value.call"},
	{"reflect.unsafe_New", "runtime.mallocgc"}, {"reflect.Value.MapIndex", "reflect.mapaccess"},
	{"reflect.mapaccess", "runtime.mapaccess"},

	{"encoding/json.Marshal", "encoding/json.(*encodeState).marshal"},
	{"encoding/json.(*encodeState).marshal", "encoding/json.(*encodeState).reflectValue"},
	{"encoding/json.(*encodeState).reflectValue", "encoding/json.structEncoder.encode"},
	{"encoding/json.(*encodeState).reflectValue", "encoding/json.ptrEncoder.encode"},
	{"encoding/json.structEncoder.encode", "encoding/json.stringEncoder"},
	{"encoding/json.structEncoder.encode", "encoding/json.ptrEncoder.encode"},
	{"encoding/json.structEncoder.encode", "encoding/json.sliceEncoder.encode"},
	{"encoding/json.structEncoder.encode", "encoding/json.mapEncoder.encode"},
	{"encoding/json.ptrEncoder.encode", "encoding/json.structEncoder.encode"},
	{"encoding/json.sliceEncoder.encode", "encoding/json.arrayEncoder.encode"},
	{"encoding/json.arrayEncoder.encode", "encoding/json.ptrEncoder.encode"},
	{"encoding/json.arrayEncoder.encode", "encoding/json.structEncoder.encode"},
	{"encoding/json.mapEncoder.encode", "encoding/json.structEncoder.encode"},
	{"encoding/json.stringEncoder", "encoding/json.appendString[...]"},
	{"encoding/json.Marshal", "runtime.growslice"},
	{"encoding/json.Unmarshal", "encoding/json.checkValid"}, {"encoding/json.checkValid", "encoding/json.stateInString"},
	{"encoding/json.Unmarshal", "encoding/json.(*decodeState).unmarshal"},
	{"encoding/json.(*decodeState).unmarshal", "encoding/json.(*decodeState).value"},
	{"encoding/json.(*decodeState).value", "encoding/json.(*decodeState).object"},
	{"encoding/json.(*decodeState).value", "encoding/json.(*decodeState).array"},
	{"encoding/json.(*decodeState).object", "encoding/json.(*decodeState).value"},
	{"encoding/json.(*decodeState).array", "encoding/json.(*decodeState).value"},
	{"encoding/json.(*decodeState).object", "encoding/json.(*decodeState).literalStore"},
	{"encoding/json.(*decodeState).object", "encoding/json.cachedTypeFields"},
	{"encoding/json.(*decodeState).literalStore", "encoding/json.unquoteBytes"},
	{"encoding/json.(*decodeState).literalStore", "runtime.slicebytetostring"},
	{"encoding/json.(*decodeState).object", "encoding/json.(*decodeState).scanWhile"},
	{"encoding/json.(*Decoder).Decode", "encoding/json.(*decodeState).unmarshal"},
	{"encoding/json.(*Encoder).Encode", "encoding/json.(*encodeState).marshal"},

	{"net/http.(*conn).serve", "net/http.(*conn).readRequest"}, {"net/http.(*conn).readRequest", "net/http.readRequest"},
	{"net/http.readRequest", "net/textproto.(*Reader).ReadMIMEHeader"}, {"net/http.(*conn).serve", "net/http.(*response).finishRequest"},
	{"net/http.(*conn).serve", "net/http.serverHandler.ServeHTTP"}, {"net/http.(*response).finishRequest", "bufio.(*Writer).Flush"},
	{"net/http.(*response).Write", "net/http.(*response).write"}, {"net/http.(*response).write", "bufio.(*Writer).Write"},
	{"net/http.(*chunkWriter).Write", "net/http.(*chunkWriter).writeHeader"}, {"net/http.(*chunkWriter).writeHeader", "net/http.Header.writeSubset"},
	{"net/http.(*Client).Do", "net/http.(*Client).do"}, {"net/http.(*Client).do", "net/http.(*Client).send"},
	{"net/http.(*Client).send", "net/http.send"}, {"net/http.send", "net/http.(*Transport).RoundTrip"},
	{"net/http.(*Transport).RoundTrip", "net/http.(*Transport).roundTrip"}, {"net/http.(*Transport).roundTrip", "net/http.(*persistConn).roundTrip"},
	{"net/http.(*Transport).roundTrip", "net/http.(*Transport).getConn"}, {"net/http.(*persistConn).roundTrip", "runtime.selectgo"},
	{"net/http.(*persistConn).readLoop", "bufio.(*Reader).Peek"}, {"net/http.(*persistConn).readLoop", "net/http.ReadResponse"},
	{"net/http.(*persistConn).writeLoop", "net/http.(*Request).write"}, {"net/http.(*persistConn).writeLoop", "bufio.(*Writer).Flush"},
	{"net/http.(*connReader).Read", "net.(*conn).Read"}, {"net/http.checkConnErrorWriter.Write", "net.(*conn).Write"},
	{"crypto/tls.(*Conn).Write", "crypto/tls.(*Conn).writeRecordLocked"}, {"crypto/tls.(*Conn).writeRecordLocked", "crypto/tls.(*halfConn).encrypt"},
	{"crypto/tls.(*halfConn).encrypt", "crypto/aes.(*gcmAsm).Seal"}, {"crypto/tls.(*Conn).writeRecordLocked", "crypto/tls.(*Conn).write"},
	{"crypto/tls.(*Conn).write", "net.(*conn).Write"}, {"crypto/tls.(*Conn).Read", "crypto/tls.(*Conn).readRecord"},
	{"crypto/tls.(*Conn).readRecord", "crypto/tls.(*Conn).readRecordOrCCS"}, {"crypto/tls.(*Conn).readRecordOrCCS", "crypto/tls.(*Conn).readFromUntil"},
	{"crypto/tls.(*Conn).readFromUntil", "bytes.(*Buffer).ReadFrom"}, {"bytes.(*Buffer).ReadFrom", "crypto/tls.atLeastReader.Read"},
	{"crypto/tls.atLeastReader.Read", "net.(*conn).Read"}, {"crypto/tls.(*Conn).readRecordOrCCS", "crypto/tls.(*halfConn).decrypt"},
	{"crypto/tls.(*halfConn).decrypt", "crypto/aes.(*gcmAsm).Open"}, {"crypto/tls.(*Conn).Handshake", "crypto/tls.(*Conn).HandshakeContext"},
	{"crypto/tls.(*Conn).HandshakeContext", "crypto/tls.(*Conn).handshakeContext"}, {"crypto/tls.(*Conn).handshakeContext", "crypto/tls.(*Conn).serverHandshake"},
	{"crypto/tls.(*Conn).serverHandshake", "crypto/tls.(*serverHandshakeStateTLS13).handshake"},
	{"compress/gzip.(*Writer).Write", "compress/flate.(*Writer).Write"}, {"compress/flate.(*Writer).Write", "compress/flate.(*compressor).write"},
	{"compress/flate.(*compressor).write", "compress/flate.(*compressor).deflate"}, {"compress/flate.(*compressor).deflate", "compress/flate.(*compressor).findMatch"},
	{"compress/flate.(*compressor).findMatch", "compress/flate.matchLen"}, {"compress/flate.(*compressor).deflate", "compress/flate.(*compressor).writeBlock"},
	{"compress/flate.(*compressor).writeBlock", "compress/flate.(*huffmanBitWriter).writeBlock"},
	{"compress/flate.(*huffmanBitWriter).writeBlock", "compress/flate.(*huffmanBitWriter).writeTokens"},
	{"compress/flate.(*huffmanBitWriter).writeBlock", "compress/flate.(*huffmanEncoder).generate"},
	{"compress/gzip.(*Reader).Read", "compress/flate.(*decompressor).Read"}, {"compress/flate.(*decompressor).Read", "compress/flate.(*decompressor).huffmanBlock"},
	{"compress/flate.(*decompressor).huffmanBlock", "compress/flate.(*decompressor).huffSym"},
	{"compress/flate.(*decompressor).huffmanBlock", "compress/flate.(*dictDecoder).writeCopy"},
	{"compress/gzip.(*Writer).Close", "compress/flate.(*Writer).Write"},
	{"context.WithCancel", "context.withCancel"}, {"context.withCancel", "context.(*cancelCtx).propagateCancel"},
	{"context.WithTimeout", "context.WithDeadline"}, {"context.WithDeadline", "context.WithDeadlineCause"},
	{"context.WithDeadlineCause", "context.(*cancelCtx).propagateCancel"}, {"context.(*valueCtx).Value", "context.value"},
	{"database/sql.(*DB).QueryContext", "database/sql.(*DB).query"}, {"database/sql.(*DB).query", "database/sql.(*DB).conn"},
	{"database/sql.(*DB).query", "database/sql.(*DB).queryDC"}, {"database/sql.(*DB).queryDC", "database/sql.ctxDriverQuery"},
	{"database/sql.(*Rows).Next", "database/sql.(*Rows).nextLocked"}, {"database/sql.(*Rows).Scan", "database/sql.convertAssignRows"},
	{"database/sql.(*DB).ExecContext", "database/sql.(*DB).exec"}, {"database/sql.(*DB).exec", "database/sql.(*DB).execDC"},
	{"database/sql.(*DB).exec", "database/sql.(*DB).conn"}, {"database/sql.(*Rows).close", "database/sql.(*DB).putConn"},
	{"database/sql.convertAssignRows", "reflect.Value.Interface"},

	{"google.golang.org/grpc.(*Server).serveStreams.func1.1", "google.golang.org/grpc.(*Server).handleStream"},
	{"google.golang.org/grpc.(*Server).handleStream", "google.golang.org/grpc.(*Server).processUnaryRPC"},
	{"google.golang.org/grpc.(*Server).handleStream", "google.golang.org/grpc.(*Server).processStreamingRPC"},
	{"google.golang.org/grpc.(*Server).processUnaryRPC", "google.golang.org/grpc.recvAndDecompress"},
	{"google.golang.org/grpc.(*Server).processUnaryRPC", "google.golang.org/grpc.(*Server).sendResponse"},
	{"google.golang.org/grpc.(*Server).processUnaryRPC", "google.golang.org/grpc.chainUnaryInterceptors.func1"},
	{"google.golang.org/grpc.chainUnaryInterceptors.func1", "google.golang.org/grpc.getChainUnaryHandler.func1"},
	{"google.golang.org/grpc.recvAndDecompress", "google.golang.org/grpc.recv"}, {"google.golang.org/grpc.recv", "google.golang.org/grpc.(*parser).recvMsg"},
	{"google.golang.org/grpc.(*Server).sendResponse", "google.golang.org/grpc.encode"},
	{"google.golang.org/grpc.encode", "google.golang.org/protobuf/internal/impl.(*MessageInfo).marshal"},
	{"google.golang.org/protobuf/internal/impl.(*MessageInfo).marshal", "google.golang.org/protobuf/internal/impl.(*MessageInfo).marshalAppendPointer"},
	{"google.golang.org/protobuf/internal/impl.(*MessageInfo).marshalAppendPointer", "google.golang.org/protobuf/internal/impl.appendMessageSliceInfo"},
	{"google.golang.org/protobuf/internal/impl.appendMessageSliceInfo", "google.golang.org/protobuf/internal/impl.(*MessageInfo).marshalAppendPointer"},
	{"google.golang.org/protobuf/internal/impl.(*MessageInfo).marshalAppendPointer", "google.golang.org/protobuf/internal/impl.appendStringValidateUTF8"},
	{"google.golang.org/protobuf/internal/impl.(*MessageInfo).unmarshal", "google.golang.org/protobuf/internal/impl.(*MessageInfo).unmarshalPointer"},
	{"google.golang.org/protobuf/internal/impl.(*MessageInfo).unmarshalPointer", "google.golang.org/protobuf/internal/impl.consumeMessageSliceInfo"},
	{"google.golang.org/protobuf/internal/impl.consumeMessageSliceInfo", "google.golang.org/protobuf/internal/impl.(*MessageInfo).unmarshalPointer"},
	{"google.golang.org/protobuf/internal/impl.(*MessageInfo).unmarshalPointer", "google.golang.org/protobuf/internal/impl.consumeStringValidateUTF8"},
	{"google.golang.org/grpc.(*ClientConn).Invoke", "google.golang.org/grpc.invoke"}, {"google.golang.org/grpc.invoke", "google.golang.org/grpc.newClientStream"},
	{"google.golang.org/grpc.invoke", "google.golang.org/grpc.(*clientStream).SendMsg"}, {"google.golang.org/grpc.invoke", "google.golang.org/grpc.(*clientStream).RecvMsg"},
	{"google.golang.org/grpc.(*clientStream).SendMsg", "google.golang.org/grpc.(*csAttempt).sendMsg"},
	{"google.golang.org/grpc.(*clientStream).RecvMsg", "google.golang.org/grpc.(*csAttempt).recvMsg"},
	{"google.golang.org/grpc.(*csAttempt).recvMsg", "google.golang.org/grpc.recvAndDecompress"},
	{"github.com/jackc/pgx/v5/pgconn.(*PgConn).ExecParams", "github.com/jackc/pgx/v5/pgconn.(*PgConn).execExtendedPrefix"},
	{"github.com/jackc/pgx/v5/pgconn.(*PgConn).ExecParams", "github.com/jackc/pgx/v5/pgconn.(*PgConn).flushWithPotentialWriteReadDeadlock"},
	{"github.com/jackc/pgx/v5/pgconn.(*PgConn).flushWithPotentialWriteReadDeadlock", "net.(*conn).Write"},
	{"github.com/jackc/pgx/v5/pgconn.(*ResultReader).NextRow", "github.com/jackc/pgx/v5/pgconn.(*PgConn).receiveMessage"},
	{"github.com/jackc/pgx/v5/pgconn.(*PgConn).receiveMessage", "github.com/jackc/pgx/v5/pgconn.(*PgConn).peekMessage"},
	{"github.com/jackc/pgx/v5/pgconn.(*PgConn).peekMessage", "bufio.(*Reader).fill"},
	{"go.uber.org/zap/zapcore.(*CheckedEntry).Write", "go.uber.org/zap/zapcore.(*ioCore).Write"},
	{"go.uber.org/zap/zapcore.(*ioCore).Write", "go.uber.org/zap/zapcore.(*jsonEncoder).EncodeEntry"},
	{"go.uber.org/zap/zapcore.(*ioCore).Write", "go.uber.org/zap/zapcore.(*lockedWriteSyncer).Write"},
	{"go.uber.org/zap/zapcore.(*lockedWriteSyncer).Write", "internal/poll.(*FD).Write"},
	{"go.uber.org/zap/zapcore.(*jsonEncoder).EncodeEntry", "go.uber.org/zap/zapcore.Field.AddTo"},
	{"go.uber.org/zap/zapcore.Field.AddTo", "go.uber.org/zap/zapcore.(*jsonEncoder).AddString"},
	{"go.uber.org/zap/zapcore.(*jsonEncoder).AddString", "go.uber.org/zap/zapcore.(*jsonEncoder).safeAddString"},
	{"github.com/redis/go-redis/v9.cmdable.Get", "github.com/redis/go-redis/v9.(*Client).Process"},
	{"github.com/redis/go-redis/v9.(*Client).Process", "github.com/redis/go-redis/v9.(*baseClient).process"},
	{"github.com/redis/go-redis/v9.(*baseClient).process", "github.com/redis/go-redis/v9.(*baseClient)._process"},
	{"github.com/redis/go-redis/v9.(*baseClient)._process", "github.com/redis/go-redis/v9.(*baseClient).withConn"},
	{"github.com/redis/go-redis/v9.(*baseClient).withConn", "github.com/redis/go-redis/v9.writeCmd"},
	{"github.com/redis/go-redis/v9.(*baseClient).withConn", "github.com/redis/go-redis/v9.(*StringCmd).readReply"},
	{"github.com/go-chi/chi/v5.(*Mux).ServeHTTP", "github.com/go-chi/chi/v5.(*Mux).routeHTTP"},
	{"github.com/go-chi/chi/v5.(*Mux).routeHTTP", "github.com/go-chi/chi/v5.(*node).FindRoute"},
	{"github.com/go-chi/chi/v5.(*node).FindRoute", "github.com/go-chi/chi/v5.(*node).findRoute"},
	{"github.com/go-chi/chi/v5.(*node).findRoute", "github.com/go-chi/chi/v5.(*node).findRoute"},
	{"github.com/json-iterator/go.(*frozenConfig).Unmarshal", "github.com/json-iterator/go.(*generalStructDecoder).Decode"},
	{"github.com/json-iterator/go.(*generalStructDecoder).Decode", "github.com/json-iterator/go.(*Iterator).ReadString"},
	{"github.com/json-iterator/go.(*Iterator).ReadString", "github.com/json-iterator/go.(*Iterator).readStringSlowPath"},
	{"github.com/json-iterator/go.(*generalStructDecoder).Decode", "github.com/json-iterator/go.(*sliceDecoder).doDecode"},
	{"github.com/json-iterator/go.(*sliceDecoder).doDecode", "github.com/json-iterator/go.(*generalStructDecoder).Decode"},
	{"github.com/json-iterator/go.(*generalStructDecoder).Decode", "github.com/json-iterator/go.(*Iterator).Skip"},
	{"github.com/json-iterator/go.(*Iterator).Skip", "github.com/json-iterator/go.(*Iterator).skipObject"},
}

var hubNames = []string{"net/http.HandlerFunc.ServeHTTP", "google.golang.org/grpc.getChainUnaryHandler.func1",
	"golang.org/x/sync/errgroup.(*Group).Go.func1", "runtime.main"}

// Entry chains, from a root frame. The walk continues from the last frame.
var entryChains = []struct {
	w     float64
	chain []string
}{
	{40, []string{"runtime.goexit", "net/http.(*conn).serve", "net/http.serverHandler.ServeHTTP", "github.com/go-chi/chi/v5.(*Mux).ServeHTTP", "github.com/go-chi/chi/v5.(*Mux).routeHTTP", "net/http.HandlerFunc.ServeHTTP"}},
	{6, []string{"runtime.goexit", "net/http.(*conn).serve"}},
	{20, []string{"runtime.goexit", "google.golang.org/grpc.(*Server).serveStreams.func1.1", "google.golang.org/grpc.(*Server).handleStream", "google.golang.org/grpc.(*Server).processUnaryRPC", "google.golang.org/grpc.chainUnaryInterceptors.func1", "google.golang.org/grpc.getChainUnaryHandler.func1"}},
	{3, []string{"runtime.goexit", "google.golang.org/grpc.(*Server).serveStreams.func1.1", "google.golang.org/grpc.(*Server).handleStream"}},
	{8, []string{"runtime.goexit", "golang.org/x/sync/errgroup.(*Group).Go.func1"}},
	{7, []string{"runtime.goexit", "runtime.gcBgMarkWorker"}},
	{4, []string{"runtime.mcall", "runtime.park_m", "runtime.schedule"}},
	{1.5, []string{"runtime.goexit", "net/http.(*persistConn).readLoop"}},
	{1, []string{"runtime.goexit", "net/http.(*persistConn).writeLoop"}},
	{1, []string{"runtime.goexit", "runtime.bgsweep"}},
	{0.5, []string{"runtime.goexit", "runtime.bgscavenge"}},
	{1, []string{"runtime.morestack", "runtime.newstack"}},
	{1, []string{"runtime.mstart", "runtime.mstart0", "runtime.mstart1", "runtime.sysmon"}},
	{0.6, []string{"runtime._System"}},
	{0.3, []string{"runtime._ExternalCode", "runtime._System"}},
	{0.3, []string{"runtime._GC"}},
	{0.4, []string{"runtime.goexit", "runtime.main"}},
}

func (g *gen) makeGraph() {
	// Groups, per layer, in popularity order.
	g.grpOf = make([]*group, len(g.fns))
	g.posIn = make([]int, len(g.fns))
	addGroup := func(ids []int32, layer int, svc int) {
		if len(ids) == 0 {
			return
		}
		gr := &group{funcs: ids}
		for i, id := range ids {
			g.grpOf[id] = gr
			g.posIn[id] = i
		}
		g.layers[layer] = append(g.layers[layer], gr)
		if svc >= 0 {
			sl := g.svcLay[svc]
			if sl == nil {
				sl = &[nLayers][]*group{}
				g.svcLay[svc] = sl
			}
			sl[layer] = append(sl[layer], gr)
		}
	}
	isRoot := map[int32]bool{}
	for _, n := range runtimeRoots {
		isRoot[g.id(n)] = true
	}
	// Entry chains and the hubs that fan out to handlers are reached only
	// from their roots: as random callees they would make stacks wander
	// back up into the server loop.
	for _, c := range entryChains {
		for _, n := range c.chain {
			if id, ok := g.byName[n]; ok {
				g.fns[id].hub = true
			}
		}
	}
	for _, n := range hubNames {
		g.fns[g.id(n)].hub = true
	}
	var rl, rm []int32
	for _, id := range g.pkgs[0].funcs {
		if isRoot[id] || g.fns[id].hub {
			continue
		}
		if g.fns[id].layer == lRuntimeLeaf {
			rl = append(rl, id)
		} else {
			rm = append(rm, id)
		}
	}
	addGroup(rl, lRuntimeLeaf, -1)
	addGroup(rm, lRuntime, -1)
	for _, k := range g.pkgs[1:] {
		var ids []int32
		for _, id := range k.funcs {
			if !g.fns[id].hub {
				ids = append(ids, id)
			}
		}
		addGroup(ids, k.layer, k.svc)
	}
	// The first groups of each layer are the most popular; keep the seeded
	// order of std and third-party packages but shuffle the services'.
	for l := lSvcLow; l <= lSvcTop; l++ {
		gs := g.layers[l]
		g.rng.Shuffle(len(gs), func(i, j int) { gs[i], gs[j] = gs[j], gs[i] })
	}

	// Per-function behaviour.
	for _, f := range g.fns {
		base := map[int]float64{lRuntimeLeaf: 0.85, lRuntime: 0.2, lStdLow: 0.05, lStdHigh: 0.03,
			lThird: 0.025, lSvcLow: 0.02, lSvcMid: 0.015, lSvcTop: 0.01}[f.layer]
		f.selfP = math.Min(0.95, base*(0.3+1.4*g.rng.Float64()))
	}
	for _, n := range runtimeRoots {
		g.fns[g.id(n)].selfP = 0.01
	}
	for _, c := range entryChains {
		for _, n := range c.chain[:len(c.chain)-1] {
			if id, ok := g.byName[n]; ok {
				g.fns[id].selfP = 0.005
			}
		}
	}
	for _, n := range []string{"net/http.HandlerFunc.ServeHTTP", "google.golang.org/grpc.getChainUnaryHandler.func1",
		"golang.org/x/sync/errgroup.(*Group).Go.func1"} {
		g.fns[g.id(n)].selfP = 0.005
	}
	for _, n := range []string{"runtime._System", "runtime._ExternalCode", "runtime._GC"} {
		g.fns[g.id(n)].selfP = 1
	}

	// Fixed skeleton edges, hot.
	for _, e := range fixedEdges {
		from, ok1 := g.byName[e[0]]
		to, ok2 := g.byName[e[1]]
		if ok1 && ok2 { // mid-size profiles lack some packages
			g.addEdge(from, to, 2.0, false)
		}
	}
	for _, c := range entryChains {
		for i := 0; i+1 < len(c.chain); i++ {
			from, ok1 := g.byName[c.chain[i]]
			to, ok2 := g.byName[c.chain[i+1]]
			if ok1 && ok2 {
				g.addEdge(from, to, 1.0, false)
			}
		}
	}

	// Random edges, layered.
	for id32 := range g.fns {
		id := int32(id32)
		f := g.fns[id]
		if isRoot[id] || g.grpOf[id] == nil {
			continue
		}
		var k int
		switch f.layer {
		case lRuntimeLeaf:
			if g.rng.Float64() < 0.7 {
				continue
			}
			k = 1 + g.rng.Intn(2)
		case lRuntime:
			k = 1 + g.rng.Intn(4)
		default:
			k = 2 + int(g.rng.ExpFloat64()*2.5)
			if k > 10 {
				k = 10
			}
		}
		for j := 0; j < k; j++ {
			to := g.randomCallee(id)
			if to < 0 || to == id {
				continue
			}
			w := 1 / math.Pow(float64(len(f.callees)+1), 3)
			inline := g.fns[to].small && g.rng.Float64() < 0.35
			g.addEdge(id, to, w, inline)
		}
		// Only the runtime's leaves may be leaves: a popular function with
		// nothing below it would collect an unrealistic share of self time.
		for try := 0; len(f.callees) == 0 && f.layer > lRuntimeLeaf && try < 20; try++ {
			if to := g.randomCallee(id); to >= 0 && to != id {
				g.addEdge(id, to, 1, false)
			}
		}
		// Recursion: a few functions call themselves, or an earlier sibling.
		if f.layer >= lStdLow && g.rng.Float64() < 0.015 {
			g.addEdge(id, id, 0.6, false)
		} else if f.layer >= lStdLow && g.posIn[id] > 0 && g.rng.Float64() < 0.008 {
			gr := g.grpOf[id]
			g.addEdge(id, gr.funcs[g.rng.Intn(g.posIn[id])], 0.5, false)
		}
	}

	// Entry fan-out: handlers, middleware, workers.
	serveHTTP := g.id("net/http.HandlerFunc.ServeHTTP")
	unary := g.id("google.golang.org/grpc.getChainUnaryHandler.func1")
	errgrp := g.id("golang.org/x/sync/errgroup.(*Group).Go.func1")
	mainMain := g.id("runtime.main")
	var handlers, rpcs, workers, mws []int32
	for id, f := range g.fns {
		switch f.role {
		case roleHTTP:
			handlers = append(handlers, int32(id))
		case roleRPC:
			rpcs = append(rpcs, int32(id))
		case roleWorker:
			workers = append(workers, int32(id))
		case roleMiddleware:
			mws = append(mws, int32(id))
		}
	}
	fanout := func(from int32, tos []int32, total float64) {
		tos = append([]int32{}, tos...)
		g.rng.Shuffle(len(tos), func(i, j int) { tos[i], tos[j] = tos[j], tos[i] })
		var z float64
		for i := range tos {
			z += 1 / math.Pow(float64(i+1), 1.1)
		}
		for i, t := range tos {
			g.addEdge(from, t, total/z/math.Pow(float64(i+1), 1.1), false)
		}
	}
	fanout(serveHTTP, handlers, 20)
	fanout(serveHTTP, mws, 8)
	for _, m := range mws {
		g.addEdge(m, serveHTTP, 6, false)
	}
	fanout(unary, rpcs, 20)
	fanout(errgrp, workers, 10)
	for _, id := range g.layers[lSvcTop][0].funcs[:1] {
		g.addEdge(mainMain, id, 1, false)
	}

	// Every function needs a caller, so that some stack can reach it.
	for id32 := range g.fns {
		id := int32(id32)
		f := g.fns[id]
		if isRoot[id] || len(f.callers) > 0 {
			continue
		}
		var from int32 = -1
		switch f.role {
		case roleHTTP, roleMiddleware:
			from = serveHTTP
		case roleRPC:
			from = unary
		case roleWorker:
			from = errgrp
		default:
			if g.posIn[id] > 0 && g.rng.Float64() < 0.5 {
				gr := g.grpOf[id]
				from = gr.funcs[g.rng.Intn(g.posIn[id])]
			} else {
				from = g.randomCaller(id)
			}
		}
		g.addEdge(from, id, 0.05, g.fns[id].small && g.rng.Float64() < 0.2)
	}
	for _, f := range g.fns {
		f.cum = make([]float64, len(f.callees))
		s := 0.0
		for i, e := range f.callees {
			s += e.w
			f.cum[i] = s
		}
	}
	for _, c := range entryChains {
		var ch []int32
		ok := true
		for _, n := range c.chain {
			id, found := g.byName[n]
			if !found {
				ok = false
				break
			}
			ch = append(ch, id)
		}
		if ok {
			g.entries = append(g.entries, entry{chain: ch, w: c.w})
		}
	}
	s := 0.0
	for _, e := range g.entries {
		s += e.w
		g.entCum = append(g.entCum, s)
	}
}

func (g *gen) pickGroup(gs []*group) *group {
	if len(gs) == 0 {
		return nil
	}
	return gs[g.zipf(len(gs))]
}

// randomCallee picks a callee for id: a later function of its own package,
// the layer below (same service, mostly), or any lower layer.
func (g *gen) randomCallee(id int32) int32 {
	f := g.fns[id]
	gr := g.grpOf[id]
	r := g.rng.Float64()
	pos := g.posIn[id]
	same := 0.6
	if f.layer >= lThird {
		same = 0.7
	}
	if r < same && pos+1 < len(gr.funcs) {
		off := 1 + int(g.rng.ExpFloat64()*6)
		if pos+off >= len(gr.funcs) {
			off = 1 + g.rng.Intn(len(gr.funcs)-pos-1)
		}
		return gr.funcs[pos+off]
	}
	if f.layer == lRuntimeLeaf {
		return -1
	}
	if r < same+0.15 && f.layer >= lStdLow {
		// Another package of the same layer, later in the layer's order
		// (so that these calls never loop).
		gs := g.layers[f.layer]
		if sv := g.pkgs[f.pkg].svc; sv >= 0 {
			gs = g.svcLay[sv][f.layer]
		}
		for i, og := range gs {
			if og == gr && i+1 < len(gs) {
				to := gs[i+1+g.rng.Intn(len(gs)-i-1)]
				return to.funcs[g.zipf(len(to.funcs))]
			}
		}
	}
	target := f.layer - 1
	if r > 0.96 && f.layer >= 2 {
		// Lower layers, the runtime (allocation!) most often.
		target = []int{lRuntime, lRuntime, lRuntime, lRuntimeLeaf, lStdLow, lStdLow, lStdHigh, lThird}[g.rng.Intn(8)]
		if target >= f.layer {
			target = lRuntime
		}
	}
	var gs []*group
	if sv := g.pkgs[f.pkg].svc; sv >= 0 && target >= lSvcLow && g.rng.Float64() < 0.85 {
		gs = g.svcLay[sv][target]
	}
	if len(gs) == 0 {
		gs = g.layers[target]
	}
	for len(gs) == 0 && target > 0 {
		target--
		gs = g.layers[target]
	}
	to := g.pickGroup(gs)
	if to == nil {
		return -1
	}
	return to.funcs[g.zipf(len(to.funcs))]
}

// randomCaller picks a function in a higher layer (same service when it can).
func (g *gen) randomCaller(id int32) int32 {
	f := g.fns[id]
	for l := f.layer + 1; l < nLayers; l++ {
		var gs []*group
		if sv := g.pkgs[f.pkg].svc; sv >= 0 && l >= lSvcLow {
			gs = g.svcLay[sv][l]
		}
		if len(gs) == 0 {
			gs = g.layers[l]
		}
		if len(gs) > 0 {
			gr := gs[g.rng.Intn(len(gs))]
			return gr.funcs[g.rng.Intn(len(gr.funcs))]
		}
	}
	return g.id("runtime.main")
}

// --------------------------------------------------------------- samples

type frame struct {
	fn   int32
	line int64
	pc   int // 1+ which of the function's sampled instructions, for leaves
}

func (g *gen) callLine(from, to int32) int64 {
	f := g.fns[from]
	h := uint64(from)*0x9E3779B97F4A7C15 ^ uint64(to)*0xC2B2AE3D27D4EB4F
	h ^= h >> 29
	return f.start + 1 + int64(h%uint64(f.length))
}

// walk makes one stack, root first. Most walks start from a part of an
// earlier stack (early ones are favoured), so that hot paths repeat and
// stacks share long prefixes, as they do in real services.
func (g *gen) walk() []int32 {
	var st []int32
	if n := len(g.trunks); n > 100 && g.rng.Float64() < 0.8 {
		u := g.rng.Float64()
		t := g.trunks[int(float64(n)*u*u)]
		keep := int(math.Ceil(float64(len(t)) * (0.5 + 0.5*g.rng.Float64())))
		st = append(st, t[:keep]...)
	} else {
		e := g.entries[sort.SearchFloat64s(g.entCum, g.rng.Float64()*g.entCum[len(g.entCum)-1])]
		st = append(st, e.chain...)
	}
	defer func() {
		if len(g.trunks) < g.p.trunks && g.rng.Float64() < 0.3 {
			g.trunks = append(g.trunks, st)
		}
	}()
	// Below a library function, often reuse one of the few subtrees
	// already seen there: mallocgc looks the same under every caller.
	start := len(st) - 1
	fresh := len(st)
	for len(st) < walkLimit {
		id := st[len(st)-1]
		f := g.fns[id]
		if c := g.sub[id]; len(c) > 0 && f.layer <= lThird && !f.hub && g.rng.Float64() < 0.6 {
			s := c[g.rng.Intn(len(c))]
			if room := walkLimit - len(st); len(s) > room {
				s = s[:room]
			}
			st = append(st, s...)
			break
		}
		if len(f.callees) == 0 || g.rng.Float64() < f.selfP {
			break
		}
		i := sort.SearchFloat64s(f.cum, g.rng.Float64()*f.cum[len(f.cum)-1])
		if i >= len(f.callees) {
			i = len(f.callees) - 1
		}
		st = append(st, f.callees[i].to)
		fresh = len(st)
	}
	for i := start; i < fresh; i++ {
		// Stopping (self time) stays a fresh decision each time.
		if f := g.fns[st[i]]; f.layer <= lThird && !f.hub && len(g.sub[st[i]]) < maxSubtrees && i+1 < len(st) {
			id := st[i]
			g.sub[id] = append(g.sub[id], append([]int32{}, st[i+1:]...))
		}
	}
	// Like the Go runtime, keep the leaf end of deep stacks.
	if len(st) > maxDepth {
		st = st[len(st)-maxDepth:]
	}
	return st
}

// pathTo makes a stack that ends in id, by walking callers up to a root.
func (g *gen) pathTo(id int32) []int32 {
	rev := []int32{id}
	seen := map[int32]bool{id: true}
	cur := id
	for len(rev) < 200 {
		cs := g.fns[cur].callers
		if len(cs) == 0 {
			break
		}
		var next int32 = -1
		for try := 0; try < 8; try++ {
			c := cs[g.rng.Intn(len(cs))]
			if !seen[c] {
				next = c
				break
			}
		}
		if next < 0 {
			break
		}
		seen[next] = true
		rev = append(rev, next)
		cur = next
	}
	st := make([]int32, len(rev))
	for i := range rev {
		st[i] = rev[len(rev)-1-i]
	}
	// Go keeps the leaf end of deep stacks.
	if len(st) > maxDepth {
		st = st[len(st)-maxDepth:]
	}
	return st
}

type labels struct {
	endpoint   int
	root, span uint64
	queue      int
}

func (g *gen) labelsFor(st []int32) labels {
	lb := labels{endpoint: -1, queue: -1}
	for _, id := range st {
		f := g.fns[id]
		if f.endpoint >= 0 {
			lb.endpoint = f.endpoint
			// A request: one of ~400 in flight per endpoint during the
			// profile, each with a few spans.
			req := uint64(g.rng.Intn(400))
			lb.root = (uint64(lb.endpoint+1)*0x9E3779B97F4A7C15 + req*0xBF58476D1CE4E5B9) >> 1
			lb.span = lb.root + uint64(g.rng.Intn(4))*0x1F1F1F1F
			return lb
		}
		if f.role == roleWorker {
			lb.queue = int(id) % len(workerQueues)
			return lb
		}
	}
	return lb
}

func (g *gen) makeProfile() *profile.Profile {
	p := g.p
	prof := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     periodNS,
		TimeNanos:  1717243200000000000, // 2024-06-01T12:00:00Z
	}
	main := &profile.Mapping{ID: 1, Start: 0x400000, Offset: 0, File: "/usr/local/bin/acme-platform",
		BuildID: "4f1e2d3c5b6a79880a1b2c3d4e5f60718293a4b5", HasFunctions: true, HasFilenames: true,
		HasLineNumbers: true, HasInlineFrames: true}
	prof.Mapping = []*profile.Mapping{main,
		{ID: 2, Start: 0x7f3a1c000000, Limit: 0x7f3a1c1d5000, Offset: 0x28000, File: "/usr/lib/x86_64-linux-gnu/libc.so.6", BuildID: "c289da5071a3399de893d2af81d6a30c62646e1e"},
		{ID: 3, Start: 0x7f3a1c400000, Limit: 0x7f3a1c42a000, Offset: 0x1000, File: "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", BuildID: "2a8e8c4f8b2a8f0e9d5bd1e9e1e4c9aa3d0e6c2b"},
		{ID: 4, Start: 0x7ffd8a7f2000, Limit: 0x7ffd8a7f4000, File: "[vdso]"},
	}
	for i, f := range g.fns {
		prof.Function = append(prof.Function, &profile.Function{ID: uint64(i + 1), Name: f.name,
			SystemName: f.name, Filename: f.file, StartLine: f.start})
	}

	locByKey := map[string]*profile.Location{}
	var key []byte
	locate := func(lines []frame) *profile.Location {
		key = key[:0]
		for _, l := range lines {
			key = strconv.AppendInt(key, int64(l.fn), 36)
			key = append(key, ':')
			key = strconv.AppendInt(key, l.line, 36)
			key = append(key, ':')
			key = strconv.AppendInt(key, int64(l.pc), 36)
			key = append(key, ';')
		}
		if l, ok := locByKey[string(key)]; ok {
			return l
		}
		loc := &profile.Location{ID: uint64(len(prof.Location) + 1), Mapping: main}
		for _, l := range lines {
			loc.Line = append(loc.Line, profile.Line{Function: prof.Function[l.fn], Line: l.line})
		}
		prof.Location = append(prof.Location, loc)
		locByKey[string(key)] = loc
		return loc
	}

	byKey := map[string]*profile.Sample{}
	covered := make([]bool, len(g.fns))
	var skey []byte
	emit := func(st []int32) {
		for _, id := range st {
			covered[id] = true
		}
		leaf := g.fns[st[len(st)-1]]
		fr := make([]frame, len(st))
		for i, id := range st {
			if i+1 < len(st) {
				fr[i] = frame{id, g.callLine(id, st[i+1]), 0}
			} else {
				// Time is spent at many instructions of a leaf (each a
				// location of its own), on a few lines.
				pc := g.rng.Intn(leaf.selfPCs)
				fr[i] = frame{id, leaf.selfLines[pc%len(leaf.selfLines)], pc + 1}
			}
		}
		var locs []*profile.Location
		for i := len(fr) - 1; i >= 0; {
			grp := []frame{fr[i]}
			j := i
			for j >= 1 && len(grp) < maxInline && g.inlined[uint64(fr[j-1].fn)<<32|uint64(uint32(fr[j].fn))] {
				grp = append(grp, fr[j-1])
				j--
			}
			locs = append(locs, locate(grp))
			i = j - 1
		}
		lb := g.labelsFor(st)
		skey = skey[:0]
		for _, l := range locs {
			skey = strconv.AppendUint(skey, l.ID, 36)
			skey = append(skey, ',')
		}
		skey = append(skey, '|')
		skey = strconv.AppendInt(skey, int64(lb.endpoint), 10)
		skey = append(skey, '|')
		skey = strconv.AppendUint(skey, lb.span, 36)
		skey = append(skey, '|')
		skey = strconv.AppendInt(skey, int64(lb.queue), 10)
		n := int64(1)
		if r := g.rng.Float64(); r > 0.85 {
			n = 2
			if r > 0.95 {
				n = 3 + int64(g.rng.ExpFloat64()*2)
			}
		}
		if s, ok := byKey[string(skey)]; ok {
			s.Value[0] += n
			s.Value[1] += n * periodNS
			return
		}
		s := &profile.Sample{Location: locs, Value: []int64{n, n * periodNS}}
		if lb.endpoint >= 0 {
			s.Label = map[string][]string{
				"endpoint":           {g.endpoints[lb.endpoint]},
				"local_root_span_id": {strconv.FormatUint(lb.root, 10)},
				"span_id":            {strconv.FormatUint(lb.span, 10)},
			}
		} else if lb.queue >= 0 {
			s.Label = map[string][]string{"queue": {workerQueues[lb.queue]}}
		}
		byKey[string(skey)] = s
		prof.Sample = append(prof.Sample, s)
	}

	for len(prof.Sample) < p.samples*85/100 {
		emit(g.walk())
	}
	for id := range g.fns {
		if !covered[id] {
			emit(g.pathTo(int32(id)))
		}
	}
	for len(prof.Sample) < p.samples {
		emit(g.walk())
	}

	// Addresses: each function gets a range of the text segment, in
	// function order; locations get addresses inside their (outermost)
	// function's range.
	perFn := make([][]*profile.Location, len(g.fns))
	for _, l := range prof.Location {
		outer := l.Line[len(l.Line)-1].Function.ID - 1
		perFn[outer] = append(perFn[outer], l)
	}
	addr := uint64(0x401000)
	for i := range g.fns {
		for j, l := range perFn[i] {
			l.Address = addr + 4 + uint64(j)*12
		}
		addr += uint64(len(perFn[i]))*12 + 64 + uint64(g.rng.Intn(8))*16
		addr = (addr + 31) &^ 31
	}
	main.Limit = (addr + 0xfff) &^ 0xfff

	var total int64
	for _, s := range prof.Sample {
		total += s.Value[1]
	}
	// About six busy cores over the profile's duration.
	prof.DurationNanos = (total/6/1e10 + 1) * 1e10
	return prof
}

// ----------------------------------------------------------------- stats

// stripLabels writes in without sample labels (samples that then share a
// stack are merged), to compare with go tool pprof on equal terms: pprof
// spends most of its -top time formatting labels when samples carry them.
func stripLabels(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	prof, err := profile.Parse(f)
	f.Close()
	if err != nil {
		return err
	}
	for _, s := range prof.Sample {
		s.Label, s.NumLabel, s.NumUnit = nil, nil, nil
	}
	prof = prof.Compact()
	w, err := os.Create(out + ".tmp")
	if err != nil {
		return err
	}
	err = prof.Write(w)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(out+".tmp", out)
}

func printStats(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	prof, err := profile.Parse(f)
	if err != nil {
		return err
	}
	pk := map[string]bool{}
	for _, fn := range prof.Function {
		n := fn.Name
		slash := strings.LastIndex(n, "/")
		if dot := strings.Index(n[slash+1:], "."); dot >= 0 {
			n = n[:slash+1+dot]
		}
		pk[n] = true
	}
	stacks := map[string]bool{}
	type edgeKey struct {
		parent int
		loc    uint64
	}
	prefixes := map[edgeKey]int{}
	maxd, sumd := 0, 0
	var total []int64 = make([]int64, len(prof.SampleType))
	var key []byte
	for _, s := range prof.Sample {
		d := 0
		key = key[:0]
		for _, l := range s.Location {
			d += len(l.Line)
			key = strconv.AppendUint(key, l.ID, 36)
			key = append(key, ',')
		}
		stacks[string(key)] = true
		node := 0
		for i := len(s.Location) - 1; i >= 0; i-- {
			k := edgeKey{node, s.Location[i].ID}
			id, ok := prefixes[k]
			if !ok {
				id = len(prefixes) + 1
				prefixes[k] = id
			}
			node = id
		}
		sumd += d
		if d > maxd {
			maxd = d
		}
		for i, v := range s.Value {
			total[i] += v
		}
	}
	nl := map[int]int{}
	for _, l := range prof.Location {
		nl[len(l.Line)]++
	}
	fmt.Printf("samples %d, distinct stacks %d, locations %d (by lines: 1:%d 2:%d 3:%d), functions %d, packages %d, mappings %d\n",
		len(prof.Sample), len(stacks), len(prof.Location), nl[1], nl[2], nl[3], len(prof.Function), len(pk), len(prof.Mapping))
	fmt.Printf("frames per stack: max %d, mean %.1f; distinct stack prefixes (call tree nodes by location) %d\n",
		maxd, float64(sumd)/math.Max(1, float64(len(prof.Sample))), len(prefixes))
	for i, st := range prof.SampleType {
		fmt.Printf("total %s/%s = %d\n", st.Type, st.Unit, total[i])
	}
	keys := map[string]map[string]bool{}
	for _, s := range prof.Sample {
		for k, vs := range s.Label {
			if keys[k] == nil {
				keys[k] = map[string]bool{}
			}
			for _, v := range vs {
				keys[k][v] = true
			}
		}
	}
	var ks []string
	for k := range keys {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		fmt.Printf("label %s: %d values\n", k, len(keys[k]))
	}
	return nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func imax(a, b int) int {
	if a > b {
		return a
	}
	return b
}
