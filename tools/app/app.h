/* tandem-app internals: the demo/test backend (see doc/tandem-app.md).
 *
 * Layout: main.c (command line, listeners, threads, signals, drain),
 * conn.c (per-connection I/O and HTTP/1 request state machine),
 * body.c (request body framing: Content-Length / chunked, payload spans),
 * routes.c (what each endpoint answers), health.c (the health documents,
 * memory watch), todo.c (the todo API over a store: memory or Redis),
 * redis.c (hiredis on the worker's event loop), metrics.c (Prometheus
 * /metrics), state.c (process-wide counters, faults, memory stress),
 * idmap.c (bounded request-id counter), alog.c (buffered JSON access and
 * event log), json.c (JSON reading for request bodies), util.c (small
 * parsers, JSON escaping).
 *
 * Threads: each worker thread runs its own event loop and owns the
 * connections it accepted, and its own Redis connection. Only the state in
 * state.c, idmap.c, metrics.c and todo.c's memory store is shared, protected
 * by atomics or a mutex. */
#ifndef TANDEM_APP_H
#define TANDEM_APP_H
#include <stddef.h>
#include <stdint.h>
#include <tandem/buf-t.h>
#include <tandem/h1-t.h>
#include <tandem/list.h>
#include <tandem/log.h>
#include <tandem/loop-t.h>
#include "json.h"
#include "sha256.h"

#define APP_NAME_MAX   32
#define APP_IN_SIZE    32768   /* request buffer: head + streamed body pieces */
#define APP_OUT_SIZE   32768   /* response buffer */
#define APP_MAX_HEAD   16384   /* longest accepted request head */
#define APP_MAX_HDRS   100
#define APP_REQID_MAX  256     /* longer X-Request-Id values are truncated */
#define APP_PATH_MAX   256     /* path kept for logs (truncated) */
#define APP_QUERY_MAX  256
#define APP_SLOW_DEFAULT_MS 1000  /* fault slow without ms= */
#define APP_EXIT_GRACE_MS 10000   /* after the drain period, how long in-flight requests may still take */
#define APP_KEEP_MAX   4096    /* request bodies kept for parsing (POST /api/todos) */
#define APP_TODO_TEXT_MAX 1024 /* longest todo text, bytes of UTF-8 */
#define APP_MEM_HIGH_PCT 80    /* health fails at this share of --mem-limit (seed 004) */
#define APP_STRESS_DEFAULT_PCT 90 /* /api/stress without mb= fills memory up to this share of the limit */
#define APP_STRESS_DEFAULT_MB 64  /* ... or allocates this much without --mem-limit */
#define APP_REDIS_TIMEOUT_MS 1000 /* default --redis-timeout-ms */
#define APP_REDIS_RETRY_MS 100    /* after a failed connect, fail fast this long before retrying */

struct conn;
struct redisReply;

/* ---- configuration (main.c) ---- */
struct app_cfg {
	char     name[APP_NAME_MAX + 1];
	char     node_body[APP_NAME_MAX + 8];  /* "NODE_<name>\n" */
	size_t   node_body_len;
	unsigned read_delay_ms;
	unsigned write_delay_ms;
	uint64_t mem_limit;    /* bytes, 0 = none */
	unsigned drain_ms;
	int      threads;
	int      quiet;        /* no access log */
	char     redis_host[64];   /* --redis HOST:PORT; host "" = no Redis */
	int      redis_port;
	unsigned redis_timeout_ms;
	uint64_t start_us;     /* clock_mono_us() at start, for uptime */
	uint64_t start_wall_us;
};
extern struct app_cfg app_cfg;

/* ---- endpoints (routes.c) ---- */
enum route {
	R_ROOT, R_READ, R_WRITE, R_SLOW, R_ECHO, R_BYTES, R_STATUS,
	R_HEALTH, R_HEALTH_CHECK, R_API_HEALTH,
	R_TODOS, R_TODO, R_STRESS, R_API_STRESS, R_API_STRESS_CLEAR,
	R_METRICS, R_FAULT, R_STATS, R_RELEASE, R_RESET, R_OTHER, R_COUNT
};
/* Is the route /metrics or an /admin/ one (never affected by faults, not
 * counted as traffic)? */
static inline int route_is_admin(enum route r) { return r >= R_METRICS && r <= R_RESET; }
/* Is the route one of the health endpoints (not affected by fault error500)? */
static inline int route_is_health(enum route r) { return r >= R_HEALTH && r <= R_API_HEALTH; }

