/* The system side of VRRP: the raw IP socket for protocol 112, virtual
 * addresses added and removed over rtnetlink (written directly with
 * linux/rtnetlink.h: no library), gratuitous ARP over an AF_PACKET socket,
 * and interface facts. Everything needs CAP_NET_RAW / CAP_NET_ADMIN, which
 * the master has (it runs as root; only the worker drops privileges). */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "vrrp_int.h"

/* ---- interfaces ---- */

int vrrp_if_get(const char *ifname, int *ifindex, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd, ret = -1;

	if (strlen(ifname) >= sizeof(ifr.ifr_name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		goto out;
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		goto out;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	ret = 0;
out:
	close(fd);
	return ret;
}

static int is_vip4(const struct vrrp_conf *c, const uint8_t a[4])
{
	for (int i = 0; i < c->nvips; i++)
		if (c->vips[i].ip.af == AF_INET && !memcmp(c->vips[i].ip.a, a, 4))
			return 1;
	return 0;
}

int vrrp_if_primary4(const char *ifname, const struct vrrp_conf *c, uint8_t out[4])
{
	struct ifaddrs *all, *i;
	size_t n = strlen(ifname);
	int found = 0;

	if (getifaddrs(&all) < 0)
		return -1;
	for (i = all; i && !found; i = i->ifa_next) {
		const struct sockaddr_in *sin = (const void *)i->ifa_addr;

		/* ifa_name is the address label: "eth0" or "eth0:x" */
		if (!sin || sin->sin_family != AF_INET || strncmp(i->ifa_name, ifname, n) ||
		    (i->ifa_name[n] && i->ifa_name[n] != ':'))
			continue;
		if (is_vip4(c, (const uint8_t *)&sin->sin_addr))
			continue;
		memcpy(out, &sin->sin_addr, 4);
		found = 1;
	}
	freeifaddrs(all);
	if (!found) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

/* ---- the VRRP socket ---- */

int vrrp_sock_open4(const char *ifname, int ifindex, int join)
{
	struct ip_mreqn mr;
	int fd, ttl = VRRP_TTL, tos = 0xc0 /* precedence: internetwork control */, e;
	unsigned char loop = 0, mttl = VRRP_TTL;

	fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_PROTO);
	if (fd < 0)
		return -1;
	memset(&mr, 0, sizeof(mr));
	mr.imr_ifindex = ifindex;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &mttl, sizeof(mttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) < 0)
		goto fail;
	setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));   /* best effort */
	if (join) {
		mr.imr_multiaddr.s_addr = htonl(VRRP_MCAST4);
		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
			goto fail;
	}
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

int vrrp_send4(int fd, int ifindex, const uint8_t src[4], const uint8_t dst[4],
	       const uint8_t *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct sockaddr_in to;
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg;
	struct cmsghdr *cm;
	struct in_pktinfo *pi;

	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	memcpy(&to.sin_addr, dst, 4);
	memset(&ctl, 0, sizeof(ctl));
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &to;
	msg.msg_namelen = sizeof(to);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(*pi));
	pi = (struct in_pktinfo *)(void *)CMSG_DATA(cm);
	pi->ipi_ifindex = ifindex;
	memcpy(&pi->ipi_spec_dst, src, 4);   /* the source address (raw_sendmsg) */
	return sendmsg(fd, &msg, MSG_DONTWAIT) == (ssize_t)len ? 0 : -1;
}

/* ---- addresses over rtnetlink ---- */

int vrrp_nl_open(void)
{
	struct sockaddr_nl sa;
	struct timeval tv = { 1, 0 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static size_t put_attr(uint8_t *buf, size_t off, size_t cap, int type, const void *data, size_t dlen)
{
	struct rtattr rta;
	size_t need = RTA_SPACE(dlen);

	if (off + need > cap)
		return 0;
	rta.rta_type = (unsigned short)type;
	rta.rta_len = (unsigned short)RTA_LENGTH(dlen);
	memset(buf + off, 0, need);
	memcpy(buf + off, &rta, sizeof(rta));
	memcpy(buf + off + RTA_LENGTH(0), data, dlen);
	return off + need;
}

size_t vrrp_nl_build_addr(uint8_t *buf, size_t cap, int add, int ifindex,
			  const struct vrrp_ip *ip, int plen, uint32_t seq)
{
	struct nlmsghdr nh;
	struct ifaddrmsg ifa;
	size_t alen = ip->af == AF_INET6 ? 16 : 4;
	size_t off = NLMSG_SPACE(sizeof(ifa));

	if (cap < off)
		return 0;
	memset(buf, 0, off);
	memset(&ifa, 0, sizeof(ifa));
	ifa.ifa_family = (unsigned char)ip->af;
	ifa.ifa_prefixlen = (unsigned char)plen;
	ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	ifa.ifa_index = (unsigned)ifindex;
	memcpy(buf + NLMSG_LENGTH(0), &ifa, sizeof(ifa));
	if (!(off = put_attr(buf, off, cap, IFA_LOCAL, ip->a, alen)))
		return 0;
	if (add && !(off = put_attr(buf, off, cap, IFA_ADDRESS, ip->a, alen)))
		return 0;
	memset(&nh, 0, sizeof(nh));
	nh.nlmsg_len = (uint32_t)off;
	nh.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	nh.nlmsg_seq = seq;
	memcpy(buf, &nh, sizeof(nh));
	return off;
}

int vrrp_nl_request(int nl, const uint8_t *msg, size_t len)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	struct nlmsghdr req;
	union { uint8_t b[4096]; struct nlmsghdr align; } rx;

	memcpy(&req, msg, sizeof(req));
	if (sendto(nl, msg, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len)
		return -errno;
	for (;;) {
		ssize_t n = recv(nl, rx.b, sizeof(rx.b), 0);
		struct nlmsghdr *h;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;   /* EAGAIN: no answer within the timeout */
		}
		for (h = &rx.align; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_seq != req.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
				continue;   /* a late answer to an earlier, timed-out request */
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EPROTO;
			return e->error;
		}
	}
}

/* ---- gratuitous ARP ---- */

int vrrp_garp_open(void)
{
	/* protocol 0: this socket only sends, nothing is queued to it */
	return socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

int vrrp_garp_send(int fd, int ifindex, const uint8_t mac[6], const uint8_t ip[4])
{
	struct sockaddr_ll to;
	uint8_t arp[28];

	vrrp_garp_build(arp, mac, ip);
	memset(&to, 0, sizeof(to));
	to.sll_family = AF_PACKET;
	to.sll_protocol = htons(ETH_P_ARP);
	to.sll_ifindex = ifindex;
	to.sll_halen = ETH_ALEN;
	memset(to.sll_addr, 0xff, ETH_ALEN);
	return sendto(fd, arp, sizeof(arp), MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) ==
		(ssize_t)sizeof(arp) ? 0 : -1;
}
