/*
 * test_ingest.c: the upload path (ingest.h): gunzip and the in-flight
 * budget, the sniffer, dispatch to the decoders, and every real file in
 * tests/data and every saved fuzzer crash in tests/fuzz/crashes.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "budget.h"
#include "codec.h"
#include "import_folded.h"
#include "ingest.h"
#include "json.h"
#include "jsoncheck.h"
#include "prof.h"
#include "tests.h"
#include "view.h"

/* ---- gzip and sizes ------------------------------------------------------- */

START_TEST(decode_gzip)
{
	size_t n, zn;
	uint8_t *raw = pbw_reference_bytes(&n);
	uint8_t *gz = test_gzip(raw, n, &zn);
	ck_assert_int_eq(gz[0], 0x1f);
	ck_assert_int_eq(gz[1], 0x8b);
	struct prof *a = expect_decoded(raw, n);
	struct prof *b = expect_decoded(gz, zn);
	ck_assert_uint_eq(a->n_samples, b->n_samples);
	ck_assert_uint_eq(a->n_nodes, b->n_nodes);
	ck_assert_uint_eq(a->n_strs, b->n_strs);
	ck_assert_uint_eq(a->arena_len, b->arena_len);
	ck_assert_mem_eq(a->arena, b->arena, a->arena_len);
	ck_assert_mem_eq(a->values, b->values, (size_t)a->n_samples * a->n_types * sizeof(int64_t));

	/* ingest_gunzip directly: exact bytes back. */
	struct decode_err err;
	uint8_t *out = NULL;
	size_t out_len = 0;
	ck_assert_int_eq(ingest_gunzip(gz, zn, n, &out, &out_len, &err), 0);
	ck_assert_uint_eq(out_len, n);
	ck_assert_mem_eq(out, raw, n);
	free(out);
	/* One byte short of the cap: refused. */
	out = NULL;
	ck_assert_int_eq(ingest_gunzip(gz, zn, n - 1, &out, &out_len, &err), -1);
	ck_assert_str_eq(err.code, "inflated_too_large");
	ck_assert_int_eq(err.status, 413);
	ck_assert_ptr_null(out);

	/* Two concatenated gzip members (Go's reader accepts them). */
	size_t half = n / 2, z1, z2;
	uint8_t *g1 = test_gzip(raw, half, &z1);
	uint8_t *g2 = test_gzip(raw + half, n - half, &z2);
	uint8_t *cat = malloc(z1 + z2);
	memcpy(cat, g1, z1);
	memcpy(cat + z1, g2, z2);
	struct prof *c = expect_decoded(cat, z1 + z2);
	ck_assert_uint_eq(c->n_samples, a->n_samples);
	ck_assert_mem_eq(c->values, a->values, (size_t)a->n_samples * a->n_types * sizeof(int64_t));
	prof_free(c);
	free(cat);
	free(g1);
	free(g2);
	prof_free(a);
	prof_free(b);
	free(gz);
	free(raw);
}
END_TEST

START_TEST(err_empty_body)
{
	struct decode_err err;
	uint8_t byte = 0;
	ck_assert_ptr_null(ingest_decode(&byte, 0, MiB, &err));
	ck_assert_int_eq(err.status, 400);
	ck_assert_str_eq(err.code, "empty_body");
	/* A gzip stream of nothing is empty too. */
	size_t zn;
	uint8_t *gz = test_gzip(&byte, 0, &zn);
	expect_refused(gz, zn, MiB, 400, "empty_body", NULL);
	free(gz);
}
END_TEST

