/*
 * access.h: what a request may do. router_dispatch asks, in this order:
 *
 *   access_guard   before routing: the Host rule (421 misdirected_request)
 *                  and the Origin rule (403 cross_origin) of origin.h, for
 *                  every request, with or without --auth-file;
 *   access_check   after routing: who the caller is and whether the role
 *                  of the route (router.h) allows it: 401 unauthorized,
 *                  403 forbidden, 429 too_many_attempts (with
 *                  Retry-After), or for a page the sign-in page (401);
 *   access_bind    while the handler runs: access_who(r) is the caller;
 *   access_audit   after it: one "level=audit" log line per
 *                  state-changing request that reached its handler
 *                  (method and route, status, token name, client address,
 *                  profile id).
 *
 * Who the caller is (with --auth-file, for routes that are not
 * ROLE_OPEN): "Authorization: Bearer TOKEN", or "Authorization: Basic"
 * with the token as the password (or as the user name when the password
 * is empty: curl -u TOKEN:, go tool pprof http://x:TOKEN@host/...), or
 * else the sign-in cookie (session.h). A token that matches no line is a
 * failed attempt of the client address (auth.h); an address out of
 * attempts gets 429 for any token, valid or not, until its bucket
 * refills, so guessing learns nothing. A cookie that matches no live
 * session is as if there were none (not a failed attempt: session ids
 * have 256 bits). Failed attempts are logged with the client address,
 * never with what was offered.
 */
#ifndef FDX_ACCESS_H
#define FDX_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "auth.h"
#include "router.h"

/* origin_init and auth_init (each prints what is wrong). 0 or -1. */
int access_init(void);
void access_shutdown(void);

/* true when it replied (*res): the request breaks the Host or Origin rule. */
bool access_guard(struct req *r, enum MHD_Result *res);

/* How the caller was identified. */
enum access_auth {
	ACCESS_ANON,     /* no credentials (or a cookie of no live session) */
	ACCESS_OK,       /* a valid token or session: who is set */
	ACCESS_BAD,      /* a token that matches no line (counted) */
	ACCESS_LIMITED,  /* the address is out of attempts */
	ACCESS_ERROR,    /* the session table did not answer */
};

/* The role rt needs, --metrics-role applied (never ROLE_METRICS or
 * ROLE_UNSET: a row without a rule needs ROLE_ADMIN). */
enum route_role access_need(const struct route *rt);
/* The status a request gets: 0 (allowed), 401, 403, 429 or 500. With
 * auth_on false everything is allowed; a ROLE_OPEN route always is. The
 * rule itself, for the unit tests. */
int access_status(bool auth_on, enum route_role need, enum access_auth a, enum auth_role have);

/* Identify r's caller into who (zeroed first). *retry_after is set for
 * ACCESS_LIMITED. */
enum access_auth access_identify(struct req *r, struct auth_who *who, unsigned *retry_after);

/* true when it replied (*res): r may not run rt. Otherwise who is the
 * caller (role AUTH_NONE without --auth-file or on an open route). */
bool access_check(struct req *r, const struct route *rt, struct auth_who *who, enum MHD_Result *res);

/* Bind who to r on this thread for the handler (handlers run inside
 * router_dispatch, on its thread); unbind after it. */
void access_bind(struct req *r, const struct auth_who *who);
void access_unbind(void);
/* r's caller while its handler runs: NULL when nobody is signed in. */
const struct auth_who *access_who(const struct req *r);
/* The token name of r's caller (uploaded_by), or NULL. */
const char *access_name(const struct req *r);
/* The profile a handler created (an upload), for the audit line. */
void access_note_profile(const struct req *r, const char *id);

/* r's client address as text ("-" when unknown). */
void access_client(const struct req *r, char *out, size_t cap);
/* The audit line of r, when it was state-changing. */
void access_audit(const struct req *r, const struct route *rt, const struct route_params *p);

#endif
