/*
 * access.c: the Host and Origin rules applied, the caller identified, the
 * route's role checked, the audit line (see access.h).
 */
#include "access.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "config.h"
#include "login_page.h"
#include "origin.h"
#include "session.h"
#include "util.h"

int access_init(void)
{
	if (origin_init() < 0 || auth_init() < 0)
		return -1;
	if (!auth_enabled() && !origin_host_rule())
		util_log("level=warn msg=\"no --auth-file and not on loopback: whoever reaches the port may read, "
		         "upload and delete (docs/SECURITY.md)\"");
	return 0;
}

void access_shutdown(void)
{
	auth_shutdown();
}

static bool state_changing(enum http_method m)
{
	return m != M_GET && m != M_HEAD && m != M_OPTIONS;
}

bool access_guard(struct req *r, enum MHD_Result *res)
{
	const char *host = req_header(r, MHD_HTTP_HEADER_HOST);
	if (!origin_host_ok(host)) {
		*res = reply_error(r, 421, "misdirected_request",
		                   "this server does not answer to the host \"%.64s\" (see --allowed-hosts and "
		                   "--public-url)", host);
		return true;
	}
	if (state_changing(r->method) &&
	    !origin_write_ok(req_header(r, "Origin"), req_header(r, "Sec-Fetch-Site"), host)) {
		char client[64];
		access_client(r, client, sizeof(client));
		util_log("level=warn rid=%s msg=\"cross-origin write refused\" client=%s", r->rid, client);
		*res = reply_error(r, 403, "cross_origin",
		                   "a page of another origin may not change anything here");
		return true;
	}
	return false;
}

/* ---- who is calling ------------------------------------------------------ */

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Standard base64 (padding optional) into out. false when malformed or
 * longer than cap - 1. */
static bool b64_decode(const char *s, char *out, size_t cap, size_t *len)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (; *s && *s != '='; s++) {
		int v = b64_val(*s);
		if (v < 0)
			return false;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= cap)
				return false;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	while (*s == '=')
		s++;
	if (*s)
		return false;
	out[o] = '\0';
	*len = o;
	return true;
}

/* The token of an Authorization header value into tok (cap bytes), its
 * length in *n. false when it holds none. */
static bool credential(const char *h, char *tok, size_t cap, size_t *n)
{
	while (*h == ' ')
		h++;
	if (strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		while (*h == ' ')
			h++;
		size_t l = strlen(h);
		while (l && h[l - 1] == ' ')
			l--;
		if (l == 0 || l >= cap)
			return false;
		memcpy(tok, h, l);
		tok[l] = '\0';
		*n = l;
		return true;
	}
	if (strncasecmp(h, "Basic ", 6) == 0) {
		char pair[2 * AUTH_TOKEN_MAX + 2];
		size_t l;
		h += 6;
		while (*h == ' ')
			h++;
		if (!b64_decode(h, pair, sizeof(pair), &l))
			return false;
		char *colon = memchr(pair, ':', l);
		const char *t = pair;
		size_t tl = l;
		if (colon && colon + 1 < pair + l)
			t = colon + 1, tl = (size_t)(pair + l - t); /* the password */
		else if (colon)
			tl = (size_t)(colon - pair);                 /* "TOKEN:" */
		bool ok = tl > 0 && tl < cap;
		if (ok) {
			memcpy(tok, t, tl);
			tok[tl] = '\0';
			*n = tl;
		}
		explicit_bzero(pair, sizeof(pair));
		return ok;
	}
	return false;
}

/* The key of the failed-attempt bucket of r's client: the address, or
 * for IPv6 its /64 (one host's usual share). */
static void limit_key(const struct req *r, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	if (sa && sa->sa_family == AF_INET6) {
		struct in6_addr a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (!IN6_IS_ADDR_V4MAPPED(&a)) {
			memset(a.s6_addr + 8, 0, 8);
			char t[INET6_ADDRSTRLEN];
			inet_ntop(AF_INET6, &a, t, sizeof(t));
			snprintf(out, cap, "%s/64", t);
			return;
		}
	}
	access_client(r, out, cap);
}

enum access_auth access_identify(struct req *r, struct auth_who *who, unsigned *retry_after)
{
	memset(who, 0, sizeof(*who));
	const char *authz = req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	if (authz) {
		char key[80];
		limit_key(r, key, sizeof(key));
		if (auth_limited(key, retry_after))
			return ACCESS_LIMITED;
		char tok[AUTH_TOKEN_MAX + 1];
		size_t n = 0;
		bool ok = credential(authz, tok, sizeof(tok), &n) && auth_find_token(tok, n, who);
		explicit_bzero(tok, sizeof(tok));
		if (ok)
			return ACCESS_OK;
		memset(who, 0, sizeof(*who));
		auth_failed(key);
		util_log("level=warn rid=%s msg=\"invalid token\" client=%s", r->rid, key);
		return ACCESS_BAD;
	}
	const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, SESSION_COOKIE);
	if (cookie) {
		int rc = session_find(cookie, who);
		if (rc == 0)
			return ACCESS_OK;
		memset(who, 0, sizeof(*who));
		if (rc < 0)
			return ACCESS_ERROR;
	}
	return ACCESS_ANON;
}

