/*
 * auth.c: the auth file, token hashing, new tokens, failed attempts (see
 * auth.h).
 */
#include "auth.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "config.h"
#include "util.h"

#define AUTH_FILE_MAX (1u << 20)   /* a million bytes is ~10k tokens */

static const char *const role_names[] = { "none", "read", "write", "admin" };

const char *auth_role_name(enum auth_role r)
{
	return (unsigned)r <= AUTH_ADMIN ? role_names[r] : "none";
}

enum auth_role auth_role_parse(const char *s)
{
	for (int r = AUTH_READ; r <= AUTH_ADMIN; r++)
		if (strcmp(s, role_names[r]) == 0)
			return (enum auth_role)r;
	return AUTH_NONE;
}

/* ---- hashing, comparing, random --------------------------------------- */

static void to_hex(const uint8_t *b, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static void sha256(const void *data, size_t n, uint8_t out[32])
{
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, n, out) < 0) {
		/* Only when GnuTLS lacks SHA-256 (a broken install): match nothing. */
		util_log("level=error msg=\"gnutls_hash_fast(SHA256) failed\"");
		memset(out, 0, 32);
	}
}

void auth_sha256_hex(const void *data, size_t n, char out[AUTH_HEX_LEN + 1])
{
	uint8_t d[32];
	sha256(data, n, d);
	to_hex(d, sizeof(d), out);
}

bool auth_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t diff = 0;
	for (size_t i = 0; i < n; i++)
		diff |= (uint8_t)(x[i] ^ y[i]);
	return diff == 0;
}

static int random_bytes(void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = getrandom((uint8_t *)buf + got, n - got, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)k;
	}
	return 0;
}

int auth_random_b64url(size_t n, char *out)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t r[64];
	if (n > sizeof(r) || random_bytes(r, n) < 0)
		return -1;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = acc << 8 | r[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = b64[(acc << (6 - bits)) & 63];
	out[o] = '\0';
	return 0;
}

/* ---- the table ---------------------------------------------------------- */

struct auth_line {
	enum auth_role role;
	char name[AUTH_NAME_MAX + 1];
	uint8_t hash[32];
	char hex[AUTH_HEX_LEN + 1];   /* lower case */
};

struct auth_table {
	size_t n;
	struct auth_line line[];
};

static pthread_rwlock_t table_mu = PTHREAD_RWLOCK_INITIALIZER;
static struct auth_table *table;   /* NULL: no auth file */

static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n > AUTH_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '@' || c == '+' || c == '-'))
			return false;
	}
	return true;
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Split the next whitespace-separated field of [*p, end) into (s, n). */
static bool field(const char **p, const char *end, const char **s, size_t *n)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	*s = *p;
	while (*p < end && **p != ' ' && **p != '\t')
		(*p)++;
	*n = (size_t)(*p - *s);
	return *n > 0;
}

/* One non-blank, non-comment line into l. NULL, or what is wrong. */
static const char *parse_line(const char *p, const char *end, struct auth_line *l)
{
	const char *s;
	size_t n;
	char role[8];
	if (!field(&p, end, &s, &n) || n >= sizeof(role))
		return "the role must be read, write or admin";
	memcpy(role, s, n);
	role[n] = '\0';
	l->role = auth_role_parse(role);
	if (l->role == AUTH_NONE)
		return "the role must be read, write or admin";
	if (!field(&p, end, &s, &n))
		return "a name must follow the role (ROLE NAME SHA256HEX)";
	if (!name_ok(s, n))
		return "the name must be 1 to 64 of A-Z a-z 0-9 . _ @ + -";
	memcpy(l->name, s, n);
	l->name[n] = '\0';
	if (!field(&p, end, &s, &n))
		return "the hex SHA-256 of the token must follow the name (ROLE NAME SHA256HEX)";
	if (n != AUTH_HEX_LEN)
		return "the token hash must be 64 hex digits (its SHA-256; flamedex token prints it)";
	for (size_t i = 0; i < 32; i++) {
		int hi = hex_val(s[2 * i]), lo = hex_val(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return "the token hash must be 64 hex digits (its SHA-256; flamedex token prints it)";
		l->hash[i] = (uint8_t)(hi << 4 | lo);
	}
	to_hex(l->hash, 32, l->hex);
	if (field(&p, end, &s, &n))
		return "more than three fields (ROLE NAME SHA256HEX)";
	return NULL;
}

struct auth_table *auth_table_parse(const char *text, char *err, size_t cap)
{
	size_t lines = 1;
	for (const char *c = text; *c; c++)
		lines += *c == '\n';
	struct auth_table *t = calloc(1, sizeof(*t) + lines * sizeof(t->line[0]));
	if (!t) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	int lineno = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		const char *end = nl ? nl : p + strlen(p);
		lineno++;
		const char *q = p;
		while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		const char *stop = end;
		while (stop > q && (stop[-1] == '\r' || stop[-1] == ' ' || stop[-1] == '\t'))
			stop--;
		if (q < stop && *q != '#') {
			struct auth_line *l = &t->line[t->n];
			const char *why = parse_line(q, stop, l);
			for (size_t i = 0; !why && i < t->n; i++)
				if (memcmp(t->line[i].hash, l->hash, 32) == 0)
					why = "the same token hash as an earlier line";
			if (why) {
				snprintf(err, cap, "line %d: %s", lineno, why);
				free(t);
				return NULL;
			}
			t->n++;
		}
		p = nl ? nl + 1 : end;
	}
	return t;
}

