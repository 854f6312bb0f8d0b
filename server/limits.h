/*
 * limits.h: every limit flamedex enforces, in one place.
 *
 * Anything a client controls (body size, inflated size, counts, depths,
 * regex lengths, query sizes) is capped by one of these before it is used.
 * The ones marked "default" can be changed at run time (flags/environment,
 * see config.c); the rest are compile-time guards.
 */
#ifndef FDX_LIMITS_H
#define FDX_LIMITS_H

/* default: largest request body accepted. 64 MiB holds the largest real
 * profiles we have seen (~3 MiB gzipped) twenty times over. */
#define FDX_DEFAULT_MAX_BODY        (64u * 1024 * 1024)
/* default: largest inflated profile. Zip bombs stop here, not in RAM.
 * The largest real profile we have inflates to 14 MiB; 128 MiB is nine
 * times that, and bounds what one hostile upload can make us hold. */
#define FDX_DEFAULT_MAX_INFLATED    (128u * 1024 * 1024)
/* default: the memory account (budget.h): bytes all requests together
 * may hold: bodies, inflated profiles, decoded profiles not in the cache,
 * view arrays, JSON being written and replies being sent. Beyond it an
 * upload gets 429 busy, any other request 503 busy with Retry-After. The
 * server's peak is about this plus --cache-bytes plus a baseline. */
#define FDX_DEFAULT_MAX_INFLIGHT    (2048u * 1024 * 1024)
/* Allocations from this size up are mmap'd by malloc and unmapped at
 * free (main.c sets it; glibc would otherwise raise it as big blocks are
 * freed and keep them in its arenas): measured with six concurrent
 * flamegraph?hide= views against a 256 MiB account, the peak RSS went from
 * 391 MB to 221 MB (docs/BENCHMARKS.md). */
#define FDX_MMAP_THRESHOLD          (128 * 1024)
/* default: bytes of decoded profiles kept in the in-memory cache, their
 * name trees included. */
#define FDX_DEFAULT_CACHE_BYTES     (512u * 1024 * 1024)
/* default: bytes kept in a file beside the database (db.h) for a DELETE
 * to use when the disk is full: a delete writes a few pages to the WAL,
 * and giving the space back moves 1 MiB of pages at a time; 8 MiB covers
 * both several times over. */
#define FDX_DEFAULT_DISK_RESERVE    (8u * 1024 * 1024)
/* --answers-min-nodes: the page's first views are kept in the database
 * (answers.h) only for profiles of at least this many stack trie nodes.
 * A view costs about a microsecond a node cold (decode and build), so a
 * smaller profile's first view after a restart takes milliseconds and its
 * two rows (~16 KiB gzipped for a few thousand nodes) would cost more
 * than they save (docs/BENCHMARKS.md, "Series storage"). */
#define FDX_DEFAULT_ANSWERS_MIN_NODES 20000

/* ---- connections (server/conn.c, server/http.c) ----
 * A connection costs an fd and, once libmicrohttpd serves it, about 32 KiB;
 * no thread. What a client may hold is bounded in count (total and per
 * address) and in time (each phase has a deadline or a minimum rate). */
/* default: simultaneous connections, counting those still sending their
 * headers. 1024 leaves room for a few hundred idle or slow sockets (the
 * deadlines below clear them) while real clients are served; the fd limit
 * is raised to fit at start (main.c). */
#define FDX_DEFAULT_MAX_CONNS       1024
/* default: connections from one client address (0: no limit). One
 * address cannot take more than this share of --max-conns. Behind a
 * reverse proxy every connection comes from the proxy, one per request
 * in flight: 64 is far more than a team's browsers need at once. */
#define FDX_DEFAULT_MAX_CONNS_PER_IP 64
/* default: seconds from accept to a complete request line and headers (a
 * total, not an idle time: a client dripping one byte at a time is cut
 * here). Real clients send their headers in one packet. */
#define FDX_DEFAULT_HEADER_TIMEOUT_S 10
/* default: seconds a kept-alive connection (TLS only: plaintext ones
 * close after each reply) may wait for the next request's headers. */
