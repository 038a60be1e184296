/* bench/loadgen.c -- the bench's own HTTP/1.1 load generator (make bench builds it as
 * build/bench/loadgen). One thread, epoll, C keep-alive connections to one address, GET / on each.
 *
 *   loadgen -a HOST:PORT -c CONNS -n COUNT            closed loop: COUNT requests in all, each
 *                                                    connection sends its next request when the
 *                                                    previous response is complete
 *   loadgen -a HOST:PORT -c CONNS -r RATE -d SECONDS  open loop: request i is due at
 *                                                    t0 + i / RATE, whatever the answers do
 *
 * Open loop, and why it is written here: wrk (Debian's) is closed-loop, so a proxy that stalls
 * for 10 ms stops the load for 10 ms too and the stall shows as one slow request instead of the
 * hundreds that would have waited behind it ("coordinated omission"). Here every request has an
 * intended send time from a fixed schedule; it is sent then on a free connection (or as soon as
 * one frees up, when all are busy) and its latency is measured from the intended time, so time
 * spent waiting for a free connection counts. Requests still unsent or unanswered when the run
 * ends count as late, with their latency so far, so a stall at the end is not dropped either.
 * Debian's other tools do not do this: h2load --rate paces new connections, not requests.
 *
 * Every latency is kept (4 bytes each) and sorted at the end: exact percentiles.
 * Output, one line: LOAD key=value ... (see print_result). Exit 0, or 1 when it could not run. */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define RBUF 16384

struct lconn {
	int      fd;
	int      busy;          /* a request is outstanding */
	uint64_t intended_ns;   /* its intended (open loop) or real (closed loop) send time */
	size_t   sent;          /* bytes of the request written so far */
	size_t   rlen;          /* bytes in rbuf */
	char     rbuf[RBUF];
};

static struct sockaddr_storage dst;
static socklen_t dstlen;
static char req[512];
static size_t reqlen;
static int epfd;

