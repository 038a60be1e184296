/* Service discovery by DNS: `resolvers` sections, servers whose address
 * comes from a name (doc/discovery.md). The run time lives on the worker's
 * thread 0 (src/dns/, a worker module); servers change only through
 * src/backend/srv_admin.c. Layer: above check and backend, below proxy
 * (the reload handover) and admin (the runtime API). */
#ifndef TANDEM_DNS_H
#define TANDEM_DNS_H
#include <stddef.h>
#include <stdint.h>
#include <tandem/dns-t.h>
#include <tandem/proxy-t.h>

/* ---- messages (src/dns/dns_msg.c), pure ---------------------------------- */

/* Read the answer <buf,len> to the question <qname>/<qtype> (class IN).
 * <id>: the expected id, or -1 for any. Longer than <maxlen>: TOO_BIG.
 * Returns a DNS_P_* code; on DNS_P_OK <m> holds the records that answer the
 * question (through a CNAME chain of at most 8 hops) and, for SRV, the
 * additional A/AAAA records. Release with dns_msg_free (always safe). */
int  dns_msg_parse(const uint8_t *buf, size_t len, int id, const char *qname, int qtype,
		   size_t maxlen, struct dns_msg *m);
void dns_msg_free(struct dns_msg *m);
/* Build a query for <qname>/<qtype>, class IN, recursion desired when <rd>.
 * Returns its length, or -1 (no room, invalid name). */
int  dns_msg_query(uint8_t *buf, size_t len, int id, const char *qname, int qtype, int rd);
/* 0 when <name> is a host name or an SRV label (letters, digits, '-', '_',
 * labels of 1 to 63, at most 253 in all, one final dot allowed), else -1. */
int  dns_name_valid(const char *name);
/* <in> in lower case without its final dot. */
void dns_name_norm(const char *in, char out[DNS_NAME_BUF]);

/* ---- choosing an address for a server (src/dns/dns_srv.c), pure ---------- */

/* How much <s> wants <a>: its `resolve-prefer` family (8), one of its
 * `resolve-net` networks (4). */
int  dns_addr_score(const struct server *s, const struct dns_addr *a);
/* Among <n> candidates, the best for <s> that is not taken (taken[i] > 0);
 * when all good ones are taken and <s> allows duplicates, the best taken
 * one. -1 when none. */
int  dns_pick(const struct server *s, const struct dns_addr *c, int n, const unsigned char *taken);
/* "1.2.3.4", "::1" or "(none)". */
const char *dns_addr_str(const struct dns_addr *a, char *buf, size_t len);

/* ---- the run time (thread 0) --------------------------------------------- */

struct cfg;
/* The worker module (main() registers it): start on thread 0 once the
 * loops exist and the reload handover was imported; stop with the
 * listeners (soft or hard stop, retiring after a reload). */
int  dns_start(struct cfg *cfg);
void dns_stop(void);
/* 1 while the module runs in this process. */
int  dns_running(void);
/* `set server B/S fqdn NAME`: NULL with <msg> holding HAProxy's answer
 * ("... changed its FQDN from A to B ..."), or the error line. */
const char *dns_set_fqdn(struct server *s, const char *fqdn, char *msg, size_t len);
/* `show resolvers`: the section's counters (the configuration's copy when
 * the module does not run here). */
const struct dns_ns_ctr *dns_ns_counters(const struct dns_nameserver *ns);

/* ---- reload handover (src/proxy/handover.c) ------------------------------ */

struct shm_srv;
/* Fill the DNS part of <s>'s handover record. */
void dns_handover_fill(const struct server *s, struct shm_srv *rec);
/* At worker start, before the module: continue from the previous worker's
 * record for <s> (its address, its SRV record, maintenance by resolution)
 * when it resolved the same name. */
void dns_handover_import(struct server *s, const struct shm_srv *rec);

#endif
