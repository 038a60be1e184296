/* A lab of the seeds, as data: what `--lab NNN`, `--playbook NNN` and
 * `--demo NNN` (make demo LAB=NNN) start. The configuration a user reads
 * and edits lives in contrib/labs/NNN/ (tandem.cfg, the lab's own config
 * beside it, playbook.txt); this is the rest: which processes, on which
 * nominal ports, and which scenarios judge it (playbook.h).
 *
 * Variables, given to tandem in its environment (tandem.cfg says
 * "127.0.0.1:${PORT_A-9001}") and expanded in node arguments and in
 * playbook.txt:
 *   PORT_FE, PORT_STATS           the frontend and the stats listener
 *   PORT_<NODE>, PORT_<DEP>       each node and dependency ("redis-A" gives
 *                                 PORT_REDIS_A: upper case, '-' becomes '_')
 *   ADDR_<NODE>                   a node's address (127.0.0.1 unless it has one)
 *   LAB_DIR                       the lab's work directory (logs, admin socket)
 *   ADMIN_SOCK                    LAB_DIR/admin.sock (tandem.cfg's `stats socket`)
 * and, in playbook.txt only, PID_<NODE>, PID_<DEP>, PID_TANDEM, CHAOS (this
 * program), LAB (the id). Each port is the nominal one in the demo when it is
 * free (else the next free one), a random free one otherwise. */
#ifndef CHAOS_LABDEF_H
#define CHAOS_LABDEF_H
#include "lab.h"

struct lab_node_def {
	const char *name;       /* node name = server name in tandem.cfg = X-Node */
	int         port;       /* nominal port */
	const char *args;       /* extra tandem-app arguments (variables expanded), or NULL */
	int         dynamic;    /* not in tandem.cfg: the `add` action starts it and adds it */
	const char *add_args;   /* keywords of its `add server` line (dynamic nodes) */
	const char *addr;       /* its own loopback address (a lab whose servers are found by DNS:
	                         * the `move` action gives it another one), NULL: 127.0.0.1 */
};

enum lab_dep_kind {
	DEP_REDIS = 0,          /* redis-server, ready when it answers PING */
	DEP_DNS,                /* dnsmasq answering each node's name with the node's address
	                         * (LAB_DIR/NAME.hosts, re-read on SIGHUP), ready when it answers */
};

struct lab_dep_def {
	const char *name;       /* e.g. "redis-A" */
	int         port;       /* nominal port */
	const char *subject;    /* the node that depends on it alone (fault analysis), NULL if shared */
	enum lab_dep_kind kind;
};

struct lab_def {
	const char *id;         /* "000": the directory contrib/labs/000/ */
	const char *title;
	const char *seed;       /* the seed file it comes from */
	const char *backend;    /* the backend whose servers are the nodes (faults, detection) */
	const char *more_backends; /* other backends with nodes as servers, comma-separated, or NULL */
	const char *load_path;  /* what the load requests by default */
	const char *stats_uri;  /* `stats uri` of the stats listener */
	int         fe_port, stats_port;  /* nominal ports */
	const char *node_args;  /* arguments of every node, or NULL */
	struct lab_node_def nodes[MAX_NODES];  /* until name == NULL */
	struct lab_dep_def  deps[MAX_DEPS];    /* until name == NULL (Redis, DNS) */
};

#endif
