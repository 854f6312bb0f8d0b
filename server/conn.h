/*
 * conn.h: every client connection from accept to close, so that no client
 * can hold the server's connections.
 *
 * One thread (the gate) owns the listening socket. It accepts, enforces
 * the total and per-address connection limits, and then:
 *
 *   plaintext  holds the connection itself (an fd in an epoll set, no
 *              libmicrohttpd state) until its header block has arrived
 *              whole, looking at it with MSG_PEEK so nothing is consumed,
 *              and checks the raw bytes with hdr_scan (hdr.h). A client
 *              that is too slow gets a 408, a bad header block a 400 (or
 *              431/505), each with Connection: close, after which the
 *              socket is drained briefly so the answer is not lost to a
 *              reset. Only then is the connection handed to the HTTP
 *              engine (libmicrohttpd), which reads the same bytes.
 *   TLS        the bytes are encrypted, so the connection is handed over
 *              at once and its header deadline is watched from outside.
 *
 * Once handed over, the engine reports each phase of a request (the
 * conn_* calls below) and the same thread, every FDX_REAP_TICK_MS, shuts
 * down (shutdown(2), so the engine sees the socket end and closes it as
 * usual) a connection past its phase's limit:
 *
 *   headers   the complete header block within the header timeout of the
 *             hand-over, or within the keep-alive timeout of the previous
 *             reply;
 *   body      on average at least the minimum rate, after a grace period;
 *   send      the reply read by the client at the same minimum rate
 *             (bytes acknowledged by TCP);
 *   work      (the handler runs, the connection is suspended) never cut;
 *             a client that hangs up meanwhile has its work stopped with
 *             WORK_CANCELLED through the stop hook.
 *
 * Invariants:
 *   - a connection counts against the limits from accept until the engine
 *     reports it closed (conn_detach), or until the gate closes it;
 *   - the gate only ever calls shutdown(2) on an fd the engine has not yet
 *     reported closed, under the table lock that conn_detach takes, and
 *     libmicrohttpd reports a close before it closes the fd, so a reused
 *     fd number is never shut down by mistake;
 *   - every conn_* call from the engine accepts NULL (a connection the
 *     table does not know) and then does nothing.
 */
#ifndef FDX_CONN_H
#define FDX_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct conn;

struct conn_limits {
	unsigned max_conns;    /* all connections */
	unsigned per_ip;       /* connections from one address; 0 = no limit */
	double header_ms;      /* accept (or hand-over) to a complete header block */
	double keepalive_ms;   /* end of a reply to the next complete header block */
	double grace_ms;       /* before the minimum rate applies to a body or a reply */
	size_t min_rate;       /* bytes per second, on average */
	size_t max_header;     /* largest header block (hdr_scan's max) */
	bool tls;              /* the engine speaks TLS: no raw checks in the gate */
};

struct conn_hooks {
	/* Give the accepted non-blocking socket fd to the engine. 0, or -1
	 * when the engine refused it (and closed fd). */
	int (*handoff)(int fd, const struct sockaddr *addr, socklen_t len);
	/* Stop the work of request ctx (given to conn_working) for reason
	 * why (work.h). true when that finished the request at once (its
	 * handler had not started), which then counts as conn_worked. Called
	 * with the table locked: must not call conn_*. */
	bool (*stop)(void *ctx, int why);
	/* Write into buf (cap bytes) the whole reply refusing a connection in
	 * the gate: status, why (static text), peer (for the log). Returns
	 * its length. */
	size_t (*refuse)(char *buf, size_t cap, int status, const char *why, const char *peer);
};

/* Listen on addr and start the gate. 0, or -1 after logging why. */
int conn_start(const struct sockaddr *addr, socklen_t len, const struct conn_limits *lim,
               const struct conn_hooks *hooks);
/* Close the listening socket and every connection still in the gate; on
 * return no connection is accepted any more. */
void conn_stop_accepting(void);
/* Stop the gate thread and free the table; after the engine has stopped. */
void conn_join(void);

/* The engine's reports, from its threads. */
struct conn *conn_attach(int fd);        /* it started serving fd (NULL: unknown) */
void conn_detach(struct conn *c);        /* it is closing it */
void conn_request(struct conn *c);       /* a request's headers are parsed: its body comes */
void conn_received(struct conn *c, size_t n);  /* n more body bytes */
/* The handler of request ctx is queued; the connection is suspended. If
 * conn_stop_work ran before, ctx is stopped at once with its reason. */
void conn_working(struct conn *c, void *ctx);
void conn_worked(struct conn *c);        /* the handler is done; ctx is forgotten */
void conn_sending(struct conn *c);       /* a reply is queued */
void conn_idle(struct conn *c);          /* the request is over; the next may come */

/* Stop the work of every request with a handler, now and from now on
 * (the server is stopping). */
void conn_stop_work(int why);
/* Shut down every connection that is not in a request (waiting for
 * headers, or receiving a body that will not be served). */
void conn_shutdown_idle(void);
/* Connections between headers and the end of their reply. */
unsigned conn_active(void);

#endif
