/* hsload: full TLS handshakes per second against one address (bench/tls.sh).
 *
 * usage: hsload HOST PORT THREADS SECONDS
 *
 * Each thread loops: connect, a full TLS handshake (no session reuse: no
 * session cache, no tickets), "GET / HTTP/1.1" with "Connection: close",
 * read the response to the end, close. Prints one line:
 *   HS handshakes=N errors=E duration_us=D
 * The client verifies nothing (the work measured is the server's). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

static struct sockaddr_in addr;
static SSL_CTX *ctx;
static double stop_at;
static long total_ok, total_err;
static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int one(void)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";
	char buf[4096];
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, ok = 0;
	SSL *ssl = NULL;

	if (fd < 0)
		return 0;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		goto out;
	if (!(ssl = SSL_new(ctx)) || !SSL_set_fd(ssl, fd) || SSL_connect(ssl) != 1)
		goto out;
	if (SSL_write(ssl, req, (int)sizeof(req) - 1) != (int)sizeof(req) - 1)
		goto out;
	for (;;) {
		int n = SSL_read(ssl, buf, sizeof(buf));

		if (n > 0) {
			if (!ok && n >= 12 && !memcmp(buf, "HTTP/1.1 200", 12))
				ok = 1;
			continue;
		}
		break;   /* the server closes after the response */
	}
out:
	if (ssl)
		SSL_free(ssl);
	ERR_clear_error();
	close(fd);
	return ok;
}

static void *run(void *arg)
{
	long ok = 0, err = 0;

	(void)arg;
	while (now() < stop_at) {
		if (one())
			ok++;
		else
			err++;
	}
	pthread_mutex_lock(&mtx);
	total_ok += ok;
	total_err += err;
	pthread_mutex_unlock(&mtx);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads, secs;
	pthread_t th[64];
	double t0;

	if (argc != 5) {
		fprintf(stderr, "usage: hsload HOST PORT THREADS SECONDS\n");
		return 2;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short)atoi(argv[2]));
	inet_pton(AF_INET, argv[1], &addr.sin_addr);
	threads = atoi(argv[3]);
	secs = atoi(argv[4]);
	if (threads < 1 || threads > 64 || secs < 1)
		return 2;
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	t0 = now();
	stop_at = t0 + secs;
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, run, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	printf("HS handshakes=%ld errors=%ld duration_us=%.0f\n", total_ok, total_err, (now() - t0) * 1e6);
	SSL_CTX_free(ctx);
	return 0;
}
