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
/* default: bytes all requests together may hold for bodies and inflated
 * profiles (see budget.h); beyond it uploads get 429. */
#define FDX_DEFAULT_MAX_INFLIGHT    (2048u * 1024 * 1024)
/* default: bytes of decoded profiles kept in the in-memory cache. */
#define FDX_DEFAULT_CACHE_BYTES     (512u * 1024 * 1024)
/* default: simultaneous connections (each has a thread). */
#define FDX_DEFAULT_MAX_CONNS       64
/* seconds an idle connection is kept. */
#define FDX_CONN_TIMEOUT_S          60

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
#define FDX_MAX_PARAM_LEN           8192u
#define FDX_MAX_LIST_LIMIT          1000
#define FDX_DEFAULT_LIST_LIMIT      50
#define FDX_DEFAULT_MAX_NODES       20000
#define FDX_MAX_IDS_PER_QUERY       256
/* PCRE2 backtracking budget per match: stops catastrophic patterns. */
#define FDX_REGEX_MATCH_LIMIT       100000u

/* Upload metadata. */
#define FDX_MAX_NAME_LEN            256u
#define FDX_MAX_PROFILE_LABELS      32u
#define FDX_MAX_LABEL_LEN           128u

#endif
