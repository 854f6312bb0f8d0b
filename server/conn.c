/*
 * conn.c: the gate, the connection table and its deadlines (see conn.h).
 */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "hdr.h"
#include "limits.h"
#include "util.h"
#include "work.h"

enum phase { P_FREE, P_PENDING, P_DRAIN, P_HANDED, P_HEADERS, P_BODY, P_WORK, P_SEND };
static const char *const phase_name[] = {
	[P_FREE] = "free", [P_PENDING] = "headers", [P_DRAIN] = "drain", [P_HANDED] = "handed",
	[P_HEADERS] = "headers", [P_BODY] = "body", [P_WORK] = "work", [P_SEND] = "send",
};

struct addr_key {
	uint8_t fam; /* 4 or 6 */
	uint8_t a[16];
};

struct conn {
	int fd;
	uint32_t gen;          /* bumped on reuse: epoll events carry it */
	enum phase phase;
	struct addr_key key;
	char peer[INET6_ADDRSTRLEN];
	double t0;             /* start of the phase */
	double deadline;       /* pending, drain, handed, headers */
	uint64_t bytes;        /* body: received; send: acknowledged at t0 */
	void *ctx;             /* work: the request */
	bool cancelled;        /* work: the stop hook was called */
	bool cut;              /* shut down already (the engine will detach) */
	bool kept_alive;       /* headers: waiting for a request after a reply */
	bool dirty;            /* pending: data came while peeking was paused */
	double next_peek;      /* pending: no peek before this */
	size_t drained;        /* drain: bytes discarded */
	struct conn *next_free;
};

/* epoll data of the two fds that are not connections (those carry gen << 32 | index,
 * and gen is never 0) */
#define TAG_LISTEN 1u
#define TAG_WAKE   2u

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	struct conn *tab;
	unsigned cap, used;
	struct conn *free_list;
	int *fd_index;         /* fd -> index in tab, or -1 */
	unsigned fd_cap;
	char *peekbuf;
	int listen_fd, ep, wake;
	struct conn_limits lim;
	struct conn_hooks hooks;
	pthread_t thread;
	bool running;
	atomic_bool quit, stop_accept;
	bool accept_stopped;
	bool accept_paused;    /* out of fds: the listening socket is off until the next tick */
	int stop_all;          /* conn_stop_work's reason, WORK_OK until then */
	double peek_due;       /* earliest next_peek of a dirty pending connection */
	double last_limit_log;
} G = { .lock = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .listen_fd = -1, .ep = -1,
	.wake = -1 };

static void key_of(const struct sockaddr *sa, struct addr_key *k, char *peer, size_t cap)
{
	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			k->fam = 4;
			memcpy(k->a, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			k->fam = 6;
			memcpy(k->a, s6->sin6_addr.s6_addr, 16);
		}
	} else if (sa->sa_family == AF_INET) {
		k->fam = 4;
		memcpy(k->a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	}
	if (!inet_ntop(k->fam == 6 ? AF_INET6 : AF_INET, k->a, peer, (socklen_t)cap))
		snprintf(peer, cap, "?");
}

/* Forget c (its fd is closed or the engine's). Locked. */
static void release(struct conn *c)
{
	if (c->fd >= 0 && (unsigned)c->fd < G.fd_cap && G.fd_index[c->fd] == (int)(c - G.tab))
		G.fd_index[c->fd] = -1;
	c->phase = P_FREE;
	c->fd = -1;
	c->ctx = NULL;
	c->next_free = G.free_list;
	G.free_list = c;
	G.used--;
}

