/*
 * floor.c: the decode floor of a pprof file, for bench/bench.py.
 *
 *   floor FILE   prints "inflate_s walk_s varints inflated_bytes locrefs"
 *
 * The least any ingest must do: inflate the file (zlib, when gzipped) and
 * walk the Profile message once, reading every varint of the messages
 * that carry numbers (Sample: location ids, values, labels; Location and
 * its Lines; Function; Mapping; ValueType), and skipping strings. Nothing
 * is checked, interned or kept; the varints are summed so that the walk
 * cannot be optimized away. Each phase is timed best of 3 runs.
 *
 * Build: cc -O2 -o floor floor.c -lz
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t nvar, sum, nlocref;

static inline const uint8_t *varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	int sh = 0;
	while (p < end) {
		uint8_t b = *p++;
		x |= (uint64_t)(b & 0x7f) << sh;
		if (!(b & 0x80))
			break;
		sh += 7;
	}
	*v = x;
	nvar++;
	return p;
}

/* Walk a message; depth 0 is Profile. Sub-messages with numbers are
 * walked, packed fields decoded varint by varint, strings skipped. */
static void walk(const uint8_t *p, const uint8_t *end, int depth, int parent)
{
	while (p < end) {
		uint64_t key, v;
		p = varint(p, end, &key);
		uint32_t num = (uint32_t)(key >> 3), wt = key & 7;
		if (wt == 0) {
			p = varint(p, end, &v);
			sum += v;
		} else if (wt == 2) {
			uint64_t len;
			p = varint(p, end, &len);
			if (len > (uint64_t)(end - p))
				return;
			const uint8_t *q = p, *qe = p + len;
			p = qe;
			/* Profile: 1 sample_type, 2 sample, 3 mapping, 4 location,
			 * 5 function, 11 period_type (6 string_table: skipped).
			 * Sample: 1 location_id, 2 value packed; 3 label.
			 * Location: 4 line. */
			if (depth == 0 && (num <= 5 || num == 11))
				walk(q, qe, 1, (int)num);
			else if (depth == 1 && parent == 2 && (num == 1 || num == 2))
				while (q < qe) {
					q = varint(q, qe, &v);
					sum += v;
					nlocref += num == 1;
				}
			else if (depth == 1 && ((parent == 2 && num == 3) || (parent == 4 && num == 4)))
				walk(q, qe, 2, (int)num);
		} else if (wt == 1) {
			p += 8;
		} else if (wt == 5) {
			p += 4;
		} else {
			return;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: floor FILE\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	size_t cap = 1 << 20, n = 0, r;
	uint8_t *raw = malloc(cap);
	while (raw && (r = fread(raw + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap)
			raw = realloc(raw, cap *= 2);
	}
	fclose(f);
	if (!raw)
		return 1;
	double best_inf = 1e9, best_walk = 1e9;
	uint8_t *msg = NULL;
	size_t mlen = 0;
	for (int run = 0; run < 3; run++) {
		double t0 = now();
		if (n >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
			size_t mcap = n * 4 + 1024;
			free(msg);
			msg = malloc(mcap);
			z_stream z;
			memset(&z, 0, sizeof z);
			if (!msg || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
				return 1;
			z.next_in = raw;
			z.avail_in = (uInt)n;
			int rc;
			do {
				if (z.total_out == mcap) {
					msg = realloc(msg, mcap *= 2);
					if (!msg)
						return 1;
				}
				z.next_out = msg + z.total_out;
				z.avail_out = (uInt)(mcap - z.total_out);
				rc = inflate(&z, Z_NO_FLUSH);
			} while (rc == Z_OK);
			mlen = z.total_out;
			inflateEnd(&z);
			if (rc != Z_STREAM_END) {
				fprintf(stderr, "floor: bad gzip stream\n");
				return 1;
			}
		} else if (!msg) {
			msg = raw;
			mlen = n;
		}
		double t1 = now();
		nvar = nlocref = 0;
		walk(msg, msg + mlen, 0, 0);
		double t2 = now();
		if (t1 - t0 < best_inf)
			best_inf = t1 - t0;
		if (t2 - t1 < best_walk)
			best_walk = t2 - t1;
	}
	printf("%.6f %.6f %llu %zu %llu %llu\n", best_inf, best_walk, (unsigned long long)nvar, mlen,
	       (unsigned long long)nlocref, (unsigned long long)(sum & 1));
	return 0;
}
