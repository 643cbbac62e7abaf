/*
 * netaddr.h - whether an address a connection reached is one of the
 * machine's own networks rather than the public internet: what a
 * redirect from a public upstream must not lead to (fetch.c), since the
 * server would then ask, with its own standing, a service only it can
 * reach (a local admin port, a cloud's metadata at 169.254.169.254, a
 * LAN host).
 */
#ifndef NB_NETADDR_H
#define NB_NETADDR_H

/*
 * 1 when ip, a numeric IPv4 ("10.0.0.1") or IPv6 ("fe80::1",
 * "::ffff:127.0.0.1") address as libcurl gives it, is not a public
 * unicast address: loopback, link-local, private, shared (CGNAT),
 * unspecified, or one of these written in an IPv6 form (netaddr.c lists
 * the ranges and their RFCs).  Also 1 when ip is no numeric address at
 * all: what cannot be read is not taken for public.  0 otherwise.
 */
int netaddr_internal(const char *ip);

#endif
