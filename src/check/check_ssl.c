/* TLS under active checks (`check-ssl`, or `ssl` on a server checked on
 * its own address and port): the handshake right after the connection,
 * then the check's bytes go through it. Statuses are HAProxy's: a failed
 * handshake is L6RSP ("Layer6 invalid response") with OpenSSL's reason, a
 * handshake that does not end in time L6TOUT, and a plain connect check
 * that completed its handshake L6OK. The contexts and names come from the
 * server (src/ssl/ssl_check.c); nothing else of the check changes. */
#include <stdio.h>
#include <tandem/loop.h>
#include <tandem/sock.h>
#include <tandem/ssl.h>
#include <tandem/worker.h>
#include "check_int.h"

int chk_tls_wanted(const struct srv_health *h)
{
	return h->srv && h->srv->ssl_rt && ssl_srv_check_ssl(h->srv);
}

static void set_events(struct srv_health *h, int wr)
{
	loop_io_set(&worker.thr[h->tid].loop, &h->run.io, EPOLLIN | EPOLLRDHUP | (wr ? EPOLLOUT : 0));
}

int chk_tls_step(struct srv_health *h)
{
	struct chk_run *r = &h->run;
	char err[HS_DESC_LEN];
	int wr, ret;

	if (r->tls_done)
		return 1;
	if (!r->ssl && !(r->ssl = ssl_check_new(h->srv, r->fd))) {
		chk_report(h, HCHK_SOCKERR, 0, "cannot start TLS");
		return -1;
	}
	ret = ssl_check_handshake(r->ssl, &wr, err, sizeof(err));
	if (ret < 0) {
		chk_report(h, HCHK_L6RSP, 0, err);
		return -1;
	}
	if (!ret) {
		set_events(h, wr);
		return 0;
	}
	r->tls_done = 1;
	set_events(h, 0);
	return 1;
}

ssize_t chk_recv(struct srv_health *h, void *p, size_t len, int *st, int *err)
{
	if (h->run.ssl)
		return ssl_check_recv(h->run.ssl, p, len, st);
	return sock_recv(h->run.fd, p, len, st, err);
}

ssize_t chk_send(struct srv_health *h, const void *p, size_t len, int *st, int *err)
{
	if (h->run.ssl)
		return ssl_check_send(h->run.ssl, p, len, st);
	return sock_send(h->run.fd, p, len, st, err);
}

void chk_tls_close(struct chk_run *r)
{
	ssl_check_free(r->ssl);
	r->ssl = NULL;
	r->tls_done = 0;
}
