/* The agent check (`agent-check`, `agent-port`, `agent-inter`,
 * `agent-send`, `agent-addr`): besides the health check, every
 * agent-inter a connection to the server's agent, which answers one line
 * of words (HAProxy's agent protocol, configuration manual 5.2):
 *   "75%"          weight, relative to the configured one
 *   "maxconn:30"   the server's maxconn
 *   ready | drain | maint                the administrative state
 *   up | down | fail | stopped [# text]  the operational state: "down"
 *                  keeps the server DOWN until the agent says "up"
 * separated by spaces, tabs or commas, in any order, the last of a kind
 * winning. Not reaching the agent changes nothing (the health check
 * judges connectivity). The agent runs on the server's owner thread, like
 * its health check. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/socket.h>
#include <tandem/check.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/loop.h>
#include <tandem/sock.h>
#include <tandem/srv_admin.h>
#include <tandem/srv_state.h>
#include <tandem/worker.h>
#include "check_int.h"

#define LD(x)    __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define AGENT_BUF 1024

static struct loop *owner_loop(const struct srv_health *h)
{
	return &worker.thr[h->tid].loop;
}

static void agent_close(struct srv_health *h)
{
	struct chk_run *r = &h->agent->run;

	if (r->fd >= 0) {
		struct linger lg = { 1, 0 };

		loop_io_del(owner_loop(h), &r->io);
		setsockopt(r->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(r->fd);
		r->fd = -1;
	}
	r->running = 0;
}

static void agent_plan(struct srv_health *h, uint32_t ms)
{
	loop_timer_set(owner_loop(h), &h->agent->run.tmr, now_ms + ms);
}

static void agent_result(struct srv_health *h, int status, const char *desc)
{
	struct chk_agent *a = h->agent;

	a->status = status;
	a->code = 0;
	a->duration = (int)((clock_mono_us() - a->run.start_us) / 1000);
	snprintf(a->desc, sizeof(a->desc), "%s", desc ? desc : "");
	agent_close(h);
	if (!LD(h->gone))
		agent_plan(h, a->inter);
}

/* Apply the agent's line (NUL-terminated, without its end of line). */
static void agent_apply(struct srv_health *h, char *line)
{
	struct server *s = h->srv;
	const char *hs = NULL, *as = NULL, *ps = NULL, *sc = NULL, *err = NULL, *wrn = NULL, *msg;
	char *p = line, txt[HS_DESC_LEN];

	while (*p) {
		char *w;

		if (*p == ' ' || *p == '\t' || *p == ',') {
			p++;
			continue;
		}
		if (*p == '#') {   /* the rest describes the state change */
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			break;
		}
		w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != ',')
			p++;
		if (*p)
			*p++ = 0;
		if (!strcasecmp(w, "up") || !strcasecmp(w, "down") || !strcasecmp(w, "stopped") || !strcasecmp(w, "fail"))
			hs = w;
		else if (!strcasecmp(w, "ready") || !strcasecmp(w, "drain") || !strcasecmp(w, "maint"))
			as = w;
		else if (*w >= '0' && *w <= '9' && strchr(w, '%'))
			ps = w;
		else if (!strncasecmp(w, "maxconn:", 8))
			sc = w + 8;
		else if (!err)
			err = w;
	}
	/* the admin state first, then the weight, the maxconn, the health */
	if (as)
		srv_set_admin_mode(s, !strcasecmp(as, "drain") ? SRV_ADMIN_DRAIN : !strcasecmp(as, "maint") ?
				   SRV_ADMIN_MAINT : SRV_ADMIN_READY, "agent");
	if (ps) {
		int w;
		const char *e = srv_weight_parse(ps, s->cfg_weight, &w);

		if (!e)
			e = srv_set_uweight(s, w);
		if (e)
			wrn = e;
	}
	if (sc) {
		char *end;
		long v = strtol(sc, &end, 10);

		if (end == sc || *end || v < 0 || v > 10000000)
			wrn = wrn ? wrn : "invalid maxconn";
		else
			__atomic_store_n(&s->maxconn, (int)v, __ATOMIC_RELAXED);
	}
	if (hs) {
		struct hs_event ev = { .type = HS_EV_AGENT };
		struct hs_out o;
		int up = !strcasecmp(hs, "up");

		msg = p;
		if (!*msg || up)
			msg = err && *err ? err : wrn && *wrn ? wrn : msg;
		snprintf(txt, sizeof(txt), "via agent : %s%s%s%s", hs, *msg ? " (" : "", msg, *msg ? ")" : "");
		ev.agent_down = !up;
		ev.status = up ? HCHK_L7OK : HCHK_L7STS;
		ev.desc = txt;
		ev.duration = (int)((clock_mono_us() - h->agent->run.start_us) / 1000);
		h->agent->down = !up;
		srv_health_apply(h, &ev, &o);
		agent_result(h, ev.status, txt);
		return;
	}
	if (err)
		snprintf(txt, sizeof(txt), "agent reports an error : %s", err);
	else if (wrn)
		snprintf(txt, sizeof(txt), "agent warns : %s", wrn);
	else
		txt[0] = 0;
	agent_result(h, HCHK_L7OK, txt);
}

