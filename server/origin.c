/*
 * origin.c: the Host and Origin rules (see origin.h).
 */
#include "origin.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "util.h"

#define NAME_MAX_ 256
#define ORIGIN_MAX (8 + NAME_MAX_ + 8)

static bool host_rule;
static char listen_name[NAME_MAX_];
static char public_origin[ORIGIN_MAX];
static char public_name[NAME_MAX_];

bool origin_tls(void)
{
	return cfg.tls_cert[0] != '\0'; /* config_load requires --tls-key with it */
}

bool origin_https(void)
{
	return origin_tls() || strncmp(public_origin, "https://", 8) == 0;
}

bool origin_host_rule(void)
{
	return host_rule;
}

/* Split "name[:port]" or "[v6]:port" into a lower-case name (brackets
 * dropped, one trailing dot dropped) and port ("" when none). */
static bool split_host(const char *s, size_t len, char name[NAME_MAX_], char port[8])
{
	const char *end = s + len, *colon;
	size_t nl;
	port[0] = '\0';
	if (len && s[0] == '[') {
		const char *rb = memchr(s, ']', len);
		if (!rb)
			return false;
		colon = rb + 1 < end ? rb + 1 : NULL;
		if (colon && *colon != ':')
			return false;
		s++;
		nl = (size_t)(rb - s);
	} else {
		colon = memchr(s, ':', len);
		nl = colon ? (size_t)(colon - s) : len;
		if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
			return false; /* an IPv6 literal without brackets */
	}
	if (colon) {
		size_t pl = (size_t)(end - colon - 1);
		if (pl == 0 || pl >= 8)
			return false;
		for (size_t i = 0; i < pl; i++)
			if (!isdigit((unsigned char)colon[1 + i]))
				return false;
		memcpy(port, colon + 1, pl);
		port[pl] = '\0';
	}
	if (nl && s[nl - 1] == '.')
		nl--;
	if (nl == 0 || nl >= NAME_MAX_)
		return false;
	for (size_t i = 0; i < nl; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || c == '/' || c == '@' || c == '\\')
			return false;
		name[i] = (char)tolower(c);
	}
	name[nl] = '\0';
	return true;
}

static bool is_ip_literal(const char *name)
{
	unsigned char a[16];
	return inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1;
}

static bool is_loopback(const char *name)
{
	unsigned char a[16];
	if (inet_pton(AF_INET, name, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, name, a) == 1) {
		static const unsigned char one[16] = { [15] = 1 };
		return memcmp(a, one, 16) == 0;
	}
	return strcmp(name, "localhost") == 0;
}

/* "scheme://name[:port]" into out, lower-case, default port dropped, IPv6
 * names bracketed. */
static void make_origin(const char *scheme, const char *name, const char *port, char out[ORIGIN_MAX])
{
	bool dflt = !port[0] || (!strcmp(scheme, "http") && !strcmp(port, "80")) ||
	            (!strcmp(scheme, "https") && !strcmp(port, "443"));
	bool v6 = strchr(name, ':') != NULL;
	snprintf(out, ORIGIN_MAX, "%s://%s%s%s%s%s", scheme, v6 ? "[" : "", name, v6 ? "]" : "", dflt ? "" : ":",
	         dflt ? "" : port);
}

/* Parse an origin ("http(s)://host[:port]", nothing after but an optional
 * "/" when slash_ok) into its normal form and its name. */
static bool parse_origin(const char *s, bool slash_ok, char out[ORIGIN_MAX], char name[NAME_MAX_])
{
	const char *scheme;
	if (strncasecmp(s, "http://", 7) == 0)
		scheme = "http", s += 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		scheme = "https", s += 8;
	else
		return false;
	size_t len = strlen(s);
	if (slash_ok && len && s[len - 1] == '/')
		len--;
	char port[8];
	if (memchr(s, '/', len) || !split_host(s, len, name, port))
		return false;
	make_origin(scheme, name, port, out);
	return true;
}

/* The next entry of the comma-separated list at *p, as a host name: 1
 * (in name), 0 at the end, -1 when the entry is not a host name. */
static int list_next(const char **p, char name[NAME_MAX_])
{
	while (**p == ',' || **p == ' ' || **p == '\t')
		(*p)++;
	if (!**p)
		return 0;
	const char *s = *p;
	size_t len = strcspn(s, ",");
	*p += len;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	char port[8];
	return split_host(s, len, name, port) ? 1 : -1;
}

static bool in_list(const char *list, const char *name)
{
	char n[NAME_MAX_];
	int k;
	while ((k = list_next(&list, n)) != 0)
		if (k > 0 && strcmp(n, name) == 0)
			return true;
	return false;
}

int origin_init(void)
{
	char port[8];
	const char *colon = strrchr(cfg.listen, ':');
	listen_name[0] = '\0';
	if (colon && colon > cfg.listen)
		split_host(cfg.listen, (size_t)(colon - cfg.listen), listen_name, port);
	public_origin[0] = public_name[0] = '\0';
	if (cfg.public_url[0] && !parse_origin(cfg.public_url, true, public_origin, public_name)) {
		fprintf(stderr, "flamedex: --public-url must look like https://flamedex.example.com[:PORT] "
		                "(a scheme and a host, no path): %s\n", cfg.public_url);
		return -1;
	}
	bool any = strcmp(cfg.allowed_hosts, "*") == 0;
	const char *p = any ? "" : cfg.allowed_hosts;
	char n[NAME_MAX_];
	int k;
	while ((k = list_next(&p, n)) != 0) {
		if (k < 0) {
			fprintf(stderr, "flamedex: --allowed-hosts: not a list of host names: %s\n", cfg.allowed_hosts);
			return -1;
		}
	}
	host_rule = !any && (is_loopback(listen_name) || cfg.public_url[0] || cfg.allowed_hosts[0]);
	if (!host_rule && !any)
		util_log("level=warn msg=\"--listen is not a loopback address and neither --public-url nor "
		         "--allowed-hosts is set: any Host is answered (no DNS rebinding protection)\"");
	return 0;
}

bool origin_host_ok(const char *host)
{
	if (!host || !host_rule)
		return true;
	char name[NAME_MAX_], port[8];
	if (!split_host(host, strlen(host), name, port))
		return false;
	return is_ip_literal(name) || strcmp(name, "localhost") == 0 ||
	       (listen_name[0] && strcmp(name, listen_name) == 0) ||
	       (public_name[0] && strcmp(name, public_name) == 0) || in_list(cfg.allowed_hosts, name);
}

bool origin_write_ok(const char *origin, const char *sec_fetch_site, const char *host)
{
	if (sec_fetch_site &&
	    (strcasecmp(sec_fetch_site, "cross-site") == 0 || strcasecmp(sec_fetch_site, "same-site") == 0))
		return false;
	if (!origin)
		return true;
	char o[ORIGIN_MAX], name[NAME_MAX_], port[8];
	if (!parse_origin(origin, false, o, name))
		return false; /* "null", or not an origin */
	if (public_origin[0] && strcmp(o, public_origin) == 0)
		return true;
	if (!host || !split_host(host, strlen(host), name, port))
		return false;
	char self[ORIGIN_MAX];
	make_origin(origin_tls() ? "https" : "http", name, port, self);
	return strcmp(o, self) == 0;
}
