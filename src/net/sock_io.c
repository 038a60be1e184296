/* One way to read and write a non-blocking socket, for every part of
 * tandem that does (connections and their plain transport, health checks,
 * the runtime API): EINTR is retried, "would block", end of stream and
 * errors are told apart once, here. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <tandem/sock.h>

static ssize_t outcome(ssize_t n, int *st, int *err)
{
	if (n > 0) {
		*st = SIO_DONE;
		return n;
	}
	if (n == 0) {
		*st = SIO_EOF;
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		*st = SIO_AGAIN;
		return 0;
	}
	*st = SIO_ERR;
	if (err)
		*err = errno;
	return 0;
}

ssize_t sock_recv(int fd, void *p, size_t len, int *st, int *err)
{
	ssize_t n;

	do
		n = recv(fd, p, len, 0);
	while (n < 0 && errno == EINTR);
	return outcome(n, st, err);
}

ssize_t sock_sendv(int fd, const struct iovec *iov, int niov, int *st, int *err)
{
	struct msghdr mh;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = (struct iovec *)iov;
	mh.msg_iovlen = (size_t)niov;
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == 0) {  /* nothing to send, or nothing taken: not an end of stream */
		*st = SIO_AGAIN;
		return 0;
	}
	return outcome(n, st, err);
}

ssize_t sock_send(int fd, const void *p, size_t len, int *st, int *err)
{
	struct iovec iov = { (void *)p, len };

	return sock_sendv(fd, &iov, 1, st, err);
}
