/*
 * fuzz_speedscope.c: libFuzzer target for the speedscope importer
 * (import_speedscope.h), called directly (default profile, every profile,
 * profile 1, and with small frame/event limits) and through
 * ingest_decode's sniffer. Oracles beyond "no sanitizer report":
 *   - a refused input has a 400/413/415 status, a code and a message;
 *   - an imported one keeps prof.h's invariants (fuzz_check_prof), has
 *     one sample type, cpu/nanoseconds, space/bytes or samples/count, and
 *     no negative value; every profile imported at once has a profile
 *     label on each sample;
 *   - an imported input is one the sniffer calls speedscope, and
 *     ingest_decode reads it to the same samples;
 *   - the limits hold: with at most 2 frames and 4 events allowed, an
 *     input is refused or imported with at most 2 locations.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "import_speedscope.h"
#include "ingest.h"

static void check(const struct prof *p, bool all)
{
	fuzz_check_prof(p);
	ORACLE(p->n_types == 1, "sample types: %u", p->n_types);
	const char *t = prof_str(p, p->type_type[0]), *u = prof_str(p, p->type_unit[0]);
	ORACLE((!strcmp(t, "cpu") && !strcmp(u, "nanoseconds")) || (!strcmp(t, "space") && !strcmp(u, "bytes")) ||
	               (!strcmp(t, "samples") && !strcmp(u, "count")),
	       "sample type %s/%s", t, u);
	for (uint32_t i = 0; i < p->n_samples; i++) {
		ORACLE(p->values[i] >= 0, "sample %u has %lld", i, (long long)p->values[i]);
		if (all)
			ORACLE(p->samples[i].labelset != 0, "sample %u of every profile has no label", i);
	}
}

static struct prof *one(const uint8_t *data, size_t size, const struct import_speedscope_opts *o)
{
	struct decode_err err;
	memset(&err, 0, sizeof(err));
	struct prof *p = import_speedscope(data, size, o, &err);
	if (p)
		check(p, o && o->profile == IMPORT_SPEEDSCOPE_ALL);
	else
		fuzz_check_refusal(&err);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prof *p = one(data, size, NULL);
	if (p) {
		ORACLE(import_speedscope_sniff(data, size), "imported, but the sniffer does not call it speedscope");
		struct decode_err err;
		struct prof *q = ingest_decode(data, size, 1u << 24, &err);
		ORACLE(q && q->n_samples == p->n_samples, "ingest_decode reads it differently: %s",
		       q ? "other samples" : err.message);
		prof_free(q);
	}
	prof_free(p);
	prof_free(one(data, size, &(struct import_speedscope_opts){ .profile = IMPORT_SPEEDSCOPE_ALL }));
	prof_free(one(data, size, &(struct import_speedscope_opts){ .profile = 1 }));
	struct prof *s = one(data, size, &(struct import_speedscope_opts){ .max_frames = 2, .max_events = 4 });
	if (s)
		ORACLE(s->orig_locations <= 2, "%llu locations with 2 frames allowed", (unsigned long long)s->orig_locations);
	prof_free(s);
	return 0;
}
