/* The stats sockets in the worker: accepting clients and carrying their
 * lines to the command interpreter (cli.c), on worker thread 0's loop.
 *
 * One client = one struct cli_conn: an input buffer of at most one line
 * (CLI_LINE_MAX), the answer being sent, an idle timer (`stats timeout`,
 * or `set timeout cli`). A line is run only once the previous answer is
 * fully sent, so memory stays bounded by one answer. At most `stats
 * maxconn` clients at once: beyond, new ones wait in the backlog (the
 * listeners are unregistered until a client leaves), as HAProxy does.
 * When accept() runs out of file descriptors the listeners are unregistered
 * too (they are level-triggered: left registered, the pending connection
 * would wake the loop at once, forever) and tried again after RETRY_MS or
 * when a client leaves; the ALERT is rate-limited (worker_fd_limit_alert).
 *
 * Payloads (HAProxy's syntax): a line ending with "<<" is a command whose
 * payload follows, up to an empty line (`set ssl cert FILE <<` and the
 * PEM). The payload is collected apart from the line buffer (at most
 * CLI_PAYLOAD_MAX bytes), then the command runs with it.
 *
 * Closing: after the last answer the write side is shut and what the
 * client still sends is read and dropped until it closes (at most 1 s),
 * so that unread input never turns the close into a reset that would
 * destroy the answer on its way (`echo "cmd1\ncmd2" | socat` sends more
 * than the one line a non-interactive session runs). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/loop.h>
#include <tandem/sock.h>
#include <tandem/worker.h>
#include "cli_int.h"

#define LINGER_MS 1000
#define RETRY_MS  100

struct cli_conn {
	struct list     link;        /* in conns */
	struct ev_io    io;
	struct ev_timer tmr;         /* idle timeout, then the lingering close */
	struct ev_task  free_task;   /* frees the connection after the event batch */
	struct cli_sess sess;
	struct stats_sb out;         /* answer being sent */
	size_t          outoff;
	size_t          inlen;
	int             eof;         /* the client shut its write side */
	int             closing;     /* write side shut, draining input */
	int             dead;        /* closed, waiting for free_task */
	char           *plcmd;       /* a command waiting for its payload, NULL none */
	char           *pl;          /* the payload so far */
	size_t          pllen, plcap;
	int             pltoobig;
	char            in[CLI_LINE_MAX];
};

static struct cfg *cli_cfg;
static struct ev_io *lst;        /* one per open stats socket */
static int nlst, paused, stopped;
static struct list conns = LIST_HEAD_INIT(conns);
static int nconns;
static struct ev_timer retry_tmr = { .idx = -1 };  /* listeners paused on the fd limit: try again */

static void conn_io_cb(struct ev_io *io, uint32_t ev);

/* ---- listeners ------------------------------------------------------- */

static void listeners_set(int on)
{
	for (int i = 0; i < nlst; i++)
		loop_io_set(this_loop, &lst[i], on ? EPOLLIN : 0);
	paused = !on;
}

static void retry_cb(struct ev_timer *t)
{
	(void)t;
	if (paused && !stopped && nconns < cli_cfg->g.stats_maxconn)
		listeners_set(1);
}

static void conn_free_cb(struct ev_task *t)
{
	struct cli_conn *c = t->ctx;

	free(c->out.s);
	free(c->plcmd);
	free(c->pl);
	free(c);
}

static void conn_close(struct cli_conn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	loop_io_del(this_loop, &c->io);
	loop_timer_del(this_loop, &c->tmr);
	close(c->io.fd);
	list_del(&c->link);
	nconns--;
	loop_task_wake(this_loop, &c->free_task);
	if (paused && !stopped)
		listeners_set(1);
}

static void conn_timer_cb(struct ev_timer *t)
{
	conn_close(t->ctx);   /* idle too long, or the client never finished closing */
}

static void accept_cb(struct ev_io *io, uint32_t ev)
{
	const struct cli_sock_conf *sc = io->ctx;

	(void)ev;
	while (!stopped) {
		struct cli_conn *c;
		int fd;

		if (nconns >= cli_cfg->g.stats_maxconn) {
			listeners_set(0);
			return;
		}
		fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				worker_fd_limit_alert("stats socket");
				listeners_set(0);
				loop_timer_set(this_loop, &retry_tmr, now_ms + RETRY_MS);
			}
			return;
		}
		if (!(c = calloc(1, sizeof(*c)))) {
			close(fd);
			return;
		}
		c->sess.cfg = cli_cfg;
		c->sess.level = sc->level;
		c->sess.timeout_ms = (uint32_t)cli_cfg->g.stats_timeout;
		c->sess.out = &c->out;
		ev_io_init(&c->io, fd, conn_io_cb, c);
		ev_timer_init(&c->tmr, conn_timer_cb, c);
		ev_task_init(&c->free_task, conn_free_cb, c);
		if (loop_io_set(this_loop, &c->io, EPOLLIN | EPOLLRDHUP) < 0) {
			close(fd);
			free(c);
			continue;
		}
		list_add_tail(&conns, &c->link);
		nconns++;
		loop_timer_set(this_loop, &c->tmr, now_ms + c->sess.timeout_ms);
	}
}

