/* Small helpers of tandem-chaos (see util.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util.h"

int parse_ms(const char *s, uint64_t *ms)
{
	char *end;
	double v = strtod(s, &end);
	double mult = 1000.0;

	if (end == s || v < 0)
		return -1;
	if (!strcmp(end, "ms"))
		mult = 1.0;
	else if (!strcmp(end, "s") || !*end)
		mult = 1000.0;
	else if (!strcmp(end, "m"))
		mult = 60000.0;
	else
		return -1;
	v *= mult;
	if (v > 1e12)
		return -1;
	*ms = (uint64_t)(v + 0.5);
	return 0;
}

int parse_url(const char *url, struct target *t)
{
	const char *h, *p, *slash;
	char host[64];
	size_t hl;
	long port;
	char *end;

	memset(t, 0, sizeof(*t));
	if (strncmp(url, "http://", 7))
		return -1;
	h = url + 7;
	slash = strchr(h, '/');
	if (!slash)
		slash = h + strlen(h);
	if (*h == '[') {
		const char *e = memchr(h, ']', (size_t)(slash - h));
		if (!e || e[1] != ':')
			return -1;
		hl = (size_t)(e - h - 1);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, h + 1, hl);
		p = e + 2;
	} else {
		const char *c = memchr(h, ':', (size_t)(slash - h));
		if (!c)
			return -1;
		hl = (size_t)(c - h);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, h, hl);
		p = c + 1;
	}
	host[hl] = 0;
	port = strtol(p, &end, 10);
	if (end != slash || port <= 0 || port > 65535)
		return -1;
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&t->ss;
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return -1;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		t->len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&t->ss;
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return -1;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		t->len = sizeof(*a4);
	}
	if ((size_t)(slash - h) >= sizeof(t->hostport) || strlen(slash) >= sizeof(t->path))
		return -1;
	memcpy(t->hostport, h, (size_t)(slash - h));
	strcpy(t->path, *slash ? slash : "/");
	return 0;
}

void target_local(struct target *t, int port, const char *path)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)&t->ss;

	memset(t, 0, sizeof(*t));
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t->len = sizeof(*a4);
	snprintf(t->hostport, sizeof(t->hostport), "127.0.0.1:%d", port);
	snprintf(t->path, sizeof(t->path), "%s", path);
}

int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &l) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

int port_is_free(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	if (fd < 0)
		return 0;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

const char *fmt_ms(double ms, char *out, size_t len)
{
	if (ms < 0)
		snprintf(out, len, "-");
	else if (ms < 1000)
		snprintf(out, len, "%.0f ms", ms);
	else
		snprintf(out, len, "%.2f s", ms / 1000.0);
	return out;
}

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
