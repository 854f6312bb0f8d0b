/*
 * textdump.h: goroutine text dumps (debug=2, crash/SIGQUIT output) and
 * debug=1 goroutine profiles, read into profiles.
 */
#ifndef FDX_TEXTDUMP_H
#define FDX_TEXTDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pprof.h"

/* Is this a goroutine text dump? *debug1 tells which format. */
bool textdump_sniff(const uint8_t *data, size_t n, bool *debug1);
struct prof *textdump_decode(const uint8_t *data, size_t n, bool debug1, struct pprof_err *err);

#endif