START_TEST(err_truncated_gzip)
{
	size_t n, zn;
	uint8_t *raw = pbw_reference_bytes(&n);
	uint8_t *gz = test_gzip(raw, n, &zn);
	expect_refused(gz, zn / 2, MiB, 400, "bad_gzip", NULL);
	expect_refused(gz, zn - 1, MiB, 400, "bad_gzip", NULL); /* trailer cut */
	expect_refused(gz, 2, MiB, 400, "bad_gzip", NULL);      /* magic only */
	/* Corrupt deflate data. */
	uint8_t *bad = malloc(zn);
	memcpy(bad, gz, zn);
	for (size_t i = 10; i < zn - 8; i++)
		bad[i] ^= 0x55;
	expect_refused(bad, zn, MiB, 400, "bad_gzip", NULL);
	/* Wrong CRC in the trailer. */
	memcpy(bad, gz, zn);
	bad[zn - 8] ^= 1;
	expect_refused(bad, zn, MiB, 400, "bad_gzip", NULL);
	free(bad);
	free(gz);
	free(raw);
}
END_TEST

START_TEST(err_gzip_bomb)
{
	/* 64 MiB of zeros deflate to ~64 KiB; the cap is 1 MiB. */
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
	static uint8_t zeros[1 << 20];
	struct buf out = BUF_INIT;
	uint8_t chunk[1 << 16];
	for (int i = 0; i < 64; i++) {
		zs.next_in = zeros;
		zs.avail_in = sizeof(zeros);
		int flush = i == 63 ? Z_FINISH : Z_NO_FLUSH;
		int rc;
		do {
			zs.next_out = chunk;
			zs.avail_out = sizeof(chunk);
			rc = deflate(&zs, flush);
			ck_assert_int_ne(rc, Z_STREAM_ERROR);
			buf_add(&out, chunk, sizeof(chunk) - zs.avail_out);
		} while (zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
	}
	deflateEnd(&zs);
	ck_assert_uint_lt(out.len, 1 * MiB);
	expect_refused((uint8_t *)out.data, out.len, 1 * MiB, 413, "inflated_too_large", NULL);
	/* ingest_gunzip alone, too. */
	struct decode_err err;
	uint8_t *o = NULL;
	size_t ol = 0;
	ck_assert_int_eq(ingest_gunzip((uint8_t *)out.data, out.len, 1 * MiB, &o, &ol, &err), -1);
	ck_assert_int_eq(err.status, 413);
	ck_assert_ptr_null(o);
	buf_release(&out);
}
END_TEST

START_TEST(err_uncompressed_too_large)
{
	size_t n;
	uint8_t *raw = pbw_reference_bytes(&n);
	expect_refused(raw, n, n - 1, 413, "inflated_too_large", NULL);
	struct decode_err err;
	struct prof *p = ingest_decode(raw, n, n, &err);
	ck_assert_ptr_nonnull(p);
	prof_free(p);
	free(raw);
}
END_TEST


START_TEST(err_budget)
{
	/* A gzip body first reserves what it may inflate to; when the shared
	 * budget cannot hold it, 429 before anything is inflated. */
	size_t n, zn;
	uint8_t *raw = pbw_reference_bytes(&n);
	uint8_t *gz = test_gzip(raw, n, &zn);
	size_t need = zn * 1032 + 4096; /* what ingest_decode reserves for zn bytes */
	budget_init(need - 1);
	expect_refused(gz, zn, MiB, 429, "busy", NULL);
	struct prof *p = expect_decoded(raw, n); /* not gzipped: nothing reserved */
	prof_free(p);
	/* Exactly enough: accepted, and each refusal gives the bytes back. */
	budget_init(need);
	for (int i = 0; i < 3; i++) {
		expect_refused(gz, zn / 2, MiB, 400, "bad_gzip", NULL);
		expect_refused(gz, zn, n - 1, 413, "inflated_too_large", NULL);
		p = expect_decoded(gz, zn);
		prof_free(p);
	}
	budget_init((size_t)1 << 30);
	free(gz);
	free(raw);
}
END_TEST

/* ---- the sniffer ---------------------------------------------------------- */

START_TEST(err_legacy_formats)
{
	static const struct {
		const char *text, *name;
	} cases[] = {
		{ "heap profile: 1: 2 [3: 4] @ heap/1048576\n", "legacy text heap profile" },
		{ "\n\nheap profile: 1: 2 [3: 4] @ heap/1048576\n", "legacy text heap profile" },
		{ "--- contention:\ncycles/second=2000000000\n", "contention" },
		{ "threadcreate profile: total 2\n1 @ 0x1\n", "threadcreate" },
		{ "main;foo;bar x\nmain;foo 3\n", "collapsed" }, /* a first line without a count */
		{ "{\"traceEvents\":[]}", "JSON" },
	};
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		const uint8_t *d = (const uint8_t *)cases[i].text;
		size_t n = strlen(cases[i].text);
		expect_refused(d, n, MiB, 415, "unsupported_format", cases[i].name);
		/* Gzipped, the same answer. */
		size_t zn;
		uint8_t *gz = test_gzip(d, n, &zn);
		expect_refused(gz, zn, MiB, 415, "unsupported_format", cases[i].name);
		free(gz);
		const char *name;
		ck_assert_int_eq(ingest_sniff(d, n, &name), INGEST_REFUSED);
		ck_assert_ptr_nonnull(strstr(name, cases[i].name));
	}
	/* Legacy binary CPU profile header (64-bit words 0, 3, 0, ...). */
	uint64_t words[6] = { 0, 3, 0, 10000, 0, 0 };
	expect_refused((const uint8_t *)words, sizeof(words), MiB, 415, "unsupported_format",
	                "legacy binary CPU profile");
	uint32_t w32[6] = { 0, 3, 0, 10000, 0, 0 };
	expect_refused((const uint8_t *)w32, sizeof(w32), MiB, 415, "unsupported_format",
	                "legacy binary CPU profile");
	/* A real profile is not mistaken for anything. */
	size_t n;
	uint8_t *d = pbw_reference_bytes(&n);
	const char *name;
	ck_assert_int_eq(ingest_sniff(d, n, &name), INGEST_PROTO);
	free(d);
}
END_TEST