/* ---- shared state (state.c) ---- */
enum fault_mode { FAULT_OFF, FAULT_ZOMBIE, FAULT_ERROR500, FAULT_HANG, FAULT_SLOW, FAULT_RESET };

/* Method slots for counters. */
enum meth_slot { MS_GET, MS_HEAD, MS_POST, MS_PUT, MS_DELETE, MS_OPTIONS, MS_PATCH, MS_OTHER, MS_COUNT };

const char *route_name(enum route r);          /* "/read", ..., "other" */
const char *meth_slot_name(enum meth_slot m);  /* "GET", ..., "OTHER" */
enum meth_slot meth_slot_of(enum h1_method m);

/* Count a received request (at head time). <req_id> may be NULL. */
void state_count_request(enum route r, enum meth_slot m, const char *req_id);
/* Count a response status. */
void state_count_status(int status);
void state_conn_opened(void);
void state_conn_closed(void);
/* Connections accepted since start (never reset) and open now. */
void state_conns(uint64_t *total, long *cur);
/* In-flight requests: received and not yet answered (hung and /admin/ ones excluded). */
void state_inflight_add(int delta);
long state_inflight(void);
/* Reset every counter and the id map. */
void state_reset(void);

enum fault_mode state_fault(unsigned *ms);
void state_set_fault(enum fault_mode m, unsigned ms);
const char *fault_name(enum fault_mode m);
/* Parse a mode name (with the demo's aliases); -1 if unknown. */
int fault_parse(const char *s, size_t len);

void state_set_draining(void);
int  state_draining(void);

/* Resident set size in bytes from /proc/self/statm, 0 if unreadable. */
uint64_t state_rss(void);
/* Health: 0 when healthy, else a short static reason ("zombie", "memory",
 * "draining"). Dependencies (Redis) are not included: see health.c. */
const char *state_sick_reason(void);

enum { STRESS_OK = 0, STRESS_NOMEM = -1, STRESS_LIMIT = -2 };
/* Allocate and touch <mb> MiB kept until state_stress_release(). Returns
 * STRESS_OK, STRESS_LIMIT (resident memory would pass --mem-limit, as a
 * container's limit would refuse it) or STRESS_NOMEM (the 4 GiB safety cap,
 * or the allocation failed). */
int state_stress_add(unsigned mb);
unsigned state_stress_mb(void);
unsigned state_stress_release(void);

/* Render /admin/stats as a malloc'd JSON document; NULL on allocation failure. */
char *state_stats_json(size_t *len);

/* ---- bounded request-id counter (idmap.c) ---- */
#define IDMAP_CAP 10000
/* Record one sighting of <id>; returns how many times it has now been seen. */
unsigned idmap_add(const char *id);
/* Count of ids seen more than once since the last reset (evicted ones included). */
uint64_t idmap_dups(void);
void idmap_clear(void);
/* Append `"id":count,...` (no braces) for the remembered ids, oldest first,
 * to the malloc'd string *s (length *len, capacity *cap). Returns 0 or -1. */
int idmap_json(char **s, size_t *len, size_t *cap);

/* ---- health documents and memory watch (health.c) ---- */
/* Memory use against --mem-limit: logs an event once each time it crosses
 * APP_MEM_HIGH_PCT either way. Returns 1 when at or above it. */
int health_mem_watch(void);
/* Answer a health request. /health answers text at once; /health_check
 * and /api/health answer the JSON document, after a Redis PING when
 * --redis is set (returns 1: the answer comes later), else at once (0). */
int health_respond(struct conn *c);

/* ---- todo API (todo.c) ---- */
/* Answer /api/todos or /api/todos/ID. Returns 1 when the answer waits for
 * Redis, 0 when it was made at once. */
int todo_respond(struct conn *c);
/* Free the in-memory store (exit path). */
void todo_free_all(void);

/* ---- Redis (redis.c): one connection per worker thread ---- */
struct rop;
/* Called once with the reply (NULL on error: <err> says why). The reply is
 * freed after the call. <c> is NULL when the client connection went away. */
typedef void (*rop_cb)(struct conn *c, struct redisReply *reply, const char *err, void *arg);
/* Send a command (hiredis argv form) for connection <c>; the answer is
 * delivered to <cb> later, never from inside this call. Returns 0, or -1
 * when nothing was sent (<cb> is not called; c->resp is untouched). */
int redis_submit(struct conn *c, rop_cb cb, void *arg, int argc, const char *const *argv,
		 const size_t *lens);
