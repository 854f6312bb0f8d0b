/*
 * fuzz_regex.c: libFuzzer target for the filter regexes (regex.h).
 *
 * Input: a pattern, then NUL-separated subjects. The pattern is compiled
 * as is and with RX_FULL, and each compiled form is matched against every
 * subject. Oracles beyond "no sanitizer report":
 *   - a pattern over FDX_MAX_REGEX_LEN bytes is refused; a refusal leaves
 *     no compiled state and has a message;
 *   - a literal pattern (letters, digits, space and _ / : , = - only, none
 *     of them special) always compiles, matches exactly the subjects that
 *     contain it, and with RX_FULL exactly the subject equal to it;
 *   - a whole-subject match is also an unanchored match (RE2 has no match
 *     limit to cut one short), and no match ever fails (rx_failed);
 *   - a pattern refused is refused the same way (code) every time.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "limits.h"
#include "regex.h"

#define MAX_SUBJECTS  16

static bool is_literal(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && !strchr(" _/:,=-", c))
			return false;
	}
	return true;
}

static int compile(struct rx *r, const char *pat, size_t n, unsigned flags)
{
	char err[256];
	err[0] = '\0';
	int rc = rx_compile(r, pat, n, flags, err, sizeof(err));
	if (rc != 0) {
		ORACLE((rc == RX_ERR_SYNTAX || rc == RX_ERR_LIMIT || rc == RX_ERR_NOMEM) && r->impl == NULL,
		       "refused with %d, compiled state %p", rc, r->impl);
		struct rx again;
		ORACLE(rx_compile(&again, pat, n, flags, err, sizeof(err)) == rc, "refused twice differently");
		ORACLE(err[0], "refused with no message");
	}
	if (n > FDX_MAX_REGEX_LEN)
		ORACLE(rc == RX_ERR_LIMIT, "a %zu-byte pattern gave %d", n, rc);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *nul = size ? memchr(in, 0, size) : NULL;
	size_t plen = nul ? (size_t)(nul - in) : size;
	struct rx plain, full;
	int rc_plain = compile(&plain, in, plen, 0);
	int rc_full = compile(&full, in, plen, RX_FULL);
	bool literal = is_literal(in, plen);
	if (literal && plen <= FDX_MAX_REGEX_LEN)
		ORACLE(rc_plain == 0 && rc_full == 0, "literal pattern %.*s refused", (int)plen, in);

	/* Subjects: what follows the pattern, split at NUL bytes. */
	const char *s = nul ? nul + 1 : in + size;
	const char *end = in + size;
	for (int k = 0; k < MAX_SUBJECTS && s <= end; k++) {
		const char *e = memchr(s, 0, (size_t)(end - s));
		size_t n = e ? (size_t)(e - s) : (size_t)(end - s);
		bool m = rc_plain == 0 && rx_match(&plain, s, n);
		bool mf = rc_full == 0 && rx_match(&full, s, n);
		if (literal && rc_plain == 0 && rc_full == 0) {
			bool contains = plen == 0 || memmem(s, n, in, plen) != NULL;
			ORACLE(m == contains, "literal %.*s: match %d, contained %d in %.*s", (int)plen, in,
			       m, contains, (int)n, s);
			bool equal = n == plen && memcmp(s, in, n) == 0;
			ORACLE(mf == equal, "literal %.*s: full match %d, equal %d to %.*s", (int)plen, in,
			       mf, equal, (int)n, s);
		}
		if (mf)
			ORACLE(m || rc_plain != 0, "matches all of %.*s but not part of it", (int)n, s);
		ORACLE(!rx_failed(&plain) && !rx_failed(&full), "a match failed");
		if (!e)
			break;
		s = e + 1;
	}
	rx_release(&plain);
	rx_release(&full);
	rx_release(&plain); /* release twice is safe */
	return 0;
}
