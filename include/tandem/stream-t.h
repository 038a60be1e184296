/* A stream: one client connection and the requests it carries, with the
 * server connection currently serving it. Explicit states, one handler each
 * (see src/proxy/stream.c for the transitions); inside the transfer state,
 * each direction's message has its own phase (src/proxy/stream_xfer.c). */
#ifndef TANDEM_STREAM_T_H
#define TANDEM_STREAM_T_H
#include <stdint.h>
#include <sys/socket.h>
#include <tandem/buf-t.h>
#include <tandem/conn-t.h>
#include <tandem/h1-t.h>
#include <tandem/list.h>
#include <tandem/loop-t.h>
#include <tandem/proxy-t.h>
#include <tandem/action-t.h>
#include <tandem/sess-t.h>

enum strm_state {
	ST_REQ_WAIT = 0,  /* waiting for / reading a request head */
	ST_QUEUE,         /* every usable server is at its maxconn: wait for a slot */
	ST_CONNECT,       /* choosing a server and connecting to it */
	ST_XFER,          /* request going to the server, response coming back */
	ST_APPLET,        /* tandem answers itself (a service: stats page, metrics) */
	ST_TUNNEL,        /* bytes both ways (mode tcp, after 101, CONNECT) */
	ST_CLOSING,       /* flushing a last response, then close */
	ST_INSPECT,       /* TCP content inspection: rules wait for data (tcp-request inspect-delay) */
	ST_TARPIT,        /* http-request tarpit: holding the client for `timeout tarpit` */
	ST_CLOSED,        /* done; freed after this I/O round */
};

/* Where one direction's message stands. The request reaches MSG_BODY when
 * its head has been analysed; the response when its final head has been
 * (interim 1xx heads pass while it is in MSG_HEAD). */
enum msg_phase {
	MSG_HEAD = 0,     /* head still to come */
	MSG_BODY,         /* head done, body bytes still to validate */
	MSG_DONE,         /* the whole message is validated (some may be unsent) */
};

/* How a message body ends. */
enum body_mode { BM_NONE = 0, BM_CL, BM_CHUNKED, BM_CLOSE };

/* One direction's message. <fwd> bytes at the head of the source buffer
 * (after <kept>) are validated and may be forwarded as they are. */
struct body {
	uint8_t         phase;    /* enum msg_phase */
	uint8_t         mode;     /* enum body_mode */
	uint64_t        remain;   /* BM_CL: bytes still expected */
	struct h1_chunk ck;       /* BM_CHUNKED decoder */
	size_t          fwd;
	size_t          kept;     /* request: bytes before <fwd> already sent but kept for a replay */
	size_t          extra;    /* body bytes consumed with the head (services) */
	uint64_t        sent;     /* body bytes sent to the other side */
};

/* Facts about the current transaction and the client connection
 * (stream.flags). Phases are in struct body; these are not phases. */
enum {
	SF_CLI_KA       = 1u << 0,  /* keep the client connection after this response */
	SF_SRV_KA       = 1u << 1,  /* the server connection may serve another request */
	SF_EXPECT100    = 1u << 2,  /* we answered 100 Continue ourselves */
	SF_UPGRADE      = 1u << 3,  /* the request asked for a protocol upgrade */
	SF_RSP_STARTED  = 1u << 4,  /* response bytes of the server reached the client: no retry */
	SF_SRV_COUNTED  = 1u << 5,  /* srv->cur_conns holds this request */
	SF_REDISPATCHED = 1u << 6,
	SF_IDEM_KEY     = 1u << 7,  /* the request carries Idempotency-Key */
	SF_IN_RETRY     = 1u << 8,  /* counted in be->retries_inflight */
	SF_INFLIGHT     = 1u << 9,  /* counted in be->req_inflight */
	SF_REPLAY_LOST  = 1u << 10, /* sent request body bytes were dropped: no replay */
	/* rules (src/proxy/strm_rules.c) */
	SF_HTTP         = 1u << 11, /* this stream speaks HTTP (an HTTP frontend, or a TCP one upgraded) */
	SF_BE_SET       = 1u << 12, /* the backend was chosen (use_backend, TCP inspection): not again */
	SF_TCP_DONE     = 1u << 13, /* the frontend's tcp-request content rules decided (TCP inspection) */
	SF_FORCE_SRV    = 1u << 14, /* use-server under force-persist: this server, even DOWN; never moved */
	SF_NOLOG        = 1u << 15, /* not logged (monitor-uri, set-log-level silent) */
	SF_TCPRES_DONE  = 1u << 16, /* tcp-response content rules decided */
	SF_WAIT_BODY    = 1u << 17, /* wait-for-body: the head waits for its body before analysis */
	SF_SRV_CHOSEN   = 1u << 18, /* s->srv was chosen by a rule (use-server): do not balance */
	SF_TXN          = 1u << 19, /* the rules' transaction began (captures, variables reset: rx_txn_begin) */
	SF_SRV_DEQUEUED = 1u << 20, /* left its server's queue for a free slot: connect, do not queue again */
	SF_BE_COUNTED   = 1u << 21, /* counted in the backend's current sessions (be_conn, scur, %bc) */
};

