/* For the unit tests that parse recorded sock_diag replies: loads one
 * recording from FIXTURES_DIR (at most 64 KiB; caller frees). Include after
 * cmocka.h. */
#ifndef NETSTAT_TESTS_DIAG_FIXTURE_H
#define NETSTAT_TESTS_DIAG_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/netlink.h>

static uint8_t *load(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	uint8_t *buf = malloc(65536);

	snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	assert_true(*len > sizeof(struct nlmsghdr));
	return buf;
}

#endif
