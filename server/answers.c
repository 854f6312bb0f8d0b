/*
 * answers.c: view answers kept gzipped in the database (see answers.h).
 */
#include "answers.h"

#include <stdint.h>
#include <stdlib.h>

#include "encoding.h"
#include "store.h"
#include "util.h"

static unsigned long long n_hits, n_misses, n_writes, n_skipped, n_errors, n_bytes_written, n_bytes_served;

static void add(unsigned long long *c, unsigned long long v)
{
	__atomic_add_fetch(c, v, __ATOMIC_RELAXED);
}

int answers_put(const char *id, const char *name, const void *json, size_t len, void **gz_out, size_t *gz_len_out)
{
	void *gz = NULL;
	size_t gl = 0;
	if (gz_out)
		*gz_out = NULL;
	if (enc_gzip(json, len, &gz, &gl) < 0) {
		add(&n_skipped, 1);
		return 1;
	}
	int rc = 1;
	if (gl > ANSWERS_MAX_GZ || len > ANSWERS_MAX_RAW) {
		add(&n_skipped, 1);
	} else {
		rc = store_answer_put(id, name, ANSWERS_FORMAT, gz, gl, len);
		if (rc == 0) {
			add(&n_writes, 1);
			add(&n_bytes_written, gl);
		} else if (rc == 1) {
			add(&n_skipped, 1);
		} else {
			add(&n_errors, 1);
			util_log("level=warn msg=\"view answer not kept\" id=%s name=\"%s\" gz_bytes=%zu", id, name, gl);
		}
	}
	if (gz_out) {
		*gz_out = gz;
		*gz_len_out = gl;
	} else {
		free(gz);
	}
	return rc;
}

int answers_get(const char *id, const char *name, void **gz, size_t *gz_len, size_t *raw_len)
{
	uint8_t *data = NULL;
	int rc = store_answer_get(id, name, ANSWERS_FORMAT, &data, gz_len, raw_len);
	if (rc == 0 && (*raw_len > ANSWERS_MAX_RAW || *gz_len > ANSWERS_MAX_GZ)) {
		free(data);
		rc = -1;
	}
	if (rc == 0) {
		*gz = data;
		add(&n_hits, 1);
		add(&n_bytes_served, *gz_len);
	} else {
		add(rc < 0 ? &n_errors : &n_misses, 1);
	}
	return rc;
}

void answers_stats(struct answers_stats *out)
{
	out->hits = __atomic_load_n(&n_hits, __ATOMIC_RELAXED);
	out->misses = __atomic_load_n(&n_misses, __ATOMIC_RELAXED);
	out->writes = __atomic_load_n(&n_writes, __ATOMIC_RELAXED);
	out->skipped = __atomic_load_n(&n_skipped, __ATOMIC_RELAXED);
	out->errors = __atomic_load_n(&n_errors, __ATOMIC_RELAXED);
	out->bytes_written = __atomic_load_n(&n_bytes_written, __ATOMIC_RELAXED);
	out->bytes_served = __atomic_load_n(&n_bytes_served, __ATOMIC_RELAXED);
}
