/*
 * ingest.c: an upload's bytes to a profile (see ingest.h): gunzip, the
 * format sniffer, and dispatch to the decoders.
 */
#include "ingest.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "budget.h"
#include "textdump.h"
#include "import_folded.h"
#include "import_speedscope.h"
#include "work.h"

/* ---- gzip ------------------------------------------------------------ */

int ingest_gunzip(const uint8_t *in, size_t n, size_t max_out, uint8_t **out, size_t *out_len,
                  struct decode_err *err)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		decode_err_set(err, 500, "internal", "zlib init failed");
		return -1;
	}
	/* The gzip trailer gives the inflated size (mod 2^32) of the last
	 * member: start there, so a good upload is inflated with no regrowth
	 * and no slack. A lying trailer only costs regrowth (or the cap). */
	size_t cap = n * 4 + 4096;
	if (n >= 18) {
		uint32_t isize = (uint32_t)in[n - 4] | (uint32_t)in[n - 3] << 8 | (uint32_t)in[n - 2] << 16 |
		                 (uint32_t)in[n - 1] << 24;
		if (isize > 0)
			cap = (size_t)isize + 1;
	}
	if (cap > max_out + 1)
		cap = max_out + 1;
	uint8_t *o = malloc(cap);
	size_t len = 0;
	if (!o)
		goto oom;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
	for (;;) {
		if (len == cap) {
			if (cap > max_out)
				goto too_large;
			size_t ncap = cap * 2 > max_out + 1 ? max_out + 1 : cap * 2;
			uint8_t *no = realloc(o, ncap);
			if (!no)
				goto oom;
			o = no;
			cap = ncap;
		}
		zs.next_out = o + len;
		zs.avail_out = (uInt)((cap - len) > UINT32_MAX ? UINT32_MAX : cap - len);
		uInt before = zs.avail_out;
		int rc = inflate(&zs, Z_NO_FLUSH);
		len += before - zs.avail_out;
		if (rc == Z_STREAM_END) {
			/* Another gzip member may follow (as Go's reader allows). */
			if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
				inflateReset(&zs);
				continue;
			}
			break;
		}
		if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
			decode_err_set(err, 400, "bad_gzip", "gzip stream is truncated");
			goto fail;
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			decode_err_set(err, 400, "bad_gzip", "gzip stream is corrupt: %s",
			               zs.msg ? zs.msg : "inflate error");
			goto fail;
		}
	}
	if (len > max_out)
		goto too_large;
	inflateEnd(&zs);
	*out = o;
	*out_len = len;
	return 0;
too_large:
	decode_err_set(err, 413, "inflated_too_large", "profile inflates to more than %zu bytes", max_out);
	goto fail;
oom:
	decode_err_set(err, 500, "internal", "out of memory while inflating");
fail:
	inflateEnd(&zs);
	free(o);
	return -1;
}

/* ---- the sniffer ------------------------------------------------------ */

/* How far the sniffer looks for text features. */
#define SNIFF_WINDOW 65536

static bool starts(const uint8_t *d, size_t n, const char *s)
{
	size_t l = strlen(s);
	return n >= l && memcmp(d, s, l) == 0;
}

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A goroutine text format, recognised by its header line (textdump.h
 * says what a header is, so that the sniffer and the parser agree). A
 * debug=1 profile's header is its first line after blank ones, as pprof
 * requires; a debug=2 dump may have other lines first (crash output
 * starts with the panic), so its first header is looked for at every line
 * start of the first SNIFF_WINDOW bytes, when they hold no NUL byte. */
static bool goroutine_text(const uint8_t *d, size_t n, enum textdump_format *fmt)
{
	size_t k = n < SNIFF_WINDOW ? n : SNIFF_WINDOW;
	const char *s = (const char *)d;
	bool first = true;
	for (size_t i = 0; i < k;) {
		const char *nl = memchr(s + i, '\n', k - i);
		size_t e = nl ? (size_t)(nl - s) : k;
		size_t len = e > i && s[e - 1] == '\r' ? e - i - 1 : e - i;
		if (textdump_is_header(s + i, len, fmt) && (first || *fmt == TEXTDUMP_DEBUG2))
			return true;
		if (first) {
			/* Past the first line: only text can hold a dump. */
			if (memchr(s, '\0', k))
				return false;
			first = false;
		}
		i = e + 1;
	}
	return false;
}

