/* util/bitset: fixed-size sets of small integers (ports, indexes) as arrays
 * of 64-bit words: uint64_t ports[BITSET_WORDS(65536)]. The caller owns and
 * zeroes the array. Inline: tests run once per socket in a dump. */
#ifndef NETSTAT_UTIL_BITSET_H
#define NETSTAT_UTIL_BITSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Words for a set of the integers 0 .. nbits-1. */
#define BITSET_WORDS(nbits) (((nbits) + 63) / 64)

static inline void bitset_set(uint64_t *bits, size_t i)
{
	bits[i / 64] |= 1ull << (i % 64);
}

static inline bool bitset_test(const uint64_t *bits, size_t i)
{
	return (bits[i / 64] >> (i % 64)) & 1;
}

#endif