/* ---- the rule -------------------------------------------------------------- */

enum route_role access_need(const struct route *rt)
{
	switch (rt->role) {
	case ROLE_OPEN:
	case ROLE_READ:
	case ROLE_WRITE:
	case ROLE_ADMIN:
		return rt->role;
	case ROLE_METRICS:
		if (strcmp(cfg.metrics_role, "open") == 0)
			return ROLE_OPEN;
		switch (auth_role_parse(cfg.metrics_role)) {
		case AUTH_WRITE:
			return ROLE_WRITE;
		case AUTH_ADMIN:
			return ROLE_ADMIN;
		default:
			return ROLE_READ;
		}
	case ROLE_UNSET:
		break;
	}
	return ROLE_ADMIN;
}

int access_status(bool auth_on, enum route_role need, enum access_auth a, enum auth_role have)
{
	if (!auth_on || need == ROLE_OPEN)
		return 0;
	if (a == ACCESS_LIMITED)
		return 429;
	if (a == ACCESS_ERROR)
		return 500;
	if (a != ACCESS_OK || have == AUTH_NONE)
		return 401;
	enum auth_role want = need == ROLE_READ ? AUTH_READ : need == ROLE_WRITE ? AUTH_WRITE : AUTH_ADMIN;
	return have >= want ? 0 : 403;
}

static const char *need_name(enum route_role need)
{
	return need == ROLE_READ ? "read" : need == ROLE_WRITE ? "write" : "admin";
}

bool access_check(struct req *r, const struct route *rt, struct auth_who *who, enum MHD_Result *res)
{
	memset(who, 0, sizeof(*who));
	enum route_role need = access_need(rt);
	bool on = auth_enabled();
	enum access_auth a = ACCESS_ANON;
	unsigned retry = 0;
	if (on && need != ROLE_OPEN)
		a = access_identify(r, who, &retry);
	switch (access_status(on, need, a, who->role)) {
	case 0:
		return false;
	case 429: {
		char ra[16];
		snprintf(ra, sizeof(ra), "%u", retry);
		reply_header(r, "Retry-After", ra);
		*res = reply_error(r, 429, "too_many_attempts",
		                   "too many invalid tokens from this address: retry in %u s", retry);
		return true;
	}
	case 500:
		*res = reply_error(r, 500, "internal", "the session table did not answer");
		return true;
	case 403:
		*res = reply_error(r, 403, "forbidden", "the token %s has the role %s; this needs %s", who->name,
		                   auth_role_name(who->role), need_name(need));
		return true;
	default:
		break;
	}
	bool page = rt->handler == route_static_page && (r->method == M_GET || r->method == M_HEAD);
	if (page && a == ACCESS_ANON) {
		*res = login_page(r, 401);
		return true;
	}
	reply_header(r, "WWW-Authenticate", "Bearer realm=\"flamedex\"");
	*res = reply_error(r, 401, "unauthorized",
	                   a == ACCESS_BAD ? "the token is not valid"
	                                   : "this needs a token (Authorization: Bearer TOKEN) or a sign-in at /login");
	return true;
}

/* ---- the caller while the handler runs ------------------------------------ */

static __thread const struct req *bound;
static __thread struct auth_who bound_who;
static __thread char bound_profile[FDX_ID_LEN + 1];

void access_bind(struct req *r, const struct auth_who *who)
{
	bound = r;
	bound_who = *who;
	bound_profile[0] = '\0';
}

void access_unbind(void)
{
	bound = NULL;
	memset(&bound_who, 0, sizeof(bound_who));
	bound_profile[0] = '\0';
}

const struct auth_who *access_who(const struct req *r)
{
	return r == bound && bound_who.role != AUTH_NONE ? &bound_who : NULL;
}

const char *access_name(const struct req *r)
{
	const struct auth_who *w = access_who(r);
	return w ? w->name : NULL;
}

void access_note_profile(const struct req *r, const char *id)
{
	if (r == bound)
		snprintf(bound_profile, sizeof(bound_profile), "%s", id);
}

void access_client(const struct req *r, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	char t[INET6_ADDRSTRLEN] = "-";
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, t, sizeof(t));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, t, sizeof(t));
	snprintf(out, cap, "%s", t);
}

void access_audit(const struct req *r, const struct route *rt, const struct route_params *p)
{
	if (!state_changing(r->method))
		return;
	char client[64], id[2 * FDX_ID_LEN + 8];
	access_client(r, client, sizeof(client));
	const char *pid = route_param(p, "id");
	if (!pid && r == bound && bound_profile[0])
		pid = bound_profile;
	util_log_escape(pid ? pid : "-", id, sizeof(id));
	const struct auth_who *w = access_who(r);
	util_log("level=audit rid=%s method=%s route=%s status=%d who=%s client=%s profile=%s", r->rid,
	         http_method_name(r->method), rt->pattern, r->status, w ? w->name : "-", client, id);
}