void auth_table_free(struct auth_table *t)
{
	free(t);
}

size_t auth_table_len(const struct auth_table *t)
{
	return t ? t->n : 0;
}

void auth_table_install(struct auth_table *t)
{
	pthread_rwlock_wrlock(&table_mu);
	struct auth_table *old = table;
	table = t;
	pthread_rwlock_unlock(&table_mu);
	free(old);
}

static void fill_who(const struct auth_line *l, struct auth_who *who)
{
	memset(who, 0, sizeof(*who));
	who->role = l->role;
	memcpy(who->name, l->name, sizeof(who->name));
	memcpy(who->token_hash, l->hex, sizeof(who->token_hash));
}

/* The line matching key (klen bytes) at offset off of each line, compared
 * with every line. */
static bool find(const void *key, size_t klen, size_t off, struct auth_who *who)
{
	bool found = false;
	pthread_rwlock_rdlock(&table_mu);
	size_t hit = 0;
	for (size_t i = 0; table && i < table->n; i++) {
		bool eq = auth_equal((const uint8_t *)&table->line[i] + off, key, klen);
		hit = eq && !found ? i : hit;
		found |= eq;
	}
	if (found)
		fill_who(&table->line[hit], who);
	pthread_rwlock_unlock(&table_mu);
	return found;
}

bool auth_find_token(const char *token, size_t len, struct auth_who *who)
{
	if (len == 0 || len > AUTH_TOKEN_MAX)
		return false;
	uint8_t h[32];
	sha256(token, len, h);
	return find(h, sizeof(h), offsetof(struct auth_line, hash), who);
}

bool auth_find_hash(const char *hex, struct auth_who *who)
{
	if (strlen(hex) != AUTH_HEX_LEN)
		return false;
	return find(hex, AUTH_HEX_LEN, offsetof(struct auth_line, hex), who);
}

bool auth_enabled(void)
{
	pthread_rwlock_rdlock(&table_mu);
	bool on = table != NULL;
	pthread_rwlock_unlock(&table_mu);
	return on;
}

/* ---- the file ------------------------------------------------------------ */

static struct auth_table *load(const char *path, char *err, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, cap, "cannot open: %s", strerror(errno));
		return NULL;
	}
	char *text = malloc(AUTH_FILE_MAX + 1);
	size_t n = text ? fread(text, 1, AUTH_FILE_MAX + 1, f) : 0;
	bool bad = ferror(f) != 0;
	fclose(f);
	struct auth_table *t = NULL;
	if (!text)
		snprintf(err, cap, "out of memory");
	else if (bad)
		snprintf(err, cap, "cannot read");
	else if (n > AUTH_FILE_MAX)
		snprintf(err, cap, "larger than %u bytes", AUTH_FILE_MAX);
	else if (memchr(text, '\0', n))
		snprintf(err, cap, "holds a NUL byte: not a text file");
	else {
		text[n] = '\0';
		t = auth_table_parse(text, err, cap);
	}
	free(text);
	return t;
}

int auth_reload(void)
{
	char err[256];
	struct auth_table *t = load(cfg.auth_file, err, sizeof(err));
	char path[600];
	util_log_escape(cfg.auth_file, path, sizeof(path));
	if (!t) {
		/* err is one of load's messages: no quotes, no part of the file */
		util_log("level=error msg=\"auth file not reloaded; the old tokens stay in force\" file=%s err=\"%s\"",
		         path, err);
		return -1;
	}
	size_t n = t->n;
	auth_table_install(t);
	util_log("level=info msg=\"auth file reloaded\" file=%s tokens=%zu", path, n);
	return 0;
}