/* The connection of <c> is closing: its pending reply is dropped. */
void redis_detach(struct conn *c);
/* Per-thread set-up and tear-down (no-ops without --redis). */
int redis_thread_init(struct loop *l);
void redis_thread_free(void);
/* Last known state, for /metrics and /admin/stats: 1 up, 0 down, -1 no --redis. */
int redis_up(void);
/* Last error text ("" when none). */
const char *redis_last_error(void);

/* ---- Prometheus metrics (metrics.c) ---- */
void metrics_observe(enum route r, int status, uint64_t us);
/* Render /metrics as a malloc'd text; NULL on allocation failure. */
char *metrics_text(size_t *len);

/* ---- access log (alog.c) ---- */
/* Per-thread setup (allocates the thread's buffer). 0 or -1. */
int alog_thread_init(void);
void alog_thread_flush(void);  /* write what is buffered now (blocking best effort) */
void alog_thread_free(void);
/* One JSON line for a finished request. */
void alog_request(const char *method, const char *path, int status, uint64_t us,
		  const char *req_id, uint64_t bytes);
/* Make stdout non-blocking when it is a pipe or socket, so that a reader
 * that never reads costs log lines, never a stalled server. */
void alog_setup_stdout(void);
/* An event (start, signal, drain, memory, Redis): one line on stderr in
 * tandem's format and, unless --quiet, one JSON line on stdout
 * {"ts":..,"node":..,"level":"WARNING","msg":".."} beside the access log. */
