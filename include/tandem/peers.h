/* Stick table synchronisation with HAProxy's peers protocol (version 2.1),
 * in a thread of the master (src/stick/peers.c, doc/persistence.md): the
 * tables live in memory the master shares with its workers, so the peers
 * thread reads the updates the workers make and writes the ones the
 * other nodes send, and a reload does not interrupt a peer session. */
#ifndef TANDEM_PEERS_H
#define TANDEM_PEERS_H
#include <stddef.h>
#include <stdint.h>
#include <tandem/peers-t.h>

struct cfg;

/* Start the thread for the `peers` sections of <cfg> that tables use
 * (nothing to do without). 0, or -1 (logged). */
int  peers_start(struct cfg *cfg);
/* A reload succeeded: follow <ncfg>'s tables and peers (sessions whose
 * peer did not change stay up). Returns once the thread no longer looks at
 * the previous configuration's tables. */
void peers_reload(struct cfg *ncfg);
void peers_stop(void);
/* In a child just forked by the master (a worker): close the copies of
 * the peers' sockets. */
void peers_forked(void);

#endif
