/* Shared by the libFuzzer harnesses: a NUL-terminated copy of the input,
 * for parsers that take C strings (headers, flags, /proc files read whole). */
#ifndef NETSTAT_FUZZ_H
#define NETSTAT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

#endif