#define FDX_DEFAULT_KEEPALIVE_S     15
/* default: slowest average rate, in bytes per second, at which a request
 * body is received or a reply is read by the client, once the header
 * timeout has passed since the body or reply began (slow starts, a client
 * that waits for "100 Continue"): 16 KiB/s is a poor mobile link; a 64 MiB
 * upload may then take an hour, and a client holding a connection must at
 * least move real bytes. */
#define FDX_DEFAULT_MIN_RATE        (16u * 1024)
/* default: seconds a request's handler may run (its work budget, work.h)
 * before it is stopped with a 503 over_budget: below the 120 s a proxy
 * typically waits (deploy/nginx.conf.example), so the client gets our
 * answer, not the proxy's. */
#define FDX_DEFAULT_REQUEST_TIME_S  60
/* default: work units a request's handler may spend (work.h: one unit is
 * one work_poll() of its loops, about one sample, node, name or JSON value
 * handled), 0: no unit budget. The time budget above is what protects a
 * deployment; units stop a request at the same point on every machine,
 * for deployments that want cost rather than time, and for tests. */
#define FDX_DEFAULT_REQUEST_WORK    0
/* default: heavy requests (views, diffs, leak analyses; heavy.h) running
 * at once. Each is CPU-bound on one thread: more than a few per core only
 * makes all of them slower, and each holds view arrays and a reply in the
 * memory account; 8 keeps a 2-4 core machine busy. */
#define FDX_DEFAULT_MAX_HEAVY       8
/* default: seconds a heavy request waits for a slot before 503 busy with
 * Retry-After: long enough for a burst of ordinary views (milliseconds
 * each) to queue, far below --max-request-time. */
#define FDX_DEFAULT_HEAVY_WAIT_S    5
/* Retry-After of a 503 busy (memory account full, no heavy slot). */
#define FDX_RETRY_AFTER_S           2
/* default: handler threads (0: 4 per CPU, at least 8). Handlers run
 * there, never on libmicrohttpd's polling threads; more requests than
 * threads wait in a FIFO queue. */
#define FDX_DEFAULT_WORKERS         0
/* libmicrohttpd's polling threads (epoll): they only move bytes. */
#define FDX_POLL_THREADS            2
/* bytes of request line and headers together; beyond it a 431. 16 KiB
 * holds large proxy-added headers and cookies; libmicrohttpd gets
 * FDX_CONN_MEMORY per connection so that it can hold them too. */
#define FDX_MAX_HEADER_BYTES        (16u * 1024)
#define FDX_CONN_MEMORY             (64u * 1024)
/* seconds libmicrohttpd keeps a connection with no traffic at all: a
 * backstop only, the deadlines above come first. */
#define FDX_IDLE_TIMEOUT_S          60
/* seconds from SIGTERM to exit: stop accepting, stop the work in flight,
 * let replies be sent, close the database; past it the process exits
 * anyway (SQLite's WAL keeps the database consistent). Below systemd's
 * TimeoutStopSec (deploy/flamedex.service). */
#define FDX_STOP_TIMEOUT_S          8
/* Strict-Transport-Security max-age with --tls-cert: one year. */
#define FDX_HSTS_MAX_AGE_S          31536000
/* The gate (conn.c): how often deadlines are checked; how often at most
 * a pending connection's bytes are looked at again once more than
 * FDX_PEEK_CHEAP_BYTES are pending (each look copies them all: this bounds
 * what a client dripping a large header costs); how long and how much is
 * drained after a refusal; how long a handed-over connection may wait for
 * libmicrohttpd to start it; the listen backlog. */
#define FDX_REAP_TICK_MS            100
#define FDX_PEEK_INTERVAL_MS        20
#define FDX_PEEK_CHEAP_BYTES        2048
#define FDX_DRAIN_MS                2000
#define FDX_DRAIN_BYTES             (256u * 1024)
#define FDX_HANDOVER_MS             5000
#define FDX_LISTEN_BACKLOG          1024

/* Entity counts in one profile: far above real profiles (the largest in
 * the corpus has 233k samples, 44k locations), small enough that index
 * arrays stay 32-bit and allocations stay bounded. */