static uint32_t *lat;          /* latencies in us */
static size_t nlat, lat_cap;
static uint64_t n_errors, n_status, n_late, n_reconnects;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void record(uint64_t ns)
{
	uint64_t us = ns / 1000;

	if (nlat == lat_cap) {
		lat_cap = lat_cap ? lat_cap * 2 : 65536;
		lat = realloc(lat, lat_cap * sizeof(*lat));
		if (!lat)
			die("realloc");
	}
	lat[nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int conn_open(struct lconn *c)
{
	struct epoll_event ev;
	int one = 1;

	c->fd = socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&dst, dstlen) < 0 && errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	c->busy = 0;
	c->rlen = 0;
	c->sent = 0;
	ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
	ev.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		die("epoll_ctl");
	return 0;
}

/* The connection failed or the peer closed it: its outstanding request is an error. */
static void conn_reset(struct lconn *c)
{
	if (c->busy)
		n_errors++;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	n_reconnects++;
	if (conn_open(c) < 0)
		n_errors++;
}

/* Write what is left of the request; 0 when done or would block, -1 on failure. */
static int conn_flush(struct lconn *c)
{
	while (c->sent < reqlen) {
		ssize_t w = send(c->fd, req + c->sent, reqlen - c->sent, MSG_NOSIGNAL);
		if (w < 0)
			return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
		c->sent += (size_t)w;
	}
	return 0;
}

static int conn_send(struct lconn *c, uint64_t intended)
{
	c->busy = 1;
	c->intended_ns = intended;
	c->sent = 0;
	return conn_flush(c);
}

/* A complete response in rbuf? 1 yes (consumed), 0 not yet, -1 malformed. */
static int parse_response(struct lconn *c)
{
	char *end, *p;
	size_t head, clen = 0;
	int status, have_len = 0;

	if (c->rlen < 12)
		return 0;
	end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
	if (!end)
		return c->rlen == RBUF ? -1 : 0;
	head = (size_t)(end - c->rbuf) + 4;
	if (memcmp(c->rbuf, "HTTP/1.", 7) != 0)
		return -1;
	status = atoi(c->rbuf + 9);
	for (p = memchr(c->rbuf, '\n', head); p && p < end; p = memchr(p, '\n', (size_t)(end - p))) {
		p++;
		if (strncasecmp(p, "content-length:", 15) == 0) {
			clen = strtoul(p + 15, NULL, 10);
			have_len = 1;
		}
	}
	if (!have_len || head + clen > RBUF)
		return -1;  /* the bench's backends always send a small Content-Length body */
	if (c->rlen < head + clen)
		return 0;
	if (c->rlen != head + clen)
		return -1;  /* no pipelining: nothing may follow */
	if (status >= 400)
		n_status++;
	c->rlen = 0;
	return 1;
}

/* Read what is there; returns 1 when a response completed, 0 not yet, -1 failure. */
static int conn_read(struct lconn *c)
{
	for (;;) {
		ssize_t r = recv(c->fd, c->rbuf + c->rlen, RBUF - c->rlen, 0);
		if (r == 0)
			return -1;
		if (r < 0)
			return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
		c->rlen += (size_t)r;
		if (!c->busy)
			return -1;  /* bytes nobody asked for */
		int done = parse_response(c);
		if (done)
			return done;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: loadgen -a HOST:PORT -c CONNS (-n COUNT | -r RATE -d SECONDS) [-H HOST]\n");
	exit(2);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static uint32_t pct(double p)
{
	size_t i;

	if (!nlat)
		return 0;
	i = (size_t)(p / 100.0 * (double)nlat);
	if (i >= nlat)
		i = nlat - 1;
	return lat[i];
}

int main(int argc, char **argv)
{
	const char *addr = NULL;
	char host[256], *colon;
	int nconn = 50, opt, i, next_conn = 0;
	uint64_t count = 0, rate = 0, secs = 0, sent = 0, done = 0, total;
	uint64_t t0, interval_ns = 0, deadline;
	struct lconn *conns;
	struct epoll_event evs[256];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;

	while ((opt = getopt(argc, argv, "a:c:n:r:d:")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'c': nconn = atoi(optarg); break;
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 'r': rate = strtoull(optarg, NULL, 10); break;
		case 'd': secs = strtoull(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (!addr || nconn <= 0 || (!count && !(rate && secs)) || strlen(addr) >= sizeof(host))
		usage();
	strcpy(host, addr);
	colon = strrchr(host, ':');
	if (!colon)
		usage();
	*colon = 0;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		usage();
	memcpy(&dst, ai->ai_addr, ai->ai_addrlen);
	dstlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	reqlen = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", addr);
	signal(SIGPIPE, SIG_IGN);

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1");
	conns = calloc((size_t)nconn, sizeof(*conns));
	if (!conns)
		die("calloc");
	for (i = 0; i < nconn; i++)
		if (conn_open(&conns[i]) < 0)
			die("connect");

	if (rate) {
		interval_ns = 1000000000u / rate;
		total = rate * secs;
	} else {
		total = count;
	}
	t0 = now_ns() + 20000000u;  /* 20 ms for the connections to be established */
	deadline = UINT64_MAX;      /* set when the last request is due: answers get 5 s more */

	while (done < total) {
		uint64_t now = now_ns();
		int n;

		/* send every request that is due, on free connections (taken in turn) */
		for (i = 0; i < nconn && sent < total; i++) {
			struct lconn *c = &conns[(i + next_conn) % nconn];
			uint64_t due = rate ? t0 + sent * interval_ns : now;

			if (due > now)
				break;
			if (c->busy || c->fd < 0 || now < t0)
				continue;
			if (conn_send(c, due) < 0)
				conn_reset(c);
			sent++;
		}
		next_conn = (next_conn + 1) % nconn;
		if (sent == total && deadline == UINT64_MAX)
			deadline = now + 5000000000u;
		if (now >= deadline)
			break;
		{
			/* sleep until the next request is due (when a connection is free for it) */
			struct timespec ts = { 0, 0 }, *tsp = NULL;
			uint64_t next = now < t0 ? t0 : (rate && sent < total ? t0 + sent * interval_ns : deadline);
			int free_conn = 0;

			for (i = 0; i < nconn; i++)
				if (!conns[i].busy && conns[i].fd >= 0) {
					free_conn = 1;
					break;
				}
			if (!free_conn && now >= t0)
				next = deadline;
			if (next != UINT64_MAX) {
				uint64_t wait = next > now ? next - now : 0;
				ts.tv_sec = (time_t)(wait / 1000000000u);
				ts.tv_nsec = (long)(wait % 1000000000u);
				tsp = &ts;
			}
			n = epoll_pwait2(epfd, evs, 256, tsp, NULL);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_pwait2");
		}
		now = now_ns();
		for (i = 0; i < n; i++) {
			struct lconn *c = evs[i].data.ptr;
			int r = 0;

			if (c->fd < 0)
				continue;
			if ((evs[i].events & EPOLLOUT) && c->busy && conn_flush(c) < 0)
				r = -1;
			if (!r && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
				r = conn_read(c);
			if (r > 0) {
				record(now - c->intended_ns);
				c->busy = 0;
				done++;
			} else if (r < 0) {
				if (c->busy)
					done++;
				conn_reset(c);
			}
		}
	}
	/* what is late at the end counts with its latency so far */
	{
		uint64_t now = now_ns();

		for (i = 0; i < nconn; i++)
			if (conns[i].busy && conns[i].fd >= 0) {
				record(now - conns[i].intended_ns);
				n_late++;
			}
		if (rate)
			for (; sent < total; sent++) {
				uint64_t due = t0 + sent * interval_ns;
				record(now > due ? now - due : 0);
				n_late++;
			}
		qsort(lat, nlat, sizeof(*lat), cmp_u32);
		printf("LOAD requests=%llu duration_us=%llu errors=%llu status=%llu late=%llu reconnects=%llu "
		       "rate=%llu p50_us=%u p90_us=%u p99_us=%u p999_us=%u max_us=%u\n",
		       (unsigned long long)(nlat - n_late), (unsigned long long)((now - t0) / 1000),
		       (unsigned long long)n_errors, (unsigned long long)n_status, (unsigned long long)n_late,
		       (unsigned long long)n_reconnects, (unsigned long long)rate,
		       pct(50), pct(90), pct(99), pct(99.9), nlat ? lat[nlat - 1] : 0);
	}
	return 0;
}
