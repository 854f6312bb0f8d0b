/*
 * rx_re2.cc: RE2 behind a C interface (see rx_re2.h).
 */
#include "rx_re2.h"

#include <cstdio>
#include <new>

#include <re2/re2.h>

extern "C" void *rx_re2_new(const char *pattern, size_t n, int64_t max_mem, int *status, char *err,
                            size_t errcap)
{
	try {
		RE2::Options o;
		o.set_encoding(RE2::Options::EncodingUTF8);
		o.set_posix_syntax(false); /* Perl classes, \b, (?flags): Go's regexp.Compile */
		o.set_longest_match(false);
		o.set_log_errors(false);   /* errors come back to the caller, not stderr */
		o.set_max_mem(max_mem);
		o.set_case_sensitive(true);
		RE2 *re = new (std::nothrow) RE2(re2::StringPiece(pattern, n), o);
		if (!re) {
			*status = RX_RE2_NOMEM;
			std::snprintf(err, errcap, "out of memory");
			return nullptr;
		}
		if (!re->ok()) {
			*status = re->error_code() == RE2::ErrorPatternTooLarge ? RX_RE2_TOO_LARGE : RX_RE2_SYNTAX;
			if (*status == RX_RE2_TOO_LARGE)
				std::snprintf(err, errcap, "pattern too large: its compiled form exceeds the %lld-byte regex budget",
				              static_cast<long long>(max_mem));
			else
				std::snprintf(err, errcap, "%s", re->error().c_str());
			delete re;
			return nullptr;
		}
		*status = RX_RE2_OK;
		return re;
	} catch (...) {
		*status = RX_RE2_NOMEM;
		std::snprintf(err, errcap, "out of memory");
		return nullptr;
	}
}

extern "C" int rx_re2_match(const void *re, const char *s, size_t n)
{
	try {
		const RE2 *r = static_cast<const RE2 *>(re);
		return r->Match(re2::StringPiece(s, n), 0, n, RE2::UNANCHORED, nullptr, 0) ? 1 : 0;
	} catch (...) {
		return -1; /* allocation failed inside RE2: an error, never "no match" */
	}
}

extern "C" void rx_re2_free(void *re)
{
	delete static_cast<RE2 *>(re);
}