/* Close a connection the gate still owns. Locked. */
static void gate_close(struct conn *c)
{
	epoll_ctl(G.ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	release(c);
}

/* Read and drop what the client sends after a refusal, so that closing
 * the socket does not reset it before the client has read the answer. */
static void drain(struct conn *c)
{
	char scratch[4096];
	for (;;) {
		ssize_t n = recv(c->fd, scratch, sizeof(scratch), 0);
		if (n > 0) {
			c->drained += (size_t)n;
			if (c->drained <= FDX_DRAIN_BYTES)
				continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			return;
		}
		gate_close(c);
		return;
	}
}

static void refuse(struct conn *c, int status, const char *why, double now)
{
	char out[1024];
	size_t len = G.hooks.refuse(out, sizeof(out), status, why, c->peer);
	(void)!send(c->fd, out, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	shutdown(c->fd, SHUT_WR);
	c->phase = P_DRAIN;
	c->deadline = now + FDX_DRAIN_MS;
	c->drained = 0;
	drain(c);
}

/* Hand c over to the engine. Locked (the hand-over calls no conn_*). */
static void hand_over(struct conn *c, const struct sockaddr *sa, socklen_t sl, double now)
{
	c->phase = P_HANDED;
	c->deadline = now + FDX_HANDOVER_MS;
	if (G.hooks.handoff(c->fd, sa, sl) < 0)
		release(c); /* the engine closed the fd */
}

static void peer_addr(const struct conn *c, struct sockaddr_storage *ss, socklen_t *sl)
{
	memset(ss, 0, sizeof(*ss));
	*sl = sizeof(*ss);
	if (getpeername(c->fd, (struct sockaddr *)ss, sl) < 0)
		*sl = 0;
}

/* Look at what a pending connection has sent so far. Locked. */
static void peek(struct conn *c, double now)
{
	c->dirty = false;
	ssize_t n = recv(c->fd, G.peekbuf, G.lim.max_header, MSG_PEEK);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			gate_close(c); /* gone before sending a request */
		return;
	}
	/* Each look copies everything pending: small blocks are looked at
	 * again as soon as more comes, large ones at most every interval. */
	c->next_peek = n < FDX_PEEK_CHEAP_BYTES ? now : now + FDX_PEEK_INTERVAL_MS;
	struct hdr_scan s;
	hdr_scan(G.peekbuf, (size_t)n, G.lim.max_header, &s);
	if (s.result == HDR_BAD) {
		refuse(c, s.status, s.why, now);
	} else if (s.result == HDR_OK) {
		struct sockaddr_storage ss;
		socklen_t sl;
		peer_addr(c, &ss, &sl);
		epoll_ctl(G.ep, EPOLL_CTL_DEL, c->fd, NULL);
		hand_over(c, (struct sockaddr *)&ss, sl, now);
	}
}

static void log_limit(const char *what, const char *peer, double now)
{
	if (now - G.last_limit_log < 1000)
		return; /* at most one line a second under a flood */
	G.last_limit_log = now;
	util_log("level=warn msg=\"connection refused: %s\" peer=%s", what, peer);
}

static void admit(int fd, const struct sockaddr *sa, socklen_t sl, double now)
{
	struct addr_key k;
	char peer[INET6_ADDRSTRLEN];
	key_of(sa, &k, peer, sizeof(peer));
	if ((unsigned)fd >= G.fd_cap) {
		close(fd);
		return;
	}
	if (G.fd_index[fd] >= 0)
		release(&G.tab[G.fd_index[fd]]); /* the engine closed a handed fd unseen */
	if (G.used >= G.lim.max_conns || !G.free_list) {
		close(fd);
		log_limit("too many connections (--max-conns)", peer, now);
		return;
	}
	if (G.lim.per_ip) {
		unsigned same = 0;
		for (unsigned i = 0; i < G.cap; i++)
			if (G.tab[i].phase != P_FREE && memcmp(&G.tab[i].key, &k, sizeof(k)) == 0)
				same++;
		if (same >= G.lim.per_ip) {
			close(fd);
			log_limit("too many connections from one address (--max-conns-per-ip)", peer, now);
			return;
		}
	}
	struct conn *c = G.free_list;
	G.free_list = c->next_free;
	G.used++;
	uint32_t gen = c->gen + 1 ? c->gen + 1 : 1; /* never 0 (see TAG_LISTEN) */
	memset(c, 0, sizeof(*c));
	c->gen = gen;
	c->fd = fd;
	c->key = k;
	memcpy(c->peer, peer, sizeof(peer));
	c->t0 = now;
	G.fd_index[fd] = (int)(c - G.tab);
	if (G.lim.tls) {
		hand_over(c, sa, sl, now);
		return;
	}
	c->phase = P_PENDING;
	c->deadline = now + G.lim.header_ms;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET };
	ev.data.u64 = (uint64_t)c->gen << 32 | (uint32_t)(c - G.tab);
	if (epoll_ctl(G.ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		release(c);
	}
}

static void on_listen(double now)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(G.listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			admit(fd, (struct sockaddr *)&ss, sl, now);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			struct epoll_event ev = { .events = 0 };
			ev.data.u64 = TAG_LISTEN;
			epoll_ctl(G.ep, EPOLL_CTL_MOD, G.listen_fd, &ev);
			G.accept_paused = true;
			log_limit("out of file descriptors", "-", now);
		}
		return;
	}
}

