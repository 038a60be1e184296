/* Access log: one line per finished transaction, HAProxy's formats.
 *
 * httplog_format() renders the line selected by the frontend's options:
 *   option httplog        %ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS
 *                         %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r
 *   option httplog clf    HAProxy's CLF layout (see doc/logging.md)
 *   option httplog json   tandem extension: one JSON object with named keys
 *   option tcplog         %ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq
 *   (none of these)       "Connect from IP:PORT to IP:PORT (FE/MODE)"
 * These built-in renderings serve frontends without captures (%hr/%hs
 * vanish with their separating space, as HAProxy prints them then); a
 * frontend with captures or a `log-format` renders its line through the
 * rules engine (src/rules/logfmt.c, src/proxy/strm_rules.c) and sends it
 * with httplog_emit_line(). tandem has no cookie captures: %CC/%CS print "-".
 *
 * httplog_emit() applies dontlognull / dontlog-normal / log-separate-errors,
 * prefixes each target's syslog header (rfc3164, rfc5424, ...) and sends
 * the line with a single syscall per target. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <tandem/httplog.h>
#include <tandem/log.h>

#define LOG_LINE_MAX 65536  /* room for the largest `log ... len` (65535) */
#define LOG_LEN_DEFAULT 1024 /* HAProxy's default `len` */

static const char *const month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* ---- bounded output cursor ------------------------------------------------ */

/* Writes stop silently at <end> - 1 so that there is always room for the
 * terminating NUL; <p> never passes <end> - 1. */
struct out { char *p, *end; };

static void o_putc(struct out *o, char c)
{
	if (o->p < o->end - 1)
		*o->p++ = c;
}

static void o_mem(struct out *o, const char *s, size_t n)
{
	size_t room = (size_t)(o->end - 1 - o->p);
	if (n > room)
		n = room;
	memcpy(o->p, s, n);
	o->p += n;
}

static void o_puts(struct out *o, const char *s) { o_mem(o, s, strlen(s)); }

static void o_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void o_printf(struct out *o, const char *fmt, ...)
{
	size_t room = (size_t)(o->end - o->p);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->p, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->p += ((size_t)n < room) ? (size_t)n : room - 1;
}

/* ---- field helpers -------------------------------------------------------- */

/* Address and port of <ss> as text; returns 0, or -1 for an unknown family
 * (HAProxy then logs "-"). IPv6 is printed without brackets, as HAProxy does. */
static int addr_text(const struct sockaddr_storage *ss, char *ip, size_t iplen, int *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, ip, iplen);
		*port = ntohs(a->sin_port);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, iplen);
		*port = ntohs(a->sin6_port);
		return 0;
	}
	return -1;
}

static void o_ip(struct out *o, const struct sockaddr_storage *ss)
{
	char ip[INET6_ADDRSTRLEN]; int port;
	o_puts(o, addr_text(ss, ip, sizeof(ip), &port) == 0 ? ip : "-");
}

static void o_port(struct out *o, const struct sockaddr_storage *ss)
{
	char ip[INET6_ADDRSTRLEN]; int port;
	if (addr_text(ss, ip, sizeof(ip), &port) == 0)
		o_printf(o, "%d", port);
	else
		o_putc(o, '-');
}

/* Broken-down time for <sec>, cached per thread for the current second since
 * busy proxies log thousands of lines within the same second. */
static void tm_of(time_t sec, int gmt, struct tm *tm)
{
	static __thread time_t c_sec[2] = { -1, -1 };
	static __thread struct tm c_tm[2];

	if (c_sec[gmt] != sec) {
		if (gmt)
			gmtime_r(&sec, &c_tm[gmt]);
		else
			localtime_r(&sec, &c_tm[gmt]);
		c_sec[gmt] = sec;
	}
	*tm = c_tm[gmt];
}