START_TEST(sniff_formats)
{
	static const struct {
		const char *text;
		enum ingest_format fmt;
	} cases[] = {
		{ "goroutine profile: total 1\n1 @ 0x1\n", INGEST_GOROUTINE_DEBUG1 },
		{ "goroutine 1 [running]:\nmain.main()\n", INGEST_GOROUTINE_DEBUG2 },
		/* crash output: the dump follows the panic message */
		{ "panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n", INGEST_GOROUTINE_DEBUG2 },
		{ "SIGQUIT: quit\nPC=0x46c3a1 m=0 sigcode=0\n\ngoroutine 0 gp=0x1 m=0 [idle]:\n",
		  INGEST_GOROUTINE_DEBUG2 },
		/* debug=1 has its header first, or it is not debug=1 */
		{ "hello\ngoroutine profile: total 1\n", INGEST_REFUSED },
		{ "goroutine 1 has no brackets\n", INGEST_REFUSED },
		{ "heap profile: 1: 2 [3: 4] @ heap/1048576\n", INGEST_REFUSED },
		{ "threadcreate profile: total 2\n", INGEST_REFUSED },
		{ "\x0a\x04\x08\x01\x10\x02", INGEST_PROTO },
	};
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		const char *name = NULL;
		enum ingest_format f = ingest_sniff((const uint8_t *)cases[i].text, strlen(cases[i].text), &name);
		ck_assert_msg(f == cases[i].fmt, "case %zu: format %d, want %d", i, f, cases[i].fmt);
		ck_assert_ptr_nonnull(name);
	}
	/* A NUL byte makes it binary: no debug=2 header is looked for past
	 * the first line. */
	static const char bin[] = "x\0y\ngoroutine 1 [running]:\nmain.main()\n";
	const char *name;
	ck_assert_int_ne(ingest_sniff((const uint8_t *)bin, sizeof(bin) - 1, &name), INGEST_GOROUTINE_DEBUG2);
}
END_TEST