static void on_event(uint64_t data, double now)
{
	uint32_t idx = (uint32_t)data;
	if (idx >= G.cap || G.tab[idx].gen != (uint32_t)(data >> 32))
		return; /* an event of a connection closed earlier in this batch */
	struct conn *c = &G.tab[idx];
	if (c->phase == P_DRAIN) {
		drain(c);
	} else if (c->phase == P_PENDING) {
		if (now >= c->next_peek) {
			peek(c, now);
		} else {
			c->dirty = true;
			if (c->next_peek < G.peek_due)
				G.peek_due = c->next_peek;
		}
	}
}

/* Cut a connection the engine owns: it sees the socket end and closes it.
 * An idle kept-alive connection is closed silently: that is routine. */
static void cut(struct conn *c, double now)
{
	if (c->cut)
		return;
	c->cut = true;
	shutdown(c->fd, SHUT_RDWR);
	if (!c->kept_alive)
		util_log("level=info msg=\"connection cut: too slow\" phase=%s peer=%s ms=%.0f", phase_name[c->phase],
		         c->peer, now - c->t0);
}

/* Below the minimum rate: fewer than min_rate bytes a second on average
 * since t0, once the grace period is over. */
static bool too_slow(const struct conn *c, uint64_t bytes, double now)
{
	double over = now - c->t0 - G.lim.grace_ms;
	return over > 0 && (double)bytes < (double)G.lim.min_rate * over / 1000.0;
}

static uint64_t acked(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof(ti.tcpi_bytes_acked))
		return UINT64_MAX; /* unknown: never judged too slow */
	return ti.tcpi_bytes_acked;
}

static bool hung_up(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static void tick(double now)
{
	if (G.accept_paused && G.listen_fd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN };
		ev.data.u64 = TAG_LISTEN;
		epoll_ctl(G.ep, EPOLL_CTL_MOD, G.listen_fd, &ev);
		G.accept_paused = false;
	}
	G.peek_due = now + 1e9;
	for (unsigned i = 0; i < G.cap; i++) {
		struct conn *c = &G.tab[i];
		switch (c->phase) {
		case P_PENDING:
			if (now >= c->deadline)
				refuse(c, 408, "the request headers did not arrive in time", now);
			else if (c->dirty && now >= c->next_peek)
				peek(c, now);
			else if (c->dirty && c->next_peek < G.peek_due)
				G.peek_due = c->next_peek;
			break;
		case P_DRAIN:
			if (now >= c->deadline)
				gate_close(c);
			break;
		case P_HANDED:
			if (now >= c->deadline)
				release(c); /* never started: the engine closed it */
			break;
		case P_HEADERS:
			if (now >= c->deadline)
				cut(c, now);
			break;
		case P_BODY:
			if (too_slow(c, c->bytes, now))
				cut(c, now);
			break;
		case P_SEND: {
			uint64_t a = acked(c->fd);
			if (a != UINT64_MAX && c->bytes != UINT64_MAX && too_slow(c, a - c->bytes, now))
				cut(c, now);
			break;
		}
		case P_WORK:
			if (c->ctx && !c->cancelled && hung_up(c->fd)) {
				c->cancelled = true;
				if (G.hooks.stop(c->ctx, WORK_CANCELLED))
					c->ctx = NULL;
			}
			break;
		case P_FREE:
			break;
		}
	}
}

/* conn_stop_accepting, on the gate thread. Locked. */
static void close_gate(void)
{
	if (G.listen_fd >= 0) {
		epoll_ctl(G.ep, EPOLL_CTL_DEL, G.listen_fd, NULL);
		close(G.listen_fd);
		G.listen_fd = -1;
	}
	for (unsigned i = 0; i < G.cap; i++)
		if (G.tab[i].phase == P_PENDING || G.tab[i].phase == P_DRAIN)
			gate_close(&G.tab[i]);
	G.accept_stopped = true;
	pthread_cond_broadcast(&G.cv);
}

