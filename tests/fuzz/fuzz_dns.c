/* libFuzzer driver for DNS answers: the parser (src/dns/dns_msg.c) and the
 * code that reads what it extracts from c-ares' buffers (src/dns/dns_srv.c:
 * addresses of a server-template, SRV slots, additional records). The
 * first byte of an input chooses the question (A, AAAA or SRV) and the
 * size limit; the rest is the answer. Invariants:
 *  - the parser returns one of its codes, the same twice; on DNS_P_OK the
 *    items are at most DNS_MAX_ITEMS, of the types asked (plus additional
 *    A/AAAA for SRV), with NUL-terminated names that are valid host names;
 *  - applied to the servers (a configuration started on the DNS module,
 *    nothing sent), every slot is in maintenance by resolution or has an
 *    IPv4/IPv6 address; no two slots of the host template share one; an
 *    SRV slot in service serves a record of the answer, on its port.
 * A violated invariant aborts.
 *
 * fuzz-src: LIB */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tandem/cfg.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/loop.h>
#include <tandem/srv_admin.h>
#include "../../src/dns/dns_int.h"

#define INV(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static struct cfg *cfg;
static struct proxy *be;
static struct loop lp;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char text[] =
		"resolvers dns\n  nameserver ns1 127.0.0.1:53\n  hold obsolete 0s\n"
		"defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n"
		"backend be\n"
		"  server-template h 4 web.test:80 resolvers dns init-addr none\n"
		"  server-template s 4 _http._tcp.web.test resolvers dns\n";
	char path[] = "/tmp/tandem-fuzz-dns-XXXXXX", err[512];
	int fd = mkstemp(path);

	(void)argc; (void)argv;
	log_setup(-1, LL_EMERG, NULL);
	if (fd < 0 || write(fd, text, sizeof(text) - 1) != (ssize_t)(sizeof(text) - 1))
		abort();
	close(fd);
	cfg = cfg_load(path, err, sizeof(err));
	unlink(path);
	if (!cfg || loop_init(&lp, 0) < 0)
		abort();
	clock_update();
	if (dns_start(cfg) < 0)
		abort();
	be = cfg_find_proxy(cfg, "be", PR_CAP_BE);
	return 0;
}

static void check_items(const struct dns_msg *m, int qtype)
{
	INV(m->nitems >= 0 && m->nitems <= DNS_MAX_ITEMS);
	for (int i = 0; i < m->nitems; i++) {
		const struct dns_item *it = &m->items[i];

		INV(memchr(it->name, 0, sizeof(it->name)));
		if (it->additional) {
			INV(qtype == DNS_T_SRV && (it->type == DNS_T_A || it->type == DNS_T_AAAA));
			INV(dns_name_valid(it->name) == 0 || !it->name[0]);
		} else {
			INV(it->type == qtype);
		}
		if (it->type == DNS_T_SRV)
			INV(it->name[0] && dns_name_valid(it->name) == 0);
		if (it->type == DNS_T_A)
			INV(it->addr.af == AF_INET);
		if (it->type == DNS_T_AAAA)
			INV(it->addr.af == AF_INET6);
	}
}

static struct dns_group *group_of(const char *prefix)
{
	struct list *l;

	list_for_each(l, &be->servers) {
		struct server *s = list_entry(l, struct server, link);

		if (!strncmp(s->id, prefix, 1) && s->dns && s->dns->grp)
			return s->dns->grp;
	}
	return NULL;
}

static void apply(const struct dns_msg *m, int qtype, uint64_t now)
{
	struct dns_group *g = group_of(qtype == DNS_T_SRV ? "s" : "h");
	struct dns_res *r;
	struct dns_item *copy;

	INV(g);
	r = g->res;
	copy = m->nitems ? malloc((size_t)m->nitems * sizeof(*copy)) : NULL;
	if (m->nitems && !copy)
		return;
	if (copy)
		memcpy(copy, m->items, (size_t)m->nitems * sizeof(*copy));
	free(r->cur.it);
	r->cur.it = copy;
	r->cur.n = m->nitems;
	r->status = DNS_ST_VALID;
	r->last_valid = now;
	dns_group_apply(g, "dns/ns1", now);
	dns_slots_apply(r, "dns/ns1", now);
	/* the slots afterwards */
	for (int i = 0; i < g->n; i++) {
		struct server *s = g->slot[i];
		int rm = !!(s->admin & SRV_ADMF_RMAINT);
		struct sockaddr_storage ss;
		socklen_t len;

		srv_addr_get(s, &ss, &len);
		INV(rm || ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
		if (rm)
			continue;
		if (r->kind == DNS_K_HOST) {
			for (int j = 0; j < i; j++) {
				struct sockaddr_storage o;
				socklen_t ol;

				if (g->slot[j]->admin & SRV_ADMF_RMAINT)
					continue;
				srv_addr_get(g->slot[j], &o, &ol);
				INV(ol != len || memcmp(&o, &ss, len));
			}
		} else {
			int found = 0;

			for (int k = 0; k < m->nitems && !found; k++)
				found = m->items[k].type == DNS_T_SRV && !m->items[k].additional &&
					m->items[k].port == s->dns->port && !strcmp(m->items[k].name, s->dns->target);
			INV(found);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int types[] = { DNS_T_A, DNS_T_AAAA, DNS_T_SRV };
	static uint64_t now = 1000000;
	const char *qname;
	struct dns_msg m, m2;
	int qtype, r, r2;
	size_t maxlen;

	if (size < 1)
		return 0;
	qtype = types[data[0] % 3];
	maxlen = (data[0] & 0x80) ? 512 : 65535;
	qname = qtype == DNS_T_SRV ? "_http._tcp.web.test" : "web.test";
	r = dns_msg_parse(data + 1, size - 1, (data[0] & 0x40) ? 0x1234 : -1, qname, qtype, maxlen, &m);
	r2 = dns_msg_parse(data + 1, size - 1, (data[0] & 0x40) ? 0x1234 : -1, qname, qtype, maxlen, &m2);
	INV(r == r2 && m.nitems == m2.nitems && (!m.nitems || !memcmp(m.items, m2.items, (size_t)m.nitems * sizeof(*m.items))));
	INV(r >= DNS_P_OK && r <= DNS_P_TOO_BIG);
	INV(r != DNS_P_TOO_BIG || size - 1 > maxlen);
	if (r == DNS_P_OK) {
		check_items(&m, qtype);
		now += 1000;
		apply(&m, qtype, now);
	} else if (data[0] & 0x20) {
		/* a failure past every hold */
		struct dns_group *g = group_of(qtype == DNS_T_SRV ? "s" : "h");

		now += 100000;
		g->res->status = DNS_ST_NX;
		dns_group_fail(g, now);
	}
	dns_msg_free(&m);
	dns_msg_free(&m2);
	return 0;
}