START_TEST(sniff_leading_space)
{
	/* Leading blank lines, whitespace and CRLF line ends before a
	 * goroutine profile: it is read, as without them (a debug=1 profile
	 * with a leading blank line used to be refused with 415 naming the
	 * format, because two sniffers disagreed). */
	static const char *const prefixes[] = { "", "\n", "\n\n", "\r\n", "  \t\n", " ", "\r\n\r\n \r\n" };
	static const char d1[] =
		"goroutine profile: total 3\n"
		"2 @ 0x1 0x2\n"
		"#\t0x1\tmain.worker+0x2a\t/src/main.go:20\n"
		"#\t0x2\tmain.main+0x1d\t/src/main.go:10\n"
		"\n"
		"1 @ 0x4\n"
		"#\t0x4\tmain.main+0x1d\t/src/main.go:10\n";
	static const char d2[] =
		"goroutine 1 [running]:\n"
		"main.main()\n"
		"\t/src/main.go:10 +0x1d\n"
		"\n"
		"goroutine 7 [chan receive]:\n"
		"main.worker()\n"
		"\t/src/main.go:20 +0x2a\n";
	for (size_t i = 0; i < ARRLEN(prefixes); i++) {
		for (int crlf = 0; crlf <= 1; crlf++) {
			for (int which = 1; which <= 2; which++) {
				const char *text = which == 1 ? d1 : d2;
				struct buf b = BUF_INIT;
				buf_adds(&b, prefixes[i]);
				for (const char *c = text; *c; c++) {
					if (crlf && *c == '\n')
						buf_addc(&b, '\r');
					buf_addc(&b, *c);
				}
				const char *name;
				enum ingest_format f = ingest_sniff((const uint8_t *)b.data, b.len, &name);
				ck_assert_msg(f == (which == 1 ? INGEST_GOROUTINE_DEBUG1 : INGEST_GOROUTINE_DEBUG2),
				              "debug=%d, prefix %zu, crlf %d: sniffed as %d (%s)", which, i, crlf, f, name);
				struct prof *p = expect_decoded((const uint8_t *)b.data, b.len);
				ck_assert_int_eq(p->kind, PROF_KIND_GOROUTINE);
				if (which == 1) {
					ck_assert_int_eq(test_stack_value(p, "main.main;main.worker", 0), 2);
					ck_assert_int_eq(test_stack_value(p, "main.main", 0), 1);
				} else {
					ck_assert_int_eq(test_stack_value(p, "main.worker", 0), 1);
					ck_assert_int_eq(test_stack_value(p, "main.main", 0), 1);
				}
				prof_free(p);
				/* and gzipped */
				size_t zn;
				uint8_t *gz = test_gzip((const uint8_t *)b.data, b.len, &zn);
				p = expect_decoded(gz, zn);
				ck_assert_int_eq(p->n_samples, 2);
				prof_free(p);
				free(gz);
				buf_release(&b);
			}
		}
	}
}
END_TEST

/* ---- real files ------------------------------------------------------------- */

/* What decodes survives the codec and the views. */
static void check_decoded(const struct prof *p, const char *what)
{
	struct buf blob = BUF_INIT;
	ck_assert_int_eq(codec_encode(p, &blob), 0);
	struct prof *q = codec_decode((uint8_t *)blob.data, blob.len);
	ck_assert_msg(q != NULL, "%s: codec round trip failed", what);
	expect_same_prof(p, q);
	struct view_opts o;
	memset(&o, 0, sizeof(o));
	o.type = (int)p->default_type;
	struct view v;
	ck_assert_int_eq(view_build(p, &o, true, &v), 0);
	struct buf js = BUF_INIT;
	struct json j;
	json_init(&j, &js);
	view_flame_json(&v, 0, &j);
	ck_assert_msg(json_is_valid(js.data, js.len), "%s: flame JSON invalid", what);
	view_release(&v);
	buf_release(&js);
	buf_release(&blob);
	prof_free(q);
}

/* The regular files under dir, recursively, as malloc'd paths. */
struct paths {
	char **v;
	size_t n, cap;
};