/* A known format flamedex does not read, by name, or NULL. */
static const char *refused_format(const uint8_t *d, size_t n)
{
	if (starts(d, n, "heap profile:") || starts(d, n, "heap_v2/"))
		return "legacy text heap profile";
	if (starts(d, n, "--- contention") || starts(d, n, "--- mutex") || starts(d, n, "--- delay"))
		return "legacy text contention profile";
	if (starts(d, n, "--- threadz") || starts(d, n, "--- thread"))
		return "legacy text thread profile";
	if (starts(d, n, "threadcreate profile:"))
		return "legacy text threadcreate profile";
	if (starts(d, n, "--- heapz") || starts(d, n, "--- heap"))
		return "legacy text heap profile";
	if (n >= 16) {
		/* Legacy binary CPU profile: header words 0 (count) and 3 (header
		 * length), 64- or 32-bit, either byte order. */
		static const uint8_t le64[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0 };
		static const uint8_t be64[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3 };
		static const uint8_t le32[8] = { 0, 0, 0, 0, 3, 0, 0, 0 };
		static const uint8_t be32[8] = { 0, 0, 0, 0, 0, 0, 0, 3 };
		if (!memcmp(d, le64, 16) || !memcmp(d, be64, 16) || !memcmp(d, le32, 8) || !memcmp(d, be32, 8))
			return "legacy binary CPU profile";
	}
	if (n && (*d == '{' || *d == '['))
		return "JSON that is not a speedscope file (no speedscope $schema; Chrome trace files are not read)";
	/* Folded/collapsed stacks: printable text, "a;b;c 123" lines. */
	size_t k = n < 4096 ? n : 4096, semis = 0, nl = 0;
	bool text = k > 0;
	for (size_t i = 0; i < k; i++) {
		uint8_t c = d[i];
		if (c == ';')
			semis++;
		else if (c == '\n')
			nl++;
		else if (c < 0x09 || (c > 0x0d && c < 0x20))
			text = false;
	}
	if (text && semis > 0 && nl > 0)
		return "collapsed stacks text (not pprof)";
	if (text && k >= 4 && nl > 0)
		return "plain text (not a pprof profile)";
	return NULL;
}

enum ingest_format ingest_sniff(const uint8_t *data, size_t n, const char **name)
{
	/* Skip leading blank lines and whitespace, as pprof's legacy parsers
	 * do; what follows them in a profile.proto message is not text. */
	size_t sp = 0;
	while (sp < n && is_space(data[sp]))
		sp++;
	const uint8_t *d = data + sp;
	n -= sp;
	enum textdump_format tf;
	if (goroutine_text(d, n, &tf)) {
		bool d1 = tf == TEXTDUMP_DEBUG1;
		*name = d1 ? "goroutine text profile (debug=1)" : "goroutine dump (debug=2)";
		return d1 ? INGEST_GOROUTINE_DEBUG1 : INGEST_GOROUTINE_DEBUG2;
	}
	if (import_folded_sniff(d, n)) {
		*name = "folded stacks";
		return INGEST_FOLDED;
	}
	if (import_speedscope_sniff(d, n)) {
		*name = "speedscope JSON";
		return INGEST_SPEEDSCOPE;
	}
	*name = refused_format(d, n);
	if (*name)
		return INGEST_REFUSED;
	*name = "profile.proto";
	return INGEST_PROTO;
}

const char *ingest_format_name(enum ingest_format f, bool gzipped)
{
	switch (f) {
	case INGEST_PROTO:
		return gzipped ? "pprof" : "pprof-uncompressed";
	case INGEST_GOROUTINE_DEBUG1:
		return "text-debug1";
	case INGEST_GOROUTINE_DEBUG2:
		return "text-debug2";
	case INGEST_FOLDED:
		return "folded";
	case INGEST_SPEEDSCOPE:
		return "speedscope";
	case INGEST_REFUSED:
		break;
	}
	return NULL;
}

bool ingest_redecodes(const char *format)
{
	return format && (!strcmp(format, "pprof") || !strcmp(format, "pprof-uncompressed"));
}

