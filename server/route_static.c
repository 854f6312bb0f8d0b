/*
 * route_static.c: the web app's pages and files, and /healthz.
 *
 *   GET /, /p/{id}, /diff/{a}/{b}, /leaks   index.html: the app reads its
 *                                           state from the URL
 *   GET /{file}, /css/..., /js/...          a file under --web
 *   GET /static/v/{version}/{path}          the same file, cached for good
 *   GET /healthz                            200 "ok" when the database answers
 *
 * File paths are checked character by character before they touch the
 * file system; only known file types are served.
 *
 * Caching. Every file carries a strong ETag (a hash of its bytes) and an
 * If-None-Match naming it gets a 304 without a body. The version is a hash
 * of every file under --web (paths and bytes): index.html is sent with its
 * /js/ and /css/ references rewritten under /static/v/{version}/, and with
 * a <link rel=modulepreload> for each module app.js imports (directly or
 * not), so the browser asks for the whole module graph at once instead of
 * discovering it level by level. Under /static/v/{version}/ a file is sent
 * with "Cache-Control: public, max-age=31536000, immutable" when the
 * version is the current one (any change to the files gives new URLs);
 * under an old version it is still served, as no-cache. Everything else is
 * no-cache (revalidated, and a 304 when unchanged). The version is
 * recomputed when a file's size or mtime changes (a stat walk per page).
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "encoding.h"
#include "hash.h"
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

/* The bytes of --web + rel (a checked path), malloc'd; NULL if there is
 * no such regular file (or it is too big). *err: 404 or 500. */
static char *read_asset(const char *rel, size_t *len, int *err)
{
	char full[2048];
	*err = 404;
	if (snprintf(full, sizeof(full), "%s%s", cfg.web, rel) >= (int)sizeof(full))
		return NULL;
	int fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > MAX_ASSET_BYTES) {
		close(fd);
		return NULL;
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
		*err = 500;
		return NULL;
	}
	data[n] = '\0';
	*len = n;
	return data;
}

/* ---- the version of the app's files ------------------------------------- */

#define MAX_ASSETS 512
#define MAX_ASSET_DEPTH 4

struct assets {
	uint64_t stamp;            /* of sizes, mtimes and paths: when to look again */
	char version[17];          /* hex hash of paths and bytes; "" until known */
	struct buf preload;        /* the <link rel=modulepreload> lines */
};

static pthread_mutex_t assets_mu = PTHREAD_MUTEX_INITIALIZER;
static struct assets assets;

struct walk {
	char paths[MAX_ASSETS][256]; /* relative to --web, starting with '/' */
	int n;
	uint64_t stamp;
};

static int cmp_path(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Every servable file under --web + dir (depth-limited, sorted later). */
static void walk_dir(struct walk *w, const char *dir, int depth)
{
	char full[2048];
	snprintf(full, sizeof(full), "%s%s", cfg.web, dir);
	DIR *d = opendir(full);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) && w->n < MAX_ASSETS) {
		if (e->d_name[0] == '.')
			continue;
		char rel[256];
		if (snprintf(rel, sizeof(rel), "%s/%s", dir, e->d_name) >= (int)sizeof(rel) || !safe_path(rel))
			continue;
		struct stat st;
		snprintf(full, sizeof(full), "%s%s", cfg.web, rel);
		if (stat(full, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth < MAX_ASSET_DEPTH)
				walk_dir(w, rel, depth + 1);
		} else if (S_ISREG(st.st_mode) && content_type(rel)) {
			memcpy(w->paths[w->n++], rel, strlen(rel) + 1);
			w->stamp = hash_mix64(w->stamp ^ hash_bytes(rel, strlen(rel)) ^ (uint64_t)st.st_size ^
			                      ((uint64_t)st.st_mtim.tv_sec << 20) ^ (uint64_t)st.st_mtim.tv_nsec);
		}
	}
	closedir(d);
}

/* Resolve the import specifier spec (n bytes) of module `from` ("/js/a.js")
 * into out; false unless it is a relative path to a .js file. */
