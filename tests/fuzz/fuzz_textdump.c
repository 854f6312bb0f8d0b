/*
 * fuzz_textdump.c: libFuzzer target for the goroutine text dump parsers.
 *
 * Every input goes to textdump_decode twice, as a debug=2 dump and as a
 * debug=1 profile, with no sniffing in front (fuzz_pprof reaches the
 * parsers only through ingest_decode's sniffer). Oracles beyond "no
 * sanitizer report":
 *   - a refused dump has a 400/413/415 status, a code and a message;
 *   - a decoded dump keeps prof.h's invariants (fuzz_check_prof), is a
 *     goroutine profile with the one sample type goroutine/count, and
 *     every sample counts at least one goroutine;
 *   - debug=2: the labels are those textdump.c writes for a goroutine,
 *     goid and wait_minutes numeric, state and created_by strings. (A
 *     goroutine may lack some: a zero goid or an empty state is dropped
 *     as pprof drops zero-valued labels.)
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "textdump.h"

/* Is label l one textdump.c writes for a debug=2 goroutine? */
static bool debug2_label(const struct prof *p, const struct prof_label *l)
{
	const char *k = prof_str(p, l->key);
	bool numeric = l->str == PROF_NONE;
	if (!strcmp(k, "goid"))
		return numeric;
	if (!strcmp(k, "wait_minutes"))
		return numeric && !strcmp(prof_str(p, l->unit), "minutes");
	return !numeric && (!strcmp(k, "state") || !strcmp(k, "created_by"));
}

static void check_dump(const struct prof *p, bool debug1)
{
	fuzz_check_prof(p);
	ORACLE(p->kind == PROF_KIND_GOROUTINE, "kind %s", prof_kind_name(p->kind));
	ORACLE(p->n_types == 1 && strcmp(prof_str(p, p->type_type[0]), "goroutine") == 0 &&
	               strcmp(prof_str(p, p->type_unit[0]), "count") == 0,
	       "sample types: %u, the first %s/%s", p->n_types,
	       p->n_types ? prof_str(p, p->type_type[0]) : "",
	       p->n_types ? prof_str(p, p->type_unit[0]) : "");
	ORACLE(p->n_samples > 0, "a decoded dump with no samples");
	for (uint32_t i = 0; i < p->n_samples; i++) {
		ORACLE(p->values[i] >= 1, "sample %u counts %lld goroutines", i, (long long)p->values[i]);
	}
	for (uint32_t i = 0; i < p->n_labels && !debug1; i++)
		ORACLE(debug2_label(p, &p->labels[i]), "debug=2 label %s (%s)", prof_str(p, p->labels[i].key),
		       p->labels[i].str == PROF_NONE ? "numeric" : "string");
}

/* The two parsers, as textdump_decode's last-but-one argument picks them. */
static const enum textdump_format parsers[2] = { TEXTDUMP_DEBUG2, TEXTDUMP_DEBUG1 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int i = 0; i < 2; i++) {
		struct decode_err err;
		memset(&err, 0, sizeof(err)); /* as ingest_decode hands it over */
		struct prof *p = textdump_decode(data, size, parsers[i], &err);
		if (!p) {
			fuzz_check_refusal(&err);
			continue;
		}
		check_dump(p, i == 1);
		prof_free(p);
	}
	return 0;
}