/* ---- one client ------------------------------------------------------ */

/* Read what is there. -1 when the connection failed. */
static int conn_read(struct cli_conn *c)
{
	while (!c->eof) {
		char drop[4096];
		ssize_t n;
		int st;

		if (!c->closing && c->inlen >= sizeof(c->in)) {
			if (!memchr(c->in, '\n', c->inlen))
				return -1;   /* a line longer than CLI_LINE_MAX: refuse the client */
			break;               /* full of lines waiting for an answer to go */
		}
		n = c->closing ? sock_recv(c->io.fd, drop, sizeof(drop), &st, NULL)
			       : sock_recv(c->io.fd, c->in + c->inlen, sizeof(c->in) - c->inlen, &st, NULL);
		if (n > 0) {
			if (!c->closing)
				c->inlen += (size_t)n;
			continue;
		}
		if (st == SIO_EOF) {
			c->eof = 1;
			break;
		}
		if (st == SIO_AGAIN)
			break;
		return -1;
	}
	return 0;
}

/* A line of a payload: appended (with its newline); an empty line ends it
 * and runs the command. Returns 1 when the command ran. */
static int payload_line(struct cli_conn *c, const char *line, size_t len)
{
	if (len) {
		if (c->pllen + len + 1 > CLI_PAYLOAD_MAX) {
			c->pltoobig = 1;
			return 0;
		}
		if (c->pllen + len + 2 > c->plcap) {
			size_t cap = c->plcap ? c->plcap * 2 : 4096;
			char *n;

			while (cap < c->pllen + len + 2)
				cap *= 2;
			if (!(n = realloc(c->pl, cap))) {
				c->pltoobig = 1;
				return 0;
			}
			c->pl = n;
			c->plcap = cap;
		}
		memcpy(c->pl + c->pllen, line, len);
		c->pllen += len;
		c->pl[c->pllen++] = '\n';
		c->pl[c->pllen] = 0;
		return 0;
	}
	if (c->pltoobig) {
		cli_msg(&c->sess, "Payload too large.");
		stats_sb_add(c->sess.out, "\n", 1);
		if (c->sess.interactive)
			stats_sb_add(c->sess.out, "> ", 2);
	} else {
		c->sess.payload = c->pl ? c->pl : "";
		c->sess.payload_len = c->pllen;
		cli_exec_line(&c->sess, c->plcmd);
		c->sess.payload = NULL;
		c->sess.payload_len = 0;
	}
	free(c->plcmd);
	free(c->pl);
	c->plcmd = c->pl = NULL;
	c->pllen = c->plcap = 0;
	c->pltoobig = 0;
	return 1;
}

/* A command line ending with "<<": keep it until its payload is in. */
static int payload_start(struct cli_conn *c, char *line)
{
	size_t len = strlen(line);

	if (len < 2 || strcmp(line + len - 2, "<<"))
		return 0;
	line[len - 2] = 0;
	if (!(c->plcmd = strdup(line)))
		return 0;
	c->pllen = 0;
	c->pltoobig = 0;
	return 1;
}

/* Run the complete lines waiting in the input (one at a time: only when
 * the previous answer is gone). A last line without newline counts once
 * the client has shut its side. */