const char *ingest_format_of(const uint8_t *data, size_t n)
{
	const char *name;
	if (!(n >= 2 && data[0] == 0x1f && data[1] == 0x8b)) {
		const char *f = ingest_format_name(ingest_sniff(data, n, &name), false);
		return f ? f : "pprof";
	}
	/* gzip: what the first SNIFF_WINDOW inflated bytes are (a prefix of
	 * the stream inflates as far as it goes) */
	uint8_t *out = malloc(SNIFF_WINDOW);
	if (!out)
		return "pprof";
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	size_t got = 0;
	if (inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK) {
		zs.next_in = (Bytef *)data;
		zs.avail_in = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
		zs.next_out = out;
		zs.avail_out = SNIFF_WINDOW;
		(void)inflate(&zs, Z_SYNC_FLUSH);
		got = SNIFF_WINDOW - zs.avail_out;
		inflateEnd(&zs);
	}
	const char *f = got ? ingest_format_name(ingest_sniff(out, got, &name), true) : NULL;
	free(out);
	return f ? f : "pprof";
}

/* ---- the entry point ---------------------------------------------------- */

struct prof *ingest_decode(const uint8_t *data, size_t n, size_t max_inflated, struct decode_err *err)
{
	return ingest_decode_opts(data, n, max_inflated, NULL, NULL, err);
}

struct prof *ingest_decode_opts(const uint8_t *data, size_t n, size_t max_inflated, const struct ingest_opts *o,
                                const char **format, struct decode_err *err)
{
	static const struct ingest_opts dflt = { .speedscope_profile = IMPORT_SPEEDSCOPE_DEFAULT };
	if (!o)
		o = &dflt;
	memset(err, 0, sizeof(*err));
	if (n == 0) {
		decode_err_set(err, 400, "empty_body", "the request body is empty; send a pprof profile");
		return NULL;
	}
	uint8_t *inflated = NULL;
	const uint8_t *body = data;
	size_t len = n, reserved = 0;
	if (n >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		/* Deflate expands at most ~1032:1: reserve what this body can
		 * become, up to the cap, before inflating anything. */
		reserved = n > max_inflated / 1032 ? max_inflated + 1 : n * 1032 + 4096;
		if (!budget_take(reserved)) {
			decode_err_set(err, 429, "busy", "too many large uploads in flight; retry shortly");
			return NULL;
		}
		if (ingest_gunzip(data, n, max_inflated, &inflated, &len, err) < 0) {
			budget_give(reserved);
			return NULL;
		}
		body = inflated;
	} else if (n > max_inflated) {
		decode_err_set(err, 413, "inflated_too_large", "profile is larger than %zu bytes", max_inflated);
		return NULL;
	}
	struct prof *p = NULL;
	const char *name;
	if (len == 0) {
		decode_err_set(err, 400, "empty_body", "the profile is empty");
		goto out;
	}
	enum ingest_format fmt = ingest_sniff(body, len, &name);
	if (format)
		*format = ingest_format_name(fmt, inflated != NULL);
	if (fmt != INGEST_SPEEDSCOPE && fmt != INGEST_REFUSED && o->speedscope_profile != IMPORT_SPEEDSCOPE_DEFAULT) {
		decode_err_set(err, 400, "bad_request", "profile= picks a profile of a speedscope file; this is %s", name);
		goto out;
	}
	switch (fmt) {
	case INGEST_GOROUTINE_DEBUG1:
		p = textdump_decode(body, len, TEXTDUMP_DEBUG1, err);
		break;
	case INGEST_GOROUTINE_DEBUG2:
		p = textdump_decode(body, len, TEXTDUMP_DEBUG2, err);
		break;
	case INGEST_REFUSED:
		decode_err_set(err, 415, "unsupported_format", "unsupported format: %s; upload a profile.proto file",
		               name);
		break;
	case INGEST_PROTO:
		if (inflated) {
			/* the decoder frees the inflated bytes once it has read them */
			p = decode_proto_owned(inflated, len, err);
			inflated = NULL;
		} else {
			p = decode_proto(body, len, err);
		}
		break;
	case INGEST_FOLDED:
		p = import_folded(body, len, err);
		break;
	case INGEST_SPEEDSCOPE:
		p = import_speedscope(body, len, &(struct import_speedscope_opts){ .profile = o->speedscope_profile }, err);
		break;
	}
out:
	free(inflated);
	if (reserved)
		budget_give(reserved);
	int why = work_poll();
	if (why != WORK_OK) {
		/* Stopped while decoding: whatever was read is not the profile. */
		prof_free(p);
		p = NULL;
		decode_err_set(err, 503, "busy", "%s", work_reason(why));
	}
	return p;
}
