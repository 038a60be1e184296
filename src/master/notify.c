/* systemd's notify protocol, written by hand (no libsystemd): one datagram
 * of "KEY=VALUE" lines to the unix socket named in $NOTIFY_SOCKET (a name
 * starting with '@' is in the abstract namespace). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <tandem/master.h>

void sd_notifyf(const char *fmt, ...)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	char msg[256];
	socklen_t len;
	va_list ap;
	int fd, n;

	if (!path || !*path || strlen(path) >= sizeof(sun.sun_path))
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n <= 0 || (size_t)n >= sizeof(msg))
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = 0;
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sun, len);
	close(fd);
}
