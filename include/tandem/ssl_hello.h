/* A TLS ClientHello read from the first bytes of a TCP stream, without
 * terminating TLS (src/ssl/ssl_hello.c): what HAProxy's req.ssl_sni,
 * req.ssl_hello_type, req.ssl_ver, req.ssl_alpn, req.ssl_ec_ext and
 * req.ssl_st_ext fetches return, for SNI routing in mode tcp. A pure
 * function of its input (no OpenSSL), fuzzed by tests/fuzz/fuzz_tls_hello.c.
 *
 * Only a hello that fits in the first TLS record is read (as HAProxy
 * does); an SSLv2-compatible hello gives its type and version only. */
#ifndef TANDEM_SSL_HELLO_H
#define TANDEM_SSL_HELLO_H
#include <stddef.h>
#include <stdint.h>

enum {
	TLS_HELLO_OK   = 0,   /* a complete hello was parsed */
	TLS_HELLO_MORE = 1,   /* looks like TLS so far: wait for more bytes */
	TLS_HELLO_NOT  = -1,  /* not a TLS/SSL hello (or one this parser cannot read) */
};

struct tls_hello {
	int hello_type;         /* req.ssl_hello_type: the handshake message type (1: ClientHello) */
	int version;            /* req.ssl_ver: major * 65536 + minor of the hello (TLS 1.2 = 0x30003) */
	int max_version;        /* the highest of supported_versions (TLS 1.3 = 0x30004), else <version> */
	int sslv2;              /* an SSLv2-compatible hello (no extensions) */
	const uint8_t *sni;     /* req.ssl_sni: the host_name of server_name, NULL none */
	size_t sni_len;
	const uint8_t *alpn;    /* req.ssl_alpn: the protocol_name_list (length-prefixed names), NULL none */
	size_t alpn_len;
	int ec_ext;             /* req.ssl_ec_ext: supported_groups (elliptic curves) sent */
	int st_ext;             /* req.ssl_st_ext: 0 no session ticket extension, 1 empty, 2 with a ticket */
	size_t used;            /* bytes of input the hello took (its record) */
};

/* Parse <len> bytes from the start of a stream. TLS_HELLO_OK with <h>
 * filled (its pointers into <p>), TLS_HELLO_MORE, or TLS_HELLO_NOT. */
int tls_hello_parse(const uint8_t *p, size_t len, struct tls_hello *h);
/* The ALPN protocols of <h> one by one: start with *off = 0; 1 with
 * <name>/<nlen> set, 0 at the end. */
int tls_hello_alpn_next(const struct tls_hello *h, size_t *off, const uint8_t **name, size_t *nlen);

#endif