static bool resolve_import(const char *from, const char *spec, size_t n, char *out, size_t cap)
{
	if (n < 4 || n > 200 || spec[0] != '.' || memcmp(spec + n - 3, ".js", 3) != 0)
		return false;
	char path[512];
	const char *slash = strrchr(from, '/');
	size_t dl = (size_t)(slash - from);
	memcpy(path, from, dl);
	path[dl] = '\0';
	const char *q = spec, *end = spec + n;
	while (q < end) {
		size_t sl = (size_t)(memchr(q, '/', (size_t)(end - q)) ? (const char *)memchr(q, '/', (size_t)(end - q)) - q
		                                                      : end - q);
		if (sl == 1 && q[0] == '.') {
			/* this directory */
		} else if (sl == 2 && q[0] == '.' && q[1] == '.') {
			char *up = strrchr(path, '/');
			if (!up)
				return false;
			*up = '\0';
		} else {
			size_t pl = strlen(path);
			if (pl + 1 + sl + 1 > sizeof(path))
				return false;
			path[pl] = '/';
			memcpy(path + pl + 1, q, sl);
			path[pl + 1 + sl] = '\0';
		}
		q += sl + (q + sl < end);
	}
	if (strlen(path) + 1 > cap || !safe_path(path))
		return false;
	memcpy(out, path, strlen(path) + 1);
	return true;
}

/* The imports of a module's source: the first string after each word
 * "import" in the same statement (import {a} from './x.js', import
 * './x.js', import('./x.js')); only relative .js paths count, so a stray
 * match is at worst a module preloaded for nothing. Adds the new ones to
 * graph[*n]. */
static void scan_imports(const char *from, const char *src, char (*graph)[256], int *n, int max)
{
	for (const char *p = src; (p = strstr(p, "import")) != NULL; p += 6) {
		const char *spec = p + 6 + strcspn(p + 6, "'\";");
		if (*spec != '\'' && *spec != '"')
			continue;
		char quote = *spec++;
		const char *close = strchr(spec, quote);
		if (!close)
			continue;
		char rel[256];
		if (!resolve_import(from, spec, (size_t)(close - spec), rel, sizeof(rel)))
			continue;
		bool seen = false;
		for (int i = 0; i < *n && !seen; i++)
			seen = strcmp(graph[i], rel) == 0;
		if (!seen && *n < max)
			memcpy(graph[(*n)++], rel, strlen(rel) + 1);
	}
}

/* Bring `assets` up to date with the files under --web; caller holds
 * assets_mu. On failure the version stays "" (pages go out unversioned). */
static void assets_refresh(void)
{
	struct walk *w = calloc(1, sizeof(*w));
	if (!w)
		return;
	walk_dir(w, "", 0);
	if (assets.version[0] && w->stamp == assets.stamp) {
		free(w);
		return;
	}
	qsort(w->paths, (size_t)w->n, sizeof(w->paths[0]), cmp_path);
	uint64_t h = 0x666c616d65646578ull;
	for (int i = 0; i < w->n; i++) {
		size_t len;
		int err;
		char *data = read_asset(w->paths[i], &len, &err);
		h = hash_mix64(h ^ hash_bytes(w->paths[i], strlen(w->paths[i])));
		if (data)
			h = hash_mix64(h ^ hash_bytes(data, len));
		free(data);
	}
	char version[17];
	snprintf(version, sizeof(version), "%016llx", (unsigned long long)h);
	/* the module graph of /js/app.js, breadth first */
	static char graph[MAX_ASSETS][256];
	int n = 1;
	snprintf(graph[0], sizeof(graph[0]), "/js/app.js");
	for (int i = 0; i < n; i++) {
		size_t len;
		int err;
		char *src = read_asset(graph[i], &len, &err);
		if (src)
			scan_imports(graph[i], src, graph, &n, MAX_ASSETS);
		free(src);
	}
	buf_release(&assets.preload);
	assets.preload = (struct buf)BUF_INIT;
	for (int i = 0; i < n; i++)
		buf_printf(&assets.preload, "<link rel=\"modulepreload\" href=\"/static/v/%s%s\">\n", version, graph[i]);
	if (assets.preload.oom) {
		buf_release(&assets.preload);
		assets.version[0] = '\0';
	} else {
		memcpy(assets.version, version, sizeof(version));
		assets.stamp = w->stamp;
	}
	free(w);
}

/* ---- replies -------------------------------------------------------------- */

/* 304 when If-None-Match names etag (or is "*"). */
static bool not_modified(struct req *r, const char *etag)
{
	const char *inm = req_header(r, "If-None-Match");
	return inm && (strstr(inm, etag) || strcmp(inm, "*") == 0);
}

