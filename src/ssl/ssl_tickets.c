/* TLS session ticket keys (RFC 5077; TLS 1.3 resumption tickets too).
 *
 * `tls-ticket-keys FILE`: HAProxy's format, one base64 key per line, 48
 * bytes (16 name, 16 AES-128, 16 HMAC) or 80 (16 name, 32 AES-256, 32
 * HMAC); the last three are used, the penultimate one encrypts new
 * tickets, all three decrypt (a ticket made with another one is renewed).
 * Rotating is appending a key to the file and reloading.
 *
 * Without a file the keys are generated once per master and kept in the
 * shared area, so every worker the master starts (reloads, restarts)
 * decrypts the tickets of the previous one: clients resume across a
 * reload. Several binds without a file share them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <tandem/shm.h>
#include <tandem/xprt_ssl.h>
#include "ssl_int.h"

static struct tkeys *tkeys_new(const char *file)
{
	struct tkeys *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (file && !(t->file = strdup(file))) {
		free(t);
		return NULL;
	}
	list_init(&t->link);
	pthread_rwlock_init(&t->lock, NULL);
	return t;
}

void tkeys_free(struct tkeys *t)
{
	if (!t)
		return;
	list_del(&t->link);
	OPENSSL_cleanse(t->k, sizeof(t->k));
	pthread_rwlock_destroy(&t->lock);
	free(t->file);
	free(t);
}

/* A raw 48- or 80-byte key into <k>. */
static void key_set(struct tkey *k, const unsigned char *raw, size_t len)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->name, raw, 16);
	if (len == 80) {
		k->aes256 = 1;
		memcpy(k->aes, raw + 16, 32);
		memcpy(k->hmac, raw + 48, 32);
	} else {
		memcpy(k->aes, raw + 16, 16);
		memcpy(k->hmac, raw + 32, 16);
	}
}

/* getline()'s buffer is libc's: wiped, then given back to libc (not to
 * OPENSSL_free, which is tandem's counting allocator, ssl_mem.c). */
static void free_line(char *line, size_t cap)
{
	if (line)
		OPENSSL_cleanse(line, cap);
	free(line);
}

struct tkeys *tkeys_load(struct ssl_cfg_rt *rt, const char *file, struct ssl_msgs *m)
{
	unsigned char raw[TKEYS_N][80];
	size_t rlen[TKEYS_N];
	struct list *l;
	struct tkeys *t;
	char *line = NULL;
	size_t cap = 0, keylen = 0;
	ssize_t len;
	int n = 0, lineno = 0;
	FILE *f;

	list_for_each(l, &rt->tkeys) {
		t = list_entry(l, struct tkeys, link);
		if (t->file && !strcmp(t->file, file))
			return t;
	}
	if (ssl_plain_file(file, 0) < 0 || !(f = fopen(file, "r"))) {
		ssl_err(m, "'%s' : unable to load ssl tickets keys file (%s).", file,
			errno == EINVAL ? "not a regular file" : strerror(errno));
		return NULL;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		unsigned char dec[128];
		int dl;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
			line[--len] = 0;
		if (!len)
			continue;
		if (len > 120 || (dl = EVP_DecodeBlock(dec, (unsigned char *)line, (int)len)) < 0) {
			ssl_err(m, "'%s' : line %d: not a base64 ticket key.", file, lineno);
			goto fail;
		}
		/* EVP_DecodeBlock counts the padding as bytes */
		while (len > 0 && line[len - 1] == '=') {
			dl--;
			len--;
		}
		if (dl != 48 && dl != 80) {
			ssl_err(m, "'%s' : line %d: a ticket key is 48 or 80 bytes long, not %d.", file, lineno, dl);
			goto fail;
		}
		if (keylen && (size_t)dl != keylen) {
			ssl_err(m, "'%s' : line %d: 48- and 80-byte keys cannot be mixed (the first key sets the size).",
				file, lineno);
			goto fail;
		}
		keylen = (size_t)dl;
		/* keep the last TKEYS_N */
		if (n == TKEYS_N) {
			memmove(raw[0], raw[1], sizeof(raw[0]) * (TKEYS_N - 1));
			memmove(rlen, rlen + 1, sizeof(rlen[0]) * (TKEYS_N - 1));
			n--;
		}
		memcpy(raw[n], dec, (size_t)dl);
		rlen[n++] = (size_t)dl;
		OPENSSL_cleanse(dec, sizeof(dec));
	}
	fclose(f);
	f = NULL;
	if (n < TKEYS_N) {
		ssl_err(m, "'%s' : at least %d ticket keys are needed (found %d).", file, TKEYS_N, n);
		goto fail;
	}
	if (!(t = tkeys_new(file))) {
		ssl_err(m, "out of memory");
		goto fail;
	}
	for (int k = 0; k < TKEYS_N; k++)
		key_set(&t->k[k], raw[k], rlen[k]);
	t->n = TKEYS_N;
	t->enc = TKEYS_N - 2;   /* the penultimate one */
	list_add_tail(&rt->tkeys, &t->link);
	OPENSSL_cleanse(raw, sizeof(raw));
	free_line(line, cap);
	return t;
fail:
	if (f)
		fclose(f);
	OPENSSL_cleanse(raw, sizeof(raw));
	free_line(line, cap);
	return NULL;
}