static void *gate_main(void *arg)
{
	(void)arg;
	struct epoll_event ev[64];
	double next_tick = util_mono_ms() + FDX_REAP_TICK_MS;
	while (!atomic_load(&G.quit)) {
		double now = util_mono_ms();
		double due = next_tick < G.peek_due ? next_tick : G.peek_due;
		int timeout = due > now ? (int)(due - now) + 1 : 0;
		int n = epoll_wait(G.ep, ev, 64, timeout);
		pthread_mutex_lock(&G.lock);
		now = util_mono_ms();
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u64 == TAG_LISTEN) {
				if (G.listen_fd >= 0)
					on_listen(now);
			} else if (ev[i].data.u64 == TAG_WAKE) {
				uint64_t v;
				(void)!read(G.wake, &v, sizeof(v));
			} else {
				on_event(ev[i].data.u64, now);
			}
		}
		if (atomic_load(&G.stop_accept) && !G.accept_stopped)
			close_gate();
		if (now >= next_tick || now >= G.peek_due) {
			tick(now);
			next_tick = now + FDX_REAP_TICK_MS;
		}
		pthread_mutex_unlock(&G.lock);
	}
	return NULL;
}

static int open_listener(const struct sockaddr *addr, socklen_t len)
{
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 || bind(fd, addr, len) < 0 ||
	    listen(fd, FDX_LISTEN_BACKLOG) < 0) {
		util_log("level=error msg=\"cannot listen\" error=\"%s\"", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int conn_start(const struct sockaddr *addr, socklen_t len, const struct conn_limits *lim,
               const struct conn_hooks *hooks)
{
	G.lim = *lim;
	G.hooks = *hooks;
	G.peek_due = 1e18;
	struct rlimit rl;
	G.fd_cap = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (1u << 20) ? (unsigned)rl.rlim_cur : 1u << 20;
	G.cap = lim->max_conns;
	G.tab = calloc(G.cap, sizeof(*G.tab));
	G.fd_index = malloc(G.fd_cap * sizeof(*G.fd_index));
	G.peekbuf = malloc(lim->max_header);
	if (!G.tab || !G.fd_index || !G.peekbuf)
		goto fail;
	for (unsigned i = 0; i < G.fd_cap; i++)
		G.fd_index[i] = -1;
	for (unsigned i = G.cap; i-- > 0;) {
		G.tab[i].fd = -1;
		G.tab[i].next_free = G.free_list;
		G.free_list = &G.tab[i];
	}
	G.listen_fd = open_listener(addr, len);
	G.ep = epoll_create1(EPOLL_CLOEXEC);
	G.wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (G.listen_fd < 0 || G.ep < 0 || G.wake < 0)
		goto fail;
	struct epoll_event ev = { .events = EPOLLIN };
	ev.data.u64 = TAG_LISTEN;
	struct epoll_event wv = { .events = EPOLLIN };
	wv.data.u64 = TAG_WAKE;
	if (epoll_ctl(G.ep, EPOLL_CTL_ADD, G.listen_fd, &ev) < 0 || epoll_ctl(G.ep, EPOLL_CTL_ADD, G.wake, &wv) < 0 ||
	    pthread_create(&G.thread, NULL, gate_main, NULL) != 0)
		goto fail;
	G.running = true;
	return 0;
fail:
	util_log("level=error msg=\"cannot start the connection gate\"");
	conn_join();
	return -1;
}

static void wake_gate(void)
{
	uint64_t one = 1;
	(void)!write(G.wake, &one, sizeof(one));
}

void conn_stop_accepting(void)
{
	if (!G.running)
		return;
	atomic_store(&G.stop_accept, true);
	wake_gate();
	pthread_mutex_lock(&G.lock);
	while (!G.accept_stopped)
		pthread_cond_wait(&G.cv, &G.lock);
	pthread_mutex_unlock(&G.lock);
}

void conn_join(void)
{
	if (G.running) {
		atomic_store(&G.quit, true);
		wake_gate();
		pthread_join(G.thread, NULL);
		G.running = false;
	}
	for (unsigned i = 0; G.tab && i < G.cap; i++)
		if (G.tab[i].phase == P_PENDING || G.tab[i].phase == P_DRAIN)
			close(G.tab[i].fd);
	if (G.listen_fd >= 0)
		close(G.listen_fd);
	if (G.ep >= 0)
		close(G.ep);
	if (G.wake >= 0)
		close(G.wake);
	G.listen_fd = G.ep = G.wake = -1;
	free(G.tab);
	free(G.fd_index);
	free(G.peekbuf);
	G.tab = NULL;
	G.fd_index = NULL;
	G.peekbuf = NULL;
}

/* ---- the engine's reports ---------------------------------------------- */

struct conn *conn_attach(int fd)
{
	struct conn *c = NULL;
	pthread_mutex_lock(&G.lock);
	if (G.fd_index && fd >= 0 && (unsigned)fd < G.fd_cap && G.fd_index[fd] >= 0 &&
	    G.tab[G.fd_index[fd]].phase == P_HANDED) {
		c = &G.tab[G.fd_index[fd]];
		c->phase = P_HEADERS;
		c->t0 = util_mono_ms();
		c->deadline = c->t0 + G.lim.header_ms;
	}
	pthread_mutex_unlock(&G.lock);
	return c;
}

void conn_detach(struct conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&G.lock);
	release(c);
	pthread_mutex_unlock(&G.lock);
}

/* Enter phase p now. */
static void enter(struct conn *c, enum phase p)
{
	c->phase = p;
	c->t0 = util_mono_ms();
	c->bytes = 0;
	c->kept_alive = false;
}

void conn_request(struct conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&G.lock);
	enter(c, P_BODY);
	pthread_mutex_unlock(&G.lock);
}

