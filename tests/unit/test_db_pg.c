/*
 * test_db_pg.c: which --db values name PostgreSQL (db_pg.h): the libpq
 * URIs (postgresql://, postgres://) and keyword strings ("host=... dbname=..."),
 * and no file path, relative or absolute, with or without '=' later on.
 */
#include "db_pg.h"
#include "tests.h"

START_TEST(db_pg_conninfo_or_path)
{
	static const char *const pg[] = {
		"postgresql://user@host:5432/flamedex", "postgres://h/db", "postgresql://", "host=db dbname=flamedex",
		"  dbname = x", "service=flamedex", "host_addr=1.2.3.4",
	};
	static const char *const paths[] = {
		"var/flamedex.db", "/srv/flamedex.db", "./a=b.db", "flamedex.db", "", "=x", "postgresql:/x",
		"dir/host=x", "1host=x",
	};
	for (size_t i = 0; i < sizeof(pg) / sizeof(pg[0]); i++)
		ck_assert_msg(db_pg_is_conninfo(pg[i]), "%s is PostgreSQL", pg[i]);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		ck_assert_msg(!db_pg_is_conninfo(paths[i]), "%s is a path", paths[i]);
	ck_assert(!db_pg_is_conninfo(NULL));
}
END_TEST

Suite *db_pg_suite(void)
{
	Suite *s = suite_create("db_pg");
	TCase *tc = tcase_create("db_pg");
	tcase_add_test(tc, db_pg_conninfo_or_path);
	suite_add_tcase(s, tc);
	return s;
}