int auth_init(void)
{
	if (!cfg.auth_file[0])
		return 0;
	char err[256];
	struct auth_table *t = load(cfg.auth_file, err, sizeof(err));
	if (!t) {
		fprintf(stderr, "flamedex: auth file %s: %s\n", cfg.auth_file, err);
		return -1;
	}
	if (t->n == 0)
		util_log("level=warn msg=\"the auth file has no tokens: only /healthz will answer\"");
	auth_table_install(t);
	return 0;   /* main.c calls auth_reload on SIGHUP */
}

void auth_shutdown(void)
{
	auth_table_install(NULL);
}

/* ---- flamedex token ROLE NAME ------------------------------------------- */

int auth_token_main(int argc, char **argv)
{
	if (argc != 3 || auth_role_parse(argv[1]) == AUTH_NONE || !name_ok(argv[2], strlen(argv[2]))) {
		fprintf(stderr, "usage: flamedex token ROLE NAME\n"
		                "  ROLE: read (views and lists), write (also uploads and edits),\n"
		                "        admin (also deletes, targets, retention)\n"
		                "  NAME: 1 to %d of A-Z a-z 0-9 . _ @ + - (who the token is, in the audit log)\n",
		        AUTH_NAME_MAX);
		return 2;
	}
	char token[AUTH_TOKEN_LEN + 1] = "fdx_";
	if (auth_random_b64url(AUTH_TOKEN_BYTES, token + 4) < 0) {
		fprintf(stderr, "flamedex: getrandom failed: %s\n", strerror(errno));
		return 1;
	}
	char hex[AUTH_HEX_LEN + 1];
	auth_sha256_hex(token, strlen(token), hex);
	printf("%s\n%s %s %s\n", token, argv[1], argv[2], hex);
	fprintf(stderr, "flamedex: line 1 is the token: give it to %s and keep it nowhere else;\n"
	                "flamedex: line 2 goes into the auth file (then send the server SIGHUP)\n",
	        argv[2]);
	return 0;
}

/* ---- failed attempts ------------------------------------------------------ */

#define LIMIT_SLOTS 4096

struct limit_slot {
	char addr[48];
	double left;    /* attempts left */
	double t;       /* seconds (monotonic) of the last refill */
};

static pthread_mutex_t limit_mu = PTHREAD_MUTEX_INITIALIZER;
static struct limit_slot slots[LIMIT_SLOTS];
static uint64_t limit_key;

static double per_minute(void)
{
	return cfg.auth_failures ? (double)cfg.auth_failures : (double)AUTH_DEFAULT_FAILURES;
}

/* The slot of addr, refilled to now; NULL when another address holds it
 * and take is false. Under limit_mu. */
static struct limit_slot *slot_of(const char *addr, bool take)
{
	if (!limit_key && random_bytes(&limit_key, sizeof(limit_key)) < 0)
		limit_key = 0x9e3779b97f4a7c15ULL;
	uint64_t h = 14695981039346656037ULL ^ limit_key;
	for (const char *c = addr; *c; c++)
		h = (h ^ (uint8_t)*c) * 1099511628211ULL;
	h ^= h >> 29;
	struct limit_slot *s = &slots[h % LIMIT_SLOTS];
	double now = util_mono_ms() / 1000.0, cap = per_minute();
	if (strncmp(s->addr, addr, sizeof(s->addr)) != 0) {
		if (!take)
			return NULL;
		snprintf(s->addr, sizeof(s->addr), "%s", addr);
		s->left = cap;
		s->t = now;
	}
	s->left = fmin(cap, s->left + (now - s->t) * cap / 60.0);
	s->t = now;
	return s;
}

bool auth_limited(const char *addr, unsigned *retry_after)
{
	pthread_mutex_lock(&limit_mu);
	struct limit_slot *s = slot_of(addr, false);
	bool limited = s && s->left < 1.0;
	if (limited)
		*retry_after = (unsigned)fmax(1.0, ceil((1.0 - s->left) * 60.0 / per_minute()));
	pthread_mutex_unlock(&limit_mu);
	return limited;
}

void auth_failed(const char *addr)
{
	pthread_mutex_lock(&limit_mu);
	struct limit_slot *s = slot_of(addr, true);
	s->left = fmax(0.0, s->left - 1.0);
	pthread_mutex_unlock(&limit_mu);
}
