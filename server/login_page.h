/*
 * login_page.h: the sign-in page, compiled in.
 *
 * It is what GET /login answers (route_auth.c) and also what a page route
 * answers (401) to somebody not signed in (access.c), at the page's own
 * URL, so that after signing in the page simply opens again with its
 * whole URL (query and fragment included): nothing to redirect to, so
 * nothing to misuse. web/js/login.js does the work. Below both callers,
 * so that neither depends on the other.
 */
#ifndef FDX_LOGIN_PAGE_H
#define FDX_LOGIN_PAGE_H

#include "http.h"

enum MHD_Result login_page(struct req *r, int status);

#endif
