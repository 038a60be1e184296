/* What the access log needs to know about one finished transaction. Times
 * are milliseconds, -1 when that step was never reached (HAProxy's convention). */
#ifndef TANDEM_HTTPLOG_T_H
#define TANDEM_HTTPLOG_T_H
#include <stdint.h>
#include <sys/socket.h>

struct txn_log {
	struct sockaddr_storage cli;   /* client address */
	struct sockaddr_storage fe_addr; /* local address the client reached */
	uint64_t accept_wall_us;       /* wall clock when the request began (%tr) */
	const char *fe, *be, *srv;     /* names; "<NOSRV>" when no server */
	int  TR;      /* time to receive the full request head */
	int  Tw;      /* time waiting in queues */
	int  Tc;      /* time to establish the server connection */
	int  Tr;      /* server response time (head received) */
	int  Ta;      /* total active time of the request */
	int  Tt;      /* total session time (tcplog) */
	int  status;  /* HTTP status sent to the client, -1 if none */
	uint64_t bytes_out;   /* bytes sent to the client (%B) */
	uint64_t bytes_in;    /* bytes received from the client (%U) */
	char term[4];         /* termination state, e.g. "----", "sC--", "CD--" */
	int  actconn, feconn, beconn, srvconn, retries;   /* %ac/%fc/%bc/%sc/%rc; retries prefixed '+' when redispatched */
	int  redispatched;
	int  srv_queue, be_queue;
	const char *req_line; size_t req_line_len;        /* "GET / HTTP/1.1" as received, may be NULL */
	int  http;            /* 1 = httplog, 0 = tcplog */
	/* the client connection's TLS, NULL when plain (HAProxy's %sslv, %sslc
	 * and ssl_fc_sni; shown by `option httplog json`) */
	const char *ssl_version, *ssl_cipher, *ssl_sni;
};

#endif
