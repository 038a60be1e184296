/* The todo API of seed 004: a list of todos shared by every node through
 * Redis (with --redis), or kept in this process alone (without it).
 *
 *   GET    /api/todos        {"node":"A","store":"redis","count":2,"todos":[{..},{..}]}
 *   POST   /api/todos        body {"text":"..."} ("texto", "title" or "task" too)
 *                            -> 201 {"node":"A","store":"redis","todo":{"id":3,"text":"..",
 *                               "node":"A","created":1712345678.123}}
 *   DELETE /api/todos        every todo -> {"node":"A","store":"redis","deleted":N}
 *   GET    /api/todos/ID     one todo, 404 if none
 *   DELETE /api/todos/ID     -> {"node":"A","store":"redis","deleted":1}, 404 if none
 *
 * In Redis the todos are one hash, TODO_HASH, id -> the todo's JSON, ids
 * from INCR TODO_SEQ. Creating is one EVAL (increment, store, return), so
 * two nodes creating at once never share an id and no half-made todo is
 * ever seen. Redis unreachable or too slow: 503, and the deep health check
 * says the same. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include <tandem/buf.h>
#include <tandem/clock.h>
#include "app.h"

#define TODO_HASH "tandem-app:todos"
#define TODO_SEQ  "tandem-app:todos:seq"

static const char *const text_keys[] = { "text", "texto", "title", "task", NULL };

static const char ADD_LUA[] =
	"local id = redis.call('INCR', KEYS[1]) "
	"local v = '{\"id\":' .. id .. ',' .. ARGV[1] "
	"redis.call('HSET', KEYS[2], id, v) "
	"return v";
static const char CLEAR_LUA[] =
	"local n = redis.call('HLEN', KEYS[1]) "
	"redis.call('DEL', KEYS[1]) "
	"return n";

static const char *store_name(void) { return app_cfg.redis_host[0] ? "redis" : "memory"; }

/* ---- answers ---- */

static void answer_error(struct conn *c, int status, const char *msg)
{
	char e[6 * 300 + 1], m[300];

	snprintf(m, sizeof(m), "%s", msg);
	json_escape(e, sizeof(e), m);
	resp_json(c, status, "{\"node\":\"%s\",\"store\":\"%s\",\"error\":\"%s\"}\n", app_cfg.name,
		  store_name(), e);
}

static void answer_redis_error(struct conn *c, struct redisReply *r, const char *err)
{
	char m[300];

	snprintf(m, sizeof(m), "redis: %s", r && r->type == REDIS_REPLY_ERROR ? r->str :
		 err ? err : "unexpected answer");
	answer_error(c, 503, m);
}

/* {"node":..,"store":..,"count":N,"todos":[<items>]} from <n> JSON texts. */
static void answer_list(struct conn *c, const char *const *items, const size_t *lens, size_t n)
{
	struct sbuf b = { 0 };
	size_t i;

	sb_printf(&b, "{\"node\":\"%s\",\"store\":\"%s\",\"count\":%zu,\"todos\":[", app_cfg.name,
		  store_name(), n);
	for (i = 0; i < n; i++) {
		if (i)
			sb_put(&b, ",", 1);
		sb_put(&b, items[i], lens[i]);
	}
	sb_printf(&b, "]}\n");
	if (b.err) {
		free(b.s);
		answer_error(c, 503, "out of memory");
		return;
	}
	resp_heap(c, 200, "application/json", b.s, b.len);
}

static void answer_todo(struct conn *c, int status, const char *json, size_t len)
{
	struct sbuf b = { 0 };

	sb_printf(&b, "{\"node\":\"%s\",\"store\":\"%s\",\"todo\":", app_cfg.name, store_name());
	sb_put(&b, json, len);
	sb_printf(&b, "}\n");
	if (b.err) {
		free(b.s);
		answer_error(c, 503, "out of memory");
		return;
	}
	resp_heap(c, status, "application/json", b.s, b.len);
}

