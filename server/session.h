/*
 * session.h: the sign-in sessions of people, in the database (table
 * sessions, schema/003_access.sql and schema/pg/; through store.h), and
 * their cookie.
 *
 * Signing in (route_auth.c) with a token makes a session: a random id of
 * 32 bytes (256 bits), sent once, as the cookie value. The database keeps
 * only the id's SHA-256, so a copy of the database gives no live session;
 * with it, the hash and the name of the token signed in with and the
 * expiry, cfg.session_ttl_s after sign-in (fixed: use does not extend it).
 * A session ends when it expires, when it is signed out, or when its
 * token leaves the auth file: every lookup goes back to the table in force
 * (auth.h), so a reload that drops a token ends its sessions, and one that
 * changes its role changes theirs. The table is in the database so that
 * replicas sharing it share sessions.
 *
 * The cookie: SESSION_COOKIE=ID; Path=/; HttpOnly; SameSite=Strict;
 * Max-Age=TTL, and Secure when people come over https (origin_https).
 */
#ifndef FDX_SESSION_H
#define FDX_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"

#define SESSION_COOKIE "flamedex_session"
#define SESSION_ID_LEN 43   /* 32 random bytes, base64url */

/* A new session for who (a token's holder) into the database; its id
 * (the cookie value) into id and its expiry (unix ns) into *expires_at.
 * Expired sessions are removed on the way. 0 or -1. */
int session_create(const struct auth_who *who, char id[SESSION_ID_LEN + 1], int64_t *expires_at);
/* The live session of cookie value id: who gets its token's current role
 * and name (session true, expires_at set). 0 found, 1 none (unknown,
 * expired, or its token is gone), -1 database error. */
int session_find(const char *id, struct auth_who *who);
/* Remove the session of cookie value id (none is fine). 0 or -1. */
int session_end(const char *id);
/* The Set-Cookie value that sets id, or (id NULL) clears the cookie. */
void session_cookie(const char *id, char *out, size_t cap);

#endif
