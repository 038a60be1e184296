/* A client of tandem's runtime API (the stats socket, HAProxy's management
 * guide 9.3): one command line in non-interactive mode, the answer read
 * until tandem closes the session. Asynchronous on the event loop for fault
 * actions during a run (drain, ready, maint, add), blocking for set-up and
 * the playbooks' probes. A UNIX socket path, or ipv4@ADDR:PORT / ADDR:PORT. */
#ifndef CHAOS_ADMIN_H
#define CHAOS_ADMIN_H
#include <stddef.h>
#include <tandem/loop-t.h>

#define ADMIN_ANSWER_MAX 8192

struct admin_req;
/* <answer> is NULL when the exchange failed (<err> says why). */
typedef void (*admin_cb)(struct admin_req *a, const char *answer, const char *err);

struct admin_req {
	struct ev_io    io;
	struct ev_timer tmr;
	char            out[1024];
	size_t          olen, off;
	char            in[ADMIN_ANSWER_MAX];
	size_t          ilen;
	admin_cb        cb;
	void           *ctx;
	int             busy;
};

void admin_init(struct admin_req *a);
/* Send <cmd> (';' separates several) to <sock>; the answer comes to <cb>,
 * never from inside this call. 0, or -1 with <err> filled (no callback). */
int admin_send(struct admin_req *a, const char *sock, const char *cmd, unsigned timeout_ms,
	       admin_cb cb, void *ctx, char *err, size_t errlen);
/* Drop a request in progress (no callback). */
void admin_cancel(struct admin_req *a);
/* Blocking: send <cmd>, read the whole answer into <out>. 0, or -1 with
 * <out> holding the error. */
int admin_cmd(const char *sock, const char *cmd, unsigned timeout_ms, char *out, size_t cap);
/* Does <answer> say the command(s) succeeded? Silent success (empty lines)
 * and tandem's/HAProxy's success sentences count; anything else is the
 * error text. */
int admin_answer_ok(const char *answer);

#endif