static void answer_deleted(struct conn *c, unsigned long long n)
{
	resp_json(c, 200, "{\"node\":\"%s\",\"store\":\"%s\",\"deleted\":%llu}\n", app_cfg.name,
		  store_name(), n);
}

static void answer_not_found(struct conn *c, uint64_t id)
{
	char m[64];

	snprintf(m, sizeof(m), "no todo %" PRIu64, id);
	answer_error(c, 404, m);
}

/* ---- the in-memory store (no --redis): this process only ---- */

struct mtodo {
	uint64_t id;
	char    *json;
	size_t   len;
};

static pthread_mutex_t mlock = PTHREAD_MUTEX_INITIALIZER;
static struct mtodo *mt;     /* in id order */
static size_t mt_n, mt_cap;
static uint64_t mt_seq;

static void mem_list(struct conn *c)
{
	const char **items;
	size_t *lens, i;

	pthread_mutex_lock(&mlock);
	items = malloc((mt_n + 1) * sizeof(*items));
	lens = malloc((mt_n + 1) * sizeof(*lens));
	if (items && lens) {
		for (i = 0; i < mt_n; i++) {
			items[i] = mt[i].json;
			lens[i] = mt[i].len;
		}
		answer_list(c, items, lens, mt_n);
	} else {
		answer_error(c, 503, "out of memory");
	}
	pthread_mutex_unlock(&mlock);
	free(items);
	free(lens);
}

static void mem_add(struct conn *c, const char *tail)
{
	struct sbuf b = { 0 };

	pthread_mutex_lock(&mlock);
	if (mt_n == mt_cap) {
		size_t ncap = mt_cap ? mt_cap * 2 : 64;
		struct mtodo *n = realloc(mt, ncap * sizeof(*n));

		if (!n) {
			pthread_mutex_unlock(&mlock);
			answer_error(c, 503, "out of memory");
			return;
		}
		mt = n;
		mt_cap = ncap;
	}
	sb_printf(&b, "{\"id\":%" PRIu64 ",%s", mt_seq + 1, tail);
	if (b.err) {
		pthread_mutex_unlock(&mlock);
		free(b.s);
		answer_error(c, 503, "out of memory");
		return;
	}
	mt_seq++;
	mt[mt_n].id = mt_seq;
	mt[mt_n].json = b.s;
	mt[mt_n].len = b.len;
	mt_n++;
	answer_todo(c, 201, b.s, b.len);
	pthread_mutex_unlock(&mlock);
}

static size_t mem_find(uint64_t id)
{
	size_t i;

	for (i = 0; i < mt_n; i++)
		if (mt[i].id == id)
			return i;
	return SIZE_MAX;
}

static void mem_get(struct conn *c, uint64_t id)
{
	size_t i;

	pthread_mutex_lock(&mlock);
	i = mem_find(id);
	if (i == SIZE_MAX)
		answer_not_found(c, id);
	else
		answer_todo(c, 200, mt[i].json, mt[i].len);
	pthread_mutex_unlock(&mlock);
}

static void mem_del(struct conn *c, uint64_t id)
{
	size_t i;

	pthread_mutex_lock(&mlock);
	i = mem_find(id);
	if (i != SIZE_MAX) {
		free(mt[i].json);
		memmove(mt + i, mt + i + 1, (mt_n - i - 1) * sizeof(*mt));
		mt_n--;
	}
	pthread_mutex_unlock(&mlock);
	if (i == SIZE_MAX)
		answer_not_found(c, id);
	else
		answer_deleted(c, 1);
}

/* Forget every todo (ids keep growing). Returns how many there were. */
static size_t mem_drop(int release)
{
	size_t i, n;

	pthread_mutex_lock(&mlock);
	n = mt_n;
	for (i = 0; i < mt_n; i++)
		free(mt[i].json);
	mt_n = 0;
	if (release) {
		free(mt);
		mt = NULL;
		mt_cap = 0;
	}
	pthread_mutex_unlock(&mlock);
	return n;
}

void todo_free_all(void)
{
	mem_drop(1);
}

static void mem_clear(struct conn *c)
{
	answer_deleted(c, mem_drop(0));
}

