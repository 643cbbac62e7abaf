#include "netaddr.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

/*
 * IPv4 (a, host order): the ranges no public host is in, each one that
 * reaches this machine or its networks:
 *   0.0.0.0/8       "this network" (RFC 1122 3.2.1.3; Linux connects
 *                   0.0.0.0 to the local host)
 *   10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16   private (RFC 1918)
 *   100.64.0.0/10   shared address space, carrier-grade NAT (RFC 6598)
 *   127.0.0.0/8     loopback (RFC 1122 3.2.1.3)
 *   169.254.0.0/16  link-local (RFC 3927), cloud metadata services
 */
static int v4_internal(uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 ||
	       (a & 0xfff00000u) == 0xac100000u ||	/* 172.16/12 */
	       (a & 0xffff0000u) == 0xc0a80000u ||	/* 192.168/16 */
	       (a & 0xffc00000u) == 0x64400000u ||	/* 100.64/10 */
	       (a & 0xffff0000u) == 0xa9fe0000u;	/* 169.254/16 */
}

/*
 * IPv6:
 *   fc00::/7        unique local (RFC 4193)
 *   fe80::/10       link-local (RFC 4291 2.5.6), with fec0::/10 next to
 *                   it, the former site-local (RFC 3879)
 *   ::ffff:0:0/96   IPv4-mapped (RFC 4291 2.5.5.2), ::/96 IPv4-compatible
 *                   (RFC 4291 2.5.5.1, with :: unspecified and ::1
 *                   loopback in it) and 64:ff9b::/96 NAT64 (RFC 6052):
 *                   the IPv4 address in the last 32 bits decides, as it
 *                   is where the connection goes (::1 is 0.0.0.1, in
 *                   0.0.0.0/8)
 */
int netaddr_internal(const char *ip)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char compat[12] = { 0 };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, ip, &a4) == 1)
		return v4_internal(ntohl(a4.s_addr));
	if (inet_pton(AF_INET6, ip, &a6) != 1)
		return 1;
	if ((a6.s6_addr[0] & 0xfe) == 0xfc || (a6.s6_addr[0] == 0xfe && (a6.s6_addr[1] & 0x80)))
		return 1;
	if (!memcmp(a6.s6_addr, mapped, 12) || !memcmp(a6.s6_addr, compat, 12) ||
	    !memcmp(a6.s6_addr, nat64, 12)) {
		uint32_t v4;

		memcpy(&v4, a6.s6_addr + 12, 4);
		return v4_internal(ntohl(v4));
	}
	return 0;
}
