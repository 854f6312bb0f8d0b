/*
 * view_graph.c: DOT to SVG through Graphviz (see view_graph.h).
 */
#include "view_graph.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

/* Graphviz's context lives until exit, and its plugins (fontconfig, pango)
 * keep caches they never free: in sanitizer builds LeakSanitizer is told
 * to ignore those libraries (and only those). */
#if defined(__SANITIZE_ADDRESS__)
#define FDX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FDX_ASAN 1
#endif
#endif
#ifdef FDX_ASAN
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libgvc.so\nleak:libcgraph.so\nleak:libfontconfig.so\nleak:libpango\nleak:libcairo.so\n"
	       "leak:libglib-2.0.so\nleak:libgobject-2.0.so\nleak:libgvplugin_\n";
}
#endif

static pthread_mutex_t gv_mu = PTHREAD_MUTEX_INITIALIZER;
static GVC_t *gv_ctx;

int view_graph_svg(const char *dot, size_t n, struct buf *out, char *err, size_t errcap)
{
	int rc = VIEW_GRAPH_UNAVAILABLE;
	char *text = malloc(n + 1);
	if (!text)
		return -1;
	memcpy(text, dot, n);
	text[n] = 0;
	snprintf(err, errcap, "graphviz could not lay out the graph");
	pthread_mutex_lock(&gv_mu);
	if (!gv_ctx) {
		agseterr(AGMAX); /* no messages on stderr: failures are replies */
		gv_ctx = gvContext();
	}
	if (!gv_ctx) {
		snprintf(err, errcap, "graphviz is not available");
		goto out;
	}
	Agraph_t *g = agmemread(text);
	if (!g) {
		snprintf(err, errcap, "graphviz could not read the graph");
		goto out;
	}
	if (gvLayout(gv_ctx, g, "dot") == 0) {
		char *data = NULL;
		unsigned int len = 0;
		if (gvRenderData(gv_ctx, g, "svg", &data, &len) == 0 && data) {
			buf_add(out, data, len);
			rc = out->oom ? -1 : 0;
		}
		if (data)
			gvFreeRenderData(data);
		gvFreeLayout(gv_ctx, g);
	}
	agclose(g);
out:
	pthread_mutex_unlock(&gv_mu);
	free(text);
	return rc;
}