/* ---- the Redis store ---- */

struct idx { uint64_t id; size_t i; };

static int idx_cmp(const void *a, const void *b)
{
	const struct idx *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void list_cb(struct conn *c, struct redisReply *r, const char *err, void *arg)
{
	const char **items = NULL;
	size_t *lens = NULL, n, k;
	struct idx *ix = NULL;

	(void)arg;
	if (!c)
		return;
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements % 2) {
		answer_redis_error(c, r, err);
		goto out;
	}
	/* HGETALL: field, value, field, value... in no order: sort by id */
	n = r->elements / 2;
	items = malloc((n + 1) * sizeof(*items));
	lens = malloc((n + 1) * sizeof(*lens));
	ix = malloc((n + 1) * sizeof(*ix));
	if (!items || !lens || !ix) {
		answer_error(c, 503, "out of memory");
		goto out;
	}
	for (k = 0; k < n; k++) {
		struct redisReply *f = r->element[2 * k];

		ix[k].id = f->type == REDIS_REPLY_STRING ? strtoull(f->str, NULL, 10) : 0;
		ix[k].i = 2 * k + 1;
	}
	qsort(ix, n, sizeof(*ix), idx_cmp);
	for (k = 0; k < n; k++) {
		struct redisReply *v = r->element[ix[k].i];

		items[k] = v->type == REDIS_REPLY_STRING ? v->str : "null";
		lens[k] = v->type == REDIS_REPLY_STRING ? v->len : 4;
	}
	answer_list(c, items, lens, n);
out:
	free(items);
	free(lens);
	free(ix);
	conn_async_done(c);
}

static void add_cb(struct conn *c, struct redisReply *r, const char *err, void *arg)
{
	(void)arg;
	if (!c)
		return;
	if (r && r->type == REDIS_REPLY_STRING)
		answer_todo(c, 201, r->str, r->len);
	else
		answer_redis_error(c, r, err);
	conn_async_done(c);
}

static void get_cb(struct conn *c, struct redisReply *r, const char *err, void *arg)
{
	if (!c)
		return;
	if (r && r->type == REDIS_REPLY_STRING)
		answer_todo(c, 200, r->str, r->len);
	else if (r && r->type == REDIS_REPLY_NIL)
		answer_not_found(c, (uint64_t)(uintptr_t)arg);
	else
		answer_redis_error(c, r, err);
	conn_async_done(c);
}

static void del_cb(struct conn *c, struct redisReply *r, const char *err, void *arg)
{
	if (!c)
		return;
	if (r && r->type == REDIS_REPLY_INTEGER && r->integer > 0)
		answer_deleted(c, (unsigned long long)r->integer);
	else if (r && r->type == REDIS_REPLY_INTEGER)
		answer_not_found(c, (uint64_t)(uintptr_t)arg);
	else
		answer_redis_error(c, r, err);
	conn_async_done(c);
}

static void clear_cb(struct conn *c, struct redisReply *r, const char *err, void *arg)
{
	(void)arg;
	if (!c)
		return;
	if (r && r->type == REDIS_REPLY_INTEGER)
		answer_deleted(c, (unsigned long long)(r->integer > 0 ? r->integer : 0));
	else
		answer_redis_error(c, r, err);
	conn_async_done(c);
}

/* Send, or answer the failure at once. Returns what route_respond returns. */
static int submit(struct conn *c, rop_cb cb, void *arg, int argc, const char **argv)
{
	if (redis_submit(c, cb, arg, argc, argv, NULL) == 0)
		return 1;
	answer_redis_error(c, NULL, redis_last_error());
	return 0;
}

/* ---- requests ---- */

/* The todo's JSON after its id: "text":"..","node":"A","created":T}.
 * 0, or -1 after answering the problem. */