/* %tr / %t: "21/Nov/2026:01:02:03.456", local time. */
static void o_date_ms(struct out *o, uint64_t us)
{
	struct tm tm;
	tm_of((time_t)(us / 1000000), 0, &tm);
	o_printf(o, "%02d/%s/%04d:%02d:%02d:%02d.%03d", tm.tm_mday, month_names[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(us / 1000 % 1000));
}

/* %trg: "21/Nov/2026:01:02:03 +0000", GMT. */
static void o_date_gmt(struct out *o, uint64_t us)
{
	struct tm tm;
	tm_of((time_t)(us / 1000000), 1, &tm);
	o_printf(o, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday, month_names[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ISO 8601 local time with <digits> (3 or 6) fraction digits and the UTC
 * offset: "2026-11-21T01:02:03.456789+01:00". */
static void o_iso(struct out *o, uint64_t us, int digits)
{
	struct tm tm;
	long off;

	tm_of((time_t)(us / 1000000), 0, &tm);
	off = tm.tm_gmtoff / 60;
	o_printf(o, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (digits == 3)
		o_printf(o, "%03d", (int)(us / 1000 % 1000));
	else
		o_printf(o, "%06d", (int)(us % 1000000));
	o_printf(o, "%c%02ld:%02ld", off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
		 (off < 0 ? -off : off) % 60);
}

/* The request line with HAProxy's log encoding: control bytes, bytes >= 127,
 * '"' and '#' become "#XX" so a line can never break the log format. */
static void o_reqline(struct out *o, const struct txn_log *t)
{
	static const char hex[] = "0123456789ABCDEF";

	if (!t->req_line) {
		o_puts(o, "<BADREQ>");
		return;
	}
	for (size_t i = 0; i < t->req_line_len; i++) {
		unsigned char c = (unsigned char)t->req_line[i];
		if (c < 32 || c >= 127 || c == '"' || c == '#') {
			o_putc(o, '#'); o_putc(o, hex[c >> 4]); o_putc(o, hex[c & 15]);
		} else
			o_putc(o, (char)c);
	}
}

/* Termination state: <n> characters of t->term ('-' where unset). */
static void o_term(struct out *o, const struct txn_log *t, int n)
{
	for (int i = 0; i < n; i++)
		o_putc(o, t->term[i] ? t->term[i] : '-');
}

static const char *fe_name(const struct proxy *fe, const struct txn_log *t)
{
	return t->fe ? t->fe : (fe && fe->id ? fe->id : "-");
}
/* %ft: the frontend's name, with '~' after it on a TLS connection. */
static const char *ft_sfx(const struct txn_log *t)
{
	return t->ssl_version ? "~" : "";
}
static const char *be_name(const struct proxy *fe, const struct txn_log *t)
{
	return t->be ? t->be : fe_name(fe, t);  /* HAProxy: no backend yet = the frontend */
}
static const char *srv_name(const struct txn_log *t)
{
	return t->srv ? t->srv : "<NOSRV>";
}

/* option logasap: the line leaves before the end, so totals are prefixed '+'. */
static const char *asap(const struct proxy *fe)
{
	return (fe && (fe->options & PR_O_LOGASAP)) ? "+" : "";
}

static const char *redisp(const struct txn_log *t)
{
	return t->redispatched ? "+" : "";
}

/* ---- the formats ---------------------------------------------------------- */

static void fmt_httplog(struct out *o, const struct proxy *fe, const struct txn_log *t)
{
	o_ip(o, &t->cli); o_putc(o, ':'); o_port(o, &t->cli);
	o_puts(o, " ["); o_date_ms(o, t->accept_wall_us); o_puts(o, "] ");
	o_printf(o, "%s%s %s/%s ", fe_name(fe, t), ft_sfx(t), be_name(fe, t), srv_name(t));
	o_printf(o, "%d/%d/%d/%d/%s%d %d %s%llu - - ", t->TR, t->Tw, t->Tc, t->Tr, asap(fe), t->Ta,
		 t->status, asap(fe), (unsigned long long)t->bytes_out);
	o_term(o, t, 4);
	o_printf(o, " %d/%d/%d/%d/%s%d %d/%d \"", t->actconn, t->feconn, t->beconn, t->srvconn,
		 redisp(t), t->retries, t->srv_queue, t->be_queue);
	o_reqline(o, t);
	o_putc(o, '"');
}

/* HAProxy's CLF: "%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b
 * %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl".
 * Under +Q text fields are quoted and empty captures print as "". The empty
 * %hrl/%hsl leave the separator after %CS behind: the line ends with a space,
 * byte for byte what HAProxy prints. */
static void fmt_clf(struct out *o, const struct proxy *fe, const struct txn_log *t)
{
	o_ip(o, &t->cli);
	o_puts(o, " - - ["); o_date_gmt(o, t->accept_wall_us); o_puts(o, "] \"");
	o_reqline(o, t);
	o_printf(o, "\" %d %s%llu \"\" \"\" ", t->status, asap(fe), (unsigned long long)t->bytes_out);
	o_port(o, &t->cli);
	o_printf(o, " %03d \"%s%s\" \"%s\" \"%s\" ", (int)(t->accept_wall_us / 1000 % 1000),
		 fe_name(fe, t), ft_sfx(t), be_name(fe, t), srv_name(t));
	o_printf(o, "%d %d %d %d %s%d ", t->TR, t->Tw, t->Tc, t->Tr, asap(fe), t->Ta);
	o_term(o, t, 4);
	o_printf(o, " %d %d %d %d %s%d %d %d \"\" \"\" ", t->actconn, t->feconn, t->beconn,
		 t->srvconn, redisp(t), t->retries, t->srv_queue, t->be_queue);
}

static void fmt_tcplog(struct out *o, const struct proxy *fe, const struct txn_log *t)
{
	o_ip(o, &t->cli); o_putc(o, ':'); o_port(o, &t->cli);
	o_puts(o, " ["); o_date_ms(o, t->accept_wall_us); o_puts(o, "] ");
	o_printf(o, "%s%s %s/%s %d/%d/%s%d %s%llu ", fe_name(fe, t), ft_sfx(t), be_name(fe, t), srv_name(t),
		 t->Tw, t->Tc, asap(fe), t->Tt, asap(fe), (unsigned long long)t->bytes_out);
	o_term(o, t, 2);
	o_printf(o, " %d/%d/%d/%d/%s%d %d/%d", t->actconn, t->feconn, t->beconn, t->srvconn,
		 redisp(t), t->retries, t->srv_queue, t->be_queue);
}

/* HAProxy's line when no log option is set: "Connect from A:P to B:Q (fe/HTTP)". */
static void fmt_connect(struct out *o, const struct proxy *fe, const struct txn_log *t)
{
	o_puts(o, "Connect from ");
	o_ip(o, &t->cli); o_putc(o, ':'); o_port(o, &t->cli);
	o_puts(o, " to ");
	o_ip(o, &t->fe_addr); o_putc(o, ':'); o_port(o, &t->fe_addr);
	o_printf(o, " (%s/%s)", fe_name(fe, t), (fe && fe->mode == PR_MODE_HTTP) ? "HTTP" : "TCP");
}

/* A JSON string (RFC 8259). Everything outside printable ASCII is escaped,
 * bytes >= 0x7f as \u00XX, so the output is valid JSON (and ASCII) whatever
 * bytes a client sent. NULL prints null. */
static void o_json_str(struct out *o, const char *s, size_t n)
{
	if (!s) {
		o_puts(o, "null");
		return;
	}
	o_putc(o, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"':  o_puts(o, "\\\""); break;
		case '\\': o_puts(o, "\\\\"); break;
		case '\n': o_puts(o, "\\n"); break;
		case '\r': o_puts(o, "\\r"); break;
		case '\t': o_puts(o, "\\t"); break;
		default:
			if (c < 0x20 || c >= 0x7f)
				o_printf(o, "\\u%04x", c);
			else
				o_putc(o, (char)c);
		}
	}
	o_putc(o, '"');
}

static void o_json_cstr(struct out *o, const char *key, const char *s)
{
	o_printf(o, ",\"%s\":", key);
	o_json_str(o, s, s ? strlen(s) : 0);
}

static void o_json_int(struct out *o, const char *key, long long v)
{
	o_printf(o, ",\"%s\":%lld", key, v);
}

/* Split "METHOD URI VERSION" into its parts. The version is the word after
 * the last space when it starts with "HTTP/"; otherwise there is none (an
 * HTTP/0.9-style line) and the URI runs to the end. */
static void split_reqline(const struct txn_log *t, const char **m, size_t *ml,
			  const char **u, size_t *ul, const char **v, size_t *vl)
{
	const char *s = t->req_line, *end = s + t->req_line_len, *sp1, *sp2;

	*m = *u = *v = NULL; *ml = *ul = *vl = 0;
	if (!s)
		return;
	sp1 = memchr(s, ' ', t->req_line_len);
	if (!sp1) {
		*m = s; *ml = t->req_line_len;
		return;
	}
	*m = s; *ml = (size_t)(sp1 - s);
	sp2 = end;
	while (sp2 > sp1 + 1 && sp2[-1] != ' ')
		sp2--;
	if (sp2 > sp1 + 1 && end - sp2 >= 5 && memcmp(sp2, "HTTP/", 5) == 0) {
		*v = sp2; *vl = (size_t)(end - sp2);
		*u = sp1 + 1; *ul = (size_t)(sp2 - 1 - (sp1 + 1));
	} else {
		*u = sp1 + 1; *ul = (size_t)(end - (sp1 + 1));
	}
}

/* tandem's `option httplog json`: the httplog (or tcplog) fields as one JSON
 * object with fixed key names, documented in doc/logging.md. */
static void fmt_json(struct out *o, const struct proxy *fe, const struct txn_log *t)
{
	char ip[INET6_ADDRSTRLEN]; int port;
	int have = addr_text(&t->cli, ip, sizeof(ip), &port) == 0;

	o_puts(o, "{\"client_ip\":");
	o_json_str(o, have ? ip : NULL, have ? strlen(ip) : 0);
	if (have)
		o_json_int(o, "client_port", port);
	else
		o_puts(o, ",\"client_port\":null");
	o_puts(o, ",\"accept_date\":\"");
	o_iso(o, t->accept_wall_us, 3);
	o_putc(o, '"');
	o_json_cstr(o, "frontend", fe_name(fe, t));
	o_json_cstr(o, "backend", be_name(fe, t));
	o_json_cstr(o, "server", srv_name(t));
	if (t->http) {
		o_json_int(o, "TR", t->TR);
		o_json_int(o, "Tw", t->Tw);
		o_json_int(o, "Tc", t->Tc);
		o_json_int(o, "Tr", t->Tr);
		o_json_int(o, "Ta", t->Ta);
		o_json_int(o, "status", t->status);
	} else {
		o_json_int(o, "Tw", t->Tw);
		o_json_int(o, "Tc", t->Tc);
		o_json_int(o, "Tt", t->Tt);
	}
	o_json_int(o, "bytes_read", (long long)t->bytes_out);
	o_json_int(o, "bytes_uploaded", (long long)t->bytes_in);
	o_puts(o, ",\"termination_state\":\"");
	o_term(o, t, t->http ? 4 : 2);
	o_putc(o, '"');
	o_json_int(o, "actconn", t->actconn);
	o_json_int(o, "feconn", t->feconn);
	o_json_int(o, "beconn", t->beconn);
	o_json_int(o, "srv_conn", t->srvconn);
	o_json_int(o, "retries", t->retries);
	o_printf(o, ",\"redispatched\":%s", t->redispatched ? "true" : "false");
	o_json_int(o, "srv_queue", t->srv_queue);
	o_json_int(o, "backend_queue", t->be_queue);
	if (t->http) {
		const char *m, *u, *v; size_t ml, ul, vl;
		split_reqline(t, &m, &ml, &u, &ul, &v, &vl);
		o_puts(o, ",\"method\":"); o_json_str(o, m, ml);
		o_puts(o, ",\"uri\":"); o_json_str(o, u, ul);
		o_puts(o, ",\"version\":"); o_json_str(o, v, vl);
	}
	if (t->ssl_version) {
		o_json_cstr(o, "ssl_version", t->ssl_version);
		o_json_cstr(o, "ssl_cipher", t->ssl_cipher);
		if (t->ssl_sni)
			o_json_cstr(o, "ssl_sni", t->ssl_sni);
		else
			o_puts(o, ",\"ssl_sni\":null");
	}
	o_putc(o, '}');
}

size_t httplog_format(const struct proxy *fe, const struct txn_log *t, char *out, size_t outlen)
{
	struct out o = { out, out + outlen };
	uint32_t opt = fe ? fe->options : 0;
	int httpish = opt & (PR_O_HTTPLOG | PR_O_HTTPLOG_CLF | PR_O_HTTPLOG_JSON);

	if (!outlen)
		return 0;
	if (opt & PR_O_HTTPLOG_JSON)
		fmt_json(&o, fe, t);
	else if (httpish && t->http)
		((opt & PR_O_HTTPLOG_CLF) ? fmt_clf : fmt_httplog)(&o, fe, t);
	else if (httpish || (opt & PR_O_TCPLOG))
		fmt_tcplog(&o, fe, t);   /* HAProxy: httplog on a TCP stream falls back to tcplog */
	else
		fmt_connect(&o, fe, t);
	*o.p = '\0';
	return (size_t)(o.p - out);
}

/* ---- sending -------------------------------------------------------------- */

/* HAProxy's notion of an "error" transaction, used by dontlog-normal and
 * log-separate-errors: a redispatch, a termination cause worse than 'L'
 * (locally handled), retries without a final error, or a 5xx in HTTP. */
static int txn_is_error(const struct txn_log *t)
{
	char cause = t->term[0] ? t->term[0] : '-';

	return t->redispatched ||
	       (cause != '-' && cause != 'L') ||
	       (cause == '-' && t->retries > 0) ||
	       (t->http && t->status >= 500);
}

/* Build the header of <fmt> for a message of <level> into <hdr>; returns its
 * length. Formats are those of HAProxy's `log ... format <fmt>`; the host
 * name is never sent (HAProxy only sends one with log-send-hostname). */
static size_t syslog_header(const struct log_target *lt, int level, int pid, char *hdr, size_t len)
{
	struct out o = { hdr, hdr + len };
	int pri = lt->facility * 8 + level;
	const char *tag = log_get_tag();
	struct timespec ts;
	uint64_t now_us;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;

	switch (lt->format) {
	case LOGF_RAW:
		break;
	case LOGF_SHORT:         /* level only, what systemd's journal expects */
		o_printf(&o, "<%d>", level);
		break;
	case LOGF_PRIORITY:
		o_printf(&o, "<%d>", pri);
		break;
	case LOGF_TIMED:
		o_printf(&o, "<%d>", level);
		o_iso(&o, now_us, 6);
		o_putc(&o, ' ');
		break;
	case LOGF_ISO:
		o_iso(&o, now_us, 6);
		o_putc(&o, ' ');
		break;
	case LOGF_RFC5424:       /* <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD */
		o_printf(&o, "<%d>1 ", pri);
		o_iso(&o, now_us, 6);
		o_printf(&o, " - %s %d - - ", tag, pid);
		break;
	case LOGF_LOCAL:
	case LOGF_RFC3164:
	default:                 /* <PRI>Mmm dd hh:mm:ss tag[pid]: */
		tm_of(ts.tv_sec, 0, &tm);
		o_printf(&o, "<%d>%s %2d %02d:%02d:%02d %s[%d]: ", pri, month_names[tm.tm_mon],
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tag, pid);
		break;
	}
	*o.p = '\0';
	return (size_t)(o.p - hdr);
}

/* One datagram socket per thread and address family, created on first use:
 * no locking, and a thread never waits on another's socket buffer. */
static int udp_sock(int family)
{
	static __thread int socks[3] = { -1, -1, -1 };
	int i = family == AF_INET ? 0 : family == AF_INET6 ? 1 : 2;

	if (socks[i] < 0)
		socks[i] = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return socks[i];
}

/* Send <line> to one target at <level>. Files/pipes get "header line\n" in
 * one writev(); syslog servers get "header line" in one datagram. Failures
 * (full socket buffer, dead pipe) drop the line: logging never blocks.
 *
 * `len N` (lt->maxlen, 0 = the default 1024) bounds the whole message as
 * HAProxy counts it: header + text + the final newline <= N bytes. The
 * header is kept and the text is cut; a UDP datagram, which carries no
 * newline here, is thus at most N - 1 bytes. */
static void target_send(const struct global *g, const struct log_target *lt, int level,
			const char *line, size_t len)
{
	char hdr[160];
	struct iovec iov[3];
	size_t hlen, room;

	if (level > lt->level)
		return;
	if (level < lt->minlevel)
		level = lt->minlevel;   /* HAProxy: minlevel caps more severe levels */
	hlen = syslog_header(lt, level, (g && g->log_hdr_pid) ? (int)g->log_hdr_pid : (int)getpid(),
			     hdr, sizeof(hdr));
	room = (size_t)(lt->maxlen > 0 ? lt->maxlen : LOG_LEN_DEFAULT) - 1;
	if (hlen > room)
		hlen = room;         /* only with an absurdly long log tag */
	if (len > room - hlen)
		len = room - hlen;
	iov[0].iov_base = hdr;         iov[0].iov_len = hlen;
	iov[1].iov_base = (void *)line; iov[1].iov_len = len;

	if (lt->addrlen) {
		struct msghdr mh = { 0 };
		int fd = udp_sock(lt->addr.ss_family);
		if (fd < 0)
			return;
		mh.msg_name = (void *)&lt->addr;
		mh.msg_namelen = lt->addrlen;
		mh.msg_iov = iov;
		mh.msg_iovlen = 2;
		while (sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno == EINTR)
			;
		return;
	}
	iov[2].iov_base = "\n"; iov[2].iov_len = 1;
	while (writev(lt->fd, iov, 3) < 0 && errno == EINTR)
		;
}

/* A list the config code never initialised (all zero) counts as empty. */
static int has_targets(const struct list *l)
{
	return l->next && !list_empty(l);
}

void httplog_emit(const struct global *g, const struct proxy *fe, const struct txn_log *t)
{
	httplog_emit_line(g, fe, t, NULL, 0, -1);
}

void httplog_emit_line(const struct global *g, const struct proxy *fe, const struct txn_log *t,
		       const char *text, size_t tlen, int lvl)
{
	/* per thread, not on the stack: 64 kB would be a lot for a worker stack */
	static __thread char line[LOG_LINE_MAX];
	int use_global, err, level;
	size_t len;
	struct list *pos;

	if (!fe || !t || (fe->options & PR_O_NOLOG))
		return;
	/* dontlognull: the client sent nothing at all (probes, port scans). */
	if ((fe->options & PR_O_DONTLOGNULL) && t->bytes_in == 0)
		return;
	err = txn_is_error(t);
	if (!err && (fe->options & PR_O_DONTLOG_NORMAL))
		return;
	level = (err && (fe->options & PR_O_LOG_SEPARATE_ERRORS)) ? LL_ERR : LL_INFO;
	if (lvl >= 0)
		level = lvl;   /* http-request set-log-level */

	use_global = g && (fe->options & PR_O_LOG_GLOBAL) && has_targets(&g->logs);
	if (!has_targets(&fe->logs) && !use_global)
		return;

	if (text) {
		len = tlen;
	} else {
		len = httplog_format(fe, t, line, sizeof(line));
		text = line;
	}
	if (has_targets(&fe->logs))
		list_for_each(pos, &fe->logs)
			target_send(g, list_entry(pos, struct log_target, link), level, text, len);
	if (use_global)
		list_for_each(pos, &g->logs)
			target_send(g, list_entry(pos, struct log_target, link), level, text, len);
}

void httplog_emit_conn_error(const struct global *g, const struct proxy *fe, const struct sockaddr_storage *cli,
			     uint64_t accept_wall_us, const char *bind_name, const char *msg, int empty)
{
	char line[1024];
	struct out o = { line, line + sizeof(line) };
	int use_global, level;
	struct list *pos;

	if (!fe || (fe->options & PR_O_NOLOG))
		return;
	if (empty && (fe->options & PR_O_DONTLOGNULL))
		return;
	use_global = g && (fe->options & PR_O_LOG_GLOBAL) && has_targets(&g->logs);
	if (!has_targets(&fe->logs) && !use_global)
		return;
	level = (fe->options & PR_O_LOG_SEPARATE_ERRORS) ? LL_ERR : LL_INFO;
	o_ip(&o, cli);
	o_putc(&o, ':');
	o_port(&o, cli);
	o_puts(&o, " [");
	o_date_ms(&o, accept_wall_us);
	o_printf(&o, "] %s/%s: %s", fe->id, bind_name, msg);
	*o.p = '\0';
	if (has_targets(&fe->logs))
		list_for_each(pos, &fe->logs)
			target_send(g, list_entry(pos, struct log_target, link), level, line, (size_t)(o.p - line));
	if (use_global)
		list_for_each(pos, &g->logs)
			target_send(g, list_entry(pos, struct log_target, link), level, line, (size_t)(o.p - line));
}
