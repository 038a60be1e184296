/* Small helpers of tandem-chaos: durations, URLs, ports, text output. */
#ifndef CHAOS_UTIL_H
#define CHAOS_UTIL_H
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

/* A target address parsed from http://HOST:PORT/PATH. */
struct target {
	struct sockaddr_storage ss;
	socklen_t len;
	char hostport[80];   /* for the Host header */
	char path[256];      /* "/" when the URL has none */
};

/* Parse a duration: "2s", "1.5s", "500ms", "2m", or a plain number of
 * seconds. Returns 0 and sets *ms, or -1. */
int parse_ms(const char *s, uint64_t *ms);
/* Parse http://IP:PORT[/path] (IPv4, [IPv6], or "localhost"). 0 or -1. */
int parse_url(const char *url, struct target *t);
/* Fill <t> with 127.0.0.1:<port> and <path>. */
void target_local(struct target *t, int port, const char *path);
/* A TCP port free on 127.0.0.1 right now (bind port 0, read it, close).
 * Returns the port, or -1. */
int free_port(void);
/* Can 127.0.0.1:<port> be bound right now? */
int port_is_free(int port);
/* Format milliseconds for humans: "850 ms", "1.25 s". Returns <out>. */
const char *fmt_ms(double ms, char *out, size_t len);
/* Write <s> as a JSON string literal (quotes included). */
void json_str(FILE *f, const char *s);

#endif