/* Why a request failed on its server (retry-on classes). */
enum fail_kind {
	FAIL_CONN = 0,     /* connection not established: nothing reached the server */
	FAIL_REUSED,       /* a reused idle connection broke before any response */
	FAIL_EMPTY,        /* the server closed without answering */
	FAIL_JUNK,         /* invalid response head or framing */
	FAIL_TIMEOUT,      /* no response within `timeout server` */
	FAIL_STATUS,       /* response status listed in `retry-on` */
};

struct service;
struct txn_store;
struct strm_persist;
struct stream_pp;
struct splice_pipe;

struct stream {
	struct sess      *sess;       /* the client connection's session */
	struct conn      *cli;        /* = &sess->cli */
	struct list       link;       /* this thread's free streams (pool) */
	struct list       qlink;      /* in this thread's queue while in ST_QUEUE */
	struct proxy     *fe, *be;
	struct server    *srv;        /* server of the current request */
	struct server    *prev_srv;   /* the one that failed (redispatch) */
	struct conn      *sc;         /* server connection, NULL if none */
	struct buf        cli_out;    /* heads / generated bytes for the client */
	struct buf        srv_out;    /* request head for the server (kept for a retry) */
	size_t            srv_out_sent;
	int               state;      /* enum strm_state */
	uint32_t          flags;      /* SF_* */
	struct sockaddr_storage cli_addr; /* the client's address (the session keeps it compact) */
	/* current request */
	enum h1_method    meth;
	int               req_ver;    /* 10 / 11 */
	struct body       req, rsp;
	int               status;     /* final status sent to the client, -1 none */
	int               retries;    /* retries done for this request */
	const struct service *svc;    /* the service answering (ST_APPLET) */
	/* generated body (service, error page) */
	const char       *gen;
	size_t            gen_len, gen_off;
	int               gen_free;
	/* timers (absolute now_ms, 0 = none) */
	uint64_t          exp_req, exp_cli, exp_srv;
	struct ev_task    task;       /* deferred release (to the pool) */
	/* accounting */
	uint64_t          t_queue_us;  /* entered the queue */
	uint64_t          t_req_us, t_head_us, t_conn_start_us, t_conn_us, t_rsp_us;
	uint64_t          req_wall_us;
	uint64_t          bytes_in, bytes_out;  /* this request */
	char             *reqline;
	size_t            reqline_len;
	char              term[2];    /* termination state chars, '-' = none */
	/* rules: what the transaction keeps between its analyses (captures,
	 * unique id, log level, variables), and a rule set waiting for data.
	 * <txn> and <vars> stay with the stream in its thread's pool. */
	struct txn_store *txn;        /* NULL while neither proxy has rules */
	struct var_store  vars;       /* txn, req and res variables */
	struct rule_result rwait;     /* ST_INSPECT / wait-for-body: where the waiting rule set resumes */
	uint8_t           rwait_set;  /* enum rule_set of the set that waits, + which proxy (INSPECT_*) */
	uint64_t          exp_insp;   /* end of the inspect delay, tarpit, wait-for-body (now_ms, 0 = none) */
	uint64_t          uniq_id;    /* %rt: the process's transaction counter when this one began */
	struct strm_persist *pst;     /* persistence: tracked counters, cookie, stores, hash key
				       * (persist-t.h); NULL until needed, kept in the pool */
	/* the long tail (issue 18): src/proxy/stream_pp.c, stream_srv.c, stream_splice.c */
	struct sockaddr_storage dst_addr;  /* where the client connected, or the PROXY header's (when dst_set) */
	uint8_t           dst_set;
	uint8_t           queued;     /* counted in be->queue_len, or qsrv->queue_len */
	struct server    *qsrv;       /* ST_QUEUE: the server whose own queue it waits in (NULL: the backend's) */
	unsigned          bkp_gen;    /* be->bkp_kill_gen when the stream took its backup server */
	struct stream_pp *pp;         /* the PROXY header sent to the server (NULL: none) */
	struct splice_pipe *spl;      /* splice(2) pipes of the tunnel (NULL: none) */
};

#endif
