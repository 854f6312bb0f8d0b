/*
 * route_auth.c: signing in and out (docs/SECURITY.md, docs/API.md).
 *
 *   GET  /login            the sign-in page (web/js/login.js does the work)
 *   POST /api/v1/login     with a token (Authorization): a session cookie,
 *                          and who signed in, as whoami
 *   POST /api/v1/logout    ends the cookie's session and clears the cookie
 *   GET  /api/v1/whoami    who the request speaks for
 *
 * The sign-in page itself is login_page.c's (access.c answers it too).
 */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "json.h"
#include "login_page.h"
#include "routes.h"
#include "session.h"
#include "util.h"

enum MHD_Result route_auth_page(struct req *r, const struct route_params *p)
{
	return login_page(r, 200);
}

/* {"auth", "name", "role", "via", "expires_at"} of who (NULL: nobody). */
static enum MHD_Result reply_who(struct req *r, int status, const struct auth_who *who)
{
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	json_obj_begin(&j);
	json_key(&j, "auth");
	json_bool(&j, auth_enabled());
	json_key(&j, "name");
	if (who)
		json_str(&j, who->name);
	else
		json_null(&j);
	json_key(&j, "role");
	/* without an auth file everybody may do everything */
	json_str(&j, who ? auth_role_name(who->role) : auth_enabled() ? "none" : "admin");
	json_key(&j, "via");
	if (who)
		json_str(&j, who->session ? "session" : "token");
	else
		json_null(&j);
	json_key(&j, "expires_at");
	if (who && who->session) {
		char ts[40];
		util_rfc3339(who->expires_at, ts);
		json_str(&j, ts);
	} else {
		json_null(&j);
	}
	json_obj_end(&j);
	buf_addc(&out, '\n');
	return reply_buf(r, status, "application/json", &out);
}

enum MHD_Result route_auth_whoami(struct req *r, const struct route_params *p)
{
	return reply_who(r, 200, access_who(r));
}

enum MHD_Result route_auth_login(struct req *r, const struct route_params *p)
{
	const struct auth_who *who = access_who(r);
	if (!auth_enabled())
		return reply_error(r, 404, "not_found", "this server has no --auth-file: there is nothing to sign in to");
	if (!who || who->session)
		return reply_error(r, 400, "bad_request", "sign in with a token: Authorization: Bearer TOKEN");
	char id[SESSION_ID_LEN + 1];
	struct auth_who s = *who;
	if (session_create(&s, id, &s.expires_at) < 0)
		return reply_error(r, 500, "internal", "could not store the session");
	s.session = true;
	char cookie[256];
	session_cookie(id, cookie, sizeof(cookie));
	explicit_bzero(id, sizeof(id));
	if (reply_header(r, "Set-Cookie", cookie) < 0)
		return reply_error(r, 500, "internal", "no room for the session cookie");
	return reply_who(r, 200, &s);
}

enum MHD_Result route_auth_logout(struct req *r, const struct route_params *p)
{
	const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, SESSION_COOKIE);
	if (cookie && session_end(cookie) < 0)
		return reply_error(r, 500, "internal", "could not end the session");
	char clear[160];
	session_cookie(NULL, clear, sizeof(clear));
	reply_header(r, "Set-Cookie", clear);
	return reply_empty(r, 204);
}
