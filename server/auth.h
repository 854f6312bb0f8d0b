/*
 * auth.h: tokens and roles: the auth file, token hashing, new tokens, and
 * the limit on failed attempts. No HTTP here (access.h reads requests).
 *
 * The auth file (--auth-file) has one token a line:
 *
 *   ROLE NAME SHA256HEX
 *
 * ROLE is read, write or admin (each allows what the one before it does:
 * docs/SECURITY.md); NAME (1 to AUTH_NAME_MAX of [A-Za-z0-9._@+-]) is who
 * the token stands for in the audit log and in uploaded_by; SHA256HEX is
 * the hex SHA-256 of the token (64 hex digits, either case), never the
 * token itself, so the file gives nobody a token. Blank lines and lines
 * starting with '#' are skipped; a hash may appear once. `flamedex token
 * ROLE NAME` prints a new token and its line.
 *
 * The table is loaded by auth_init and replaced as a whole by auth_reload
 * (which main.c calls on each SIGHUP): a bad file
 * keeps the table in force and logs why. Lookups hash the token offered and compare it with every line
 * in constant time, so neither the time taken nor the order of the file
 * tells which lines came close. Tokens are never logged.
 *
 * Failed attempts: each client address has a bucket of cfg.auth_failures
 * attempts that refills at that many a minute; a failure takes one, and
 * an address with an empty bucket is refused before its token is looked
 * at (access.c answers 429 with Retry-After). The buckets are a fixed
 * table indexed by a keyed hash of the address: addresses that collide
 * share a slot, the newer one taking it over.
 *
 * SHA-256 is GnuTLS's (gnutls_hash_fast): libmicrohttpd links GnuTLS
 * already, and a vetted implementation beats one more of our own.
 */
#ifndef FDX_AUTH_H
#define FDX_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Defaults of --session-ttl and --auth-failures (config.c). A working day
 * of sign-in: long enough not to nag, short enough that a cookie left on a
 * shared machine dies the same day. Ten failures a minute is plenty for a
 * person retyping a token and nothing for a guesser (tokens have 256 bits). */
#define AUTH_DEFAULT_SESSION_TTL_S (12u * 3600)
#define AUTH_DEFAULT_FAILURES      10u

#define AUTH_NAME_MAX  64
#define AUTH_HEX_LEN   64    /* hex SHA-256 */
#define AUTH_TOKEN_MAX 512   /* longer offers are refused unread */
/* Token bytes of randomness (256 bits) and their base64url length. */
#define AUTH_TOKEN_BYTES 32
#define AUTH_TOKEN_LEN   (4 + 43)   /* "fdx_" + 43 characters */

enum auth_role { AUTH_NONE = 0, AUTH_READ, AUTH_WRITE, AUTH_ADMIN };

/* "read", "write", "admin"; "none" for AUTH_NONE. */
const char *auth_role_name(enum auth_role r);
/* The role named s, or AUTH_NONE. */
enum auth_role auth_role_parse(const char *s);

/* Who a request speaks for. role AUTH_NONE: nobody (then the rest is
 * empty). */
struct auth_who {
	enum auth_role role;
	char name[AUTH_NAME_MAX + 1];
	char token_hash[AUTH_HEX_LEN + 1];  /* of the token (the auth file's hex) */
	bool session;                       /* through a sign-in cookie (session.h) */
	int64_t expires_at;                 /* session: unix ns */
};

/* Load cfg.auth_file when set. 0, or -1 after printing to stderr the file
 * and the line that is wrong. (main.c waits for SIGHUP and calls
 * auth_reload.) */
int auth_init(void);
/* Free the table. */
void auth_shutdown(void);
/* Is there an auth file (are tokens wanted)? */
bool auth_enabled(void);
/* Read the file again; on success replace the table, on failure keep it.
 * Logs either way. 0 or -1. */
int auth_reload(void);

/* Parse auth file text (NUL-terminated) into a new table: NULL with a
 * message in err ("line 3: ...") when any line is wrong. For auth_reload
 * and the unit tests. */
struct auth_table;
struct auth_table *auth_table_parse(const char *text, char *err, size_t cap);
void auth_table_free(struct auth_table *t);
size_t auth_table_len(const struct auth_table *t);
/* Put t in force (taking it) and free the table it replaces. */
void auth_table_install(struct auth_table *t);

/* The line whose token is token (len bytes): who gets its role and name.
 * false when none is, or no table is in force. */
bool auth_find_token(const char *token, size_t len, struct auth_who *who);
/* The line whose hash is hex (as stored with a session). */
bool auth_find_hash(const char *hex, struct auth_who *who);

/* Hex SHA-256 of n bytes. */
void auth_sha256_hex(const void *data, size_t n, char out[AUTH_HEX_LEN + 1]);
/* Equal n bytes, in time that depends on n only. */
bool auth_equal(const void *a, const void *b, size_t n);
/* n random bytes (getrandom) as unpadded base64url into out (which holds
 * 4 * n / 3 + 2 bytes). 0 or -1. */
int auth_random_b64url(size_t n, char *out);

/* `flamedex token ROLE NAME`: argv[0] is "token". Prints the new token and
 * the auth file line on stdout, a note on stderr; the exit status. */
int auth_token_main(int argc, char **argv);

/* Failed attempts of client address addr (a string). auth_limited: is the
 * bucket empty? Then *retry_after is whole seconds until it holds one
 * attempt again (at least 1). auth_failed: take one attempt. */
bool auth_limited(const char *addr, unsigned *retry_after);
void auth_failed(const char *addr);

#endif
