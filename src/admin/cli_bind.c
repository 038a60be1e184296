/* The stats sockets' listening side, run by the master like every other
 * listener (master_open_listeners / master_close_listeners call in here):
 * created once, handed to each new worker by fork, and kept across
 * reloads when the new configuration names the same path or address.
 *
 * A UNIX socket is bound under a temporary name next to its path, given
 * its mode and owner while nobody can reach it yet, then renamed over the
 * path: a stale file left by a crash is replaced in one step, and clients
 * never see a socket with the wrong permissions. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <tandem/cli.h>
#include <tandem/log.h>
#include <tandem/sock.h>

#define CLI_BACKLOG 64

static int same_sock(const struct cli_sock_conf *a, const struct cli_sock_conf *b)
{
	if (a->addr.ss_family != b->addr.ss_family)
		return 0;
	if (a->addr.ss_family == AF_UNIX)
		return !strcmp(((const struct sockaddr_un *)&a->addr)->sun_path,
			       ((const struct sockaddr_un *)&b->addr)->sun_path);
	return a->addrlen == b->addrlen && !memcmp(&a->addr, &b->addr, a->addrlen);
}

static struct cli_sock_conf *find_old(struct cfg *old, const struct cli_sock_conf *c)
{
	struct list *l;

	if (!old)
		return NULL;
	list_for_each(l, &old->g.stats_socks) {
		struct cli_sock_conf *o = list_entry(l, struct cli_sock_conf, link);

		if (o->fd >= 0 && same_sock(o, c))
			return o;
	}
	return NULL;
}

static const char *path_of(const struct cli_sock_conf *c)
{
	return ((const struct sockaddr_un *)&c->addr)->sun_path;
}

/* Apply `mode`, `uid`/`gid` to <path>. 0 or -1 (errno set). */
static int set_perms(const struct cli_sock_conf *c, const char *path)
{
	if (c->mode >= 0 && chmod(path, (mode_t)c->mode) < 0)
		return -1;
	if ((c->uid >= 0 || c->gid >= 0) && chown(path, (uid_t)c->uid, (gid_t)c->gid) < 0)
		return -1;
	return 0;
}

static int open_unix(const struct cli_sock_conf *c, char *err, size_t errlen)
{
	struct sockaddr_un tmp;
	int fd;

	memset(&tmp, 0, sizeof(tmp));
	tmp.sun_family = AF_UNIX;
	if ((size_t)snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%d.tmp", path_of(c), (int)getpid())
	    >= sizeof(tmp.sun_path)) {
		snprintf(err, errlen, "socket path '%s' is too long", path_of(c));
		return -1;
	}
	unlink(tmp.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&tmp, sizeof(tmp)) < 0)
		goto fail;
	if (set_perms(c, tmp.sun_path) < 0 || listen(fd, CLI_BACKLOG) < 0 || rename(tmp.sun_path, path_of(c)) < 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "cannot bind UNIX socket (%s) [%s]", strerror(errno), path_of(c));
	if (fd >= 0)
		close(fd);
	unlink(tmp.sun_path);
	return -1;
}

/* Undo cli_socks_open on <cfg>: give back what was taken from <old>,
 * close what was opened here. */
static void give_back(struct cfg *cfg, struct cfg *old)
{
	struct list *l, *m;

	list_for_each(l, &cfg->g.stats_socks) {
		struct cli_sock_conf *c = list_entry(l, struct cli_sock_conf, link);

		if (c->fd < 0 || !c->fresh)
			continue;   /* untouched by this cli_socks_open() */
		c->fresh = 0;
		if (c->reused && old) {
			list_for_each(m, &old->g.stats_socks) {
				struct cli_sock_conf *o = list_entry(m, struct cli_sock_conf, link);

				if (o->fd < 0 && same_sock(o, c)) {
					o->fd = c->fd;
					c->fd = -1;
					break;
				}
			}
		}
		if (c->fd >= 0) {
			close(c->fd);
			if (c->addr.ss_family == AF_UNIX)
				unlink(path_of(c));
		}
		c->fd = -1;
		c->reused = 0;
	}
}

int cli_socks_open(struct cfg *cfg, struct cfg *old)
{
	struct list *l, *m;
	char err[256];

	list_for_each(l, &cfg->g.stats_socks) {
		struct cli_sock_conf *c = list_entry(l, struct cli_sock_conf, link), *o;

		c->fresh = 0;
		if (c->fd >= 0)
			continue;   /* still open (sockets handed back after a failed reload) */
		list_for_each(m, &cfg->g.stats_socks) {
			const struct cli_sock_conf *d = list_entry(m, struct cli_sock_conf, link);

			if (d == c)
				break;
			if (same_sock(d, c)) {
				log_event(LL_ALERT, "Binding [%s:%d] for stats socket %s: already declared at line %d.",
					  c->file ? c->file : "?", c->line, c->addr_str, d->line);
				goto fail;
			}
		}
		if ((o = find_old(old, c))) {
			c->fd = o->fd;      /* taken over: a reload never re-creates the socket */
			o->fd = -1;
			c->reused = 1;
			c->fresh = 1;
			if (c->addr.ss_family == AF_UNIX && set_perms(c, path_of(c)) < 0)
				log_event(LL_WARNING, "stats socket %s: cannot apply its mode or owner: %s.",
					  c->addr_str, strerror(errno));
			continue;
		}
		c->fd = c->addr.ss_family == AF_UNIX ? open_unix(c, err, sizeof(err))
			: sock_listen(&c->addr, c->addrlen, CLI_BACKLOG, -1, 0, err, sizeof(err));
		if (c->fd < 0) {
			log_event(LL_ALERT, "Binding [%s:%d] for stats socket %s: %s", c->file ? c->file : "?",
				  c->line, c->addr_str, err);
			goto fail;
		}
		c->fresh = 1;
	}
	return 0;
fail:
	give_back(cfg, old);
	return -1;
}

void cli_socks_close(struct cfg *cfg)
{
	struct list *l;

	list_for_each(l, &cfg->g.stats_socks) {
		struct cli_sock_conf *c = list_entry(l, struct cli_sock_conf, link);

		if (c->fd < 0)
			continue;
		close(c->fd);
		c->fd = -1;
		if (c->addr.ss_family == AF_UNIX)
			unlink(path_of(c));
	}
}
