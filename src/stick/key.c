/* Stick table keys: from raw bytes, from the runtime API's text, and back
 * to text as `show table` prints them (HAProxy's forms: dotted IPv4,
 * IPv6 text, decimal integers, strings as they are, binary in hex). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/stick.h>

void stk_key_set(const struct stk_table *t, struct stk_key *k, const void *p, size_t len)
{
	uint32_t kl = t->h->keylen;

	switch (t->h->type) {
	case STK_T_STR:
		/* longer strings are cut to the table's length, as HAProxy does */
		k->len = (uint16_t)(len < kl ? len : kl);
		memcpy(k->b, p, k->len);
		break;
	case STK_T_BIN:
		/* binary keys are padded with zeroes to the table's length */
		memset(k->b, 0, kl);
		memcpy(k->b, p, len < kl ? len : kl);
		k->len = (uint16_t)kl;
		break;
	default:
		memset(k->b, 0, kl);
		memcpy(k->b, p, len < kl ? len : kl);
		k->len = (uint16_t)kl;
		break;
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int stk_key_parse(const struct stk_table *t, const char *s, struct stk_key *k)
{
	switch (t->h->type) {
	case STK_T_IP: {
		struct in_addr a;

		if (inet_pton(AF_INET, s, &a) != 1)
			return -1;
		stk_key_set(t, k, &a, 4);
		return 0;
	}
	case STK_T_IPV6: {
		struct in6_addr a;
		struct in_addr a4;

		if (inet_pton(AF_INET6, s, &a) != 1) {
			/* an IPv4 address names its mapped form, as HAProxy accepts */
			if (inet_pton(AF_INET, s, &a4) != 1)
				return -1;
			memset(&a, 0, sizeof(a));
			a.s6_addr[10] = a.s6_addr[11] = 0xff;
			memcpy(&a.s6_addr[12], &a4, 4);
		}
		stk_key_set(t, k, &a, 16);
		return 0;
	}
	case STK_T_INT: {
		char *end;
		long long v;
		uint32_t u;

		if (!*s)
			return -1;
		v = strtoll(s, &end, 10);
		if (*end || v < -2147483648LL || v > 4294967295LL)
			return -1;
		u = (uint32_t)v;
		stk_key_set(t, k, &u, 4);
		return 0;
	}
	case STK_T_STR:
		stk_key_set(t, k, s, strlen(s));
		return 0;
	case STK_T_BIN: {
		size_t n = strlen(s);
		uint8_t b[STK_KEY_MAX];

		if (n % 2 || n / 2 > t->h->keylen)
			return -1;
		for (size_t i = 0; i < n / 2; i++) {
			int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

			if (hi < 0 || lo < 0)
				return -1;
			b[i] = (uint8_t)(hi << 4 | lo);
		}
		stk_key_set(t, k, b, n / 2);
		return 0;
	}
	}
	return -1;
}

size_t stk_key_print(const struct stk_table *t, const struct stk_ent *e, char *buf, size_t len)
{
	int n = 0;

	if (!len)
		return 0;
	buf[0] = 0;
	switch (t->h->type) {
	case STK_T_IP:
		if (!inet_ntop(AF_INET, e->key, buf, (socklen_t)len))
			buf[0] = 0;
		return strlen(buf);
	case STK_T_IPV6:
		if (!inet_ntop(AF_INET6, e->key, buf, (socklen_t)len))
			buf[0] = 0;
		return strlen(buf);
	case STK_T_INT: {
		uint32_t u;

		memcpy(&u, e->key, 4);
		n = snprintf(buf, len, "%u", u);
		break;
	}
	case STK_T_STR:
		n = snprintf(buf, len, "%.*s", (int)e->klen, (const char *)e->key);
		break;
	case STK_T_BIN: {
		size_t o = 0;

		for (uint32_t i = 0; i < e->klen && o + 3 <= len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%02X", e->key[i]);
		return o;
	}
	}
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}