static void find_files(const char *dir, struct paths *out)
{
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "%s: cannot open directory", dir);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		int len = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ck_assert_int_lt(len, (int)sizeof(path));
		struct stat st;
		ck_assert_int_eq(stat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			find_files(path, out);
		} else if (S_ISREG(st.st_mode)) {
			if (out->n == out->cap) {
				out->cap = out->cap ? out->cap * 2 : 64;
				out->v = realloc(out->v, out->cap * sizeof(char *));
				ck_assert_ptr_nonnull(out->v);
			}
			out->v[out->n++] = strdup(path);
		}
	}
	closedir(d);
}

static void free_paths(struct paths *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free(ps->v[i]);
	free(ps->v);
}

static uint8_t *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s: cannot open", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	long len = ftell(f);
	ck_assert_int_ge(len, 0);
	rewind(f);
	uint8_t *data = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(data);
	ck_assert_uint_eq(fread(data, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return data;
}

/* What tests/data/MANIFEST.tsv says of path (relative to tests/data):
 * 'p' a profile.proto file, 'r' a file go tool pprof reads too, 'n' one
 * nothing reads, 0 when it is not listed. */
static char manifest_kind(const char *manifest, const char *path)
{
	size_t pl = strlen(path);
	for (const char *line = manifest; *line;) {
		const char *end = strchr(line, '\n');
		size_t ll = end ? (size_t)(end - line) : strlen(line);
		if (ll > pl && memcmp(line, path, pl) == 0 && line[pl] == '\t') {
			/* columns: path origin_repo origin_path commit bytes gzipped format notes */
			const char *col = line;
			for (int c = 0; c < 6; c++) {
				col = memchr(col, '\t', (size_t)(line + ll - col));
				ck_assert_msg(col != NULL, "MANIFEST.tsv: short line for %s", path);
				col++;
			}
			if (strncmp(col, "proto\t", 6) == 0)
				return 'p';
			const char *notes = memchr(col, '\t', (size_t)(line + ll - col));
			ck_assert_ptr_nonnull(notes);
			return memmem(notes, (size_t)(line + ll - notes), "parses OK", 9) ? 'r' : 'n';
		}
		line += ll + (end ? 1 : 0);
	}
	return 0;
}

/* Decoded today: 24 of the 30 files (the 23 profile.proto files and the
 * debug=1 goroutine profile). A few may go when tests/data is pruned. */
#define TESTDATA_MIN_DECODED 22

START_TEST(testdata_files)
{
	/* Every file under tests/data decodes or is refused with a client
	 * error; what MANIFEST.tsv calls proto decodes, what nothing reads is
	 * refused with 415; what decodes survives the codec and the views. */
	struct paths ps = { NULL, 0, 0 };
	find_files(FDX_TESTDATA, &ps);
	ck_assert_msg(ps.n > 0, "%s holds no file", FDX_TESTDATA);
	size_t mn;
	char *manifest = (char *)read_file(FDX_TESTDATA "/MANIFEST.tsv", &mn);
	manifest[mn] = '\0';
	size_t decoded = 0, listed = 0;
	for (size_t i = 0; i < ps.n; i++) {
		const char *rel = ps.v[i] + strlen(FDX_TESTDATA) + 1;
		char kind = manifest_kind(manifest, rel);
		listed += kind != 0;
		size_t n;
		uint8_t *data = read_file(ps.v[i], &n);
		struct decode_err err;
		struct prof *p = ingest_decode(data, n, 512 * MiB, &err);
		uint8_t data0[4096];
		size_t n0 = n < sizeof(data0) ? n : sizeof(data0);
		memcpy(data0, data, n0);
		free(data);
		if (!p) {
			expect_client_error(&err, rel);
			ck_assert_msg(kind != 'p', "%s: a proto profile, refused: %d %s", rel, err.status, err.message);
			if (kind == 'n')
				ck_assert_msg(err.status == 415, "%s: not pprof, refused with %d", rel, err.status);
			continue;
		}
		/* folded stacks are imported (import_folded.h) though pprof reads none */
		ck_assert_msg(kind != 'n' || import_folded_sniff(data0, n0), "%s: accepted, but go tool pprof cannot read it",
		              rel);
		check_decoded(p, rel);
		prof_free(p);
		decoded++;
	}
	ck_assert_msg(listed > 0, "no file of %s is listed in its MANIFEST.tsv", FDX_TESTDATA);
	ck_assert_msg(decoded >= TESTDATA_MIN_DECODED, "only %zu files of %s decoded (want %d or more)",
	              decoded, FDX_TESTDATA, TESTDATA_MIN_DECODED);
	free(manifest);
	free_paths(&ps);
}
END_TEST

/* The fuzzer's cap on inflated bytes (tests/fuzz/fuzz_pprof.c). */
#define FUZZ_MAX_INFLATED (4u * 1024 * 1024)

START_TEST(fuzz_crashes)
{
	/* Every input that once crashed the fuzz target now decodes or is
	 * refused with a well-formed client error (the sanitizer build checks
	 * the memory safety of both). */
	struct paths ps = { NULL, 0, 0 };
	find_files(FDX_FUZZ_CRASHES, &ps);
	ck_assert_msg(ps.n > 0, "%s holds no file", FDX_FUZZ_CRASHES);
	for (size_t i = 0; i < ps.n; i++) {
		size_t n;
		uint8_t *data = read_file(ps.v[i], &n);
		struct decode_err err;
		struct prof *p = ingest_decode(data, n, FUZZ_MAX_INFLATED, &err);
		free(data);
		if (p) {
			check_decoded(p, ps.v[i]);
			prof_free(p);
		} else {
			expect_client_error(&err, ps.v[i]);
		}
	}
	free_paths(&ps);
}
END_TEST

START_TEST(folded_import)
{
	static const char text[] = "main;a 3\r\n\nmain;a;b; 2\nmain;a 1\n";
	struct decode_err err;
	const char *name;
	ck_assert_int_eq(ingest_sniff((const uint8_t *)text, strlen(text), &name), INGEST_FOLDED);
	struct prof *p = ingest_decode((const uint8_t *)text, strlen(text), MiB, &err);
	ck_assert_msg(p != NULL, "refused: %s", err.message);
	ck_assert_uint_eq(p->n_types, 1);
	ck_assert_str_eq(prof_str(p, p->type_type[0]), "samples");
	ck_assert_uint_eq(p->n_samples, 2); /* the two main;a lines are one stack */
	int64_t sum = 0;
	for (uint32_t i = 0; i < p->n_samples; i++)
		sum += p->values[i];
	ck_assert_int_eq(sum, 6);
	prof_free(p);
	/* a bad later line is a 400 naming it; a first line without a count is not folded */
	static const char bad[] = "main;a 3\nmain;a;;b 2\n";
	ck_assert_ptr_null(ingest_decode((const uint8_t *)bad, strlen(bad), MiB, &err));
	ck_assert_int_eq(err.status, 400);
	ck_assert_ptr_nonnull(strstr(err.message, "line 2"));
}
END_TEST

Suite *ingest_suite(void)
{
	Suite *s = suite_create("ingest");
	TCase *tc = tcase_create("upload");
	tcase_add_test(tc, decode_gzip);
	tcase_add_test(tc, folded_import);
	tcase_add_test(tc, err_empty_body);
	tcase_add_test(tc, err_truncated_gzip);
	tcase_add_test(tc, err_gzip_bomb);
	tcase_add_test(tc, err_uncompressed_too_large);
	tcase_add_test(tc, err_budget);
	suite_add_tcase(s, tc);
	tc = tcase_create("sniff");
	tcase_add_test(tc, err_legacy_formats);
	tcase_add_test(tc, sniff_formats);
	tcase_add_test(tc, sniff_leading_space);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, testdata_files);
	tcase_add_test(tc, fuzz_crashes);
	suite_add_tcase(s, tc);
	return s;
}
