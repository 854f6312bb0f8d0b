/*
 * session.c: sign-in sessions in SQLite, and the cookie (see session.h).
 */
#include "session.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "origin.h"
#include "util.h"

#define SESSION_ID_BYTES 32

/* Hex SHA-256 of a cookie value: what the database keys on. */
static bool id_hash(const char *id, char hex[AUTH_HEX_LEN + 1])
{
	size_t n = strlen(id);
	if (n != SESSION_ID_LEN)
		return false;
	auth_sha256_hex(id, n, hex);
	return true;
}

/* Run one prepared statement to completion and finalize it. 0 or -1. */
static int run(sqlite3 *c, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		util_log("level=error msg=\"session sql failed\" err=\"%s\"", sqlite3_errmsg(c));
		return -1;
	}
	return 0;
}

int session_create(const struct auth_who *who, char id[SESSION_ID_LEN + 1], int64_t *expires_at)
{
	char hex[AUTH_HEX_LEN + 1];
	if (auth_random_b64url(SESSION_ID_BYTES, id) < 0 || !id_hash(id, hex))
		return -1;
	int64_t now = util_now_nanos();
	*expires_at = now + (int64_t)cfg.session_ttl_s * 1000000000;
	sqlite3 *c = db_writer_lock();
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, "DELETE FROM sessions WHERE expires_at <= ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, now);
		run(c, st);
	}
	if (sqlite3_prepare_v2(c,
	        "INSERT INTO sessions(id_hash,token_hash,name,created_at,expires_at) VALUES(?,?,?,?,?)", -1,
	        &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, who->token_hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, who->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, now);
		sqlite3_bind_int64(st, 5, *expires_at);
		rc = run(c, st);
	}
	db_writer_unlock();
	return rc;
}

int session_find(const char *id, struct auth_who *who)
{
	char hex[AUTH_HEX_LEN + 1];
	if (!id_hash(id, hex))
		return 1;
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	char token_hash[AUTH_HEX_LEN + 1] = "";
	int64_t expires = 0;
	if (sqlite3_prepare_v2(c, "SELECT token_hash, expires_at FROM sessions WHERE id_hash=?", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			const char *t = (const char *)sqlite3_column_text(st, 0);
			snprintf(token_hash, sizeof(token_hash), "%s", t ? t : "");
			expires = sqlite3_column_int64(st, 1);
			rc = 0;
		} else if (s == SQLITE_DONE) {
			rc = 1;
		}
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	if (rc != 0)
		return rc;
	if (expires <= util_now_nanos() || !auth_find_hash(token_hash, who))
		return 1;
	who->session = true;
	who->expires_at = expires;
	return 0;
}

int session_end(const char *id)
{
	char hex[AUTH_HEX_LEN + 1];
	if (!id_hash(id, hex))
		return 0;
	sqlite3 *c = db_writer_lock();
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, "DELETE FROM sessions WHERE id_hash=?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
		rc = run(c, st);
	}
	db_writer_unlock();
	return rc;
}

void session_cookie(const char *id, char *out, size_t cap)
{
	snprintf(out, cap, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%u%s", SESSION_COOKIE, id ? id : "",
	         id ? cfg.session_ttl_s : 0u, origin_https() ? "; Secure" : "");
}
