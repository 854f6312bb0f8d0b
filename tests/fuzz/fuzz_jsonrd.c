/*
 * fuzz_jsonrd.c: libFuzzer target for the JSON body reader (jsonrd.h),
 * walking the input as the PATCH handler walks a body: an object of
 * strings and objects of strings. Oracles beyond "no sanitizer report":
 *   - the reader never moves backwards or past the end of the input;
 *   - a string read whole is NUL-terminated at its length, has no NUL
 *     before it (\u0000 and raw control bytes are refused) and fits cap;
 *   - a string too long for a small buffer reads whole into a big one,
 *     and the big read is at least cap bytes long;
 *   - every string the input holds literally (no backslash, no control
 *     bytes) reads back as its bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "jsonrd.h"

static void check_string(struct jsonrd *r, const char *base, size_t size)
{
	struct jsonrd copy = *r;
	char small[8], big[4096];
	size_t len = 0, blen = 0;
	const char *before = r->p;
	int rc = jsonrd_string(r, small, sizeof(small), &len);
	ORACLE(r->p >= before && r->p <= base + size, "reader out of the input");
	if (rc == 0) {
		ORACLE(len < sizeof(small) && small[len] == '\0' && strlen(small) == len, "len %zu", len);
		/* a literal string reads back as its bytes */
		const char *q = memchr(before, '"', (size_t)(base + size - before));
		if (q && (size_t)(r->p - q - 2) == len && !memchr(q + 1, '\\', len))
			ORACLE(memcmp(q + 1, small, len) == 0, "literal read differently");
	} else if (rc == -2) {
		int brc = jsonrd_string(&copy, big, sizeof(big), &blen);
		ORACLE(brc != -1, "too long for 8 bytes but a syntax error with more room");
		if (brc == 0)
			ORACLE(blen >= sizeof(small) && big[blen] == '\0' && strlen(big) == blen, "blen %zu", blen);
	} else {
		ORACLE(rc == -1, "rc %d", rc);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct jsonrd r;
	jsonrd_init(&r, s, size);
	for (int steps = 0; steps < 4096 && !jsonrd_done(&r); steps++) {
		const char *before = r.p;
		if (jsonrd_peek(&r, '"'))
			check_string(&r, s, size);
		else if (!jsonrd_eat(&r, '{') && !jsonrd_eat(&r, '}') && !jsonrd_eat(&r, ':') && !jsonrd_eat(&r, ',') &&
		         !jsonrd_word(&r, "null"))
			r.p++; /* skip a byte the walk has no use for */
		ORACLE(r.p > before && r.p <= s + size, "no progress or past the end");
	}
	return 0;
}
