/* Internals of the DNS run time (src/dns/), all on the worker's thread 0:
 *   dns_io.c   c-ares: one channel per nameserver, its sockets in the
 *              loop's epoll, its timeouts in the loop's timers, and the
 *              socket wrappers that drop (and count) datagrams from another
 *              address or with an id that answers no pending query;
 *   dns_res.c  resolutions (one per name and kind, however many servers
 *              use it): rounds of queries to every nameserver, retries,
 *              statuses and hold times, the worker module;
 *   dns_srv.c  what an answer does to servers: addresses, slots of a
 *              server-template, SRV records, maintenance by resolution.
 * Nothing here runs on a traffic thread's path: servers are changed through
 * src/backend/srv_admin.c, which the other threads read lock-free. */
#ifndef TANDEM_DNS_INT_H
#define TANDEM_DNS_INT_H
#include <ares.h>
#include <tandem/dns.h>
#include <tandem/loop-t.h>

enum { DNS_K_HOST = 0, DNS_K_SRV = 1 };   /* what a resolution asks: A+AAAA, or SRV */

/* Status of a resolution, HAProxy's (RSLV_STATUS_*). */
enum { DNS_ST_NONE = 0, DNS_ST_VALID, DNS_ST_NX, DNS_ST_TIMEOUT, DNS_ST_REFUSED, DNS_ST_OTHER };

/* A UDP query in flight on a nameserver, as its datagram went out. */
struct dns_pend {
	uint16_t id;
	uint16_t qlen;
	uint64_t sent_ms;
	uint8_t  q[DNS_NAME_BUF + 8];   /* question section (name, type, class) */
};

struct dns_sock {
	struct list link;       /* in dns_ns_rt.socks */
	struct ev_io io;
	struct dns_ns_rt *nr;
	int fd;
	int udp;
	int dead;               /* closed: freed after the current batch of events */
};

struct dns_ns_rt {
	struct dns_nameserver *ns;
	struct resolvers *rs;
	int      idx;           /* its position in the section */
	ares_channel ch;
	int      ok;            /* the channel exists */
	struct ev_timer tmr;    /* c-ares' next timeout */
	struct list socks;
	struct dns_pend *pend;
	int      npend, cap;
};

struct dns_rs_rt {
	struct list res;        /* struct dns_res */
	struct dns_ns_rt **nr;  /* [rs->nns] */
};

/* A set of records (the last valid answer): A/AAAA, or SRV plus the
 * additional A/AAAA records that came with it. */
struct dns_result {
	int n;
	struct dns_item *it;    /* malloc'd */
};

/* One nameserver's part of a round. */
struct dns_nsr {
	int pending;            /* its queries not answered yet */
	int status;             /* DNS_ST_* of its answers so far (VALID when one had records) */
	struct dns_result got;  /* records collected from its answers */
};

struct dns_res {
	struct list link;       /* in rs->rt->res */
	struct resolvers *rs;
	char     name[DNS_NAME_BUF];
	int      kind;          /* DNS_K_* */
	int      refs;          /* groups and slots that use it */
	struct list groups;     /* struct dns_group */
	struct list slots;      /* struct dns_srv.sub_link: SRV slots whose target this is */
	/* the round of queries in progress */
	int      running;
	unsigned round;
	int      tries;         /* rounds left before the failure is final */
	uint64_t round_start;
	int      pending;       /* c-ares queries of this resolution in flight, any round */
	struct dns_nsr *nsr;    /* [rs->nns] */
	int      last_err;      /* status of the last nameserver that failed this round */
	/* what is known */
	int      status;        /* DNS_ST_*, of the last resolution */
	uint64_t born, last_valid, last_query, last_status;   /* monotonic ms; last_valid 0 = never */
	struct dns_nameserver *valid_ns;   /* who gave the last valid answer */
	struct dns_result cur;  /* the last valid answer */
	struct ev_timer tmr;    /* the next round */
	void    *shm_rec;       /* its record in the shared area (reload handover) */
	int      dead;          /* no user left: freed when no query is in flight */
};

/* The servers of one backend resolved by one name: the slots of a
 * server-template, or servers written with the same name. */
struct dns_group {
	struct list link;       /* in res->groups */
	struct dns_res *res;
	struct proxy *be;
	int      n;
	struct server **slot;   /* in configuration order */
	int      unplaced;      /* SRV records without a free slot in the last answer (logged when it changes) */
};

extern struct loop *dns_loop;   /* thread 0's */

/* dns_io.c */
int  dns_io_open(struct dns_ns_rt *nr);      /* the channel: 0 or -1 (logged) */
void dns_io_close(struct dns_ns_rt *nr);
/* Ask <qtype> for <name> on <nr>; <cb> gets <arg> (c-ares' callback). */
void dns_io_query(struct dns_ns_rt *nr, const char *name, int qtype, ares_callback cb, void *arg);
/* The query of <name>/<qtype> ended on <nr> with no answer: forget it. */
void dns_io_forget(struct dns_ns_rt *nr, const char *name, int qtype, int id);
/* Re-arm <nr>'s timer after c-ares was called. */
void dns_io_rearm(struct dns_ns_rt *nr);

/* dns_res.c */
struct dns_res *dns_res_get(struct resolvers *rs, const char *name, int kind);
void dns_res_put(struct dns_res *r);
/* Start a round now unless one runs (or is due sooner). */
void dns_res_kick(struct dns_res *r);
/* Its last answer is valid, has records and is younger than `hold valid`:
 * a server that joins may use it without a query. */
int  dns_res_fresh(const struct dns_res *r, uint64_t now);
uint32_t dns_hold_of(const struct resolvers *rs, int status);
const char *dns_status_cause(int status);

/* dns_srv.c */
/* A valid answer (cached or fresh, <by> names who gave it) or a failure. */
void dns_group_apply(struct dns_group *g, const char *by, uint64_t now);
void dns_slots_apply(struct dns_res *r, const char *by, uint64_t now);
void dns_group_fail(struct dns_group *g, uint64_t now);
void dns_slots_fail(struct dns_res *r, uint64_t now);
/* Attach <s> (resolvers and name set) to its resolution; detach it. */
int  dns_srv_attach(struct server *s);
void dns_srv_detach(struct server *s);
/* Release an SRV slot's target resolution. */
void dns_slot_unsub(struct server *s);

#endif
