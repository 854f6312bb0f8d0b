/*
 * route_static.c: the web app's pages and files, and /healthz.
 *
 *   GET /, /p/{id}, /diff/{a}/{b}, /leaks   index.html: the app reads its
 *                                           state from the URL
 *   GET /{file}, /css/..., /js/...          a file under --web
 *   GET /healthz                            200 "ok" when the database answers
 *
 * File paths are checked character by character before they touch the
 * file system; only known file types are served.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "routes.h"
#include "store.h"

#define MAX_ASSET_BYTES (8u * 1024 * 1024)

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".json", "application/json" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".woff2", "font/woff2" },
};

static const char *content_type(const char *path)
{
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

static bool safe_path(const char *p)
{
	if (*p != '/' || strstr(p, "..") || strstr(p, "//"))
		return false;
	for (const char *c = p; *c; c++) {
		char ch = *c;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '/' || ch == '.' || ch == '-' || ch == '_'))
			return false;
	}
	return strlen(p) < 512;
}

static enum MHD_Result serve_file(struct req *r, const char *rel)
{
	const char *ctype = content_type(rel);
	if (!ctype)
		return reply_error(r, 404, "not_found", "no such file");
	char full[2048];
	snprintf(full, sizeof(full), "%s%s", cfg.web, rel);
	int fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return reply_error(r, 404, "not_found", "no such file");
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > MAX_ASSET_BYTES) {
		close(fd);
		return reply_error(r, 404, "not_found", "no such file");
	}
	size_t n = (size_t)st.st_size;
	char *data = malloc(n + 1);
	size_t got = 0;
	while (data && got < n) {
		ssize_t k = read(fd, data + got, n - got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	if (!data || got != n) {
		free(data);
		return reply_error(r, 500, "internal", "cannot read asset");
	}
	return reply_owned(r, 200, ctype, data, n);
}

enum MHD_Result route_static_healthz(struct req *r, const struct route_params *p)
{
	if (store_health() < 0)
		return reply_static(r, 503, "text/plain; charset=utf-8", "database unavailable\n");
	return reply_static(r, 200, "text/plain; charset=utf-8", "ok\n");
}

enum MHD_Result route_static_page(struct req *r, const struct route_params *p)
{
	return serve_file(r, "/index.html");
}

enum MHD_Result route_static_file(struct req *r, const struct route_params *p)
{
	if (!safe_path(r->url))
		return reply_error(r, 404, "not_found", "no such file");
	return serve_file(r, r->url);
}
