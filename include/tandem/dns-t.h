/* Service discovery by DNS (types): `resolvers` sections as configured,
 * their nameservers' counters (HAProxy's, `show resolvers`), what the
 * answer parser extracts (src/dns/dns_msg.c) and a server's run-time DNS
 * state. doc/discovery.md tells the whole story; src/dns/ runs it on the
 * worker's thread 0. */
#ifndef TANDEM_DNS_T_H
#define TANDEM_DNS_T_H
#include <stdint.h>
#include <sys/socket.h>
#include <tandem/list.h>

#define DNS_NAME_MAX   253          /* longest name in text form, without the final dot */
#define DNS_NAME_BUF   256
#define DNS_T_A        1
#define DNS_T_CNAME    5
#define DNS_T_AAAA     28
#define DNS_T_SRV      33
#define DNS_T_OPT      41
#define DNS_UDP_MAX    4096         /* the largest answer c-ares reads over UDP */
#define DNS_MAX_ITEMS  512          /* useful records kept from one answer (the rest is ignored) */

/* ---- configuration: `resolvers NAME` --------------------------------- */

/* Counters of one nameserver, HAProxy's names and meanings. Written and
 * read on the worker's thread 0 only (resolution and runtime API). */
struct dns_ns_ctr {
	uint64_t sent;          /* queries sent */
	uint64_t snd_error;     /* queries that could not be sent (or their TCP connection refused) */
	uint64_t valid;         /* answers with records */
	uint64_t update;        /* server changes made from its answers */
	uint64_t cname;         /* answers that went through a CNAME */
	uint64_t cname_error;   /* CNAME chains that were too long or led nowhere */
	uint64_t any_err;       /* answers without the records asked for (NODATA) */
	uint64_t nx;            /* NXDOMAIN */
	uint64_t timeout;       /* queries without an answer in `timeout retry` */
	uint64_t refused;       /* REFUSED */
	uint64_t other;         /* SERVFAIL and other errors */
	uint64_t invalid;       /* malformed answers, answers to another question, datagrams from another address */
	uint64_t too_big;       /* answers bigger than accepted_payload_size */
	uint64_t truncated;     /* answers with the TC bit (retried over TCP) */
	uint64_t outdated;      /* answers to no pending query: late, or with an unknown id */
};

struct dns_nameserver {
	struct list link;       /* in resolvers.nameservers, file order */
	char   *id;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int     tcp;            /* `tcp@ADDR`: queries over TCP only */
	const char *file; int line;
	struct dns_ns_ctr ctr;
	struct dns_ns_rt *rt;   /* run time (src/dns/dns_io.c), NULL elsewhere */
};

struct resolvers {
	struct list link;       /* in cfg->resolvers, file order */
	char   *id;
	struct list nameservers;
	int     nns;
	int     resolve_retries;   /* 3 */
	uint32_t timeout_resolve;  /* ms, 1000: between two resolutions of a name */
	uint32_t timeout_retry;    /* ms, 1000: wait for an answer before asking again */
	uint32_t hold_valid;       /* ms, 10000: a valid answer serves a server joining the name this long */
	uint32_t hold_nx, hold_timeout, hold_refused, hold_other;  /* ms, 30000 each */
	uint32_t hold_obsolete;    /* ms, 0: keep a record missing from the answers this long */
	uint32_t payload_size;     /* accepted_payload_size, 512 (EDNS0) */
	const char *file; int line;
	struct dns_rs_rt *rt;      /* run time (src/dns/dns_res.c), NULL elsewhere */
};

/* ---- answers (src/dns/dns_msg.c) -------------------------------------- */

enum dns_parse_res {
	DNS_P_OK = 0,       /* NOERROR: the records that answer the question were extracted (maybe none) */
	DNS_P_NX,           /* NXDOMAIN */
	DNS_P_REFUSED,      /* REFUSED */
	DNS_P_OTHER,        /* SERVFAIL, NOTIMP, FORMERR and other errors */
	DNS_P_INVALID,      /* malformed (bounds, compression, counts, names): not trusted at all */
	DNS_P_MISMATCH,     /* not an answer to the question asked (id, QR, opcode, question) */
	DNS_P_TRUNCATED,    /* TC bit: part of an answer */
	DNS_P_TOO_BIG,      /* longer than allowed */
};

struct dns_addr {
	int     af;         /* AF_INET, AF_INET6; 0 = none */
	uint8_t a[16];      /* network order */
};

/* One useful record of an answer. */
struct dns_item {
	int      type;      /* DNS_T_A, DNS_T_AAAA (answer or additional section), DNS_T_SRV */
	int      additional;/* from the additional section: <name> says whose address it is */
	uint32_t ttl;
	struct dns_addr addr;                 /* A, AAAA */
	uint16_t prio, weight, port;          /* SRV */
	char     name[DNS_NAME_BUF];          /* SRV: target; additional A/AAAA: owner; lower case */
};

struct dns_msg {
	int      rcode;
	int      id;
	int      cname;     /* the answer went through a CNAME */
	int      cname_error; /* a CNAME chain looped or was too long (records past it ignored) */
	int      nitems;
	struct dns_item *items;   /* malloc'd, DNS_MAX_ITEMS at most */
};

/* ---- a server's run-time DNS state (src/dns/dns_srv.c) ---------------- */

struct dns_group;
struct dns_res;

struct dns_srv {
	struct dns_group *grp;     /* the servers of its backend resolved by the same name */
	struct dns_res *sub;       /* SRV slot: the resolution of its target (no additional record) */
	struct list sub_link;      /* in that resolution's slots */
	char     target[DNS_NAME_BUF]; /* SRV slot: the record it serves ("" = free slot) */
	int      port;             /* SRV slot: that record's port */
	uint64_t seen_ms;          /* monotonic ms of the last answer that named its address or record */
	int      cli_fqdn;         /* its name was set by `set server fqdn` (kept across reloads) */
	int      refused_weight;   /* 1 + the last SRV weight srv_set_uweight refused (logged once) */
	const char *cause;         /* why it is in maintenance by resolution (HAProxy's words), or NULL */
};

#endif
