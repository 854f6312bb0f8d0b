/*
 * codec.h: the compact, compressed form of a struct prof stored in SQLite.
 *
 * Layout: "FDX3" (format 3), the uncompressed length (8 bytes, host
 * order), then a zlib stream of protobuf varints (wire.h; signed values
 * zigzag): strings, metadata, functions, frames, locations, trie nodes,
 * labels, label sets and aggregated samples; then optional sections
 * (tag, byte length, bytes; unknown tags are skipped): 1 = each
 * location's address and mapping, and the mappings. The trie nodes are
 * two columns: the shape (a pre-order flag, then per node the steps up
 * from the node before it to the parent, or with the flag 0 the parent as
 * a backwards delta), then every node's location.
 *
 * Older blobs are still read: "FDX2" has the sections but one (parent
 * delta, location) pair per node; "FDX1" has those pairs and no sections
 * (no addresses). The stacks row's 'format' column says which (store.c).
 * Decoding inflates a window at a time and checks every index, so a
 * damaged row gives an error, never a crash.
 */
#ifndef FDX_CODEC_H
#define FDX_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "prof.h"

#define CODEC_FORMAT 3
/* Append p's blob, in the current format (CODEC_FORMAT), to out. 0 or -1. */
int codec_encode(const struct prof *p, struct buf *out);
/* The same in format version 1..CODEC_FORMAT (older ones: what older
 * servers stored; for tests that old rows still read). */
int codec_encode_version(const struct prof *p, struct buf *out, int version);
/* codec_encode, but stop as soon as the blob passes max bytes (0: no
 * cap) and return CODEC_OVER with out's length as it was. The stored
 * form is left out when it would cost more than it saves (store.c): this
 * finds out without holding much more than max of it. */
#define CODEC_OVER 1
int codec_encode_max(const struct prof *p, struct buf *out, size_t max);
struct prof *codec_decode(const uint8_t *data, size_t n);

#endif
