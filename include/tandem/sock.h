/* Socket helpers: listeners (created by the master once) and non-blocking
 * outgoing connections (made by workers). */
#ifndef TANDEM_SOCK_H
#define TANDEM_SOCK_H
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Create, bind and listen on <ss>. <v6only>: -1 system default, 0/1 force.
 * <freebind> sets IP_FREEBIND (bind an address not yet on this host).
 * Returns the fd, or -1 with <err> filled. */
int sock_listen(const struct sockaddr_storage *ss, socklen_t len, int backlog,
		int v6only, int freebind, char *err, size_t errlen);
/* Start a non-blocking connect to <ss>. Returns the fd (connect in
 * progress or done), or -1 with errno set. */
int sock_connect(const struct sockaddr_storage *ss, socklen_t len);
/* The same from a fixed source address (`source`): <src> (<srclen> 0:
 * none, as sock_connect), a port in <port_lo>..<port_hi> (0: any, chosen
 * at connect), bound to interface <iface> (NULL or "": any). */
int sock_connect_from(const struct sockaddr_storage *ss, socklen_t len, const struct sockaddr_storage *src,
		      socklen_t srclen, int port_lo, int port_hi, const char *iface);
/* Pending socket error (SO_ERROR), 0 if none. */
int sock_error(int fd);
/* Make the next close() of <fd> send a reset (SO_LINGER 0): silent-drop. */
void sock_linger_reset(int fd);
int sock_set_nonblock(int fd);
/* ---- reading and writing (src/net/sock_io.c) ----
 * One attempt (EINTR retried). Returns the bytes moved (> 0, *st = SIO_DONE)
 * or 0 with *st saying why: SIO_AGAIN (would block), SIO_EOF (the peer
 * closed; reads only), SIO_ERR (*err = errno when err is not NULL). */
enum { SIO_DONE = 0, SIO_AGAIN, SIO_EOF, SIO_ERR };
struct iovec;
ssize_t sock_recv(int fd, void *p, size_t len, int *st, int *err);
ssize_t sock_send(int fd, const void *p, size_t len, int *st, int *err);
ssize_t sock_sendv(int fd, const struct iovec *iov, int niov, int *st, int *err);

/* "1.2.3.4:80" / "[::1]:80" into <out>. Returns out. */
char *sock_addr_str(const struct sockaddr_storage *ss, char *out, size_t outlen);
/* Address only ("1.2.3.4", "::1") and port. */
void sock_addr_ip_port(const struct sockaddr_storage *ss, char *ip, size_t iplen, int *port);

#endif
