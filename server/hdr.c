/*
 * hdr.c: strict header checks (see hdr.h).
 */
#include "hdr.h"

#include <string.h>
#include <strings.h>

static bool name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

void hdr_framing_add(struct hdr_framing *f, const char *name, size_t name_len, const char *value,
                     size_t value_len)
{
	if (name_is(name, name_len, "Content-Length")) {
		f->n_cl++;
		bool digits = value_len > 0 && value_len <= 19;
		for (size_t i = 0; digits && i < value_len; i++)
			digits = value[i] >= '0' && value[i] <= '9';
		if (!digits)
			f->cl_bad = true;
	} else if (name_is(name, name_len, "Transfer-Encoding")) {
		f->n_te++;
		if (!name_is(value, value_len, "chunked"))
			f->te_bad = true;
	} else if (name_is(name, name_len, "Host")) {
		f->n_host++;
	}
}

const char *hdr_framing_verdict(const struct hdr_framing *f)
{
	if (f->n_cl > 1)
		return "more than one Content-Length header";
	if (f->cl_bad)
		return "Content-Length is not a decimal number";
	if (f->n_te && f->n_cl)
		return "both Content-Length and Transfer-Encoding";
	if (f->n_te > 1)
		return "more than one Transfer-Encoding header";
	if (f->te_bad)
		return "Transfer-Encoding other than chunked";
	if (f->n_te && f->http_minor == 0)
		return "Transfer-Encoding in an HTTP/1.0 request";
	if (f->http_minor >= 1 && f->n_host == 0)
		return "HTTP/1.1 request without a Host header";
	if (f->n_host > 1)
		return "more than one Host header";
	return NULL;
}

int hdr_http_minor(const char *v)
{
	if (strncmp(v, "HTTP/1.", 7) != 0 || v[7] < '0' || v[7] > '9' || v[8])
		return 0;
	return v[7] - '0';
}

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field-value bytes: HTAB, SP, VCHAR, obs-text. */
static bool is_value_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Length of the token (1*tchar) that s[0, n) starts with. */
static size_t token_len(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && is_tchar((unsigned char)s[i]))
		i++;
	return i;
}

static void bad(struct hdr_scan *out, int status, const char *why)
{
	out->result = HDR_BAD;
	out->status = status;
	out->why = why;
}

/* The request line s[0, n): METHOD SP TARGET SP HTTP/D.D. 0, or sets out. */
static int check_request_line(const char *s, size_t n, struct hdr_framing *f, struct hdr_scan *out)
{
	size_t i = token_len(s, n);
	if (i == 0 || i == n || s[i] != ' ') {
		bad(out, 400, "malformed request line");
		return -1;
	}
	size_t t = ++i;
	while (i < n && (unsigned char)s[i] > 0x20 && s[i] != 0x7f)
		i++;
	if (i == t || i == n || s[i] != ' ') {
		bad(out, 400, "malformed request line");
		return -1;
	}
	const char *v = s + i + 1;
	size_t vn = n - i - 1;
	if (vn != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' || v[7] < '0' ||
	    v[7] > '9') {
		bad(out, 400, "malformed request line");
		return -1;
	}
	if (v[5] != '1') {
		bad(out, 505, "only HTTP/1.0 and HTTP/1.1 are served");
		return -1;
	}
	f->http_minor = v[7] - '0';
	return 0;
}

/* A field line s[0, n). 0, or sets out. */
static int check_field_line(const char *s, size_t n, struct hdr_framing *f, struct hdr_scan *out)
{
	if (s[0] == ' ' || s[0] == '\t') {
		bad(out, 400, "header line folded onto the previous one (obs-fold)");
		return -1;
	}
	size_t i = token_len(s, n);
	if (i == 0 || i == n || s[i] != ':') {
		bad(out, 400, "malformed header line (a field name must be followed by ':' directly)");
		return -1;
	}
	size_t name_len = i++;
	for (size_t k = i; k < n; k++) {
		if (!is_value_char((unsigned char)s[k])) {
			bad(out, 400, "control character in a header value");
			return -1;
		}
	}
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	/* Trailing whitespace stays in the value, as libmicrohttpd keeps it:
	 * "Content-Length: 5 " must not pass here and fail there. */
	hdr_framing_add(f, s, name_len, s + i, n - i);
	return 0;
}

void hdr_scan(const char *buf, size_t n, size_t max, struct hdr_scan *out)
{
	struct hdr_framing f = HDR_FRAMING_INIT;
	bool seen_request_line = false;
	size_t pos = 0;
	out->result = HDR_MORE;
	out->len = 0;
	out->status = 0;
	out->why = NULL;
	for (;;) {
		const char *lf = pos < n ? memchr(buf + pos, '\n', n - pos) : NULL;
		if (!lf || (size_t)(lf - buf) >= max) {
			if (n >= max)
				bad(out, 431, "request line and headers are larger than the limit");
			return;
		}
		size_t end = (size_t)(lf - buf);
		if (end == pos || buf[end - 1] != '\r') {
			bad(out, 400, "line ended by a bare LF (lines must end in CRLF)");
			return;
		}
		const char *line = buf + pos;
		size_t len = end - 1 - pos;
		pos = end + 1;
		if (memchr(line, '\r', len)) {
			bad(out, 400, "bare CR in the request line or a header");
			return;
		}
		if (len == 0) {
			if (!seen_request_line)
				continue; /* empty lines before the request line are ignored (RFC 9112 2.2) */
			const char *why = hdr_framing_verdict(&f);
			if (why) {
				bad(out, 400, why);
				return;
			}
			out->result = HDR_OK;
			out->len = pos;
			return;
		}
		if (!seen_request_line) {
			if (check_request_line(line, len, &f, out) < 0)
				return;
			seen_request_line = true;
		} else if (check_field_line(line, len, &f, out) < 0) {
			return;
		}
	}
}
