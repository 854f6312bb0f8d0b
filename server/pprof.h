/*
 * pprof.h: the upload entry point under its former names, for callers
 * written before ingest.h (tests/unit/test_tree.c). New code includes
 * ingest.h and decode.h; this header goes when its last user has moved.
 */
#ifndef FDX_PPROF_H
#define FDX_PPROF_H

#include "ingest.h"

#define pprof_err decode_err

static inline struct prof *pprof_decode(const uint8_t *data, size_t n, size_t max_inflated,
                                        struct decode_err *err)
{
	return ingest_decode(data, n, max_inflated, err);
}

#endif