void conn_received(struct conn *c, size_t n)
{
	if (!c)
		return;
	pthread_mutex_lock(&G.lock);
	c->bytes += n;
	pthread_mutex_unlock(&G.lock);
}

void conn_working(struct conn *c, void *ctx)
{
	pthread_mutex_lock(&G.lock);
	if (c) {
		enter(c, P_WORK);
		c->ctx = ctx;
		c->cancelled = false;
	}
	if (G.stop_all != WORK_OK)
		(void)G.hooks.stop(ctx, G.stop_all); /* not queued yet: it cannot finish here */
	pthread_mutex_unlock(&G.lock);
}

void conn_worked(struct conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&G.lock);
	c->ctx = NULL;
	pthread_mutex_unlock(&G.lock);
}

void conn_sending(struct conn *c)
{
	if (!c)
		return;
	uint64_t a = acked(c->fd);
	pthread_mutex_lock(&G.lock);
	enter(c, P_SEND);
	c->bytes = a;
	pthread_mutex_unlock(&G.lock);
}

void conn_idle(struct conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&G.lock);
	enter(c, P_HEADERS);
	c->kept_alive = true;
	c->deadline = c->t0 + G.lim.keepalive_ms;
	pthread_mutex_unlock(&G.lock);
}

void conn_stop_work(int why)
{
	pthread_mutex_lock(&G.lock);
	G.stop_all = why;
	for (unsigned i = 0; G.tab && i < G.cap; i++)
		if (G.tab[i].phase == P_WORK && G.tab[i].ctx && G.hooks.stop(G.tab[i].ctx, why))
			G.tab[i].ctx = NULL;
	pthread_mutex_unlock(&G.lock);
}

void conn_shutdown_idle(void)
{
	pthread_mutex_lock(&G.lock);
	for (unsigned i = 0; G.tab && i < G.cap; i++) {
		struct conn *c = &G.tab[i];
		if ((c->phase == P_HEADERS || c->phase == P_BODY) && !c->cut) {
			c->cut = true;
			shutdown(c->fd, SHUT_RDWR);
		}
	}
	pthread_mutex_unlock(&G.lock);
}

unsigned conn_active(void)
{
	unsigned n = 0;
	pthread_mutex_lock(&G.lock);
	for (unsigned i = 0; G.tab && i < G.cap; i++)
		n += G.tab[i].phase == P_BODY || G.tab[i].phase == P_WORK || G.tab[i].phase == P_SEND;
	pthread_mutex_unlock(&G.lock);
	return n;
}
