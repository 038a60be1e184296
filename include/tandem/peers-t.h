/* `peers` sections: the nodes a stick table is kept in sync with, over
 * HAProxy's peers protocol (src/stick/peers.c, doc/persistence.md). */
#ifndef TANDEM_PEERS_T_H
#define TANDEM_PEERS_T_H
#include <sys/socket.h>

/* `peer NAME ADDR:PORT`: the one whose name is the local peer name is
 * this node (it listens there); the others are connected to. */
struct peer_conf {
	struct peer_conf *next;
	char            *name;
	char            *addr_str;
	struct sockaddr_storage addr;
	socklen_t        addrlen;
	int              local;
	int              line;
};

struct peers_conf {
	struct peers_conf *next;
	char             *name;
	struct peer_conf *peers;      /* file order */
	int               npeers;
	int               disabled;
	int               used;       /* a table names it */
	const char       *file; int line;
};

#endif
