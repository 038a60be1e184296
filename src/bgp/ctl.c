/* The socket side of BIRD's control protocol: connecting, and a blocking
 * command/answer exchange for the moments when there is no event loop to
 * run in: start-up (is BIRD there, does it have our protocols), exit (the
 * last withdraw) and the crash guard. The thread of bgp.c speaks the same
 * protocol through its event loop. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <tandem/clock.h>
#include "bgp_int.h"

int bgp_ctl_connect(const char *path, int *inprogress)
{
	struct sockaddr_un sa;
	int fd, e;

	*inprogress = 0;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	/* a full backlog (EAGAIN) completes later, like EINPROGRESS */
	if (errno == EINPROGRESS || errno == EAGAIN) {
		*inprogress = 1;
		return fd;
	}
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

static int remaining(uint64_t end)
{
	uint64_t now = clock_mono_us() / 1000;

	return now >= end ? 0 : (int)(end - now);
}

/* Read until the reply in <rep> is complete or <end> (ms) passes. */
static int read_reply(int fd, struct birdc_parser *p, struct birdc_reply *rep, uint64_t end,
		      char *err, size_t errlen)
{
	char buf[1024];

	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int r, left = remaining(end);
		ssize_t n;
		size_t off = 0;

		if (!left) {
			snprintf(err, errlen, "BIRD did not answer in time");
			return -1;
		}
		r = poll(&pf, 1, left);
		if (r < 0 && errno != EINTR) {
			snprintf(err, errlen, "%s", strerror(errno));
			return -1;
		}
		if (r <= 0)
			continue;   /* EINTR, or the time is up: said above at the next turn */
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s", n ? strerror(errno) : "BIRD closed the connection");
			return -1;
		}
		/* tandem sends a command only once the previous one is answered:
		 * after the answer only spontaneous lines may follow */
		while (off < (size_t)n) {
			struct birdc_line l;
			size_t used;
			int got = birdc_parse(p, buf + off, (size_t)n - off, &used, &l);

			if (got < 0) {
				snprintf(err, errlen, "not BIRD's protocol: %s", p->err);
				return -1;
			}
			off += used;
			if (!got || l.kind == BIRDC_ASYNC)
				continue;
			if (rep->res != BIRDC_R_PENDING) {
				snprintf(err, errlen, "BIRD sent more than the answer");
				return -1;
			}
			birdc_reply_line(rep, &l);
		}
		if (rep->res != BIRDC_R_PENDING)
			return 0;
	}
}

int bgp_ctl_open(const char *path, struct birdc_parser *p, int timeout_ms, char *err, size_t errlen)
{
	uint64_t end = clock_mono_us() / 1000 + (uint64_t)timeout_ms;
	struct birdc_reply rep;
	int fd, inprog;

	fd = bgp_ctl_connect(path, &inprog);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (inprog) {
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		int e = 0;
		socklen_t el = sizeof(e);

		if (poll(&pf, 1, remaining(end)) <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e) {
			snprintf(err, errlen, "%s", e ? strerror(e) : "connection not accepted in time");
			close(fd);
			return -1;
		}
	}
	birdc_init(p);
	birdc_reply_init(&rep, BIRDC_HELLO, NULL);
	if (read_reply(fd, p, &rep, end, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	if (rep.res != BIRDC_R_OK) {
		snprintf(err, errlen, "BIRD greeted with '%s'", rep.msg);
		close(fd);
		return -1;
	}
	return fd;
}

int bgp_ctl_command(int fd, struct birdc_parser *p, int cmd, const char *proto, int timeout_ms,
		    struct birdc_reply *rep, char *err, size_t errlen)
{
	uint64_t end = clock_mono_us() / 1000 + (uint64_t)timeout_ms;
	char line[128];
	size_t len = birdc_cmd_build(line, sizeof(line), cmd, proto), off = 0;

	if (!len) {
		snprintf(err, errlen, "invalid command");
		return -1;
	}
	birdc_reply_init(rep, cmd, proto);
	while (off < len) {
		ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && remaining(end)) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };

			poll(&pf, 1, remaining(end));
			continue;
		}
		snprintf(err, errlen, "%s", n < 0 && errno != EAGAIN ? strerror(errno) : "cannot send in time");
		return -1;
	}
	return read_reply(fd, p, rep, end, err, errlen);
}
