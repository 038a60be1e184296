/* The system side of VRRP: the raw IPv4 and IPv6 sockets for protocol
 * 112, virtual addresses and VMAC (macvlan) interfaces added and removed
 * over rtnetlink (written directly with linux/rtnetlink.h: no library),
 * gratuitous ARP and unsolicited neighbour advertisements over an
 * AF_PACKET socket, sysctls, and interface facts. Everything needs
 * CAP_NET_RAW / CAP_NET_ADMIN, which the master has (it runs as root;
 * only the worker drops privileges). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
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

int vrrp_if_up(const char *ifname)
{
	struct ifreq ifr;
	int fd, r;

	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	r = ioctl(fd, SIOCGIFFLAGS, &ifr);
	close(fd);
	if (r < 0)
		return -1;
	return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING) ? 1 : 0;
}

static int is_vip(const struct vrrp_conf *c, int af, const uint8_t *a)
{
	for (int i = 0; i < c->nvips; i++)
		if (c->vips[i].ip.af == af && !memcmp(c->vips[i].ip.a, a, af == AF_INET ? 4 : 16))
			return 1;
	return 0;
}

int vrrp_if_primary(const char *ifname, int af, const struct vrrp_conf *c, uint8_t out[16])
{
	struct ifaddrs *all, *i;
	size_t n = strlen(ifname);
	int found = 0;

	if (getifaddrs(&all) < 0)
		return -1;
	for (i = all; i && !found; i = i->ifa_next) {
		const uint8_t *a;

		/* ifa_name is the address label: "eth0" or "eth0:x" */
		if (!i->ifa_addr || i->ifa_addr->sa_family != af || strncmp(i->ifa_name, ifname, n) ||
		    (i->ifa_name[n] && i->ifa_name[n] != ':'))
			continue;
		if (af == AF_INET) {
			a = (const uint8_t *)&((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
		} else {
			a = (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;
			/* RFC 5798 5.1.2.2: the link-local address of the interface */
			if (a[0] != 0xfe || (a[1] & 0xc0) != 0x80)
				continue;
		}
		if (is_vip(c, af, a))
			continue;
		memset(out, 0, 16);
		memcpy(out, a, af == AF_INET ? 4 : 16);
		found = 1;
	}
	freeifaddrs(all);
	if (!found) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int vrrp_sysctl_get(const char *name)
{
	char path[256], buf[32];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return atoi(buf);
}

int vrrp_sysctl_set(const char *name, int value)
{
	char path[256], buf[32];
	int fd, len, ok;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%d\n", value);
	ok = write(fd, buf, (size_t)len) == len;
	close(fd);
	return ok ? 0 : -1;
}

/* ---- the VRRP socket ---- */

static int sock_open4(const char *ifname, int ifindex, int join)
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

static int send4(int fd, int ifindex, const uint8_t src[4], const uint8_t dst[4],
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

static const uint8_t MCAST6[16] = { 0xff, 0x02, [15] = 0x12 };   /* ff02::12 */

static int sock_open6(const char *ifname, int ifindex, int join)
{
	struct ipv6_mreq mr;
	int fd, hops = VRRP_TTL, loop = 0, on = 1, e;

	fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_PROTO);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop, sizeof(loop)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0)
		goto fail;
	if (join) {
		memset(&mr, 0, sizeof(mr));
		memcpy(&mr.ipv6mr_multiaddr, MCAST6, 16);
		mr.ipv6mr_interface = (unsigned)ifindex;
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
			goto fail;
	}
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

int vrrp_sock_open(int af, const char *ifname, int ifindex, int join)
{
	return af == AF_INET6 ? sock_open6(ifname, ifindex, join) : sock_open4(ifname, ifindex, join);
}

static int send6(int fd, int ifindex, const uint8_t src[16], const uint8_t dst[16],
		 const uint8_t *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct sockaddr_in6 to;
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg;
	struct cmsghdr *cm;
	struct in6_pktinfo *pi;

	memset(&to, 0, sizeof(to));
	to.sin6_family = AF_INET6;
	memcpy(&to.sin6_addr, dst, 16);
	if (dst[0] == 0xff || (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80))
		to.sin6_scope_id = (uint32_t)ifindex;
	memset(&ctl, 0, sizeof(ctl));
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &to;
	msg.msg_namelen = sizeof(to);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(*pi));
	pi = (struct in6_pktinfo *)(void *)CMSG_DATA(cm);
	pi->ipi6_ifindex = (unsigned)ifindex;
	memcpy(&pi->ipi6_addr, src, 16);
	return sendmsg(fd, &msg, MSG_DONTWAIT) == (ssize_t)len ? 0 : -1;
}

int vrrp_send(int af, int fd, int ifindex, const uint8_t *src, const uint8_t *dst,
	      const uint8_t *buf, size_t len)
{
	return af == AF_INET6 ? send6(fd, ifindex, src, dst, buf, len) : send4(fd, ifindex, src, dst, buf, len);
}

ssize_t vrrp_recv6(int fd, uint8_t *buf, size_t cap, uint8_t src[16], uint8_t dst[16], int *hoplimit)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct sockaddr_in6 from;
	struct iovec iov = { buf, cap };
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	n = recvmsg(fd, &msg, MSG_TRUNC);
	if (n < 0)
		return -1;
	memcpy(src, &from.sin6_addr, 16);
	memset(dst, 0, 16);
	*hoplimit = -1;   /* unknown: the packet fails the TTL check */
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != IPPROTO_IPV6)
			continue;
		if (cm->cmsg_type == IPV6_HOPLIMIT && cm->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(hoplimit, CMSG_DATA(cm), sizeof(int));
		else if (cm->cmsg_type == IPV6_PKTINFO && cm->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo)))
			memcpy(dst, &((const struct in6_pktinfo *)(const void *)CMSG_DATA(cm))->ipi6_addr, 16);
	}
	return n;
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
	if (dlen)
		memcpy(buf + off + RTA_LENGTH(0), data, dlen);
	return off + need;
}

