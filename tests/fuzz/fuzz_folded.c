/*
 * fuzz_folded.c: libFuzzer target for the folded-stacks importer
 * (import_folded.h), called directly and through ingest_decode's sniffer.
 * Oracles beyond "no sanitizer report":
 *   - a refused input has a 400/413/415 status, a code and a message;
 *   - an imported one keeps prof.h's invariants (fuzz_check_prof), has the
 *     one sample type samples/count and no negative value.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "import_folded.h"
#include "ingest.h"

static void check(const struct prof *p)
{
	fuzz_check_prof(p);
	ORACLE(p->n_types == 1 && !strcmp(prof_str(p, p->type_type[0]), "samples") &&
	               !strcmp(prof_str(p, p->type_unit[0]), "count"),
	       "sample types: %u", p->n_types);
	for (uint32_t i = 0; i < p->n_samples; i++)
		ORACLE(p->values[i] >= 0, "sample %u has %lld", i, (long long)p->values[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decode_err err;
	memset(&err, 0, sizeof(err));
	struct prof *p = import_folded(data, size, &err);
	if (p) {
		check(p);
		prof_free(p);
	} else {
		fuzz_check_refusal(&err);
	}
	(void)import_folded_sniff(data, size);
	return 0;
}
