/*
 * fuzz_query.c: libFuzzer target for the query-argument parsers that run
 * without a server: tagfocus/tagignore (tagfilter_parse, then
 * tagfilter_match on every labelset of a fixed goroutine profile with
 * string and numeric labels), sample_type (prof_sample_index), type
 * (prof_kind_parse) and profile ids (util_is_id).
 *
 * The input is one argument value: a C string, cut at its first NUL as the
 * server would see it. (req_long and the labels= parser need a
 * libmicrohttpd connection or are static to their route file, so they are
 * reached only through the API tests.) Oracles beyond "no sanitizer
 * report":
 *   - tagfilter_parse: a refusal has a message and holds no regex; an
 *     accepted filter has the key before the first '=', is numeric with a
 *     known mode and no regex, or has one regex per comma-separated part;
 *     parsing twice gives the same filter; no filter matches the empty
 *     labelset, nor a labelset none of whose keys is the filter's key;
 *   - prof_sample_index is -1 or a sample type, the default for "", the
 *     index itself for an in-range number;
 *   - prof_kind_parse accepts exactly the names prof_kind_name gives;
 *   - util_is_id accepts exactly 22 characters of base64url.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "fuzz_common.h"
#include "limits.h"
#include "measure.h"
#include "util.h"

/* Goroutines with every label textdump.c writes, numeric and string. */
static const char dump[] =
	"goroutine 1 [running]:\n"
	"main.main()\n"
	"\t/src/main.go:10 +0x1d\n"
	"\n"
	"goroutine 18 [chan receive, 5 minutes]:\n"
	"main.worker(0xc000010000)\n"
	"\t/src/worker.go:22 +0x45\n"
	"created by main.start in goroutine 1\n"
	"\t/src/main.go:30 +0x3c\n"
	"\n"
	"goroutine 19 [select, 61 minutes, locked to thread]:\n"
	"net/http.(*persistConn).writeLoop(0xc0000a2000)\n"
	"\t/usr/lib/go/src/net/http/transport.go:2410 +0xf2\n"
	"created by net/http.(*Transport).dialConn\n"
	"\t/usr/lib/go/src/net/http/transport.go:1766 +0x173d\n"
	"\n"
	"goroutine 7 [IO wait]:\n"
	"internal/poll.runtime_pollWait(0x7f, 0x72)\n"
	"\t/usr/lib/go/src/runtime/netpoll.go:305 +0x89\n";

static const struct prof *profile(void)
{
	static struct prof *p;
	if (!p) {
		struct decode_err err;
		p = ingest_decode((const uint8_t *)dump, sizeof(dump) - 1, sizeof(dump), &err);
		ORACLE(p != NULL, "the fixed dump did not decode: %s", err.message);
		ORACLE(p->n_labelsets > 1, "the fixed dump has no labels");
	}
	return p;
}

static bool set_has_key(const struct prof *p, uint32_t ls, const char *key)
{
	const struct prof_labelset *set = &p->labelsets[ls];
	for (uint32_t i = 0; i < set->n; i++)
		if (strcmp(prof_str(p, p->labels[set->off + i].key), key) == 0)
			return true;
	return false;
}

static void check_tagfilter(const struct prof *p, const char *spec)
{
	struct tagfilter t, u;
	char err[256];
	err[0] = '\0';
	if (tagfilter_parse(&t, spec, err, sizeof(err)) != 0) {
		ORACLE(err[0], "refused with no message");
		ORACLE(t.n_res == 0, "refused, holding %d regexes", t.n_res);
		return;
	}
	const char *eq = strchr(spec, '=');
	size_t kl = eq ? (size_t)(eq - spec) : 0;
	ORACLE(strlen(t.key) == kl && strncmp(t.key, spec, kl) == 0, "key %s from %s", t.key, spec);
	if (t.numeric) {
		ORACLE(t.n_res == 0 && t.mode >= 0 && t.mode <= 3, "numeric: mode %d, %d regexes", t.mode,
		       t.n_res);
		ORACLE(!isnan(t.lo) && (t.mode < 2 || !isnan(t.hi)), "numeric: bounds %g, %g", t.lo, t.hi);
	} else {
		int parts = 1;
		for (const char *c = eq ? eq + 1 : spec; *c; c++)
			parts += *c == ',';
		ORACLE(t.n_res == parts, "%d regexes for %d parts", t.n_res, parts);
		for (int i = 0; i < t.n_res; i++)
			ORACLE(t.res[i].impl != NULL, "regex %d not compiled", i);
	}
	ORACLE(tagfilter_parse(&u, spec, err, sizeof(err)) == 0, "accepted once, refused twice: %s", err);
	ORACLE(strcmp(t.key, u.key) == 0 && t.numeric == u.numeric && t.n_res == u.n_res &&
	               (!t.numeric ||
	                (t.mode == u.mode && strcmp(t.unit, u.unit) == 0 &&
	                 memcmp(&t.lo, &u.lo, sizeof(t.lo)) == 0 && memcmp(&t.hi, &u.hi, sizeof(t.hi)) == 0)),
	       "two parses of %s differ", spec);
	tagfilter_release(&u);

	uint32_t *units = measure_num_units(p);
	ORACLE(units != NULL, "out of memory");
	ORACLE(!tagfilter_match(&t, p, 0, units), "%s matches the empty labelset", spec);
	for (uint32_t ls = 1; ls < p->n_labelsets; ls++) {
		bool m = tagfilter_match(&t, p, ls, units);
		if (t.key[0] && !set_has_key(p, ls, t.key))
			ORACLE(!m, "%s matches labelset %u, which has no key %s", spec, ls, t.key);
	}
	free(units);
	tagfilter_release(&t);
}

static void check_sample_index(const struct prof *p, const char *s)
{
	int i = prof_sample_index(p, s);
	ORACLE(i == -1 || (i >= 0 && (uint32_t)i < p->n_types), "sample index %d of %u", i, p->n_types);
	if (!s[0])
		ORACLE(i == (int)p->default_type, "\"\" gave %d, not the default %u", i, p->default_type);
	size_t n = strlen(s);
	if (n >= 1 && n <= 3 && strspn(s, "0123456789") == n && (uint32_t)atoi(s) < p->n_types)
		ORACLE(i == atoi(s), "%s gave %d", s, i);
}

static void check_kind(const char *s)
{
	int k = prof_kind_parse(s);
	if (k >= 0)
		ORACLE(strcmp(prof_kind_name((enum prof_kind)k), s) == 0, "%s parsed as kind %d (%s)", s, k,
		       prof_kind_name((enum prof_kind)k));
	for (int i = PROF_KIND_OTHER; i <= PROF_KIND_BLOCK; i++)
		if (strcmp(prof_kind_name((enum prof_kind)i), s) == 0)
			ORACLE(k == i, "%s is the name of kind %d, parsed as %d", s, i, k);
}

static void check_id(const char *s)
{
	size_t n = strlen(s);
	bool want = n == FDX_ID_LEN &&
	            strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == n;
	ORACLE(util_is_id(s) == want, "util_is_id(%s) is %d", s, !want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct prof *p = profile();
	char *s = fuzz_cstr(data, size);
	/* The route refuses longer tag filters before parsing them. */
	if (strlen(s) <= FDX_MAX_REGEX_LEN)
		check_tagfilter(p, s);
	check_sample_index(p, s);
	check_kind(s);
	check_id(s);
	free(s);
	return 0;
}