size_t vrrp_nl_build_addr(uint8_t *buf, size_t cap, int add, int ifindex,
			  const struct vrrp_ip *ip, int plen, uint32_t seq)
{
	struct vrrp_vip v;

	memset(&v, 0, sizeof(v));
	v.ip = *ip;
	v.plen = plen;
	return vrrp_nl_build_vip(buf, cap, add, ifindex, &v, seq);
}

size_t vrrp_nl_build_vip(uint8_t *buf, size_t cap, int add, int ifindex, const struct vrrp_vip *v, uint32_t seq)
{
	const struct vrrp_ip *ip = &v->ip;
	struct nlmsghdr nh;
	struct ifaddrmsg ifa;
	size_t alen = ip->af == AF_INET6 ? 16 : 4;
	size_t off = NLMSG_SPACE(sizeof(ifa));

	if (cap < off)
		return 0;
	memset(buf, 0, off);
	memset(&ifa, 0, sizeof(ifa));
	ifa.ifa_family = (unsigned char)ip->af;
	ifa.ifa_prefixlen = (unsigned char)v->plen;
	ifa.ifa_scope = (unsigned char)v->scope;
	ifa.ifa_index = (unsigned)ifindex;
	/* the address serves at once: no duplicate address detection (it
	 * belongs to the virtual router, the backup does not hold it) */
	if (ip->af == AF_INET6)
		ifa.ifa_flags = IFA_F_NODAD;
	memcpy(buf + NLMSG_LENGTH(0), &ifa, sizeof(ifa));
	if (!(off = put_attr(buf, off, cap, IFA_LOCAL, ip->a, alen)))
		return 0;
	if (add && !(off = put_attr(buf, off, cap, IFA_ADDRESS, ip->a, alen)))
		return 0;
	if (add && v->label[0] && !(off = put_attr(buf, off, cap, IFA_LABEL, v->label, strlen(v->label) + 1)))
		return 0;
	if (add && v->brd.af == AF_INET && !(off = put_attr(buf, off, cap, IFA_BROADCAST, v->brd.a, 4)))
		return 0;
	memset(&nh, 0, sizeof(nh));
	nh.nlmsg_len = (uint32_t)off;
	nh.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	nh.nlmsg_seq = seq;
	memcpy(buf, &nh, sizeof(nh));
	return off;
}