struct tkeys *tkeys_generated(struct ssl_cfg_rt *rt)
{
	unsigned char raw[80];
	struct tkeys *t;

	if (rt->gen_keys)
		return rt->gen_keys;
	if (!(t = tkeys_new(NULL)))
		return NULL;
	for (int k = 0; k < TKEYS_N; k++) {
		if (RAND_bytes(raw, sizeof(raw)) != 1) {
			tkeys_free(t);
			return NULL;
		}
		key_set(&t->k[k], raw, sizeof(raw));
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	t->n = TKEYS_N;
	t->enc = TKEYS_N - 2;
	list_add_tail(&rt->tkeys, &t->link);
	rt->gen_keys = t;
	return t;
}

/* The generated keys live in the shared area: the first worker of a master
 * publishes its own, the next ones take them. */
void tkeys_handover(struct ssl_cfg_rt *rt)
{
	struct shm_tls *st = tdm_shm ? &tdm_shm->tls : NULL;
	struct tkeys *t = rt->gen_keys;
	uint32_t state = 0;

	if (!st || !t)
		return;
	if (__atomic_compare_exchange_n(&st->state, &state, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		for (int k = 0; k < TKEYS_N; k++) {
			memcpy(st->keys[k], t->k[k].name, 16);
			memcpy(st->keys[k] + 16, t->k[k].aes, 32);
			memcpy(st->keys[k] + 48, t->k[k].hmac, 32);
		}
		__atomic_store_n(&st->state, 2, __ATOMIC_RELEASE);
		return;
	}
	/* another worker publishes right now: it is a matter of microseconds */
	for (int spin = 0; spin < 1000000 && __atomic_load_n(&st->state, __ATOMIC_ACQUIRE) != 2; spin++)
		;
	if (__atomic_load_n(&st->state, __ATOMIC_ACQUIRE) != 2)
		return;
	pthread_rwlock_wrlock(&t->lock);
	for (int k = 0; k < TKEYS_N; k++)
		key_set(&t->k[k], st->keys[k], 80);
	pthread_rwlock_unlock(&t->lock);
}

int ssl_ticket_cb(SSL *s, unsigned char key_name[16], unsigned char *iv, EVP_CIPHER_CTX *ectx,
		  EVP_MAC_CTX *hctx, int enc)
{
	const struct ssl_xprt *x = SSL_get_app_data(s);
	const struct ssl_bind_rt *b = x && !(x->flags & XS_CLIENT) ? x->owner : NULL;
	struct tkeys *t = b ? b->tk : NULL;
	struct tkey k;
	OSSL_PARAM p[3];
	int idx = -1, renew;

	if (!t)
		return enc ? 0 : 0;
	pthread_rwlock_rdlock(&t->lock);
	if (enc) {
		idx = t->enc;
	} else {
		for (int i = 0; i < t->n; i++)
			if (!memcmp(key_name, t->k[i].name, 16))
				idx = i;
	}
	if (idx >= 0)
		k = t->k[idx];
	renew = idx != t->enc;
	pthread_rwlock_unlock(&t->lock);
	if (idx < 0)
		return 0;   /* unknown key: a full handshake, then a new ticket */
	p[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, k.hmac, k.aes256 ? 32 : 16);
	p[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
	p[2] = OSSL_PARAM_construct_end();
	if (enc) {
		memcpy(key_name, k.name, 16);
		if (RAND_bytes(iv, 16) != 1 ||
		    !EVP_EncryptInit_ex(ectx, k.aes256 ? EVP_aes_256_cbc() : EVP_aes_128_cbc(), NULL, k.aes, iv) ||
		    !EVP_MAC_CTX_set_params(hctx, p)) {
			OPENSSL_cleanse(&k, sizeof(k));
			return -1;
		}
		OPENSSL_cleanse(&k, sizeof(k));
		return 1;
	}
	if (!EVP_MAC_CTX_set_params(hctx, p) ||
	    !EVP_DecryptInit_ex(ectx, k.aes256 ? EVP_aes_256_cbc() : EVP_aes_128_cbc(), NULL, k.aes, iv)) {
		OPENSSL_cleanse(&k, sizeof(k));
		return -1;
	}
	OPENSSL_cleanse(&k, sizeof(k));
	return renew ? 2 : 1;
}