static int make_tail(struct conn *c, char *tail, size_t cap)
{
	char *etext;
	uint64_t wall = clock_wall_us();
	struct req *r = &c->req;
	int k;

	if (!r->keep) {
		answer_error(c, 503, "out of memory");
		return -1;
	}
	if (r->keep_over) {
		answer_error(c, 413, "request body larger than 4096 bytes");
		return -1;
	}
	{
		char t[APP_TODO_TEXT_MAX + 1];

		k = json_obj_str(r->keep, r->keep_len, text_keys, t, sizeof(t));
		if (k == JSON_TOO_LONG) {
			answer_error(c, 413, "todo text longer than 1024 bytes");
			return -1;
		}
		if (k != JSON_FOUND || !t[0]) {
			answer_error(c, 400, "want a JSON object with a non-empty \"text\" string, "
				     "e.g. {\"text\":\"buy milk\"}");
			return -1;
		}
		etext = malloc(6 * strlen(t) + 1);
		if (!etext) {
			answer_error(c, 503, "out of memory");
			return -1;
		}
		json_escape_text(etext, 6 * strlen(t) + 1, t);
	}
	k = snprintf(tail, cap, "\"text\":\"%s\",\"node\":\"%s\",\"created\":%llu.%03u}", etext,
		     app_cfg.name, (unsigned long long)(wall / 1000000), (unsigned)(wall % 1000000 / 1000));
	free(etext);
	if (k < 0 || (size_t)k >= cap) {
		answer_error(c, 413, "todo too long");
		return -1;
	}
	return 0;
}

static int parse_id(const char *path, uint64_t *id)
{
	const char *p = path + 11;   /* after "/api/todos/" */

	return parse_u64(p, strlen(p), id) < 0 || !*id ? -1 : 0;
}

int todo_respond(struct conn *c)
{
	static const char allow_all[] = "Allow: GET, POST, DELETE\r\n", allow_one[] = "Allow: GET, DELETE\r\n";
	struct req *r = &c->req;
	int redis = app_cfg.redis_host[0] != 0;
	char tail[6 * APP_TODO_TEXT_MAX + 200], idtxt[24];
	uint64_t id = 0;

	if (r->route == R_TODO && parse_id(r->path, &id) < 0) {
		answer_error(c, 404, "no such todo (ids are positive integers)");
		return 0;
	}
	snprintf(idtxt, sizeof(idtxt), "%" PRIu64, id);
	switch (r->meth) {
	case H1_M_GET:
	case H1_M_HEAD:
		if (r->route == R_TODO) {
			if (!redis) {
				mem_get(c, id);
				return 0;
			}
			return submit(c, get_cb, (void *)(uintptr_t)id, 3,
				      (const char *[]){ "HGET", TODO_HASH, idtxt });
		}
		if (!redis) {
			mem_list(c);
			return 0;
		}
		return submit(c, list_cb, NULL, 2, (const char *[]){ "HGETALL", TODO_HASH });
	case H1_M_POST:
	case H1_M_PUT:
		if (r->route == R_TODO)
			break;
		if (make_tail(c, tail, sizeof(tail)) < 0)
			return 0;
		if (!redis) {
			mem_add(c, tail);
			return 0;
		}
		return submit(c, add_cb, NULL, 6,
			      (const char *[]){ "EVAL", ADD_LUA, "2", TODO_SEQ, TODO_HASH, tail });
	case H1_M_DELETE:
		if (r->route == R_TODO) {
			if (!redis) {
				mem_del(c, id);
				return 0;
			}
			return submit(c, del_cb, (void *)(uintptr_t)id, 3,
				      (const char *[]){ "HDEL", TODO_HASH, idtxt });
		}
		if (!redis) {
			mem_clear(c);
			return 0;
		}
		return submit(c, clear_cb, NULL, 4, (const char *[]){ "EVAL", CLEAR_LUA, "1", TODO_HASH });
	default:
		break;
	}
	if (resp_begin(c, 405, "text/plain", FR_LENGTH, 19,
		       r->route == R_TODO ? allow_one : allow_all) == 0 && r->meth != H1_M_HEAD &&
	    buf_append(&c->out, "method not allowed\n", 19) == 0)
		c->resp.body_bytes = 19;
	return 0;
}
