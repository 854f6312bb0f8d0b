/*
 * timeline.c: the timeline of a selection (see timeline.h).
 */
#include "timeline.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "work.h"

/* The index of sample type name in p, -1 when none. */
static int type_named(const struct store_fx_profile *p, const char *name)
{
	size_t nl = strlen(name);
	const char *s = p->types;
	for (int t = 0; t < (int)p->n_types && t < 16; t++) {
		const char *e = strchr(s, '\n');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (l == nl && !memcmp(s, name, nl))
			return t;
		if (!e)
			break;
		s = e + 1;
	}
	return -1;
}

const char *timeline_metric(const struct store_fx_profile *p, double *value, bool *ok)
{
	*ok = false;
	*value = 0;
	const char *name = "total", *type = NULL;
	if (!strcmp(p->kind, "cpu")) {
		name = "cores";
		type = "cpu";
	} else if (!strcmp(p->kind, "heap")) {
		name = "inuse_bytes";
		type = "inuse_space";
	} else if (!strcmp(p->kind, "goroutine")) {
		name = "goroutines";
		type = "goroutine";
	} else if (!strcmp(p->kind, "mutex") || !strcmp(p->kind, "block")) {
		name = "delay_ns";
		type = "delay";
	}
	if (!p->indexed)
		return name;
	int t = type ? type_named(p, type) : (p->def_type < p->n_types && p->def_type < 16 ? (int)p->def_type : -1);
	if (t < 0)
		return name;
	if (!strcmp(name, "cores")) {
		if (p->duration_ns <= 0)
			return name;
		*value = (double)p->totals[t] / (double)p->duration_ns;
	} else {
		*value = (double)p->totals[t];
	}
	*ok = true;
	return name;
}

int timeline_json(const struct store_fx_profile *pr, int n, struct json *j)
{
	json_obj_begin(j);
	json_key(j, "points");
	json_arr_begin(j);
	for (int i = 0; i < n; i++) {
		if ((i & 255) == 0 && work_poll() != WORK_OK)
			return -1;
		const struct store_fx_profile *p = &pr[i];
		char ts[40], url[40];
		util_rfc3339(p->time, ts);
		snprintf(url, sizeof(url), "/p/%s", p->id);
		json_obj_begin(j);
		json_key(j, "id");
		json_str(j, p->id);
		json_key(j, "time");
		json_str(j, ts);
		json_key(j, "kind");
		json_str(j, p->kind);
		json_key(j, "duration_ns");
		json_int(j, p->duration_ns);
		json_key(j, "url");
		json_str(j, url);
		json_key(j, "sample_types");
		json_arr_begin(j);
		const char *s = p->types;
		for (uint32_t t = 0; p->indexed && t < p->n_types && t < 16; t++) {
			const char *e = strchr(s, '\n');
			size_t l = e ? (size_t)(e - s) : strlen(s);
			json_obj_begin(j);
			json_key(j, "type");
			json_strn(j, s, l);
			json_key(j, "total");
			json_int(j, p->totals[t]);
			json_obj_end(j);
			if (!e)
				break;
			s = e + 1;
		}
		json_arr_end(j);
		double v;
		bool ok;
		const char *name = timeline_metric(p, &v, &ok);
		json_key(j, "metric");
		json_obj_begin(j);
		json_key(j, "name");
		json_str(j, name);
		json_key(j, "value");
		if (ok)
			json_double(j, v);
		else
			json_null(j);
		json_obj_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
	return 0;
}
