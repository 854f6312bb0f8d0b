/*
 * codec.h: the compact, compressed form of a struct prof stored in SQLite.
 *
 * Layout: "FDX2", the uncompressed length (8 bytes, host order), then a
 * zlib stream of protobuf varints (wire.h; signed values zigzag): strings,
 * metadata, functions, frames, locations, trie nodes (parent as a
 * backwards delta), labels, label sets and aggregated samples; then
 * optional sections (tag, byte length, bytes; unknown tags are skipped):
 * 1 = each location's address and mapping, and the mappings. "FDX1"
 * blobs (no sections) are still read. Decoding checks every index,
 * so a damaged row gives an error, never a crash.
 */
#ifndef FDX_CODEC_H
#define FDX_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "prof.h"

int codec_encode(const struct prof *p, struct buf *out);
struct prof *codec_decode(const uint8_t *data, size_t n);

#endif