static enum MHD_Result reply_asset(struct req *r, char *data, size_t n, const char *ctype, bool immutable)
{
	char etag[24];
	/* gzipped and plain bodies are different representations (encoding.h) */
	bool gz = n >= ENC_MIN_BYTES && enc_compressible(ctype) && enc_accepts_gzip(req_header(r, "Accept-Encoding"));
	snprintf(etag, sizeof(etag), "\"%016llx%s\"", (unsigned long long)hash_bytes(data, n), gz ? "-gz" : "");
	reply_header(r, "ETag", etag);
	reply_header(r, "Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
	if (not_modified(r, etag)) {
		free(data);
		if (n >= ENC_MIN_BYTES && enc_compressible(ctype))
			reply_header(r, "Vary", "Accept-Encoding");
		return reply_empty(r, 304);
	}
	return reply_owned(r, 200, ctype, data, n);
}

static enum MHD_Result serve_file(struct req *r, const char *rel, bool immutable)
{
	const char *ctype = content_type(rel);
	if (!ctype)
		return reply_error(r, 404, "not_found", "no such file");
	size_t n;
	int err;
	char *data = read_asset(rel, &n, &err);
	if (!data)
		return err == 500 ? reply_error(r, 500, "internal", "cannot read asset")
		                  : reply_error(r, 404, "not_found", "no such file");
	return reply_asset(r, data, n, ctype, immutable);
}

/* index.html with its /js/ and /css/ references versioned and the module
 * graph preloaded at <!--modulepreload--> (as it is on disk when the
 * version is unknown). */
static enum MHD_Result serve_index(struct req *r)
{
	size_t n;
	int err;
	char *html = read_asset("/index.html", &n, &err);
	if (!html)
		return err == 500 ? reply_error(r, 500, "internal", "cannot read asset")
		                  : reply_error(r, 404, "not_found", "no such file");
	pthread_mutex_lock(&assets_mu);
	assets_refresh();
	char version[17];
	memcpy(version, assets.version, sizeof(version));
	struct buf out = BUF_INIT;
	if (version[0]) {
		for (const char *p = html; *p;) {
			const char *js = strstr(p, "=\"/js/"), *css = strstr(p, "=\"/css/");
			const char *mark = strstr(p, "<!--modulepreload-->");
			const char *next = js;
			if (!next || (css && css < next))
				next = css;
			if (mark && (!next || mark < next)) {
				buf_add(&out, p, (size_t)(mark - p));
				buf_add(&out, assets.preload.data, assets.preload.len);
				p = mark + strlen("<!--modulepreload-->");
				continue;
			}
			if (!next) {
				buf_adds(&out, p);
				break;
			}
			buf_add(&out, p, (size_t)(next - p) + 2);
			buf_printf(&out, "/static/v/%s", version);
			p = next + 2;
		}
	}
	pthread_mutex_unlock(&assets_mu);
	if (!version[0])
		return reply_asset(r, html, n, "text/html; charset=utf-8", false);
	free(html);
	if (out.oom) {
		buf_release(&out);
		return reply_error(r, 500, "internal", "out of memory");
	}
	size_t len;
	char *data = buf_detach(&out, &len);
	if (!data)
		return reply_error(r, 500, "internal", "out of memory");
	return reply_asset(r, data, len, "text/html; charset=utf-8", false);
}

enum MHD_Result route_static_healthz(struct req *r, const struct route_params *p)
{
	if (store_health() < 0)
		return reply_static(r, 503, "text/plain; charset=utf-8", "database unavailable\n");
	return reply_static(r, 200, "text/plain; charset=utf-8", "ok\n");
}

enum MHD_Result route_static_page(struct req *r, const struct route_params *p)
{
	return serve_index(r);
}

enum MHD_Result route_static_file(struct req *r, const struct route_params *p)
{
	if (!safe_path(r->url))
		return reply_error(r, 404, "not_found", "no such file");
	if (strcmp(r->url, "/index.html") == 0)
		return serve_index(r);
	return serve_file(r, r->url, false);
}

/* GET /static/v/{version}/{path}: the file at /{path}, for good when the
 * version is the current one. */
enum MHD_Result route_static_versioned(struct req *r, const struct route_params *p)
{
	const char *u = r->url + strlen("/static/v/");
	const char *slash = strchr(u, '/');
	if (strncmp(r->url, "/static/v/", 10) != 0 || !slash || slash - u != 16 || !safe_path(slash) ||
	    strcmp(slash, "/index.html") == 0)
		return reply_error(r, 404, "not_found", "no such file");
	pthread_mutex_lock(&assets_mu);
	if (!assets.version[0])
		assets_refresh();
	bool current = assets.version[0] && memcmp(u, assets.version, 16) == 0;
	pthread_mutex_unlock(&assets_mu);
	return serve_file(r, slash, current);
}