static size_t nest_end(uint8_t *buf, size_t start, size_t off)
{
	struct rtattr rta;

	memcpy(&rta, buf + start, sizeof(rta));
	rta.rta_len = (unsigned short)(off - start);
	memcpy(buf + start, &rta, sizeof(rta));
	return off;
}

size_t vrrp_nl_build_macvlan(uint8_t *buf, size_t cap, const char *name, int base, const uint8_t mac[6],
			     uint32_t seq)
{
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	size_t off = NLMSG_SPACE(sizeof(ifi)), linfo, data;
	uint32_t link = (uint32_t)base, mode = MACVLAN_MODE_PRIVATE;

	if (cap < off)
		return 0;
	memset(buf, 0, off);
	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_family = AF_UNSPEC;
	ifi.ifi_flags = IFF_UP;
	ifi.ifi_change = IFF_UP;
	memcpy(buf + NLMSG_LENGTH(0), &ifi, sizeof(ifi));
	if (!(off = put_attr(buf, off, cap, IFLA_IFNAME, name, strlen(name) + 1)) ||
	    !(off = put_attr(buf, off, cap, IFLA_LINK, &link, sizeof(link))) ||
	    !(off = put_attr(buf, off, cap, IFLA_ADDRESS, mac, 6)))
		return 0;
	linfo = off;
	if (!(off = put_attr(buf, off, cap, IFLA_LINKINFO, NULL, 0)) ||
	    !(off = put_attr(buf, off, cap, IFLA_INFO_KIND, "macvlan", 8)))
		return 0;
	data = off;
	if (!(off = put_attr(buf, off, cap, IFLA_INFO_DATA, NULL, 0)) ||
	    !(off = put_attr(buf, off, cap, IFLA_MACVLAN_MODE, &mode, sizeof(mode))))
		return 0;
	nest_end(buf, data, off);
	nest_end(buf, linfo, off);
	memset(&nh, 0, sizeof(nh));
	nh.nlmsg_len = (uint32_t)off;
	nh.nlmsg_type = RTM_NEWLINK;
	nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	nh.nlmsg_seq = seq;
	memcpy(buf, &nh, sizeof(nh));
	return off;
}

size_t vrrp_nl_build_dellink(uint8_t *buf, size_t cap, int ifindex, uint32_t seq)
{
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	size_t off = NLMSG_SPACE(sizeof(ifi));

	if (cap < off)
		return 0;
	memset(buf, 0, off);
	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_family = AF_UNSPEC;
	ifi.ifi_index = ifindex;
	memcpy(buf + NLMSG_LENGTH(0), &ifi, sizeof(ifi));
	memset(&nh, 0, sizeof(nh));
	nh.nlmsg_len = (uint32_t)off;
	nh.nlmsg_type = RTM_DELLINK;
	nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
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

int vrrp_na_send(int fd, int ifindex, const uint8_t mac[6], const uint8_t ip[16], int router)
{
	static const uint8_t allnodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };   /* RFC 2464 7 */
	struct sockaddr_ll to;
	uint8_t na[VRRP_NA_LEN];

	vrrp_na_build(na, mac, ip, router);
	memset(&to, 0, sizeof(to));
	to.sll_family = AF_PACKET;
	to.sll_protocol = htons(ETH_P_IPV6);
	to.sll_ifindex = ifindex;
	to.sll_halen = ETH_ALEN;
	memcpy(to.sll_addr, allnodes_mac, ETH_ALEN);
	return sendto(fd, na, sizeof(na), MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) ==
		(ssize_t)sizeof(na) ? 0 : -1;
}
