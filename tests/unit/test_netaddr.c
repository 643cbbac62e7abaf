/*
 * test_netaddr.c - netaddr_internal on real addresses: each range it
 * names (both ends where they are near public space), the IPv6 forms of
 * IPv4 addresses, public addresses either side of the ranges, and what
 * is no numeric address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/lib/netaddr.h"

static void test_internal(void **state)
{
	static const char *const in[] = {
		"0.0.0.0", "0.255.255.255", "10.0.0.0", "10.255.255.255", "100.64.0.0",
		"100.127.255.255", "127.0.0.1", "127.255.255.254", "169.254.0.0",
		"169.254.169.254", "169.254.255.255", "172.16.0.0", "172.31.255.255",
		"192.168.0.0", "192.168.255.255",
		"::", "::1", "fc00::", "fd12:3456::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"fe80::1", "febf::1", "fec0::1",
		"::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:169.254.169.254", "::ffff:10.1.2.3",
		"::10.0.0.1", "64:ff9b::a9fe:a9fe", "64:ff9b::192.168.1.1",
		"", "localhost", "127.0.0.1.", "1.2.3", "::g",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		if (!netaddr_internal(in[i]))
			fail_msg("%s taken for public", in[i]);
	}
}

static void test_public(void **state)
{
	static const char *const out[] = {
		"1.1.1.1", "8.8.8.8", "9.255.255.255", "11.0.0.0", "100.63.255.255",
		"100.128.0.0", "126.255.255.255", "128.0.0.0", "169.253.255.255",
		"169.255.0.0", "172.15.255.255", "172.32.0.0", "192.167.255.255",
		"192.169.0.0", "151.101.0.223",
		"2606:4700::1111", "2a04:4e42::223", "fbff::1", "ff02::1",
		"::ffff:8.8.8.8", "64:ff9b::808:808",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		if (netaddr_internal(out[i]))
			fail_msg("%s taken for internal", out[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_internal),
		cmocka_unit_test(test_public),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
