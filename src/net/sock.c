/* Socket helpers. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <tandem/sock.h>

int sock_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int sock_listen(const struct sockaddr_storage *ss, socklen_t len, int backlog,
		int v6only, int freebind, char *err, size_t errlen)
{
	char addr[128];
	int one = 1, fd;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6 && v6only >= 0)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	if (freebind) {
		if (ss->ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
		else
			setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	}
	if (bind(fd, (const struct sockaddr *)ss, len) < 0)
		goto fail;
	if (listen(fd, backlog > 0 ? backlog : 1024) < 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "cannot bind socket (%s) for [%s]", strerror(errno),
		 sock_addr_str(ss, addr, sizeof(addr)));
	if (fd >= 0)
		close(fd);
	return -1;
}

int sock_connect(const struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1, fd;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (ss->ss_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)ss, len) < 0 && errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int sock_connect_from(const struct sockaddr_storage *ss, socklen_t len, const struct sockaddr_storage *src,
		      socklen_t srclen, int port_lo, int port_hi, const char *iface)
{
	struct sockaddr_storage b;
	int one = 1, fd, e, span, start;

	if ((!src || !srclen) && (!iface || !*iface))
		return sock_connect(ss, len);
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (ss->ss_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (iface && *iface && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface, (socklen_t)strlen(iface) + 1) < 0)
		goto fail;
	if (!src || !srclen) {   /* an interface only */
		if (connect(fd, (const struct sockaddr *)ss, len) < 0 && errno != EINPROGRESS)
			goto fail;
		return fd;
	}
	b = *src;
	if (!port_lo) {
#ifdef IP_BIND_ADDRESS_NO_PORT
		/* the port is chosen at connect(), so a fixed source address does
		 * not exhaust ports across destinations (HAProxy does the same) */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
#endif
		if (bind(fd, (const struct sockaddr *)&b, srclen) < 0)
			goto fail;
	} else {
		/* a port of the range, starting anywhere in it: the next one
		 * when it is taken */
		span = port_hi - port_lo + 1;
		start = (int)((unsigned)(getpid() ^ (uintptr_t)&b ^ (unsigned)fd * 2654435761u) % (unsigned)span);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		for (int i = 0; ; i++) {
			uint16_t p = htons((uint16_t)(port_lo + (start + i) % span));

			if (i == span) {
				errno = EADDRNOTAVAIL;
				goto fail;
			}
			if (b.ss_family == AF_INET)
				((struct sockaddr_in *)&b)->sin_port = p;
			else
				((struct sockaddr_in6 *)&b)->sin6_port = p;
			if (bind(fd, (const struct sockaddr *)&b, srclen) == 0)
				break;
			if (errno != EADDRINUSE)
				goto fail;
		}
	}
	if (connect(fd, (const struct sockaddr *)ss, len) < 0 && errno != EINPROGRESS)
		goto fail;
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

int sock_error(int fd)
{
	int e = 0;
	socklen_t l = sizeof(e);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
		return errno;
	return e;
}

void sock_addr_ip_port(const struct sockaddr_storage *ss, char *ip, size_t iplen, int *port)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, (socklen_t)iplen);
		*port = ntohs(s6->sin6_port);
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, ip, (socklen_t)iplen);
		*port = ntohs(s4->sin_port);
	} else {
		snprintf(ip, iplen, "unix");
		*port = 0;
	}
}

char *sock_addr_str(const struct sockaddr_storage *ss, char *out, size_t outlen)
{
	char ip[INET6_ADDRSTRLEN];
	int port;

	sock_addr_ip_port(ss, ip, sizeof(ip), &port);
	if (ss->ss_family == AF_INET6)
		snprintf(out, outlen, "[%s]:%d", ip, port);
	else
		snprintf(out, outlen, "%s:%d", ip, port);
	return out;
}

void sock_linger_reset(int fd)
{
	struct linger l = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}
