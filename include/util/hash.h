/* util/hash: the hash functions of the project's open-addressing tables.
 * Pure, unkeyed; inline, since they run once per socket in a dump. */
#ifndef NETSTAT_UTIL_HASH_H
#define NETSTAT_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A fast multiply-xorshift hash of a fixed-size key read as 64-bit words:
 * len must be a multiple of 8 (pad the key with zeroes). */
static inline uint64_t hash_words(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint64_t h = 0x243f6a8885a308d3ull;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	return h;
}

/* FNV-1a (64-bit) of len bytes: any length, byte at a time. */
static inline uint64_t hash_fnv1a(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#endif
