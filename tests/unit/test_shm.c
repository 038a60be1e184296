/* The master/worker shared area (src/core/shm.c): names of any length key
 * counters, handover records and backend slots exactly (two names that
 * share a long prefix are two keys), argument vectors come back word for
 * word, and a configuration loaded again finds the same counters (what a
 * reload does). */
#include <stdlib.h>
#include <unistd.h>
#include <tandem/cfg.h>
#include <tandem/log.h>
#include <tandem/shm.h>
#include "unit.h"

static struct cfg *load(const char *text)
{
	char path[] = "/tmp/tandem-test-shm-XXXXXX", err[512];
	int fd = mkstemp(path);
	struct cfg *c;

	if (fd < 0)
		return NULL;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		unlink(path);
		return NULL;
	}
	close(fd);
	c = cfg_load(path, err, sizeof(err));
	unlink(path);
	if (!c)
		printf("# %s\n", err);
	return c;
}

/* A name of <len> characters: <prefix> then 'x', ending with <last>. */
static char *name(size_t len, char last)
{
	char *s = malloc(len + 1);

	if (!s)
		abort();
	memset(s, 'x', len);
	s[len - 1] = last;
	s[len] = 0;
	return s;
}

static void test_arena(void)
{
	struct shm_ref r, r2;
	char *argv[] = { "127.0.0.1:80", "", "a b", "weight", "7", NULL }, **back = NULL;
	char *other[] = { "127.0.0.1:80", "", "a b", "weight", "8", NULL };
	uint32_t used;
	int n;

	CHECK("put and get", shm_put("hello", 5, &r) == 0 && r.len == 5 && !strcmp(shm_get(r), "hello"));
	CHECK("eq exact only", shm_eq(r, "hello") && !shm_eq(r, "hell") && !shm_eq(r, "hello!"));
	CHECK("none is NULL", shm_get((struct shm_ref){ 0, 0 }) == NULL && !shm_eq((struct shm_ref){ 0, 0 }, ""));
	CHECK("argv put", shm_argv_put(argv, &r) == 0);
	n = shm_argv_get(r, &back);
	CHECK("argv back word for word (empty words and spaces too)", n == 5 && back && !back[5] &&
	      !strcmp(back[0], argv[0]) && !strcmp(back[1], "") && !strcmp(back[2], "a b") && !strcmp(back[4], "7"));
	free(back);
	CHECK("argv eq", shm_argv_eq(r, argv) && !shm_argv_eq(r, other));
	used = tdm_shm->arena_used;
	CHECK("larger than the arena: refused, nothing taken",
	      shm_put("x", SHM_ARENA_SIZE, &r2) < 0 && tdm_shm->arena_used == used);
}

static void test_names(void)
{
	char *be1 = name(90, '1'), *be2 = name(90, '2'), *s1 = name(80, 'a'), *s2 = name(80, 'b');
	char *text = NULL;
	struct cfg *c, *c2;
	struct proxy *b1, *b2, *b1b;
	struct server *x, *y, *z, *x2;
	struct shm_srv *r1, *r2;

	if (asprintf(&text, "defaults\n mode http\n timeout connect 1s\n timeout client 1s\n timeout server 1s\n"
		     "backend %s\n server %s 127.0.0.1:1\n server %s 127.0.0.1:2\n"
		     "backend %s\n server %s 127.0.0.1:3\n", be1, s1, s2, be2, s1) < 0)
		abort();
	c = load(text);
	CHECK("config with 80- and 90-character names", c != NULL);
	if (!c)
		return;
	shm_bind_counters(c);
	b1 = cfg_find_proxy(c, be1, PR_CAP_BE);
	b2 = cfg_find_proxy(c, be2, PR_CAP_BE);
	x = proxy_find_server(b1, s1);
	y = proxy_find_server(b1, s2);
	z = proxy_find_server(b2, s1);
	CHECK("counters shared", b1->ctr_shared && b2->ctr_shared && x->ctr_shared && y->ctr_shared && z->ctr_shared);
	CHECK("backends sharing 89 characters: their own counters", b1->be_ctr != b2->be_ctr);
	CHECK("servers sharing 79 characters: their own counters", x->ctr != y->ctr && x->ctr != z->ctr && y->ctr != z->ctr);
	CTR_ADD(x->ctr->cum_sess, 3);

	/* a reload: the same configuration again finds the same counters */
	c2 = load(text);
	if (c2) {
		shm_bind_counters(c2);
		b1b = cfg_find_proxy(c2, be1, PR_CAP_BE);
		x2 = proxy_find_server(b1b, s1);
		CHECK("loaded again: the same counters", b1b->be_ctr == b1->be_ctr && x2->ctr == x->ctr &&
		      CTR_GET(x2->ctr->cum_sess) == 3);
	}

	r1 = shm_srv_find(be1, s1, 1);
	r2 = shm_srv_find(be1, s2, 1);
	CHECK("handover records keyed by whole names", r1 && r2 && r1 != r2 && shm_srv_find(be1, s1, 0) == r1 &&
	      shm_eq(r1->srv, s1) && shm_eq(r1->be, be1) && !shm_srv_find(be2, s2, 0));

	shm_be_publish(0, be1, 2, 2);
	shm_be_publish(1, be2, 0, 1);
	__atomic_store_n(&tdm_shm->nbe, 2, __ATOMIC_RELEASE);
	CHECK("backend slots keyed by whole names", shm_backend_usable(be1) == 2 && shm_backend_usable(be2) == 0);
	shm_be_publish(0, be2, 1, 1);
	shm_be_publish(1, be1, 5, 5);
	CHECK("a slot renamed follows its new name", shm_backend_usable(be1) == 5 && shm_backend_usable(be2) == 1);
	be1[45] = 0;
	CHECK("a prefix is another name", shm_backend_usable(be1) == -1);

	cfg_free(c);
	cfg_free(c2);
	free(text);
	free(be1);
	free(be2);
	free(s1);
	free(s2);
}

int main(void)
{
	log_setup(-1, LL_WARNING, NULL);
	CHECK("shm_create", shm_create() == 0 && tdm_shm != NULL);
	if (!tdm_shm)
		UNIT_END();
	test_arena();
	test_names();
	UNIT_END();
}