static void agent_io(struct ev_io *io, uint32_t ev)
{
	struct srv_health *h = io->ctx;
	struct chk_agent *a = h->agent;
	struct chk_run *r = &a->run;
	char *eol;

	(void)ev;
	if (!r->running || r->fd < 0)
		return;
	if (!r->connected) {
		int e = sock_error(r->fd);

		if (e) {   /* not an error for the server: the health check judges connectivity */
			agent_result(h, HCHK_L4CON, strerror(e));
			return;
		}
		r->connected = 1;
		if (h->srv->agent_send) {
			r->out = h->srv->agent_send;
			r->outlen = strlen(r->out);
			r->outoff = 0;
		}
	}
	while (r->outoff < r->outlen) {
		int st, err = 0;
		ssize_t n = sock_send(r->fd, r->out + r->outoff, r->outlen - r->outoff, &st, &err);

		if (st == SIO_AGAIN)
			break;
		if (st != SIO_DONE) {
			agent_result(h, HCHK_SOCKERR, strerror(err));
			return;
		}
		r->outoff += (size_t)n;
	}
	while (!r->eof && r->inlen < r->incap) {
		int st, err = 0;
		ssize_t n = sock_recv(r->fd, r->in + r->inlen, r->incap - r->inlen, &st, &err);

		if (n > 0) {
			r->inlen += (size_t)n;
			continue;
		}
		if (st == SIO_AGAIN)
			break;
		r->eof = 1;
	}
	r->in[r->inlen] = 0;
	eol = strpbrk(r->in, "\r\n");
	if ((!eol || (size_t)(eol - r->in) > strlen(r->in)) && !r->eof && r->inlen < r->incap)
		return;   /* the line is not complete yet */
	if (!eol || (size_t)(eol - r->in) > strlen(r->in)) {
		agent_result(h, a->status, "Ignoring incomplete line from agent");
		return;
	}
	*eol = 0;
	agent_apply(h, r->in);
}

static void agent_timer(struct ev_timer *t)
{
	struct srv_health *h = t->ctx;
	struct chk_agent *a = h->agent;
	struct chk_run *r = &a->run;
	int fd;

	if (LD(h->gone)) {
		agent_close(h);
		return;
	}
	if (r->running) {   /* agent-inter (or timeout check) elapsed */
		agent_result(h, r->connected ? HCHK_L7TOUT : HCHK_L4TOUT, "");
		return;
	}
	/* the agent runs in maintenance too: only it can bring the server
	 * back when it put it there (HAProxy's) */
	r->running = 1;
	r->connected = 0;
	r->eof = 0;
	r->inlen = 0;
	r->out = NULL;
	r->outlen = r->outoff = 0;
	r->start_us = clock_mono_us();
	if ((fd = chk_sock_connect(h, &a->addr, a->addrlen)) < 0) {
		agent_result(h, HCHK_L4CON, strerror(errno));
		return;
	}
	r->fd = fd;
	ev_io_init(&r->io, fd, agent_io, h);
	if (loop_io_set(owner_loop(h), &r->io, EPOLLOUT | EPOLLIN | EPOLLRDHUP) < 0) {
		agent_result(h, HCHK_SOCKERR, strerror(errno));
		return;
	}
	agent_plan(h, h->srv->be->to.check ? h->srv->be->to.check : a->inter);
}

int chk_agent_init(struct srv_health *h)
{
	const struct server *s = h->srv;
	struct chk_agent *a;

	if (!s->has_agent)
		return 0;
	if (!(a = calloc(1, sizeof(*a))) || !(a->run.in = malloc(AGENT_BUF + 1))) {
		free(a);
		return -1;
	}
	a->run.incap = AGENT_BUF;
	a->run.fd = -1;
	ev_timer_init(&a->run.tmr, agent_timer, h);
	ev_io_init(&a->run.io, -1, NULL, h);
	a->inter = s->agent_inter ? s->agent_inter : CHK_DEF_INTER;   /* HAProxy: 2000 ms, whatever `inter` */
	a->status = HCHK_INI;
	a->duration = -1;
	if (s->agent_addrlen) {
		a->addr = s->agent_addr;
		a->addrlen = s->agent_addrlen;
	} else {
		srv_addr_get(s, &a->addr, &a->addrlen);
	}
	if (a->addr.ss_family == AF_INET)
		((struct sockaddr_in *)&a->addr)->sin_port = htons((uint16_t)s->agent_port);
	else if (a->addr.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->addr)->sin6_port = htons((uint16_t)s->agent_port);
	h->agent = a;
	return 0;
}

void chk_agent_start(struct srv_health *h, uint32_t delay)
{
	if (h->agent)
		agent_plan(h, delay);
}

void chk_agent_stop(struct srv_health *h)
{
	if (!h->agent)
		return;
	agent_close(h);
	loop_timer_del(owner_loop(h), &h->agent->run.tmr);
}

void chk_agent_free(struct srv_health *h)
{
	if (!h->agent)
		return;
	if (h->agent->run.fd >= 0)
		close(h->agent->run.fd);
	free(h->agent->run.in);
	free(h->agent);
	h->agent = NULL;
}
