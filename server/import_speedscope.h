/*
 * import_speedscope.h: a speedscope JSON file read as a profile.
 *
 * The format is speedscope's own (https://www.speedscope.app/file-format-schema.json,
 * src/lib/file-format-spec.ts): {"$schema", "shared": {"frames": [{name,
 * file, line, col}]}, "profiles": [...], "activeProfileIndex"}, written by
 * speedscope's exporter, py-spy, rbspy, Austin, samply and others. A
 * profile is
 *   - "sampled": samples[i] a stack of frame indices, root first, with
 *     weights[i] its weight (the two arrays of one length); or
 *   - "evented": "O" (open) and "C" (close) events of a frame at times
 *     "at", non-decreasing; the time between two events is a sample of
 *     the stack open between them (speedscope's CallTreeProfileBuilder),
 *     time with no frame open is no sample. A close must name the frame
 *     on top, and every frame must be closed by the end.
 * Its "unit" gives the one sample type: nanoseconds, microseconds,
 * milliseconds, seconds as cpu/nanoseconds (each value, an evented
 * profile's each time relative to startValue, times the unit's factor,
 * rounded to the nearest integer, halves away from zero; an interval is
 * the difference of two rounded times, so intervals add up to the
 * rounded span); bytes as space/bytes; none (or no unit) as
 * samples/count, rounded the same way. A time profile's duration is
 * endValue - startValue.
 *
 * Frames: one function per distinct (name, file), one location per frame
 * index used, its line the frame's line (0 without). Which profile: the
 * file's activeProfileIndex (the one speedscope opens), else the first;
 * opts->profile another index, or IMPORT_SPEEDSCOPE_ALL every profile of
 * the file, which must share one unit, each sample labelled
 * profile=NAME (its name, or "profile N" when it has none).
 *
 * Invariants: the file is converted to a profile.proto and handed to the
 * proto decoder (as import_folded.c does), so the model and every limit
 * of decode.h hold; nothing of a refused file is kept; every count is
 * checked against the limits (opts, or limits.h's FDX_MAX_SPEEDSCOPE_*
 * when 0) before it is used; a refusal is 400 bad_profile naming where
 * (profiles[1].events[7]: closes frame 3 "f" while frame 2 "g" is open),
 * 400 bad_request for opts->profile beyond the file's profiles, 413
 * too_many_samples past FDX_MAX_SAMPLES, 500 out of memory; the reader
 * polls work_poll (work.h) once per event, sample and frame.
 */
#ifndef FDX_IMPORT_SPEEDSCOPE_H
#define FDX_IMPORT_SPEEDSCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "prof.h"

#define IMPORT_SPEEDSCOPE_SCHEMA "https://www.speedscope.app/file-format-schema.json"
#define IMPORT_SPEEDSCOPE_DEFAULT (-1) /* activeProfileIndex, else 0 */
#define IMPORT_SPEEDSCOPE_ALL (-2)     /* every profile, labelled */

struct import_speedscope_opts {
	int profile;            /* an index, or one of the two above */
	uint32_t max_frames;    /* 0: FDX_MAX_SPEEDSCOPE_FRAMES */
	uint32_t max_events;    /* 0: FDX_MAX_SPEEDSCOPE_EVENTS */
	uint32_t max_profiles;  /* 0: FDX_MAX_SPEEDSCOPE_PROFILES */
};

/* Does data look like a speedscope file (ingest_sniff asks)? A JSON
 * object that names speedscope's schema. */
bool import_speedscope_sniff(const uint8_t *data, size_t n);
/* opts NULL: the defaults. */
struct prof *import_speedscope(const uint8_t *data, size_t n, const struct import_speedscope_opts *opts,
                               struct decode_err *err);

#endif
