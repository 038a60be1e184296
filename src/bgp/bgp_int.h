/* Internals shared by the files of src/bgp/: the blocking side of the
 * BIRD session (ctl.c: start-up, exit and the crash guard use it; the
 * thread in bgp.c speaks the same protocol non-blocking) and the guard.
 * Nothing here logs unless said otherwise. */
#ifndef TANDEM_BGP_INT_H
#define TANDEM_BGP_INT_H
#include <stddef.h>
#include <stdint.h>
#include <tandem/bgp.h>

/* ---- BIRD's control socket (ctl.c) ---- */

/* A non-blocking, close-on-exec AF_UNIX stream socket connected (or
 * connecting: *inprogress = 1) to <path>. -1 with errno. */
int bgp_ctl_connect(const char *path, int *inprogress);
/* Connect to <path> and read BIRD's greeting, within <timeout_ms>. Returns
 * the socket (non-blocking) with <p> initialised and past the greeting, or
 * -1 with <err> saying why ("No such file or directory", "BIRD greeted
 * with '...'", "no greeting within 2000 ms"). */
int bgp_ctl_open(const char *path, struct birdc_parser *p, int timeout_ms, char *err, size_t errlen);
/* Send command <cmd> for <proto> on a socket opened by bgp_ctl_open and
 * wait (poll) until its reply is complete or <timeout_ms> passes.
 * Spontaneous lines are skipped. Returns 0 with <rep> holding the
 * outcome, or -1 (I/O error, timeout, protocol error) with <err> set. */
int bgp_ctl_command(int fd, struct birdc_parser *p, int cmd, const char *proto, int timeout_ms,
		    struct birdc_reply *rep, char *err, size_t errlen);

/* ---- crash guard (guard.c) ---- */

/* What the guard does when the master dies without bgp_stop(): disable
 * every protocol of every section, then delete the addresses. Built by the
 * master before forking the guard; the guard only opens sockets. */
struct bgp_guard_sect {
	char    name[BGP_NAME_LEN];
	char    socket[BGP_SOCK_LEN];
	int     nproto;
	char    proto[BGP_MAX_ADDR][BGP_PROTO_LEN];
	int     ndel;
	uint8_t del[BGP_MAX_ADDR][64];     /* RTM_DELADDR requests */
	size_t  del_len[BGP_MAX_ADDR];
};

struct bgp_guard_plan {
	int     n;
	struct bgp_guard_sect s[BGP_MAX_SECT];
};

/* Fork the guard process for <plan> (see src/vrrp/guard.c). Its pid or -1. */
int bgp_guard_start(const struct bgp_guard_plan *plan);

#endif
