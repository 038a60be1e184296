/* libFuzzer driver for the keepalived.conf reader (src/vrrp/kaconf.c) and
 * the checks every instance goes through (src/vrrp/conf.c). Each input is
 * read as a keepalived.conf from memory (`include` refused: the fuzzer
 * must not read the host's files; config id "main" for @ lines). The
 * contract:
 *  - it ends, and reports as many errors as it says it found;
 *  - what it produced is well formed: names fit and are NUL-terminated,
 *    every instance's address counts and families are in range, every
 *    command has an argv[0], every track a name, prefix lengths fit the
 *    family;
 *  - vrrp_conf_check() runs on every instance without crashing;
 *  - everything is released (LeakSanitizer checks).
 * A violated invariant aborts.
 *
 * fuzz-src: src/vrrp/kaconf.c src/vrrp/conf.c
 * fuzz-dict: tests/fuzz/kaconf.dict */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <tandem/vrrp.h>

#define INV(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static int nerr;

static void on_err(void *ctx, const char *file, int line, const char *msg)
{
	(void)ctx;
	INV(file && msg && *msg && line >= 0);
	nerr++;
}

static void on_check(void *ctx, const char *file, int line, const char *msg)
{
	(void)ctx; (void)file; (void)line;
	INV(msg && *msg);
}

static void cmd_ok(const struct vrrp_cmd *c)
{
	if (!c->argv)
		return;
	INV(c->argv[0] != NULL);
	for (char **a = c->argv; *a; a++)
		INV(strlen(*a) < 65536);
}

static void tracks_ok(const struct vrrp_track *t, int n)
{
	INV(n >= 0 && n <= VRRP_MAX_TRACK);
	for (int i = 0; i < n; i++) {
		INV(t[i].name && *t[i].name);
		INV(t[i].kind >= VRRP_TRK_BACKEND && t[i].kind <= VRRP_TRK_FILE);
		INV(t[i].weight >= -254 && t[i].weight <= 254);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct list insts, *l;
	struct vrrp_set set;
	struct kac_out out = { .insts = &insts, .set = &set, .err = on_err, .warn = on_check, .no_include = 1,
			       .config_id = "main" };
	int n;

	list_init(&insts);
	vrrp_set_init(&set);
	nerr = 0;
	n = kac_load_mem("fuzz.conf", (const char *)data, size, &out);
	INV(n == nerr);
	list_for_each(l, &insts) {
		struct vrrp_conf *c = list_entry(l, struct vrrp_conf, link);

		INV(memchr(c->name, 0, sizeof(c->name)) && memchr(c->ifname, 0, sizeof(c->ifname)));
		INV(memchr(c->vmac_name, 0, sizeof(c->vmac_name)));
		INV(c->nvips >= 0 && c->nvips <= VRRP_MAX_VIPS && c->npeers >= 0 && c->npeers <= VRRP_MAX_PEERS);
		INV(c->af == AF_INET || c->af == AF_INET6);
		INV(c->version == 2 || c->version == 3);
		INV(c->priority >= 1 && c->priority <= 255 && c->vrid >= 0 && c->vrid <= 255);
		INV(c->adver_cs >= 1);
		for (int i = 0; i < c->nvips; i++) {
			INV(c->vips[i].ip.af == AF_INET || c->vips[i].ip.af == AF_INET6);
			INV(c->vips[i].plen >= 0 && c->vips[i].plen <= (c->vips[i].ip.af == AF_INET ? 32 : 128));
			INV(memchr(c->vips[i].dev, 0, sizeof(c->vips[i].dev)) && memchr(c->vips[i].label, 0, sizeof(c->vips[i].label)));
		}
		tracks_ok(c->tracks, c->ntracks);
		for (int k = 0; k < VRRP_NOTIFY_N; k++)
			cmd_ok(&c->notify[k]);
		vrrp_conf_check(c, on_check, NULL);
	}
	list_for_each(l, &set.scripts) {
		struct vrrp_script_conf *s = list_entry(l, struct vrrp_script_conf, link);

		INV(memchr(s->name, 0, sizeof(s->name)) && s->rise >= 1 && s->fall >= 1 && s->interval_ms >= 1000);
		cmd_ok(&s->cmd);
	}
	list_for_each(l, &set.groups) {
		struct vrrp_group_conf *g = list_entry(l, struct vrrp_group_conf, link);

		INV(g->nmembers >= 0 && g->nmembers <= VRRP_MAX_INST);
		for (int i = 0; i < g->nmembers; i++)
			INV(g->members[i] != NULL);
		tracks_ok(g->tracks, g->ntracks);
		for (int k = 0; k < VRRP_NOTIFY_N; k++)
			cmd_ok(&g->notify[k]);
	}
	while (!list_empty(&insts)) {
		struct vrrp_conf *c = list_entry(insts.next, struct vrrp_conf, link);

		list_del(&c->link);
		vrrp_conf_free(c);
	}
	vrrp_set_release(&set);
	return 0;
}