#define FDX_MAX_SAMPLES             (8u * 1000 * 1000)
#define FDX_MAX_LOCATIONS           (4u * 1000 * 1000)
#define FDX_MAX_FUNCTIONS           (4u * 1000 * 1000)
#define FDX_MAX_MAPPINGS            100000u
#define FDX_MAX_STRINGS             (8u * 1000 * 1000)
#define FDX_MAX_SAMPLE_TYPES        64u
#define FDX_MAX_LINES_PER_LOCATION  1024u    /* inline depth */
#define FDX_MAX_STACK_DEPTH         4096u    /* locations per sample */
#define FDX_MAX_LABELS_PER_SAMPLE   256u

/* Query parameters. */
#define FDX_MAX_REGEX_LEN           4096u
/* tagroot=/tagleaf= (view_pseudo.h): keys per list (pprof has no cap; a
 * flame graph split eight ways deep is already unreadable) and the length
 * of one key (Go label keys are short identifiers). */
#define FDX_MAX_TAG_KEYS            8
#define FDX_MAX_TAG_KEY_LEN         255
/* /export (export.h): the largest answer (a folded export repeats every
 * stack's names; 64 MiB holds a 20000-node tree 300 frames deep of long
 * Go names) and the frames one SVG flame graph draws (a browser stays
 * responsive with a few thousand elements). */
#define FDX_MAX_EXPORT_BYTES        (64u << 20)
#define FDX_MAX_SVG_FRAMES          5000
/* import_folded.h: one folded-stacks line (4096 frames of 250 bytes) */
#define FDX_MAX_FOLDED_LINE         (1u << 20)
/* import_speedscope.h: a speedscope JSON file. Frames of shared.frames
 * (each may become a function and a location: FDX_MAX_LOCATIONS's
 * bound), events of all its evented profiles together (each open and
 * close is one; two events per sample at most, so twice the samples
 * cap), profiles in the file (py-spy writes one per thread; thousands
 * of threads is already a strange program), the bytes of one frame name
 * or file name or profile name (C++ and Rust names run to a few KiB), and
 * how deep arrays and objects nest in a value skipped unread (the format
 * itself nests four deep). A stack is at most FDX_MAX_STACK_DEPTH frames,
 * in sampled and evented profiles alike. */
#define FDX_MAX_SPEEDSCOPE_FRAMES   FDX_MAX_LOCATIONS
#define FDX_MAX_SPEEDSCOPE_EVENTS   (2u * FDX_MAX_SAMPLES)
#define FDX_MAX_SPEEDSCOPE_PROFILES 4096u
#define FDX_MAX_SPEEDSCOPE_NAME     65536u
#define FDX_MAX_JSON_DEPTH          64
#define FDX_MAX_PARAM_LEN           8192u
#define FDX_MAX_LIST_LIMIT          1000
#define FDX_DEFAULT_LIST_LIMIT      50
#define FDX_DEFAULT_MAX_NODES       20000
#define FDX_MAX_IDS_PER_QUERY       256
/* RE2's memory budget per compiled regex (its program and DFA cache;
 * regex.h). A filter of pprof's kind needs a few KiB; 8 MiB (RE2's own
 * default) takes every pattern of tests/api/test_regex_syntax.py, while
 * bounding what one pattern can hold and, through the program's size, the
 * cost per byte when the DFA falls back to the NFA. A pattern whose
 * compiled form exceeds it is a 400 bad_regex, never a silent no-match. */
#define FDX_REGEX_MAX_MEM           (8 * 1024 * 1024)

/* The call graph (route_graph.c). pprof's -dot shows 80 nodes; a graph of
 * more than a thousand is unreadable and its DOT is megabytes. Graphviz's
 * dot layout grows much faster than linearly and cannot be cancelled, so
 * SVG is capped harder: 300 nodes and 3000 edges lay out in seconds. */
#define FDX_MAX_GRAPH_NODECOUNT     1000
#define FDX_MAX_GRAPH_SVG_NODES     300
#define FDX_MAX_GRAPH_SVG_EDGES     3000u

/* list?fn=RE: at most this many functions may match (a listing of every
 * function of a big profile is megabytes nobody reads; pprof prints them
 * all, a client narrows RE instead) */
