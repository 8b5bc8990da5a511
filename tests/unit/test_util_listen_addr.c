/* util/listen_addr: the forms of --web.listen-address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <netinet/in.h>

#include "util/listen_addr.h"

static void test_listen_addr_forms(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;

	(void)state;
	assert_int_equal(listen_addr_parse("127.0.0.1:80", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 80);
	assert_int_equal(listen_addr_parse("[::1]:9100", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(listen_addr_parse(":0", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(listen_addr_parse("localhost:1", &ss, &len), 0);
	assert_int_equal(listen_addr_parse("example.com:80", &ss, &len), -EINVAL);
	assert_int_equal(listen_addr_parse("127.0.0.1", &ss, &len), -EINVAL);
	assert_int_equal(listen_addr_parse("127.0.0.1:", &ss, &len), -EINVAL);
	assert_int_equal(listen_addr_parse("127.0.0.1:+80", &ss, &len), -EINVAL);
	assert_int_equal(listen_addr_parse("[::1]80", &ss, &len), -EINVAL);
	assert_int_equal(listen_addr_parse("[]:80", &ss, &len), -EINVAL);
	assert_int_equal(listen_addr_parse("::1:80", &ss, &len), -EINVAL);
	assert_int_equal(listen_addr_parse(NULL, &ss, &len), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_addr_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
