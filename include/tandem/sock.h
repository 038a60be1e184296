/* Socket helpers: listeners (created by the master once) and non-blocking
 * outgoing connections (made by workers). */
#ifndef TANDEM_SOCK_H
#define TANDEM_SOCK_H
#include <sys/socket.h>
#include <stddef.h>

/* Create, bind and listen on <ss>. <v6only>: -1 system default, 0/1 force.
 * <freebind> sets IP_FREEBIND (bind an address not yet on this host).
 * Returns the fd, or -1 with <err> filled. */
int sock_listen(const struct sockaddr_storage *ss, socklen_t len, int backlog,
		int v6only, int freebind, char *err, size_t errlen);
/* Start a non-blocking connect to <ss>. Returns the fd (connect in
 * progress or done), or -1 with errno set. */
int sock_connect(const struct sockaddr_storage *ss, socklen_t len);
/* Pending socket error (SO_ERROR), 0 if none. */
int sock_error(int fd);
int sock_set_nonblock(int fd);
/* "1.2.3.4:80" / "[::1]:80" into <out>. Returns out. */
char *sock_addr_str(const struct sockaddr_storage *ss, char *out, size_t outlen);
/* Address only ("1.2.3.4", "::1") and port. */
void sock_addr_ip_port(const struct sockaddr_storage *ss, char *ip, size_t iplen, int *port);

#endif