#define FDX_MAX_LIST_FUNCTIONS      200

/* PostgreSQL (db_pg.c): connections one process keeps to the database. Each
 * upload holds one for its transaction and each read for its query; the
 * default covers the handler threads of a small machine, and N replicas
 * make N times as many (PostgreSQL's max_connections is 100 by default). */
#define FDX_DB_POOL_DEFAULT         16u
#define FDX_MAX_DB_POOL             256u

/* Upload metadata. */
#define FDX_MAX_NAME_LEN            256u
#define FDX_MAX_PROFILE_LABELS      32u
#define FDX_MAX_LABEL_LEN           128u

/* ---- scraping (server/scrape_config.c, server/scrape.c, docs/SCRAPE.md) ----
 * The configuration is the operator's, but a bad one must not hold much;
 * a scraped target is untrusted like an upload: its body is capped while it
 * arrives, its time is capped, redirects are not followed, and no more than
 * FDX_SCRAPE_WORKERS transfers run at once whatever the targets do. */
/* a --config file: real ones are a few KiB */
#define FDX_SCRAPE_MAX_CONFIG_BYTES (1024u * 1024)
/* jobs, targets over all jobs, profile kinds per job */
#define FDX_SCRAPE_MAX_JOBS         256
#define FDX_SCRAPE_MAX_TARGETS      4096
#define FDX_SCRAPE_MAX_PROFILES     16
/* host:port (it is the instance label: at most FDX_MAX_LABEL_LEN) and a profile path, in bytes */
#define FDX_SCRAPE_MAX_HOST         128
#define FDX_SCRAPE_MAX_PATH         255
/* shortest scrape_interval: below it a target is polled, not scraped */
#define FDX_SCRAPE_MIN_INTERVAL_MS  1000u
/* largest scraped body: the transfer is aborted past it (whatever the
 * Content-Length says); a real profile is a few MiB gzipped, and it then
 * goes through --max-inflated like an upload */
#define FDX_SCRAPE_MAX_BODY         (32u * 1024 * 1024)
/* transfers at once (sockets of the scraper's one libcurl multi handle,
 * counting the received bodies waiting to be decoded): what targets can
 * make us hold is at most this many bodies, and --max-inflight in all. A
 * CPU or delta profile holds one for its seconds: 512 is 200 targets with
 * CPU, mutex and block at 10 s, with room */
#define FDX_SCRAPE_MAX_TRANSFERS    512
/* threads that decode and store scraped bodies (like uploads) */
#define FDX_SCRAPE_WORKERS          4
/* connecting to a target, in ms (the whole transfer has scrape_timeout,
 * plus the seconds of a CPU or delta profile) */
#define FDX_SCRAPE_CONNECT_MS       5000
/* a target that keeps failing is tried at interval * 2^failures, at most
 * this many intervals apart (and at most FDX_SCRAPE_MAX_BACKOFF_S s) */
#define FDX_SCRAPE_MAX_BACKOFF_STEPS 16u
#define FDX_SCRAPE_MAX_BACKOFF_S    300u
/* an error message kept per target, in bytes */
#define FDX_SCRAPE_MAX_ERROR        256
/* Downsampling (downsample.h): a bucket is at most a day (a longer one
 * would merge more than FDX_MAX_SELECTION profiles of a 10 s series and
 * show a week as one point); an age (after, retention) at most ten years,
 * like --retention. A downsampled profile merges at most FDX_MAX_SELECTION
 * profiles (the most one merge may take); a bucket with more gets more
 * than one. */
#define FDX_DOWNSAMPLE_MAX_STEP_S   86400u
#define FDX_DOWNSAMPLE_MAX_AGE_S    (10u * 366 * 86400)
/* Selections (selection.h): profiles one merge, series or diff side may
 * take. A day of scraping every 10 s is 8,640 profiles; a merge reads each
 * once, holding one decoded profile at a time plus the merged model, so
 * the bound is on time (a cold merge decodes every one), not memory. */
#define FDX_MAX_SELECTION           10000
#define FDX_MAX_SELECTION_LABELS    FDX_MAX_PROFILE_LABELS

#endif
