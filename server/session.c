/*
 * session.c: sign-in sessions, kept in the database through store.h, and the
 * cookie (see session.h).
 */
#include "session.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "origin.h"
#include "store.h"
#include "util.h"

#define SESSION_ID_BYTES 32

/* Hex SHA-256 of a cookie value: what the database keys on. */
static bool id_hash(const char *id, char hex[AUTH_HEX_LEN + 1])
{
	size_t n = strlen(id);
	if (n != SESSION_ID_LEN)
		return false;
	auth_sha256_hex(id, n, hex);
	return true;
}

int session_create(const struct auth_who *who, char id[SESSION_ID_LEN + 1], int64_t *expires_at)
{
	struct store_session s;
	memset(&s, 0, sizeof(s));
	if (auth_random_b64url(SESSION_ID_BYTES, id) < 0 || !id_hash(id, s.id_hash))
		return -1;
	int64_t now = util_now_nanos();
	*expires_at = now + (int64_t)cfg.session_ttl_s * 1000000000;
	snprintf(s.token_hash, sizeof(s.token_hash), "%s", who->token_hash);
	snprintf(s.name, sizeof(s.name), "%s", who->name);
	s.created_at = now;
	s.expires_at = *expires_at;
	return store_session_put(&s, now);
}

int session_find(const char *id, struct auth_who *who)
{
	char hex[AUTH_HEX_LEN + 1];
	if (!id_hash(id, hex))
		return 1;
	struct store_session s;
	int rc = store_session_get(hex, &s);
	if (rc != 0)
		return rc;
	if (s.expires_at <= util_now_nanos() || !auth_find_hash(s.token_hash, who))
		return 1;
	who->session = true;
	who->expires_at = s.expires_at;
	return 0;
}

int session_end(const char *id)
{
	char hex[AUTH_HEX_LEN + 1];
	if (!id_hash(id, hex))
		return 0;
	return store_session_del(hex);
}

void session_cookie(const char *id, char *out, size_t cap)
{
	snprintf(out, cap, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%u%s", SESSION_COOKIE, id ? id : "",
	         id ? cfg.session_ttl_s : 0u, origin_https() ? "; Secure" : "");
}
