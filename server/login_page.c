/*
 * login_page.c: the compiled-in sign-in page (see login_page.h).
 */
#include "login_page.h"

static const char shell[] =
	"<!doctype html>\n"
	"<html lang=\"en\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<meta name=\"color-scheme\" content=\"light dark\">\n"
	"<title>Sign in · flamedex</title>\n"
	"<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\n"
	"<link rel=\"stylesheet\" href=\"/css/app.css\">\n"
	"<script type=\"module\" src=\"/js/login.js\"></script>\n"
	"</head>\n"
	"<body>\n"
	"<div id=\"app\" class=\"app\" data-page=\"login\"></div>\n"
	"<noscript><p class=\"noscript\">Signing in needs JavaScript. The JSON API under /api/v1 takes "
	"Authorization: Bearer TOKEN without it.</p></noscript>\n"
	"</body>\n"
	"</html>\n";

enum MHD_Result login_page(struct req *r, int status)
{
	return reply_static(r, status, "text/html; charset=utf-8", shell);
}