void app_event(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- small helpers (util.c) ---- */
/* Parse a decimal uint64; returns 0 or -1 (empty, junk, overflow). */
int parse_u64(const char *p, size_t len, uint64_t *out);
/* Parse "64m", "1g", "512k", "1048576" (binary units). 0 or -1. */
int parse_size(const char *s, uint64_t *out);
/* Find query parameter <key> in <q> (no leading '?'); returns its value and
 * length, or NULL. A key without '=' yields an empty value. */
const char *query_get(const char *q, const char *key, size_t *vlen);
/* Append <s> JSON-escaped (without quotes) into dst[0..cap); returns the
 * length written (stops early rather than overflow; always NUL-terminates). */
size_t json_escape(char *dst, size_t cap, const char *s);
/* Reason phrase of a status code ("OK"), "Unknown" if none. */
const char *status_reason(int status);

/* ---- the per-thread worker (main.c) ---- */
struct worker {
	struct loop  loop;
	int          id;
	struct list  conns;     /* every struct conn of this thread */
	struct ev_io lio;       /* the shared listening socket, in this loop */
	struct ev_timer accept_retry; /* re-enable accepting after EMFILE */
	int          listening;
	int          quit;      /* set by thread 0 to stop this worker (atomic) */
};
extern __thread struct worker *this_worker;
/* Stop accepting on this thread (listener shut down or drain over). */
void worker_stop_accepting(struct worker *w);

/* ---- connections (conn.c) ---- */
enum conn_state {
	CS_HEAD,    /* waiting for / parsing a request head */
	CS_BODY,    /* consuming the request body */
	CS_WAIT,    /* answer delayed by a timer */
	CS_ASYNC,   /* answer waits for Redis */
	CS_HANG,    /* fault hang: never answers */
	CS_SEND,    /* writing the response */
	CS_LINGER,  /* response sent, write side shut, draining input before close */
};

enum body_mode { BM_NONE, BM_LENGTH, BM_CHUNKED };
enum resp_src { RS_NONE, RS_MEM, RS_PATTERN };

/* The request being served, copied out of the input buffer at head time
 * because the buffer is reused while the body streams through. */
struct req {
	enum h1_method meth;
	enum meth_slot mslot;
	char     method[16];
	char     path[APP_PATH_MAX];
	char     query[APP_QUERY_MAX];
	char     req_id[APP_REQID_MAX + 1];
	int      has_id;
	int      version;       /* 10 or 11 */
	int      keepalive;     /* the client allows another request after this one */
	enum route route;
	uint64_t t_start_us;    /* head complete (monotonic) */
	/* body */
	enum body_mode bmode;
	uint64_t body_left;     /* BM_LENGTH: bytes still to read */
	struct h1_chunk chunk;  /* BM_CHUNKED decoder */
	int      chunk_in_data; /* BM_CHUNKED+hash: decoder known to be inside chunk data */
	uint64_t body_len;      /* payload bytes seen */
	int      hash_body;     /* /echo: hash the payload */
	struct sha256 sha;
	char    *keep;          /* POST /api/todos: the body, up to APP_KEEP_MAX bytes (malloc'd) */
	size_t   keep_len;
	int      keep_over;     /* the body was longer */
	int      inflight;      /* counted in state_inflight() */
};

/* The response being sent: head and small bodies are formatted into the
 * output buffer; large bodies are produced piecewise as room frees up. */
struct resp {
	int      status;
	enum resp_src src;
	char    *mem;            /* RS_MEM: heap body (freed when done) */
	size_t   mem_len, mem_off;
	uint64_t pat_len, pat_off; /* RS_PATTERN: total and produced bytes (UINT64_MAX unused) */
	int      chunked;        /* frame the produced body as chunks */
	int      last_chunk_sent;
	int      close_after;    /* close the connection once sent */
	uint64_t body_bytes;     /* body bytes produced (for the log) */
};

struct conn {
	struct ev_io    io;
	struct ev_timer timer;
	struct ev_task  task;   /* deferred free */
	struct list     link;   /* in worker->conns until freed (closed ones too) */
	struct worker  *w;
	int             fd;
	enum conn_state state;
	struct buf      in, out;
	int             peer_eof;   /* read() returned 0 */
	int             closed;     /* conn_close() done; only the free task remains */
	int             want_out;   /* last write hit EAGAIN */
	struct req      req;
	struct resp     resp;
	struct rop     *rop;    /* pending Redis command, NULL if none */
};

/* Build shared tables; once, before any thread starts. */
void conn_global_init(void);
/* Take ownership of an accepted, non-blocking socket. */
void conn_accept(struct worker *w, int fd);
/* Close every connection of the thread (exit path). */
void conn_close_all(struct worker *w);
/* An answer that waited (CS_ASYNC) was built into c->resp/c->out: send it. */
void conn_async_done(struct conn *c);

/* ---- request bodies (body.c) ---- */
/* Consume body bytes of <r> from <in> (payload counted, hashed for /echo).
 * Returns 1 when the body is complete (bytes after it are left in <in>),
 * 0 when more input is needed, -1 on a framing error. */
int body_consume(struct req *r, struct buf *in);

/* ---- routes (routes.c) ---- */
/* Classify the path. */
enum route route_of(const char *path);
/* Does the route hash the request body (/echo)? (else it is discarded) */
int route_hashes_body(enum route r);
/* Does the route keep the request body to parse it (POST /api/todos)? */
int route_keeps_body(enum route r);
/* The request is fully received: decide now (answer, delay or hang).
 * Returns the delay in ms (0 = answer now), or -1 for hang, -2 for reset. */
long route_decide(struct conn *c);
/* Build the response (after any delay) into c->resp / c->out. Returns 0,
 * or 1 when the answer waits for Redis (conn_async_done() follows). */
int route_respond(struct conn *c);
/* Helpers for responses, also used by conn.c for errors. Format the head
 * (and a small body) into the output buffer. */
enum framing {
	FR_LENGTH,   /* Content-Length: clen */
	FR_CHUNKED,  /* Transfer-Encoding: chunked (HTTP/1.0 clients get FR_CLOSE) */
	FR_CLOSE,    /* no length: the body ends when the connection closes */
	FR_NOBODY,   /* 1xx/204/304: neither length nor body */
};
/* Format the status line and headers (X-Node, X-Request-Id, Connection...)
 * into the output buffer and reset c->resp for a body of that framing.
 * <extra_hdrs> is NULL or complete "Name: value\r\n" lines. Returns 0, or
 * -1 if the output buffer cannot be allocated (the connection must close). */
int resp_begin(struct conn *c, int status, const char *ctype, enum framing fr,
	       uint64_t clen, const char *extra_hdrs);
/* A complete response with a small body copied from <body>. */
void resp_simple(struct conn *c, int status, const char *ctype, const char *body, size_t len);
/* A complete response whose malloc'd <body> is handed over (freed when sent). */
void resp_heap(struct conn *c, int status, const char *ctype, char *body, size_t len);
/* printf into a JSON body (up to 2 KiB) and send it. */
void resp_json(struct conn *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A growing malloc'd string for JSON and metrics documents. */
struct sbuf { char *s; size_t len, cap; int err; };
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_put(struct sbuf *b, const char *s, size_t n);

/* ---- deterministic byte pattern for /bytes ---- */
/* Byte i of every /bytes body: (i * 31 + 7) & 0xff (period 256). */
static inline uint8_t pattern_byte(uint64_t i) { return (uint8_t)(i * 31 + 7); }

#endif
