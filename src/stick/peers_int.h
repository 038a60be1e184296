/* Internals of the peers protocol (HAProxy's "HAProxyS 2.1", described in
 * HAProxy's doc/peers-v2.0.txt): the message codec (peers_msg.c, pure
 * functions, fuzzed by tests/fuzz/fuzz_peers.c) and the session driver
 * (peers.c). */
#ifndef TANDEM_PEERS_INT_H
#define TANDEM_PEERS_INT_H
#include <stddef.h>
#include <stdint.h>
#include <tandem/stick-t.h>

/* Message classes and types. */
enum { PM_CTRL = 0, PM_ERROR = 1, PM_STKT = 10 };
enum { PM_RESYNCREQ = 0, PM_RESYNCFINISHED, PM_RESYNCPARTIAL, PM_RESYNCCONFIRM, PM_HEARTBEAT };
enum { PM_ERR_PROTO = 0, PM_ERR_SIZELIMIT };
enum {
	PM_UPDATE = 0x80, PM_INCUPDATE = 0x81, PM_DEFINE = 0x82, PM_SWITCH = 0x83, PM_ACK = 0x84,
	PM_UPDATE_TIMED = 0x85, PM_INCUPDATE_TIMED = 0x86,
};

#define PEERS_PROTO   "HAProxyS"
#define PEERS_MAJOR   2
#define PEERS_MINOR   1
#define PM_MAX_LEN    (64 * 1024)   /* longest message accepted */
#define PM_TYPES      27            /* data types a definition may announce (HAProxy 3.x: up to glitch_rate) */

/* Varints (the protocol's "encoded integers"). */
size_t pm_enc(uint64_t v, uint8_t *out);            /* at most 10 bytes */
/* Decode at *p (not past <end>): the value, *p moved; on a short or bad
 * input *p becomes NULL. */
uint64_t pm_dec(const uint8_t **p, const uint8_t *end);

/* One framed message. */
struct pm {
	uint8_t        cls, type;
	const uint8_t *data;     /* payload (types >= 128) */
	size_t         len;
};
/* The next message at <buf>: bytes used, 0 when incomplete, -1 when
 * malformed or longer than PM_MAX_LEN. */
long pm_next(const uint8_t *buf, size_t len, struct pm *m);

/* Network key types (HAProxy's peer_net_key_type). */
int pm_net_type(int stk_type);
int pm_stk_type(int net_type);      /* -1: unknown */

/* A table definition, sent or received. */
struct pm_def {
	uint32_t id;
	char     name[256];
	size_t   nlen;
	int      type;                  /* enum stk_type, -1 unknown */
	uint32_t keylen;                /* as the protocol says: string tables count a NUL */
	uint64_t data;                  /* bit per data type */
	uint32_t expire;
	uint32_t period[PM_TYPES];
	uint32_t nbelem[PM_TYPES];      /* arrays */
};
/* Build the payload of a DEFINE for table <t> with id <id> into <out>
 * (room PM_MAX_LEN). Returns its length. */
size_t pm_def_build(const struct stk_table *t, uint32_t id, uint8_t *out);
/* Parse a DEFINE payload: 0, -1 malformed, 1 valid but unusable (an
 * unknown data type: its updates cannot be read). */
int pm_def_parse(const uint8_t *p, size_t len, struct pm_def *d);

/* An update, received. */
struct pm_val {
	uint64_t v;                     /* counters */
	uint32_t age, curr, prev;       /* rates: ms since the period began, counts */
};
struct pm_upd {
	uint32_t id;
	int      has_id;
	uint32_t expire;
	int      has_expire;
	uint16_t klen;
	uint8_t  key[STK_KEY_MAX];
	uint64_t present;               /* bit per data type read */
	struct pm_val val[PM_TYPES];    /* arrays: the first element */
};
/* Parse an update of message type <type> for the table defined by <d>.
 * 0, or -1 malformed. */
int pm_upd_parse(const struct pm_def *d, int type, const uint8_t *p, size_t len, struct pm_upd *u);
/* Build the payload of an UPDATE (with its id) for entry <e> of <t>
 * (shard lock held). Returns its length. */
size_t pm_upd_build(const struct stk_table *t, struct stk_ent *e, uint32_t id, uint32_t now, uint8_t *out);
/* Write update <u> (from a table defined by <d>) into <t>: the entry is
 * created or refreshed, the data types both know are set (conn_cur
 * excepted: local). <now>: monotonic ms. 0, or -1 (no room). */
int pm_upd_apply(struct stk_table *t, const struct pm_def *d, const struct pm_upd *u, uint64_t now);

#endif
