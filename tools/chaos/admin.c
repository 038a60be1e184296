/* Runtime API client (see admin.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <tandem/clock.h>
#include <tandem/loop.h>
#include "admin.h"

/* A socket address from "PATH", "unix@PATH", "ipv4@IP:PORT" or "IP:PORT". */
static int admin_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	const char *colon;

	memset(ss, 0, sizeof(*ss));
	if (!strncmp(s, "unix@", 5))
		s += 5;
	if (!strncmp(s, "ipv4@", 5) || (!strchr(s, '/') && (colon = strrchr(s, ':')) && colon[1])) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		char host[64];
		size_t hl;

		if (!strncmp(s, "ipv4@", 5))
			s += 5;
		colon = strrchr(s, ':');
		if (!colon || (hl = (size_t)(colon - s)) >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
		host[hl] = 0;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -1;
		*len = sizeof(*a);
		return 0;
	}
	{
		struct sockaddr_un *u = (struct sockaddr_un *)ss;

		if (strlen(s) >= sizeof(u->sun_path))
			return -1;
		u->sun_family = AF_UNIX;
		strcpy(u->sun_path, s);
		*len = sizeof(*u);
		return 0;
	}
}

static int admin_connect(const char *sock, int nonblock, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (admin_addr(sock, &ss, &len) < 0) {
		snprintf(err, errlen, "bad admin socket address '%s'", sock);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		snprintf(err, errlen, "connect %s: %s", sock, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int admin_answer_ok(const char *answer)
{
	static const char *const good[] = { "New server registered.", "Server deleted.", NULL };
	const char *p = answer;

	while (*p) {
		size_t n = strcspn(p, "\n");
		int i, ok = !n;

		for (i = 0; !ok && good[i]; i++)
			ok = n == strlen(good[i]) && !memcmp(p, good[i], n);
		if (!ok)
			return 0;
		p += n;
		if (*p)
			p++;
	}
	return 1;
}

/* ---- asynchronous ---- */

static void finish(struct admin_req *a, const char *answer, const char *err)
{
	if (a->io.fd >= 0) {
		loop_io_del(this_loop, &a->io);
		close(a->io.fd);
		a->io.fd = -1;
	}
	loop_timer_del(this_loop, &a->tmr);
	a->busy = 0;
	a->cb(a, answer, err);
}

static void io_cb(struct ev_io *io, uint32_t events)
{
	struct admin_req *a = io->ctx;
	ssize_t n;
	int e = 0;
	socklen_t el = sizeof(e);

	if (a->off < a->olen) {
		if (events & (EPOLLERR | EPOLLHUP)) {
			getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &e, &el);
			finish(a, NULL, e ? strerror(e) : "connection closed");
			return;
		}
		n = send(io->fd, a->out + a->off, a->olen - a->off, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN) {
			finish(a, NULL, strerror(errno));
			return;
		}
		if (n > 0)
			a->off += (size_t)n;
		if (a->off == a->olen)
			loop_io_set(this_loop, &a->io, EPOLLIN);
		return;
	}
	n = read(io->fd, a->in + a->ilen, sizeof(a->in) - 1 - a->ilen);
	if (n > 0) {
		a->ilen += (size_t)n;
		if (a->ilen < sizeof(a->in) - 1)
			return;
	} else if (n < 0 && errno == EAGAIN) {
		return;
	}
	a->in[a->ilen] = 0;
	if (n < 0)
		finish(a, NULL, strerror(errno));
	else
		finish(a, a->in, NULL);
}

static void tmr_cb(struct ev_timer *t)
{
	finish(t->ctx, NULL, "no answer in time");
}

void admin_init(struct admin_req *a)
{
	memset(a, 0, sizeof(*a));
	ev_io_init(&a->io, -1, io_cb, a);
	ev_timer_init(&a->tmr, tmr_cb, a);
}

int admin_send(struct admin_req *a, const char *sock, const char *cmd, unsigned timeout_ms,
	       admin_cb cb, void *ctx, char *err, size_t errlen)
{
	int fd, n;

	if (a->busy) {
		snprintf(err, errlen, "busy");
		return -1;
	}
	n = snprintf(a->out, sizeof(a->out), "%s\n", cmd);
	if (n < 0 || (size_t)n >= sizeof(a->out)) {
		snprintf(err, errlen, "command too long");
		return -1;
	}
	fd = admin_connect(sock, 1, err, errlen);
	if (fd < 0)
		return -1;
	a->olen = (size_t)n;
	a->off = a->ilen = 0;
	a->cb = cb;
	a->ctx = ctx;
	a->busy = 1;
	ev_io_init(&a->io, fd, io_cb, a);
	ev_timer_init(&a->tmr, tmr_cb, a);
	/* the first write event reports the connection (UNIX sockets: at once) */
	loop_io_set(this_loop, &a->io, EPOLLOUT);
	loop_timer_set(this_loop, &a->tmr, now_ms + timeout_ms);
	return 0;
}

void admin_cancel(struct admin_req *a)
{
	if (!a->busy)
		return;
	if (a->io.fd >= 0) {
		loop_io_del(this_loop, &a->io);
		close(a->io.fd);
		a->io.fd = -1;
	}
	loop_timer_del(this_loop, &a->tmr);
	a->busy = 0;
}

/* ---- blocking ---- */

int admin_cmd(const char *sock, const char *cmd, unsigned timeout_ms, char *out, size_t cap)
{
	struct timeval tv = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000 };
	size_t len = 0;
	ssize_t n = 0;
	int fd = admin_connect(sock, 0, out, cap);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd) || write(fd, "\n", 1) != 1) {
		snprintf(out, cap, "write: %s", strerror(errno));
		close(fd);
		return -1;
	}
	while (len + 1 < cap && (n = read(fd, out + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	out[len] = 0;
	if (n < 0 && len + 1 < cap) {
		snprintf(out, cap, "read: %s", strerror(errno));
		return -1;
	}
	return 0;
}
