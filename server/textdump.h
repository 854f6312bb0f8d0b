/*
 * textdump.h: Go's goroutine text formats read into profiles: debug=2
 * dumps (/debug/pprof/goroutine?debug=2, and what a crash or SIGQUIT
 * prints) and debug=1 goroutine profiles ("goroutine profile: total N").
 *
 * The text is turned into a profile.proto message and decoded with
 * decode_proto (decode.h), so a text upload gets the validation, limits
 * and model of a proto upload. Which format a body is in is for the
 * caller to say (ingest.h sniffs uploads); text that does not parse as
 * that format gives an error, never a crash.
 */
#ifndef FDX_TEXTDUMP_H
#define FDX_TEXTDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

enum textdump_format {
	TEXTDUMP_DEBUG1,   /* "goroutine profile: total N", stacks with counts */
	TEXTDUMP_DEBUG2,   /* "goroutine N [state]:" blocks, one per goroutine */
};

/* Is the line s[0, n) (no newline) the header of one of the formats,
 * leading spaces and tabs aside? *fmt says which. A debug=1 profile
 * starts with its header; a debug=2 dump may have other lines first
 * (crash output starts with the panic). */
bool textdump_is_header(const char *s, size_t n, enum textdump_format *fmt);

/* Read data[0, n) (not NUL-terminated) as fmt. Returns a new profile, or
 * NULL with *err set (400 when no goroutine is found). */
struct prof *textdump_decode(const uint8_t *data, size_t n, enum textdump_format fmt,
                             struct decode_err *err);

#endif
