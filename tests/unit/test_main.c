/*
 * test_main.c: runs every unit-test suite; exit status is non-zero when any
 * test fails. CK_FORK, CK_RUN_SUITE and CK_RUN_CASE work as usual.
 */
#include <stdlib.h>

#include "tests.h"

int main(void)
{
	SRunner *sr = srunner_create(json_suite());
	srunner_add_suite(sr, buf_suite());
	srunner_add_suite(sr, wire_suite());
	srunner_add_suite(sr, decode_suite());
	srunner_add_suite(sr, textdump_suite());
	srunner_add_suite(sr, ingest_suite());
	srunner_add_suite(sr, codec_suite());
	srunner_add_suite(sr, encoding_suite());
	srunner_add_suite(sr, regex_suite());
	srunner_add_suite(sr, measure_suite());
	srunner_add_suite(sr, filter_suite());
	srunner_add_suite(sr, ntree_suite());
	srunner_add_suite(sr, cache_suite());
	srunner_add_suite(sr, budget_suite());
	srunner_add_suite(sr, router_suite());
	srunner_add_suite(sr, stats_suite());
	srunner_add_suite(sr, leaks_suite());
	srunner_add_suite(sr, runtime_share_suite());
	srunner_add_suite(sr, findex_suite());
	srunner_add_suite(sr, view_suite());
	srunner_add_suite(sr, cgraph_suite());
	srunner_add_suite(sr, view_granularity_suite());
	srunner_add_suite(sr, view_zoom_suite());
	srunner_add_suite(sr, diff_suite());
	srunner_add_suite(sr, gate_suite());
	srunner_add_suite(sr, hdr_suite());
	srunner_add_suite(sr, access_suite());
	srunner_add_suite(sr, jsonrd_suite());
	srunner_add_suite(sr, scrape_config_suite());
	srunner_add_suite(sr, merge_suite());
	srunner_add_suite(sr, respcache_suite());
	srunner_add_suite(sr, db_pg_suite());
	srunner_add_suite(sr, speedscope_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