static void conn_run(struct cli_conn *c)
{
	/* the client closed in the middle of a payload: run it with what came */
	if (c->plcmd && c->eof && !c->inlen && c->out.len == c->outoff)
		payload_line(c, "", 0);
	while (!c->sess.quit && !c->closing && c->out.len == c->outoff) {
		char *nl = memchr(c->in, '\n', c->inlen);
		size_t len;

		if (!nl && !(c->eof && c->inlen))
			break;
		len = nl ? (size_t)(nl - c->in) : c->inlen;
		c->out.len = c->outoff = 0;
		{
			char line[CLI_LINE_MAX + 1];

			memcpy(line, c->in, len);
			line[len] = 0;
			if (len && line[len - 1] == '\r')
				line[len - 1] = 0;
			c->inlen -= nl ? len + 1 : len;
			memmove(c->in, c->in + (nl ? len + 1 : len), c->inlen);
			if (c->plcmd) {
				/* the client's end also ends a payload */
				if (!payload_line(c, line, strlen(line)) && c->eof && !c->inlen)
					payload_line(c, "", 0);
				if (c->plcmd)
					continue;
			} else if (payload_start(c, line)) {
				if (c->eof && !c->inlen)
					payload_line(c, "", 0);
				if (c->plcmd)
					continue;
			} else {
				cli_exec_line(&c->sess, line);
			}
		}
		/* non-interactive: the lines received with this one are run too
		 * (HAProxy's behaviour), then the session ends */
		if (!c->sess.interactive && !c->plcmd && !memchr(c->in, '\n', c->inlen) && !(c->eof && c->inlen))
			c->sess.quit = 1;
		if (c->out.err) {
			c->out.err = 0;
			c->out.len = c->outoff = 0;
			cli_msg(&c->sess, "Out of memory.");
			c->sess.quit = 1;
		}
	}
}

/* Send the pending answer. -1 when the connection failed. */
static int conn_flush(struct cli_conn *c)
{
	while (c->outoff < c->out.len) {
		int st;
		ssize_t n = sock_send(c->io.fd, c->out.s + c->outoff, c->out.len - c->outoff, &st, NULL);

		if (n > 0) {
			c->outoff += (size_t)n;
			continue;
		}
		if (st == SIO_AGAIN)
			return 0;
		return -1;
	}
	c->out.len = c->outoff = 0;
	if (c->out.cap > 65536) {   /* keep a big answer's buffer only while it is sent */
		free(c->out.s);
		c->out.s = NULL;
		c->out.cap = 0;
	}
	return 0;
}

static void conn_io_cb(struct ev_io *io, uint32_t ev)
{
	struct cli_conn *c = io->ctx;
	int pending;

	if (c->dead)
		return;
	if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && conn_read(c) < 0) {
		conn_close(c);
		return;
	}
	for (;;) {
		conn_run(c);
		if (conn_flush(c) < 0) {
			conn_close(c);
			return;
		}
		/* more complete lines may wait once an answer is out */
		if (c->sess.quit || c->closing || c->out.len || !c->inlen ||
		    (!memchr(c->in, '\n', c->inlen) && !c->eof))
			break;
	}
	pending = c->out.len > c->outoff;
	if (!pending && (c->sess.quit || c->eof) && !c->closing) {
		/* done: shut our side, then drop whatever still comes until
		 * the client closes (see the top of this file) */
		c->closing = 1;
		shutdown(c->io.fd, SHUT_WR);
		loop_timer_set(this_loop, &c->tmr, now_ms + LINGER_MS);
	}
	if (c->closing && c->eof) {
		conn_close(c);
		return;
	}
	/* level-triggered: watch input only while there is room for it */
	loop_io_set(this_loop, &c->io, (c->eof || (!c->closing && c->inlen >= sizeof(c->in)) ? 0 : EPOLLIN | EPOLLRDHUP) |
		    (pending ? EPOLLOUT : 0));
	if (!c->closing)
		loop_timer_set(this_loop, &c->tmr, now_ms + c->sess.timeout_ms);
}

/* ---- start and stop -------------------------------------------------- */

int cli_start(struct cfg *cfg)
{
	struct list *l;
	int n = 0;

	cli_cfg = cfg;
	cli_start_wall_s = clock_wall_us() / 1000000;
	ev_timer_init(&retry_tmr, retry_cb, NULL);
	list_for_each(l, &cfg->g.stats_socks)
		n++;
	if (!n)
		return 0;
	if (!(lst = calloc((size_t)n, sizeof(*lst))))
		return -1;
	list_for_each(l, &cfg->g.stats_socks) {
		struct cli_sock_conf *sc = list_entry(l, struct cli_sock_conf, link);

		if (sc->fd < 0)
			continue;
		ev_io_init(&lst[nlst], sc->fd, accept_cb, sc);
		if (loop_io_set(this_loop, &lst[nlst], EPOLLIN) < 0) {
			log_event(LL_ALERT, "stats socket %s: cannot watch it: %s", sc->addr_str, strerror(errno));
			return -1;
		}
		nlst++;
	}
	return 0;
}

void cli_stop(void)
{
	if (stopped)
		return;
	stopped = 1;
	loop_timer_del(this_loop, &retry_tmr);
	for (int i = 0; i < nlst; i++) {
		struct cli_sock_conf *sc = lst[i].ctx;

		loop_io_del(this_loop, &lst[i]);
		close(lst[i].fd);     /* this process' copy; the master keeps its own */
		sc->fd = -1;
	}
	nlst = 0;
}
