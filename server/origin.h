/*
 * origin.h: which browser contexts may talk to the server: the Host rule
 * (against DNS rebinding) and the Origin rule (against cross-site writes).
 * Pure string rules on header values; access.c applies them to requests.
 *
 * Host. A page of evil.example whose name is made to resolve to 127.0.0.1
 * talks to a flamedex there as evil.example: same-origin for the browser,
 * so it may read and delete everything. Its requests carry "Host:
 * evil.example". When the Host rule is on, a Host is answered only when
 * its name (the port is not looked at) is
 *   - an IP literal (127.0.0.1, [::1], 10.1.2.3): no DNS name, nothing to
 *     rebind;
 *   - localhost;
 *   - the host of --listen, or of --public-url;
 *   - one of --allowed-hosts (comma-separated, case-insensitive).
 * The rule is on when --listen is a loopback address (the default), or
 * when --public-url or --allowed-hosts is given; --allowed-hosts '*'
 * turns it off. A request without a Host (HTTP/1.0) passes.
 *
 * Origin. A state-changing request (POST, PUT, PATCH, DELETE: anything but
 * GET, HEAD and OPTIONS) is refused when
 *   - Sec-Fetch-Site is cross-site or same-site (same-site is another
 *     origin too, e.g. another port of 127.0.0.1), or
 *   - Origin is present and is neither the server's own origin (scheme
 *     "http", or "https" under TLS, "://" and the request's Host) nor the
 *     origin of --public-url. "Origin: null" is never ours.
 * A request with neither header (curl, CI scripts, go tool pprof) passes:
 * browsers send Origin on every POST, PUT, PATCH and DELETE. Default
 * ports are ignored in the comparison (http://h:80 is http://h).
 */
#ifndef FDX_ORIGIN_H
#define FDX_ORIGIN_H

#include <stdbool.h>

/* Read cfg.listen, cfg.public_url and cfg.allowed_hosts. 0, or -1 after
 * printing to stderr which one is wrong. */
int origin_init(void);
/* Is the Host rule on? */
bool origin_host_rule(void);
/* Does the server speak TLS (the Secure cookie attribute, the scheme of
 * its own origin)? */
bool origin_tls(void);
/* Do people reach it over https (TLS here or at a proxy: --public-url)? */
bool origin_https(void);

/* May a request with this Host header (NULL when none) be answered? */
bool origin_host_ok(const char *host);
/* May a state-changing request with these headers (each NULL when not
 * sent) run? */
bool origin_write_ok(const char *origin, const char *sec_fetch_site, const char *host);

#endif
